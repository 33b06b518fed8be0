/* metrics: the run's counters, the Prometheus text format, and the
 * node_exporter textfile that --metrics writes at exit and every
 * --metrics-interval seconds (hookpipe(7), "Metrics") */
#ifndef METRICS_H
#define METRICS_H

#include <stddef.h>

#include "xmem.h"

enum metrics_counter {
	METRICS_READ,		/* records (lines) read */
	METRICS_WRITTEN,	/* records written */
	METRICS_FAILED,		/* records that failed (nd_fail) */
	METRICS_NCOUNTERS
};

/* Count n more of which: an atomic add, cheap enough for every record
 * (nothing without --metrics: only metrics_start's file shows them). */
void metrics_add(enum metrics_counter which, long n);
/* The count so far. */
long metrics_get(enum metrics_counter which);

/*
 * Write the textfile at path from now on: at exit (an on_exit handler,
 * so with the exit status) and, while the tool runs, every interval
 * seconds (metrics_interval; 0: only at exit) from a thread that blocks
 * every signal.  The last success the file already holds is carried
 * over.  A failed write is told to on_error (NULL: silently; lib/ does
 * not print).  Returns 0, or -1 with err.  Only the first call counts.
 */
int metrics_start(const char *path, void (*on_error)(const char *msg),
    char *err, size_t errlen);
void metrics_interval(long seconds);
#define METRICS_INTERVAL	15
/* The last write, with the exit status, for a path that leaves by
 * _exit(2); the exit handler does it otherwise.  Once only. */
void metrics_exit(int status);

/* The Prometheus text format, shared with wh-listen's GET /metrics. */
/* "# HELP name help" and "# TYPE name type". */
void metrics_head(struct buf *b, const char *name, const char *type,
    const char *help);
/* s as a label value: backslash, double quote and newline escaped. */
void metrics_label(struct buf *b, const char *s);

#endif
