/* state: a small persistent key-value store with expiry, on SQLite */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <time.h>

struct state;	/* opaque */

/* Open (creating) the store at path.  NULL with err. */
struct state *state_open(const char *path, char *err, size_t errlen);
void state_close(struct state *s);
/* Store value under key until now + ttl seconds.  0, or -1 with err. */
int state_put(struct state *s, const char *key, const char *value,
    long ttl, time_t now, char *err, size_t errlen);
/*
 * The unexpired value under key in *value (the caller frees it), or
 * *value = NULL when there is none.  With forget, the key is deleted in
 * the same transaction, so two readers never both get it.
 * 0, or -1 with err.
 */
int state_get(struct state *s, const char *key, int forget, time_t now,
    char **value, char *err, size_t errlen);

#endif
