/* sys: whole-file reads, whole-buffer writes, the monotonic clock, error
 * messages */
#ifndef SYS_H
#define SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Read the whole file at path, at most max bytes (0: no limit).  Returns
 * it NUL-terminated (free it) with its length in *lenp, or NULL with
 * "cannot open PATH: why", "cannot read PATH: why" or "PATH: over MAX
 * bytes" in err.  The read buffer is wiped, as the file may be a secret.
 */
char *sys_slurp(const char *path, size_t max, size_t *lenp, char *err,
    size_t errlen);

/*
 * Write all n bytes of p to fd, again after EINTR and short writes.
 * Returns 0, or -1 with errno; *done (when not NULL) is what was written.
 */
int sys_write_all(int fd, const void *p, size_t n, size_t *done);

/*
 * Read n bytes from fd into p, again after EINTR and short reads (a pipe
 * or a terminal gives what it has).  Returns the count, less than n only
 * at end of file, or -1 with errno.
 */
ssize_t sys_read_full(int fd, void *p, size_t n);

/*
 * Replace the file at path with the n bytes of p, atomically: a temporary
 * ".NAME.XXXXXX" in the same folder (never matching a reader's "*.prom"),
 * written, fsync'd, made mode, renamed over path.  A reader sees the old
 * file or the new one, never part of one.  Returns 0, or -1 with "cannot
 * write PATH: why" in err.
 */
int sys_write_atomic(const char *path, const void *p, size_t n, mode_t mode,
    char *err, size_t errlen);

/* Wipe the NUL-terminated secret s (a key, a token) and free it; NULL is
 * fine. */
void sys_free_secret(char *s);

/* Milliseconds on the monotonic clock. */
int64_t sys_now_ms(void);

/* The printf-style message in err (when err is not NULL and errlen > 0),
 * on one line (sys_one_line: what it quotes of a peer's bytes, jansson's
 * "near '...'" included, cannot start another line of a log); returns
 * -1, for "return sys_err(err, errlen, ...)". */
int sys_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* s's control bytes (CR, LF, tab, ...; DEL) made spaces, in place. */
void sys_one_line(char *s);

#endif
