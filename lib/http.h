/* http: the one HTTP engine of the network tools: a window of requests
 * on one multi handle, taken in order (or as they end), retries with
 * backoff, Retry-After */
#ifndef HTTP_H
#define HTTP_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <curl/curl.h>

#include "progress.h"

#include "nd.h"
#include "xmem.h"

struct http_xfer;
struct http_pool;

/*
 * The one retry policy of every HTTP request of the tools (the pool's
 * transfers, http_once, lib/sqs): how many retries, how long to wait
 * (doubling from base_ms to cap_ms, jittered, or the server's
 * Retry-After up to retry_after_max), and which outcomes are retried.
 */
#define HTTP_BACKOFF_MAX 60000	/* most HOOKPIPE_BACKOFF, ms */
struct http_retry {
	int retries;		/* further attempts after the first */
	long base_ms;		/* first wait; HOOKPIPE_BACKOFF (ms) */
	long cap_ms;		/* longest computed wait */
	int jitter;		/* 1: wait between half and all of it */
	long retry_after_max;	/* longest Retry-After obeyed, s (120) */
	int all;		/* retry a POST like a GET (--retry-all) */
	int no_5xx;		/* not idempotent: not even a 503 */
	unsigned int seed;	/* the jitter's */
};

/*
 * Fill rp: retries, base_ms and cap_ms as given, jitter on, Retry-After
 * up to 120 s.  HOOKPIPE_BACKOFF (ms, 0 to HTTP_BACKOFF_MAX; tests set
 * it) replaces base_ms, and cap_ms if it is larger.  The one place that
 * variable is read.  Returns 0, or -1 with "bad HOOKPIPE_BACKOFF 'x': a
 * number from 0 to 60000" in err: the tool exits 3 (EX_CONFIG).
 */
int http_retry_init(struct http_retry *rp, int retries, long base_ms,
    long cap_ms, char *err, size_t errlen);
/*
 * The wait in ms before retry n (1 for the first): retry_after seconds
 * if the answer said (>= 0), or -1 when that is over retry_after_max
 * (give up); else base_ms << (n - 1) up to cap_ms, jittered.
 */
long http_retry_wait(struct http_retry *rp, int n, long retry_after);
/*
 * Whether an attempt is worth another: code is curl's result, status the
 * HTTP status when code is CURLE_OK.  A connect error and 429 always; a
 * transport error, 408 or 5xx if idempotent or rp->all; else a 503
 * unless rp->no_5xx.
 */
int http_retry_temp(const struct http_retry *rp, CURLcode code,
    long status, int idempotent);
/* Whether curl could not reach the server (the request was not sent). */
int http_connect_error(CURLcode c);
/* Seconds in a Retry-After value (delta-seconds or an HTTP-date) at
 * time now; -1 if it is neither. */
long http_retry_after(const char *v, long now);
/* Whether a status means "try again later": 408, 429, 5xx. */
int http_status_temp(long status);

/* Settings shared by every transfer of a pool. */
struct http_opts {
	int jobs;		/* transfers at once (default 4) */
	long timeout;		/* seconds per attempt (default 30) */
	int idle_timeout;	/* timeout bounds connect and stalls only,
				 * not the whole transfer (downloads) */
	struct http_retry retry;	/* 3 retries, 500 ms doubling to 30 s */
	size_t body_max;	/* response bytes kept (1 MiB) */
	long recv_buffer;	/* bytes read at once, 0: libcurl's 16 KiB */
	const char *user_agent;	/* "tool/version (hookpipe)" */
	int max_redirs;		/* GET redirects followed (10) */
	/* completion in any order: http_pool_take returns any finished,
	 * not-held transfer (the first to finish first) and
	 * http_pool_room counts only the transfers not yet finished, so
	 * one slow transfer does not stop the window.  0 (the default):
	 * taken in the order added (http_run's output keeps input order) */
	int unordered;
	long upload_buffer;	/* bytes an upload sends at once (0:
				 * libcurl's 64 KiB; 1 MiB for big parts) */
	int no_retry_after;	/* the backoff alone, whatever an answer's
				 * Retry-After says (S3 sends none worth
				 * obeying; http_once's way) */
	/* told before each retry: why ("HTTP 503", curl's reason), the
	 * retry's number, the most there can be, the wait in ms */
	void (*on_retry)(struct http_xfer *x, const char *why, int n, int of,
	    long wait_ms);
	/* set (&nd_stop): once *stop is set no retry is made: an attempt
	 * that ends is final (its answer, or HTTP_FAIL_TEMP), a retry
	 * waiting ends HTTP_CANCELED; transfers not yet started still
	 * start (the parts of an upload under way), unlike
	 * http_pool_cancel_waits */
	volatile int *stop;
	/* set (lib/progress, started by the tool): every sink's and
	 * upload's bytes and sizes are counted on the terminal's line */
	struct progress *progress;
};

