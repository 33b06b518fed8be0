/* state: a small persistent key-value store with expiry, on SQLite */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <time.h>

struct state;	/* opaque */
struct sqlite3;

/*
 * The SQLite file at path as the stores here keep one (lib/state,
 * lib/scanstate): created mode 0600, WAL and synchronous=NORMAL (a commit
 * survives a crash of the process), a busy timeout of busy_ms so that
 * several processes can share it, then schema run.  NULL with err ("what:
 * cannot ...").
 */
struct sqlite3 *state_db_open(const char *path, const char *what,
    int busy_ms, const char *schema, char *err, size_t errlen);

/*
 * Open (creating) the store at path: an SQLite file, or
 * "dynamodb://TABLE" for a table several machines share (lib/ddbstate;
 * STATE_CREATE_TABLE: make the table if it is missing).  The same
 * semantics either way (hookpipe(5)).  NULL with err.
 */
#define STATE_CREATE_TABLE	1
struct state *state_open(const char *path, int flags, char *err,
    size_t errlen);
void state_close(struct state *s);
/* Store value under key until now + ttl seconds.  0, or -1 with err. */
int state_put(struct state *s, const char *key, const char *value,
    long ttl, time_t now, char *err, size_t errlen);
/*
 * The unexpired value under key in *value (the caller frees it), or
 * *value = NULL when there is none.  0, or -1 with err.
 */
int state_get(struct state *s, const char *key, time_t now, char **value,
    char *err, size_t errlen);

/*
 * Claims: recall once, at least once.  state_claim is state_get for an
 * entry nobody holds: it marks the entry with a new random claim (into
 * claim, NUL terminated) held until now + lease, so a second claim
 * before then finds nothing.  state_settle deletes the entry if it still
 * carries that claim (*settled 1), once what was recalled is delivered;
 * an entry never settled can be claimed again after its lease.
 * 0, or -1 with err.
 */
#define STATE_CLAIM_LEN	33
int state_claim(struct state *s, const char *key, long lease, time_t now,
    char **value, char claim[STATE_CLAIM_LEN], char *err, size_t errlen);
int state_settle(struct state *s, const char *key, const char *claim,
    int *settled, char *err, size_t errlen);

#endif
