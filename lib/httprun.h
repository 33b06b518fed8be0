/* httprun: the record loop of the network tools on an http_pool; the one
 * lib code that writes diagnostics for records (see lib/httprun.c) */
#ifndef HTTPRUN_H
#define HTTPRUN_H

#include "http.h"
#include "nd.h"

/* What a tool does per record for http_run. */
struct http_tool {
	/* The transfer for a record, or NULL with err: the record fails
	 * (reported in its turn). */
	struct http_xfer *(*build)(struct nd_rec *r, void *arg, char *err,
	    size_t errlen);
	/* The transfer ended (in input order): write the output record and
	 * return 0, or return ND_FAIL with err, or an exit code >= 3 with
	 * err to fail the record and read no more input. */
	int (*done)(struct nd_rec *r, struct http_xfer *x, void *arg,
	    char *err, size_t errlen);
	/* Optional: free x->user. */
	void (*drop)(struct http_xfer *x, void *arg);
};

/*
 * The record loop of the network tools: read records from the files
 * ("-" or none: stdin), keep up to the pool's jobs in flight, hand the
 * results to t->done in input order, report failed records (nd_fail),
 * warn before retries, stop on SIGINT/SIGTERM after the transfers in
 * flight.  Returns the exit status for main().
 */
int http_run(char **files, int nfiles, struct http_pool *p,
    const struct http_tool *t, void *arg, const struct nd_opts *o);

#endif
