/* s3req: one signed S3 request, on http_once or a pool transfer */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "awsauth.h"
#include "s3req.h"
#include "sys.h"

#define RESP_MAX (4 * 1024 * 1024)	/* a page of 1,000 is ~400 KiB */

void
s3req_ctx_init(struct s3req_ctx *c, const struct aws_s3_conf *s,
    const char *agent, long timeout, int retries)
{
	memset(c, 0, sizeof(*c));
	c->creds = &s->creds;
	c->region = s->region;
	c->endpoint = s->endpoint;
	c->style = s->style;
	c->timeout = timeout;
	c->retries = retries;
	c->backoff_ms = 500;
	c->backoff_max_ms = 20000;
	c->agent = agent;
}

int
s3req_sign(struct s3req *rq, struct curl_slist **headers, const char **url,
    char *err, size_t errlen)
{
	const struct s3req_ctx *c = rq->c;
	struct sigv4_req r;
	size_t i;

	free(rq->code);
	rq->code = NULL;
	curl_slist_free_all(*headers);
	*headers = NULL;
	sigv4_out_free(&rq->o);
	memset(&r, 0, sizeof(r));
	r.method = rq->method;
	r.scheme = strncasecmp(c->endpoint, "http://", 7) == 0 ? "http" :
	    "https";
	r.host = rq->l->host;
	r.path = rq->l->path;
	r.query = rq->q;
	r.nquery = rq->nq;
	r.headers = rq->h;
	r.nheaders = rq->nh;
	r.payload_hash = SIGV4_EMPTY_SHA256;
	if (awsauth_sign(c->creds, c->region, "s3", SIGV4_S3, &r, &rq->o,
	    err, errlen) == -1)
		return -1;
	for (i = 0; rq->o.headers[i] != NULL; i++)
		*headers = curl_slist_append(*headers, rq->o.headers[i]);
	for (i = 0; i < rq->nh; i++) {
		struct buf b = { 0 };

		buf_addf(&b, "%s: %s", rq->h[i].name, rq->h[i].value);
		*headers = curl_slist_append(*headers, b.p);
		buf_free(&b);
	}
	*url = rq->o.url.p;
	return 0;
}

void
s3req_free(struct s3req *rq)
{
	sigv4_out_free(&rq->o);
	free(rq->code);
	rq->code = NULL;
}

int
s3req_temp(const struct http_retry *rp, long status, const char *code,
    const char *date)
{
	return http_retry_temp(rp, CURLE_OK, status, 1) ||
	    awsauth_temp_code(code) || awsauth_skewed(code, date);
}

/* one http_once call's request and client */
struct once {
	struct s3req rq;
	struct http_client *h;
};

/* before each attempt: signed at the clock corrected so far */
static int
sign(struct http_call *hc, char *err, size_t errlen)
{
	struct once *o = hc->arg;

	return s3req_sign(&o->rq, &hc->headers, &hc->url, err, errlen);
}

/* an answer that is not 2xx: S3's code and words; 1 if worth a retry
 * (signed again at the server's clock when it says ours is off) */
static int
judge(struct http_call *hc, char *why, size_t whylen)
{
	struct once *o = hc->arg;
	char *message = NULL;

	aws_xml_error(hc->out->p ? hc->out->p : "", hc->out->len,
	    &o->rq.code, &message);
	snprintf(why, whylen, "%ld %s%s%s", hc->status, o->rq.code ?
	    o->rq.code : "Error", message ? ": " : "", message ? message :
	    "");
	free(message);
	return s3req_temp(&o->h->retry, hc->status, o->rq.code,
	    hc->date[0] ? hc->date : NULL);
}

int
s3req_client(struct s3req_ctx *c, struct http_client *h, char *err,
    size_t errlen)
{
	static char agent[64];

	if (http_client_init(h, err, errlen) < 0 ||
	    http_retry_init(&h->retry, c->retries, c->backoff_ms,
	    c->backoff_max_ms, err, errlen) < 0) {
		http_client_free(h);
		c->temp = 1;
		return -1;
	}
	snprintf(agent, sizeof(agent), "%s/" HOOKPIPE_VERSION " (hookpipe)",
	    c->agent != NULL ? c->agent : "s3-put");
	h->timeout_ms = h->connect_timeout_ms = c->timeout * 1000;
	h->user_agent = agent;
	h->body_max = RESP_MAX;
	h->path_as_is = 1;
	h->on_retry = c->on_retry;
	return 0;
}

int
s3req_call(struct s3req_ctx *c, struct http_client *h, const char *method,
    const struct aws_s3_loc *l, const struct sigv4_kv *q, size_t nq,
    struct buf *resp, char **code, long *status, char *err, size_t errlen)
{
	struct once o = { .rq = { .c = c, .method = method, .l = l, .q = q,
	    .nq = nq }, .h = h };
	struct http_call hc;
	int rc;

	memset(&hc, 0, sizeof(hc));
	hc.method = method;
	hc.prepare = sign;
	hc.judge = judge;
	hc.arg = &o;
	hc.out = resp;
	rc = http_once(h, &hc);
	curl_slist_free_all(hc.headers);
	sigv4_out_free(&o.rq.o);
	*code = o.rq.code;
	if (status != NULL)
		*status = hc.status;
	if (rc == 0)
		return 0;
	/* a transport error, a temporary answer or one too big */
	c->temp = hc.result != HTTP_OK;
	return sys_err(err, errlen, "%s", hc.err);
}