/* Fill o with the defaults above (http_retry_init for o->retry).
 * Returns 0, or -1 with err for a bad HOOKPIPE_BACKOFF (exit 3). */
int http_opts_init(struct http_opts *o, const char *tool, char *err,
    size_t errlen);

/* How a transfer ended, once its retries are spent. */
enum http_result {
	HTTP_OK,		/* a response arrived (any status) */
	HTTP_FAIL_TEMP,		/* transport error or retryable status */
	HTTP_FAIL_LOCAL,	/* the caller's sink failed */
	HTTP_SKIPPED,		/* the caller's sink asked to stop */
	HTTP_CANCELED		/* not sent: the run is stopping */
};

/* Body bytes of a 2xx answer for a caller that streams them
 * (job-fetch); return 0, or -1 (x->err filled) to fail the transfer for
 * good (HTTP_FAIL_LOCAL), or 1 to stop it as wanted (HTTP_SKIPPED).
 * x->sink_first is set on the first call of each attempt. */
typedef int (*http_sink_fn)(struct http_xfer *x, const char *p, size_t n);
/* Called before each attempt (attempt 0 first); may set curl options
 * (a Range) on e.  Return -1 with x->err filled to fail for good. */
typedef int (*http_prepare_fn)(struct http_xfer *x, CURL *e);
/* Called before each attempt (attempt 0 first; not for a redirect's
 * hop) before the pool reads x->url and x->headers: it may replace
 * them (free the old ones), to sign the request again with a fresh
 * x-amz-date or refreshed credentials.  Return -1 with err filled to
 * fail x for good (HTTP_FAIL_LOCAL).  prepare, by contrast, runs after
 * the pool has set e up, to add curl options. */
typedef int (*http_sign_fn)(struct http_xfer *x, char *err, size_t errlen);
/* Called after each attempt that brought an answer (any status; not a
 * redirect that is followed, not one a sink stopped), with x->status,
 * x->resp and the kept headers: 0 the answer is good (no retry), 1
 * worth a retry (as retries allow), -1 a failure for good; why filled
 * for 1 and -1 (it goes to on_retry and x->err).  The shape of
 * http_call's judge, but also for a 2xx (S3's "200 with an error
 * body").  NULL: http_retry_temp decides on the status. */
typedef int (*http_judge_fn)(struct http_xfer *x, char *why, size_t whylen);
/* Called on the loop's thread as soon as x's outcome is final (in the
 * order transfers end, before it is taken in input order): a tool may
 * start work of its own on it (sync a file in a thread). */
typedef void (*http_ended_fn)(struct http_xfer *x);

struct http_xfer {
	/* the request, set by the caller */
	char *method;		/* NULL: GET; freed by http_xfer_free */
	char *url;		/* freed by http_xfer_free */
	struct curl_slist *headers;	/* sent on every hop */
	struct curl_slist *secret;	/* sent to the first origin only */
	char *body;		/* request body, freed by http_xfer_free */
	size_t bodylen;
	/* 1: send body as an upload (CURLOPT_UPLOAD with read and seek
	 * callbacks, rewound for each attempt) with method (set it:
	 * "PUT"), not as POST fields */
	int upload;
	/* set: body is borrowed (a buffer pool's); http_xfer_free calls
	 * body_free(x) instead of wiping and freeing it */
	void (*body_free)(struct http_xfer *x);
	http_sign_fn sign;	/* optional, see above */
	http_judge_fn judge;	/* optional, see above */
	/* names of the response headers to keep (any case), NULL at the
	 * end; the caller's, not freed: values in kept, http_xfer_header */
	const char *const *keep;
	int follow;		/* follow redirects (GET only) */
	http_sink_fn sink;	/* NULL: keep the body in x->resp */
	http_prepare_fn prepare;
	http_ended_fn ended;	/* optional */
	/* set by the tool before http_pool_add: x is not taken, even when
	 * done, until the tool calls http_xfer_release (from any thread) */
	atomic_int held;
	void *arg;		/* http_run's: the record */
	void *user;		/* the tool's own per-record state */
	int64_t not_before;	/* monotonic ms: not started before then */
	int done;		/* set before http_pool_add: no request */

