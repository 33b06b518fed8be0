/* replay: delivery ids remembered for as long as a replay could verify */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sqlite3.h>

#include "replay.h"
#include "sys.h"
#include "xmem.h"

/*
 * In memory: a fixed ring of RP_MAX entries (oldest evicted first) with
 * a hash index, keyed by SHA-256 of scope and id, so memory stays
 * bounded whatever senders do.  In a file: one SQLite table, the same
 * key, expired rows deleted as they are met and once a minute.
 */
#define RP_MAX 65536
#define RP_BUCKETS 131072
#define RP_SWEEP 60.0		/* seconds between file sweeps */

struct rp_ent {
	unsigned char key[32];
	double until;		/* wall-clock seconds */
	int32_t next;		/* bucket chain, -1 ends */
	int used;
};

struct replay {
	pthread_mutex_t mu;
	struct rp_ent *ents;
	int32_t *bucket;
	uint32_t head, count;
	sqlite3 *db;
	sqlite3_stmt *get, *put, *sweep, *del;
	double swept;
};

static int
db_open(struct replay *r, const char *path, char *err, size_t errlen)
{
	int fd;

	/* created private: ids and paths say what a service receives */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return sys_err(err, errlen, "%s: %s", path, strerror(errno));
	close(fd);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return sys_err(err, errlen, "%s: %s", path,
		    r->db ? sqlite3_errmsg(r->db) : "out of memory");
	sqlite3_busy_timeout(r->db, 5000);
	/* WAL and synchronous=NORMAL: no fsync a request; what a process
	 * crash leaves is kept, a power loss may cost the last ids */
	if (sqlite3_exec(r->db, "PRAGMA journal_mode=WAL;"
	    "PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE IF NOT EXISTS replay (key BLOB PRIMARY KEY, "
	    "until REAL NOT NULL) WITHOUT ROWID", NULL, NULL, NULL) !=
	    SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "SELECT until FROM replay WHERE "
	    "key = ?1 AND until >= ?2", -1, &r->get, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO replay "
	    "VALUES (?1, ?2)", -1, &r->put, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "DELETE FROM replay WHERE until < ?1",
	    -1, &r->sweep, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(r->db, "DELETE FROM replay WHERE key = ?1",
	    -1, &r->del, NULL) != SQLITE_OK)
		return sys_err(err, errlen, "%s: %s", path,
		    sqlite3_errmsg(r->db));
	return 0;
}

struct replay *
replay_open(const char *path, char *err, size_t errlen)
{
	struct replay *r = xcalloc(1, sizeof(*r));
	int32_t i;

	pthread_mutex_init(&r->mu, NULL);
	if (path != NULL) {
		if (db_open(r, path, err, errlen) < 0) {
			replay_close(r);
			return NULL;
		}
		return r;
	}
	r->ents = xcalloc(RP_MAX, sizeof(*r->ents));
	r->bucket = xmalloc(RP_BUCKETS * sizeof(*r->bucket));
	for (i = 0; i < RP_BUCKETS; i++)
		r->bucket[i] = -1;
	return r;
}

void
replay_close(struct replay *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->get);
	sqlite3_finalize(r->put);
	sqlite3_finalize(r->sweep);
	sqlite3_finalize(r->del);
	sqlite3_close(r->db);
	free(r->ents);
	free(r->bucket);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

