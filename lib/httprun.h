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
 * The pool options the record tools share, for getopt_long: -j/--jobs N
 * (1 to 256 transfers at once), --timeout SECONDS (1 to 86400 per
 * attempt), --retries N (0 to 100).  A tool puts HTTP_LONGOPTS in its
 * table and "j:" in its short options, and hands every option to
 * http_run_opt before its own switch.
 */
#define HTTP_OPT_TIMEOUT	1010
#define HTTP_OPT_RETRIES	1011
#define HTTP_LONGOPTS \
	{"jobs", required_argument, NULL, 'j'}, \
	{"timeout", required_argument, NULL, HTTP_OPT_TIMEOUT}, \
	{"retries", required_argument, NULL, HTTP_OPT_RETRIES}
/* ch is one of them: its value set in ho (a bad one: the message, the
 * usage line, exit 2, as lib/arg does) and 1; else 0. */
int http_run_opt(struct http_opts *ho, int ch, const char *val,
    const char *usage);

/*
 * The record loop of the network tools: read records from the files
 * ("-" or none: stdin), keep up to the pool's jobs in flight, hand the
 * results to t->done in input order, report failed records (nd_fail),
 * warn before retries, stop on SIGINT/SIGTERM after the transfers in
 * flight.  Returns the exit status for main().
 */
int http_run(char **files, int nfiles, struct http_pool *p,
    const struct http_tool *t, void *arg, const struct nd_opts *o);

/*
 * The one policy from an HTTP outcome to a record's fate, for the done
 * callbacks: a temporary failure (result HTTP_FAIL_TEMP, or temp: 408,
 * 429, 5xx, throttling) fails the record and marks the run EX_TEMPFAIL
 * (ready to replay); fatal (refused credentials: every record would fail
 * the same) ends the run with EX_REMOTE; else the record fails alone.
 * Returns ND_FAIL or EX_REMOTE, for done to return.
 */
int http_record_fail(enum http_result result, int temp, int fatal);
/* http_record_fail for an answer whose status was not accepted: temp
 * for 408, 429 and 5xx, fatal for 401 and 403. */
int http_status_fail(long status);

#endif
