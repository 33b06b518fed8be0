/* replay: delivery ids remembered for as long as a replay could verify */
#ifndef REPLAY_H
#define REPLAY_H

#include <stddef.h>

struct replay;	/* opaque; every call is safe from any thread */

/*
 * A memory of delivery ids: in this process only (path NULL: a bounded
 * ring, the oldest entry evicted first when full), or in the SQLite
 * file at path (created 0600), which a restart does not forget.
 * NULL with err.
 */
struct replay *replay_open(const char *path, char *err, size_t errlen);
void replay_close(struct replay *r);

/*
 * Has scope+id been seen, not yet expired at now (wall-clock seconds)?
 * Returns 1 for a replay (the memory is left as it was); else remembers
 * it until the wall-clock time until and returns 0; -1 with err when
 * the file cannot be read or written.
 */
int replay_check(struct replay *r, const char *scope, const char *id,
    double until, double now, char *err, size_t errlen);

/* replay_check without remembering: 1 for a replay, 0, or -1 with err. */
int replay_peek(struct replay *r, const char *scope, const char *id,
    double now, char *err, size_t errlen);

/* Forget scope+id (a record that was not written after all, so the
 * sender's retry is new): 0, or -1 with err. */
int replay_forget(struct replay *r, const char *scope, const char *id,
    char *err, size_t errlen);

#endif
