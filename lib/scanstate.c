/* scanstate: a bucket scan's objects and their states, on SQLite */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "ddbscan.h"
#include "ddbstate.h"
#include "scanstate.h"
#include "state.h"
#include "xmem.h"

const char *const scanstate_names[SCAN_NSTATES] = {
	"pending", "processing", "done", "failed", "skipped"
};

enum { Q_SEEN, Q_ADD, Q_TAKE, Q_MARK, Q_SETTLE, Q_REQUEUE, Q_COUNTS,
    Q_REDELIVERED, NQ };

static const char *const sql[NQ] = {
	[Q_SEEN] = "SELECT 1 FROM scan_items WHERE bucket = ?1 AND key = ?2"
	    " AND etag = ?3",
	[Q_ADD] = "INSERT OR IGNORE INTO scan_items (bucket, key, etag,"
	    " size, last_modified, ctype, state) VALUES (?1, ?2, ?3, ?4,"
	    " ?5, ?6, ?7)",
	[Q_TAKE] = "SELECT rowid, key, etag, size, last_modified, ctype,"
	    " emits FROM scan_items WHERE bucket = ?1 AND (state = 0 OR"
	    " (state = 1 AND lease <= ?2)) ORDER BY rowid LIMIT ?3",
	[Q_MARK] = "UPDATE scan_items SET state = 1, lease = ?2,"
	    " emits = emits + 1 WHERE rowid = ?1",
	[Q_SETTLE] = "UPDATE scan_items SET state = ?4, lease = 0"
	    " WHERE bucket = ?1 AND key = ?2 AND etag = ?3",
	[Q_REQUEUE] = "UPDATE scan_items SET state = 0, lease = 0"
	    " WHERE state = 1",
	[Q_COUNTS] = "SELECT state, count(*) FROM scan_items GROUP BY state",
	[Q_REDELIVERED] = "SELECT coalesce(sum(emits - 1), 0) FROM"
	    " scan_items WHERE emits > 1",
};

struct scanstate {
	struct ddbstate *ddb;	/* dynamodb://: the table (lib/ddbscan) */
	sqlite3 *db;
	sqlite3_stmt *q[NQ];
};

static int
dberr(struct scanstate *s, const char *what, char *err, size_t errlen)
{
	snprintf(err, errlen, "scan state: cannot %s: %s", what,
	    s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return -1;
}

void
scanstate_close(struct scanstate *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < NQ; i++)
		sqlite3_finalize(s->q[i]);
	sqlite3_close(s->db);
	ddbstate_close(s->ddb);
	free(s);
}

struct scanstate *
scanstate_open(const char *path, int flags, char *err, size_t errlen)
{
	struct scanstate *s;
	int i;

	s = xcalloc(1, sizeof(*s));
	if (strncmp(path, DDBSTATE_SCHEME, strlen(DDBSTATE_SCHEME)) == 0) {
		if ((s->ddb = ddbstate_open(path, flags & STATE_CREATE_TABLE,
		    err, errlen)) == NULL)
			goto bad;
		return s;
	}
	/* s3-scan and s3-done at once: each waits for the other's commit */
	if ((s->db = state_db_open(path, "scan state", 30000,
	    "CREATE TABLE IF NOT EXISTS scan_items (bucket TEXT NOT NULL,"
	    " key TEXT NOT NULL, etag TEXT NOT NULL, size INTEGER NOT NULL,"
	    " last_modified TEXT, ctype TEXT, state INTEGER NOT NULL,"
	    " lease INTEGER NOT NULL DEFAULT 0,"
	    " emits INTEGER NOT NULL DEFAULT 0,"
	    " PRIMARY KEY (bucket, key, etag));"
	    "CREATE INDEX IF NOT EXISTS scan_items_state ON scan_items"
	    " (bucket, state, lease);", err, errlen)) == NULL)
		goto bad;
	for (i = 0; i < NQ; i++)
		if (sqlite3_prepare_v2(s->db, sql[i], -1, &s->q[i], NULL) !=
		    SQLITE_OK) {
			dberr(s, "prepare statements", err, errlen);
			goto bad;
		}
	return s;
bad:
	scanstate_close(s);
	return NULL;
}

static int
exec(struct scanstate *s, const char *what, const char *q, char *err,
    size_t errlen)
{
	if (sqlite3_exec(s->db, q, NULL, NULL, NULL) != SQLITE_OK)
		return dberr(s, what, err, errlen);
	return 0;
}

int
scanstate_begin(struct scanstate *s, char *err, size_t errlen)
{
	if (s->ddb != NULL)
		return 0;	/* each call is its own write */
	return exec(s, "begin a transaction", "BEGIN IMMEDIATE", err,
	    errlen);
}

int
scanstate_commit(struct scanstate *s, char *err, size_t errlen)
{
	if (s->ddb != NULL)
		return 0;
	if (exec(s, "commit", "COMMIT", err, errlen) == -1) {
		scanstate_rollback(s);
		return -1;
	}
	return 0;
}

void
scanstate_rollback(struct scanstate *s)
{
	if (s->ddb == NULL && !sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

/* step a bound statement that returns no row; -1 with err */
static int
done(struct scanstate *s, sqlite3_stmt *st, const char *what, char *err,
    size_t errlen)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return dberr(s, what, err, errlen);
	return 0;
}

static void
bind3(sqlite3_stmt *st, const char *bucket, const char *key,
    const char *etag)
{
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, etag, -1, SQLITE_STATIC);
}

