/* s3req: one signed S3 request, on http_once or as a pool transfer,
 * retried on the one policy (lib/httpretry) */
#ifndef S3REQ_H
#define S3REQ_H

#include <stddef.h>

#include <curl/curl.h>

#include "aws.h"
#include "http.h"
#include "sigv4.h"
#include "xmem.h"

/* Where and as whom: set by the caller. */
struct s3req_ctx {
	const struct aws_creds *creds;
	const char *region;
	const char *endpoint;	/* from aws_endpoint */
	int style;		/* AWS_S3_* */
	long timeout;		/* seconds a request may take */
	/* the retry policy's (http_retry_init): further attempts on a
	 * temporary failure, the first wait, doubled up to the longest */
	int retries;
	long backoff_ms, backoff_max_ms;
	/* after a failure: 1 if it was temporary (exit 6), else 0 */
	int temp;
	const char *agent;	/* the tool's name; NULL: "s3-put" */
	/* told before each retry of an http_once call; NULL: quiet */
	void (*on_retry)(const char *why, int n, int of, long wait_ms);
};

/* c for the store s was loaded for (s keeps the credentials, region
 * and endpoint): agent's requests of timeout seconds, retries further
 * attempts waiting 500 ms doubled up to 20 s; quiet retries. */
void s3req_ctx_init(struct s3req_ctx *c, const struct aws_s3_conf *s,
    const char *agent, long timeout, int retries);

/* One request, signed again before each attempt (a fresh x-amz-date,
 * the clock corrected after a skew). */
struct s3req {
	const struct s3req_ctx *c;
	const char *method;
	const struct aws_s3_loc *l;
	const struct sigv4_kv *q;
	size_t nq;
	const struct sigv4_kv *h;	/* headers to sign and send, or NULL */
	size_t nh;
	struct sigv4_out o;	/* the attempt's: its URL is the call's */
	char *code;		/* S3's error code of the attempt, or NULL */
};

/* Sign rq for an attempt: *headers replaced (the old list freed), *url
 * the signed URL (rq keeps it).  0, or -1 with err. */
int s3req_sign(struct s3req *rq, struct curl_slist **headers,
    const char **url, char *err, size_t errlen);
/* Free what the attempts of rq left. */
void s3req_free(struct s3req *rq);

/* h for c's requests: its timeout, retries and user agent; 0, or -1
 * with err and c->temp. */
int s3req_client(struct s3req_ctx *c, struct http_client *h, char *err,
    size_t errlen);

/*
 * A signed request with retries on h: 0 with the 2xx body in resp, or
 * -1 with err and c->temp; *code gets S3's error code (malloc'd) or
 * NULL; *status the last HTTP status (0: none).
 */
int s3req_call(struct s3req_ctx *c, struct http_client *h,
    const char *method, const struct aws_s3_loc *l,
    const struct sigv4_kv *q, size_t nq, struct buf *resp, char **code,
    long *status, char *err, size_t errlen);

/* Whether an S3 answer (status, error code, Date header) is worth a
 * retry: 408, 429, 5xx, a temporary code, a clock skew. */
int s3req_temp(const struct http_retry *rp, long status, const char *code,
    const char *date);

#endif
