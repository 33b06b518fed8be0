/* outq: records written whole to one descriptor, each within a deadline
 * or not at all, without a stalled reader blocking the callers */
#ifndef OUTQ_H
#define OUTQ_H

#include <stddef.h>

enum { OUTQ_QUEUED, OUTQ_WRITTEN, OUTQ_LATE, OUTQ_FAILED };

/*
 * How a caller waits for its line: sleep is called (in outq_add, from
 * the caller's thread) when the line has to wait, wake once its fate is
 * known, from any thread; both with the queue's lock held.
 */
struct outq_ops {
	void (*sleep)(void *arg);
	void (*wake)(void *arg);
};

struct outq_line;

/*
 * Write to fd (standard output): through a file description of its own
 * that never blocks where fd is a pipe or terminal, with a writer
 * thread for what has to wait.  Returns 0, or -1 with err.
 */
int outq_start(int fd, char *err, size_t errlen);

/*
 * Queue the len bytes at p (malloc'd, now the queue's): written at once
 * when nothing is ahead and the descriptor takes them, else by the
 * writer.  A line not begun within timeout seconds is never written
 * (OUTQ_LATE); one begun is finished, but turns OUTQ_LATE at its
 * deadline all the same.  The line stays the caller's to look at until
 * outq_done.
 */
struct outq_line *outq_add(char *p, size_t len, double timeout,
    const struct outq_ops *ops, void *arg);

/*
 * From now on outq_add queues every line without writing it, and the
 * callers write them by outq_flush, each after a batch of outq_adds
 * (group commit: wh-listen's loops flush once a turn, one write for the
 * lines of every request of the turn).  The writer still takes what
 * would block.
 */
void outq_defer(void);
void outq_flush(void);

/* The line's state: OUTQ_QUEUED while waiting. */
int outq_state(struct outq_line *l);


/* The caller is done with l: no more wake; freed once written or not. */
void outq_done(struct outq_line *l);

/* Settle every waiting line now as OUTQ_LATE (at the end of a drain). */
void outq_give_up(void);

/* Seconds the oldest waiting line has gone without a byte written. */
double outq_stalled(void);

/* The errno of the write that failed (output gone), or 0. */
int outq_dead(void);

#endif