int
scanstate_seen(struct scanstate *s, const char *bucket, const char *key,
    const char *etag, int *seen, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->q[Q_SEEN];
	int rc;

	if (s->ddb != NULL)
		return ddbscan_seen(s->ddb, bucket, key, etag, seen, err,
		    errlen);
	bind3(st, bucket, key, etag);
	rc = sqlite3_step(st);
	*seen = rc == SQLITE_ROW;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return dberr(s, "look up an object", err, errlen);
	return 0;
}

int
scanstate_add(struct scanstate *s, const struct scanstate_item *it,
    int state, int *added, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->q[Q_ADD];

	if (s->ddb != NULL)
		return ddbscan_add(s->ddb, it, state, added, err, errlen);
	bind3(st, it->bucket, it->key, it->etag);
	sqlite3_bind_int64(st, 4, it->size);
	sqlite3_bind_text(st, 5, it->last_modified, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, it->ctype, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, state);
	if (done(s, st, "add an object", err, errlen) == -1)
		return -1;
	*added = sqlite3_changes(s->db) > 0;
	return 0;
}

/* the taken rows, copied out before the commit */
struct row {
	sqlite3_int64 id;
	char *key, *etag, *lm, *ctype;
	long long size;
	long emits;
};

static char *
col(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return t != NULL ? xstrdup((const char *)t) : NULL;
}

/* select and mark, in the transaction; the rows into *r */
static int
take_rows(struct scanstate *s, const char *bucket, long lease, time_t now,
    long max, struct row **r, long *nr, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->q[Q_TAKE], *mk = s->q[Q_MARK];
	long n = 0, i;
	int rc;

	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 3, max > 0 ? max : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*r = xrealloc(*r, (size_t)(n + 1) * sizeof(**r));
		(*r)[n].id = sqlite3_column_int64(st, 0);
		(*r)[n].key = col(st, 1);
		(*r)[n].etag = col(st, 2);
		(*r)[n].size = sqlite3_column_int64(st, 3);
		(*r)[n].lm = col(st, 4);
		(*r)[n].ctype = col(st, 5);
		(*r)[n].emits = (long)sqlite3_column_int64(st, 6) + 1;
		*nr = ++n;
	}
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE)
		return dberr(s, "take objects", err, errlen);
	for (i = 0; i < n; i++) {
		sqlite3_bind_int64(mk, 1, (*r)[i].id);
		sqlite3_bind_int64(mk, 2, (sqlite3_int64)now + lease);
		if (done(s, mk, "lease an object", err, errlen) == -1)
			return -1;
	}
	return 0;
}

long
scanstate_take(struct scanstate *s, const char *bucket, long lease,
    time_t now, long max, scanstate_take_fn *fn, void *arg, char *err,
    size_t errlen)
{
	struct scanstate_item it;
	struct row *r = NULL;
	long nr = 0, n, i;

	if (s->ddb != NULL)
		return ddbscan_take(s->ddb, bucket, lease, now, max, fn, arg,
		    err, errlen);
	if (scanstate_begin(s, err, errlen) == -1)
		return -1;
	if (take_rows(s, bucket, lease, now, max, &r, &nr, err, errlen) ==
	    -1) {
		scanstate_rollback(s);
		n = -1;
	} else if (scanstate_commit(s, err, errlen) == -1)
		n = -1;
	else
		n = nr;
	for (i = 0; i < n; i++) {
		memset(&it, 0, sizeof(it));
		it.bucket = bucket;
		it.key = r[i].key;
		it.etag = r[i].etag;
		it.size = r[i].size;
		it.last_modified = r[i].lm;
		it.ctype = r[i].ctype;
		it.emits = r[i].emits;
		fn(arg, &it);
	}
	/* the rows read, whatever happened after */
	for (i = 0; i < nr; i++) {
		free(r[i].key);
		free(r[i].etag);
		free(r[i].lm);
		free(r[i].ctype);
	}
	free(r);
	return n;
}

int
scanstate_settle(struct scanstate *s, const char *bucket, const char *key,
    const char *etag, int state, int *found, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->q[Q_SETTLE];

	if (s->ddb != NULL)
		return ddbscan_settle(s->ddb, bucket, key, etag, state, found,
		    err, errlen);
	bind3(st, bucket, key, etag);
	sqlite3_bind_int(st, 4, state);
	if (done(s, st, "settle an object", err, errlen) == -1)
		return -1;
	*found = sqlite3_changes(s->db) > 0;
	return 0;
}

int
scanstate_requeue(struct scanstate *s, long *n, char *err, size_t errlen)
{
	if (s->ddb != NULL)
		return ddbscan_requeue(s->ddb, n, err, errlen);
	if (done(s, s->q[Q_REQUEUE], "requeue", err, errlen) == -1)
		return -1;
	*n = (long)sqlite3_changes(s->db);
	return 0;
}

int
scanstate_counts(struct scanstate *s, long counts[SCAN_NSTATES],
    long *redelivered, char *err, size_t errlen)
{
	sqlite3_stmt *st = s->q[Q_COUNTS];
	int rc, k;

	if (s->ddb != NULL)
		return ddbscan_counts(s->ddb, counts, redelivered, err,
		    errlen);
	memset(counts, 0, SCAN_NSTATES * sizeof(*counts));
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		k = sqlite3_column_int(st, 0);
		if (k >= 0 && k < SCAN_NSTATES)
			counts[k] = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return dberr(s, "count objects", err, errlen);
	st = s->q[Q_REDELIVERED];
	rc = sqlite3_step(st);
	*redelivered = rc == SQLITE_ROW ?
	    (long)sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW)
		return dberr(s, "count redeliveries", err, errlen);
	return 0;
}
