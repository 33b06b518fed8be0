/* state: a small persistent key-value store with expiry, on SQLite */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <openssl/rand.h>

#include "ddbstate.h"
#include "enc.h"
#include "state.h"
#include "xmem.h"

struct state {
	struct ddbstate *ddb;	/* dynamodb://: the table, no db */
	sqlite3 *db;
	sqlite3_stmt *put, *get, *claim, *settle, *purge;
	unsigned long ops;
};

static int
dberr(struct state *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "state: cannot %s: %s", what,
	    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return -1;
}

void
state_close(struct state *s)
{
	if (s == NULL)
		return;
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->get);
	sqlite3_finalize(s->claim);
	sqlite3_finalize(s->settle);
	sqlite3_finalize(s->purge);
	sqlite3_close(s->db);
	ddbstate_close(s->ddb);
	free(s);
}

struct sqlite3 *
state_db_open(const char *path, const char *what, int busy_ms,
    const char *schema, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int fd, rc, tries;

	/* it holds record data: created 0600 (less if the umask says so);
	 * SQLite gives its -wal and -shm files the same mode */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		snprintf(err, errlen, "%s: cannot open %s: %s", what, path,
		    strerror(errno));
		return NULL;
	}
	close(fd);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot open the database: %s", what,
		    db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		return NULL;
	}
	/* several processes may share the file: wait for each other */
	sqlite3_busy_timeout(db, busy_ms);
	/* WAL + NORMAL: a commit survives a crash of the process.  Two
	 * processes that set up a new file at once (s3-scan | s3-done) may
	 * find it locked without the busy handler being asked (the switch to
	 * WAL): tried again every 10 ms up to busy_ms */
	for (tries = 0;; tries++) {
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
		    "PRAGMA synchronous=NORMAL;", NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, schema, NULL, NULL, NULL);
		if ((rc != SQLITE_BUSY && rc != SQLITE_LOCKED) ||
		    tries * 10 >= busy_ms)
			break;
		usleep(10000);
	}
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: cannot set up the database: %s",
		    what, sqlite3_errmsg(db));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

struct state *
state_open(const char *path, int flags, char *err, size_t errlen)
{
	struct state *s;

	s = xcalloc(1, sizeof(*s));
	if (strncmp(path, DDBSTATE_SCHEME, strlen(DDBSTATE_SCHEME)) == 0) {
		if ((s->ddb = ddbstate_open(path, flags & STATE_CREATE_TABLE,
		    err, errlen)) == NULL)
			goto bad;
		return s;
	}
	if ((s->db = state_db_open(path, "state", 10000,
	    "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY,"
	    " value TEXT NOT NULL, expires INTEGER NOT NULL,"
	    " claim TEXT, lease INTEGER NOT NULL DEFAULT 0);",
	    err, errlen)) == NULL)
		goto bad;
	/* a file from before claims: add their columns */
	if (sqlite3_exec(s->db, "SELECT claim, lease FROM kv LIMIT 0", NULL,
	    NULL, NULL) != SQLITE_OK && sqlite3_exec(s->db,
	    "ALTER TABLE kv ADD COLUMN claim TEXT;"
	    "ALTER TABLE kv ADD COLUMN lease INTEGER NOT NULL DEFAULT 0;",
	    NULL, NULL, NULL) != SQLITE_OK) {
		dberr(s, "add claims to the database", err, errlen);
		goto bad;
	}
	if (sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO kv"
	    " (key, value, expires) VALUES (?1, ?2, ?3)", -1, &s->put,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "SELECT value FROM kv WHERE key = ?1"
	    " AND expires > ?2", -1, &s->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "UPDATE kv SET claim = ?3, lease = ?4"
	    " WHERE key = ?1 AND expires > ?2 AND (claim IS NULL OR"
	    " lease <= ?2) RETURNING value", -1, &s->claim,
	    NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM kv WHERE key = ?1"
	    " AND claim = ?2", -1, &s->settle, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM kv WHERE expires <= ?1",
	    -1, &s->purge, NULL) != SQLITE_OK) {
		dberr(s, "prepare statements", err, errlen);
		goto bad;
	}
	return s;
bad:
	state_close(s);
	return NULL;
}

/* now and then, drop what has expired */
static void
maybe_purge(struct state *s, time_t now)
{
	if (++s->ops % 1000 != 1)
		return;
	sqlite3_bind_int64(s->purge, 1, (sqlite3_int64)now);
	sqlite3_step(s->purge);
	sqlite3_reset(s->purge);
}

int
state_put(struct state *s, const char *key, const char *value, long ttl,
    time_t now, char *err, size_t errlen)
{
	int rc;

	if (s->ddb != NULL)
		return ddbstate_put(s->ddb, key, value, ttl, now, err, errlen);
	maybe_purge(s, now);
	sqlite3_bind_text(s->put, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->put, 2, value, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->put, 3, (sqlite3_int64)now + ttl);
	rc = sqlite3_step(s->put);
	sqlite3_reset(s->put);
	sqlite3_clear_bindings(s->put);
	if (rc != SQLITE_DONE)
		return dberr(s, "store a key", err, errlen);
	return 0;
}

/* step st (bound) to its end; the first row's text in *value if any */
static int
run_value(struct state *s, sqlite3_stmt *st, char **value, char *err,
    size_t errlen)
{
	int rc;

	*value = NULL;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	/* step to the end so an UPDATE is complete */
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		free(*value);
		*value = NULL;
		return dberr(s, "look up a key", err, errlen);
	}
	return 0;
}

int
state_get(struct state *s, const char *key, time_t now, char **value,
    char *err, size_t errlen)
{
	if (s->ddb != NULL)
		return ddbstate_get(s->ddb, key, now, value, err, errlen);
	sqlite3_bind_text(s->get, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->get, 2, (sqlite3_int64)now);
	return run_value(s, s->get, value, err, errlen);
}

int
state_claim(struct state *s, const char *key, long lease, time_t now,
    char **value, char claim[STATE_CLAIM_LEN], char *err, size_t errlen)
{
	unsigned char r[16];

	if (RAND_bytes(r, sizeof(r)) != 1) {
		snprintf(err, errlen, "state: cannot make a claim: no "
		    "random bytes");
		return -1;
	}
	enc_hex(claim, r, sizeof(r));
	if (s->ddb != NULL)
		return ddbstate_claim(s->ddb, key, lease, now, claim, value,
		    err, errlen);
	sqlite3_bind_text(s->claim, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->claim, 2, (sqlite3_int64)now);
	sqlite3_bind_text(s->claim, 3, claim, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->claim, 4, (sqlite3_int64)now + lease);
	return run_value(s, s->claim, value, err, errlen);
}

int
state_settle(struct state *s, const char *key, const char *claim,
    int *settled, char *err, size_t errlen)
{
	int rc;

	if (s->ddb != NULL)
		return ddbstate_settle(s->ddb, key, claim, settled, err,
		    errlen);
	sqlite3_bind_text(s->settle, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s->settle, 2, claim, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->settle);
	sqlite3_reset(s->settle);
	sqlite3_clear_bindings(s->settle);
	if (rc != SQLITE_DONE)
		return dberr(s, "settle a claim", err, errlen);
	*settled = sqlite3_changes(s->db) > 0;
	return 0;
}
