/* progress: one status line on a terminal for long transfers (s3-put,
 * job-fetch, s3-get): bytes, rate and, where sizes are known, ETA */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdatomic.h>
#include <stdint.h>

/*
 * Like lib/msg, this writes to stderr, and only when stderr is a
 * terminal (and TERM is not "dumb", and HOOKPIPE_PROGRESS is not 0):
 * elsewhere every call is a no-op, so logs and pipes never see it.  The
 * line is redrawn at most PROGRESS_EVERY_MS apart, in place ("\r", erase
 * to the end), and erased before any message lib/msg prints and at
 * progress_end.  The counters are atomic: the engine's callbacks may
 * call from any thread.  The engine calls progress_expect and
 * progress_add for every transfer of a pool whose http_opts.progress
 * is set; a tool only starts and ends it.
 */
#define PROGRESS_EVERY_MS 250

struct progress {
	int on;
	atomic_llong done;	/* bytes moved */
	atomic_llong expected;	/* bytes the transfers said they would
				 * move (Content-Length, upload sizes) */
	atomic_int files;	/* transfers finished */
	atomic_llong last_ms;	/* when the line was last drawn */
	atomic_flag drawing;
	int64_t start_ms;
	int shown;		/* a line is on the terminal */
};

/* On when stderr is a terminal (see above); registers the eraser with
 * lib/msg.  One per process. */
void progress_start(struct progress *p);
void progress_expect(struct progress *p, long long bytes);
void progress_add(struct progress *p, long long bytes);
void progress_file_done(struct progress *p);
/* The line as drawn, in t[tn] (for tests and for progress_draw). */
void progress_text(struct progress *p, int64_t now_ms, char *t, size_t tn);
/* Erase the line for good. */
void progress_end(struct progress *p);

#endif