	/* the outcome */
	enum http_result result;
	long status;		/* last HTTP status, 0 if none */
	struct buf resp;	/* response body up to body_max */
	int truncated;		/* more than body_max came */
	char *ctype;		/* Content-Type, or NULL */
	char *cdisp;		/* Content-Disposition, or NULL */
	char *crange;		/* Content-Range, or NULL */
	char *final_url;	/* after redirects */
	char **kept;		/* kept[i]: the last answer's keep[i], or
				 * NULL if it had none */
	int verdict;		/* the judge's last word (1 here: retries
				 * spent); err says why when not 0 */
	int attempts;		/* requests made, redirects not counted */
	int sink_first;		/* next sink call is an attempt's first */
	char err[CURL_ERROR_SIZE + 64];	/* why it failed */

	/* the pool's */
	struct http_pool *pool;
	CURL *easy;
	CURLcode code;		/* curl's result of the last attempt */
	CURLcode prev_code;	/* the attempt before (for prepare) */
	char *hop;		/* URL of the current request */
	int stopped;		/* the sink said -1 or 1 */
	char *origin;		/* scheme://host:port of the first URL */
	struct curl_slist *sent;	/* headers of the current hop */
	char curlerr[CURL_ERROR_SIZE];	/* curl's words; err wins */
	int64_t due;		/* retry due, monotonic ms; 0 none */
	int redirs;
	size_t body_max;	/* the pool's, for on_body */
	size_t upoff;		/* bytes of body an upload has read */
	struct progress *progress;	/* the pool's http_opts.progress */
	uint64_t endseq;	/* order of finishing (unordered take) */
	int active;
	long retry_after;	/* seconds from the last response, -1 none */
};

/* A new transfer (zeroed); free with http_xfer_free. */
struct http_xfer *http_xfer_new(void);
void http_xfer_free(struct http_xfer *x);

/* The value of response header name (any case) if x->keep names it
 * and the last answer had it, else NULL; x keeps it. */
const char *http_xfer_header(const struct http_xfer *x, const char *name);

/* Clear x->held and wake the pool's loop; safe from any thread.  The
 * caller must not touch x afterwards from another thread. */
void http_xfer_release(struct http_xfer *x);
/* Make http_pool_run return now (or at once if it is not waiting),
 * from any thread: a worker has work for the loop (s3-put's hashed
 * parts).  Many calls before the poll sees one cost one wakeup. */
void http_pool_wakeup(struct http_pool *p);

/* A pool of transfers on one multi handle; NULL with err on failure. */
struct http_pool *http_pool_new(const struct http_opts *o, char *err,
    size_t errlen);
/* Free the pool (transfers still queued are freed too). */
void http_pool_free(struct http_pool *p);
/* Whether one more transfer may be queued now (with o->unordered,
 * finished ones waiting to be taken are not counted). */
int http_pool_room(const struct http_pool *p);
/* Transfers queued (in flight, waiting or finished but not taken). */
size_t http_pool_len(const struct http_pool *p);
/* Append x; the pool owns it until http_pool_take returns it. */
void http_pool_add(struct http_pool *p, struct http_xfer *x);
/* The oldest transfer if it is finished and not held (taken out), else
 * NULL: output keeps the order transfers were added in.  With
 * o->unordered: the first to finish of those finished and not held. */
struct http_xfer *http_pool_take(struct http_pool *p);
/*
 * Drive transfers, waiting at most ms for progress or for fd (if >= 0)
 * to become readable.  Returns 0, or -1 with err on a multi failure.
 */
int http_pool_run(struct http_pool *p, int ms, int fd, char *err,
    size_t errlen);
/* Set the pool's on_retry to fn if the tool's options gave none. */
void http_pool_default_on_retry(struct http_pool *p, void (*fn)(
    struct http_xfer *x, const char *why, int n, int of, long wait_ms));
/* Give up transfers not in flight (waiting to start or to retry) when
 * the run stops: they end HTTP_CANCELED. */
void http_pool_cancel_waits(struct http_pool *p);

/*
 * One blocking request on the engine's retry policy, for the simple
 * cases outside a pool (a signed AWS call, a certificate, instance
 * metadata).  A client keeps one easy handle, so that its requests
 * share one kept-alive connection; it is not for two threads at once
 * (give each thread, or each request, its own).
 *
 *	struct http_client c;
 *	struct http_call q = {0};
 *	struct buf body = {0};
 *
 *	if (http_client_init(&c, err, errlen) < 0)	(curl_global_init
 *		return -1;				 done before)
 *	c.timeout_ms = 5000;	(optional: the fields below)
 *	q.url = url;		(q.method, q.body, q.headers...)
 *	q.out = &body;
 *	if (http_once(&c, &q) < 0)
 *		q.err says why; q.result and q.status say what kind
 *	http_client_free(&c);
 *
 * No retries unless asked: http_retry_init(&c.retry, 3, 500, 30000, ...)
 * sets them (and reads HOOKPIPE_BACKOFF).  Redirects are not followed.
 * The answer's body is in q.out for any status (an error document);
 * q.result is HTTP_OK whenever an answer came.
 */