static uint32_t
rp_hash(const unsigned char *k)
{
	return ((uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
	    (uint32_t)k[2] << 8 | k[3]) % RP_BUCKETS;
}

static void
rp_unlink(struct replay *r, uint32_t i)
{
	int32_t *pp = &r->bucket[rp_hash(r->ents[i].key)];

	while (*pp != -1 && *pp != (int32_t)i)
		pp = &r->ents[*pp].next;
	if (*pp == (int32_t)i)
		*pp = r->ents[i].next;
	r->ents[i].used = 0;
}

static int
mem_check(struct replay *r, const unsigned char *k, double until,
    double now, int keep)
{
	int32_t i;
	uint32_t slot;

	/* drop what has expired at the old end of the ring */
	while (r->count > 0) {
		slot = (r->head + RP_MAX - r->count) % RP_MAX;
		if (r->ents[slot].used && now <= r->ents[slot].until)
			break;
		if (r->ents[slot].used)
			rp_unlink(r, slot);
		r->count--;
	}
	for (i = r->bucket[rp_hash(k)]; i != -1; i = r->ents[i].next)
		if (memcmp(r->ents[i].key, k, 32) == 0 &&
		    now <= r->ents[i].until)
			return 1;
	if (!keep)
		return 0;
	slot = r->head;
	if (r->ents[slot].used)
		rp_unlink(r, slot);
	memcpy(r->ents[slot].key, k, 32);
	r->ents[slot].until = until;
	r->ents[slot].used = 1;
	r->ents[slot].next = r->bucket[rp_hash(k)];
	r->bucket[rp_hash(k)] = slot;
	r->head = (r->head + 1) % RP_MAX;
	if (r->count < RP_MAX)
		r->count++;
	return 0;
}

static int
db_check(struct replay *r, const unsigned char *k, double until,
    double now, int keep, char *err, size_t errlen)
{
	int rc;

	if (now - r->swept > RP_SWEEP) {
		sqlite3_bind_double(r->sweep, 1, now);
		rc = sqlite3_step(r->sweep);
		sqlite3_reset(r->sweep);
		if (rc != SQLITE_DONE)
			return sys_err(err, errlen, "replay file: %s",
			    sqlite3_errmsg(r->db));
		r->swept = now;
	}
	sqlite3_bind_blob(r->get, 1, k, 32, SQLITE_STATIC);
	sqlite3_bind_double(r->get, 2, now);
	rc = sqlite3_step(r->get);
	sqlite3_reset(r->get);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc != SQLITE_DONE)
		return sys_err(err, errlen, "replay file: %s",
		    sqlite3_errmsg(r->db));
	if (!keep)
		return 0;
	sqlite3_bind_blob(r->put, 1, k, 32, SQLITE_STATIC);
	sqlite3_bind_double(r->put, 2, until);
	rc = sqlite3_step(r->put);
	sqlite3_reset(r->put);
	if (rc != SQLITE_DONE)
		return sys_err(err, errlen, "replay file: %s",
		    sqlite3_errmsg(r->db));
	return 0;
}

/* The key of scope+id: SHA-256 of scope, a NUL, id. */
static void
key(const char *scope, const char *id, unsigned char k[32])
{
	struct buf b = {0};

	buf_add(&b, scope, strlen(scope) + 1);
	buf_adds(&b, id);
	SHA256((unsigned char *)b.p, b.len, k);
	buf_free(&b);
}

static int
check(struct replay *r, const char *scope, const char *id, double until,
    double now, int keep, char *err, size_t errlen)
{
	unsigned char k[32];
	int rc;

	key(scope, id, k);
	pthread_mutex_lock(&r->mu);
	rc = r->db ? db_check(r, k, until, now, keep, err, errlen) :
	    mem_check(r, k, until, now, keep);
	pthread_mutex_unlock(&r->mu);
	return rc;
}

int
replay_check(struct replay *r, const char *scope, const char *id,
    double until, double now, char *err, size_t errlen)
{
	return check(r, scope, id, until, now, 1, err, errlen);
}

int
replay_peek(struct replay *r, const char *scope, const char *id,
    double now, char *err, size_t errlen)
{
	return check(r, scope, id, 0, now, 0, err, errlen);
}

int
replay_forget(struct replay *r, const char *scope, const char *id,
    char *err, size_t errlen)
{
	unsigned char k[32];
	int32_t i;
	int rc = 0;

	key(scope, id, k);
	pthread_mutex_lock(&r->mu);
	if (r->db != NULL) {
		sqlite3_bind_blob(r->del, 1, k, 32, SQLITE_STATIC);
		if (sqlite3_step(r->del) != SQLITE_DONE)
			rc = sys_err(err, errlen, "replay file: %s",
			    sqlite3_errmsg(r->db));
		sqlite3_reset(r->del);
	} else {
		/* its slot stays in the ring, unused, until its turn */
		for (i = r->bucket[rp_hash(k)]; i != -1; i = r->ents[i].next)
			if (memcmp(r->ents[i].key, k, 32) == 0)
				break;
		if (i != -1)
			rp_unlink(r, (uint32_t)i);
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}