struct http_client {
	CURL *easy;		/* reused: one kept-alive connection */
	struct http_retry retry;	/* none until http_retry_init */
	long timeout_ms;	/* per attempt (30000), plus the call's wait */
	long connect_timeout_ms;	/* (10000) */
	const char *user_agent;	/* "hookpipe/VERSION" */
	const char *protocols;	/* "http,https" */
	const char *ca_file;	/* NULL: the system's CAs */
	const char *noproxy;	/* "*": never a proxy (metadata services);
				 * NULL: the environment's */
	size_t body_max;	/* 0: no limit; more: "response too large" */
	int path_as_is;		/* send the path unsquashed ("a/../b"): a
				 * signed S3 key */
	volatile int *stop;	/* set: an abortable call ends while no byte
				 * has come back, and is not retried */
	/* told before each retry (why, its number, how many, the wait) */
	void (*on_retry)(const char *why, int n, int of, long wait_ms);
};

struct http_call {
	/* the request */
	const char *method;	/* NULL: POST with a body, else GET */
	const char *url;
	const char *body;	/* NULL: none */
	size_t bodylen;
	struct curl_slist *headers;	/* the caller's (prepare may set) */
	long wait_ms;		/* added to the timeout (long polls) */
	int abortable;		/* c->stop may cancel it */
	/* before each attempt (sign it again): set q->headers; -1 with
	 * err ends the call (HTTP_FAIL_LOCAL) */
	int (*prepare)(struct http_call *q, char *err, size_t errlen);
	/* an answer that is not 2xx: say why, return 1 if it is worth a
	 * retry, 0 if not.  NULL: "HTTP 503", http_retry_temp */
	int (*judge)(struct http_call *q, char *why, size_t whylen);
	void *arg;		/* the caller's, for prepare and judge */
	struct buf *out;	/* the answer's body (reset per attempt);
				 * NULL: dropped */

	/* the outcome */
	enum http_result result;	/* HTTP_OK: an answer, see status;
				 * FAIL_TEMP: transport or temporary,
				 * retries spent; FAIL_LOCAL: prepare or
				 * body_max; CANCELED: c->stop */
	long status;		/* HTTP status, 0 if none */
	char date[64];		/* the answer's Date header, "" if none */
	int attempts;
	char err[CURL_ERROR_SIZE + 64];	/* why, one line */
};

/* A client with the defaults above; -1 with err if libcurl fails. */
int http_client_init(struct http_client *c, char *err, size_t errlen);
void http_client_free(struct http_client *c);
/*
 * Send q on c, retrying as c->retry says (waiting in this thread).
 * Returns 0 for a 2xx answer, else -1 with q->err ("HTTP 404", curl's
 * reason, judge's words; "... (after 4 attempts)" when retries ran out).
 */
int http_once(struct http_client *c, struct http_call *q);

/*
 * Check a URL: http or https, a host.  Returns 0, or -1 with "bad URL
 * 'u': reason" in err (the URL is shown without userinfo and query).
 */
int http_url_check(const char *url, char *err, size_t errlen);
/* The URL for messages: scheme://host[:port]/path, no userinfo, no
 * query; with secret_path set, the path is replaced by stars.  Caller frees. */
char *http_url_show(const char *url, int secret_path);
/* scheme://host:port of url, lower-cased; NULL if it does not parse. */
char *http_url_origin(const char *url);

/* One line for a failed transfer: "HTTP 503" or curl's reason (the
 * judge's why when it had its say). */
const char *http_reason(const struct http_xfer *x, char *buf, size_t len);

/*
 * Read a header file: lines "Name: value", blank lines and "#" comments
 * skipped, CR dropped; appended to *list.  Returns 0, or -1 with err
 * (which never quotes a value).
 */
int http_header_file(const char *path, struct curl_slist **list, char *err,
    size_t errlen);
/* Read a one-line secret file (token, URL): trailing CR/LF dropped;
 * caller frees.  NULL with err if missing or empty. */
char *http_secret_file(const char *path, char *err, size_t errlen);
/* Whether "Name: value" is a well formed header line (name a token,
 * value without CR or LF). */
int http_header_ok(const char *line);

#endif
