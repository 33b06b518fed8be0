/* s3mpu: list and abort a bucket's incomplete multipart uploads */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "awsauth.h"
#include "awsint.h"
#include "http.h"
#include "s3mpu.h"
#include "sigv4.h"
#include "sys.h"
#include "xmem.h"

#define RESP_MAX (4 * 1024 * 1024)	/* a page of 1,000 is ~400 KiB */

/* ---- the ListMultipartUploadsResult document ---- */

struct lp {
	int root_ok, truncated;
	struct s3mpu cur;
	struct s3mpu **u;
	size_t *n;
	char *next_key, *next_id;
};

static void
l_open(void *arg, int depth, const char *name)
{
	struct lp *l = arg;

	if (depth == 1)
		l->root_ok = strcmp(name, "ListMultipartUploadsResult") == 0;
	else if (depth == 2 && strcmp(name, "Upload") == 0) {
		s3mpu_free(&l->cur, 1);
		memset(&l->cur, 0, sizeof(l->cur));
	}
}

static void
set(char **dst, const char *text)
{
	free(*dst);
	*dst = xstrdup(text);
}

/* the values are the leaves at depth 3 (in <Upload>) and 2 */
static void
l_close(void *arg, int depth, const char *name, const char *text, int leaf)
{
	struct lp *l = arg;

	if (depth == 3 && leaf) {
		if (strcmp(name, "Key") == 0)
			set(&l->cur.key, text);
		else if (strcmp(name, "UploadId") == 0)
			set(&l->cur.upload_id, text);
		else if (strcmp(name, "Initiated") == 0)
			set(&l->cur.initiated, text);
	} else if (depth == 2 && strcmp(name, "Upload") == 0) {
		if (l->cur.key != NULL && l->cur.upload_id != NULL) {
			if (l->cur.initiated == NULL ||
			    aws_parse_time(l->cur.initiated, &l->cur.when) ==
			    -1)
				l->cur.when = 0;
			*l->u = xrealloc(*l->u, (*l->n + 1) * sizeof(**l->u));
			(*l->u)[(*l->n)++] = l->cur;
		} else {
			s3mpu_free(&l->cur, 1);
		}
		memset(&l->cur, 0, sizeof(l->cur));
	} else if (depth == 2 && leaf) {
		if (strcmp(name, "IsTruncated") == 0)
			l->truncated = strcmp(text, "true") == 0;
		else if (strcmp(name, "NextKeyMarker") == 0)
			set(&l->next_key, text);
		else if (strcmp(name, "NextUploadIdMarker") == 0)
			set(&l->next_id, text);
	}
}

int
s3mpu_parse(const char *body, size_t len, struct s3mpu **u, size_t *n,
    char **next_key, char **next_id)
{
	struct lp l;
	int rc = 0;

	*next_key = *next_id = NULL;
	memset(&l, 0, sizeof(l));
	l.u = u;
	l.n = n;
	if (aws_xml_walk(body, len, l_open, l_close, &l) == -1 || !l.root_ok)
		rc = -1;
	s3mpu_free(&l.cur, 1);
	if (rc == 0 && l.truncated && l.next_key != NULL) {
		*next_key = l.next_key;
		*next_id = l.next_id;
	} else {
		free(l.next_key);
		free(l.next_id);
	}
	return rc;
}

int
s3mpu_stale(const struct s3mpu *u, time_t now, long age)
{
	return u->when != 0 && now - u->when >= (time_t)age;
}

void
s3mpu_free(struct s3mpu *u, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(u[i].key);
		free(u[i].upload_id);
		free(u[i].initiated);
	}
}

/* ---- requests ---- */

/* one signed request: what sign() signs again before each attempt */
struct req {
	struct http_client *h;
	const char *method;
	const struct aws_s3_loc *l;
	const struct sigv4_kv *q;
	size_t nq;
	const char *scheme;
	const struct s3mpu_ctx *c;
	struct sigv4_out o;	/* the attempt's: its URL is the call's */
	char *code;		/* S3's error code of the attempt, or NULL */
};

/* before each attempt: signed at the clock corrected so far */
static int
sign(struct http_call *hc, char *err, size_t errlen)
{
	struct req *rq = hc->arg;
	struct sigv4_req r;
	size_t i;

	free(rq->code);
	rq->code = NULL;
	curl_slist_free_all(hc->headers);
	hc->headers = NULL;
	sigv4_out_free(&rq->o);
	memset(&r, 0, sizeof(r));
	r.method = rq->method;
	r.scheme = rq->scheme;
	r.host = rq->l->host;
	r.path = rq->l->path;
	r.query = rq->q;
	r.nquery = rq->nq;
	r.payload_hash = SIGV4_EMPTY_SHA256;
	if (awsauth_sign(rq->c->creds, rq->c->region, "s3", SIGV4_S3, &r,
	    &rq->o, err, errlen) == -1)
		return -1;
	for (i = 0; rq->o.headers[i] != NULL; i++)
		hc->headers = curl_slist_append(hc->headers, rq->o.headers[i]);
	hc->url = rq->o.url.p;
	return 0;
}

/* an answer that is not 2xx: S3's code and words; 1 if worth a retry
 * (signed again at the server's clock when it says ours is off) */
static int
judge(struct http_call *hc, char *why, size_t whylen)
{
	struct req *rq = hc->arg;
	char *message = NULL;

	aws_xml_error(hc->out->p ? hc->out->p : "", hc->out->len, &rq->code,
	    &message);
	snprintf(why, whylen, "%ld %s%s%s", hc->status, rq->code ? rq->code :
	    "Error", message ? ": " : "", message ? message : "");
	free(message);
	return http_retry_temp(&rq->h->retry, CURLE_OK, hc->status, 1) ||
	    awsauth_temp_code(rq->code) || awsauth_skewed(rq->code,
	    hc->date[0] ? hc->date : NULL);
}

/* h for c's requests: its timeout, retries and user agent */
static int
client(struct s3mpu_ctx *c, struct http_client *h, char *err, size_t errlen)
{
	if (http_client_init(h, err, errlen) < 0 ||
	    http_retry_init(&h->retry, c->retries, c->backoff_ms,
	    c->backoff_max_ms, err, errlen) < 0) {
		http_client_free(h);
		c->temp = 1;
		return -1;
	}
	h->timeout_ms = h->connect_timeout_ms = c->timeout * 1000;
	h->user_agent = "s3-put/" HOOKPIPE_VERSION " (hookpipe)";
	h->body_max = RESP_MAX;
	h->path_as_is = 1;
	return 0;
}

/*
 * A signed request with retries on h: 0 with the 2xx body in resp, or
 * -1 with err and c->temp; *code gets S3's error code (malloc'd) or NULL.
 */
static int
call(struct s3mpu_ctx *c, struct http_client *h, const char *method,
    const struct aws_s3_loc *l, const struct sigv4_kv *q, size_t nq,
    struct buf *resp, char **code, char *err, size_t errlen)
{
	struct req rq = { .h = h, .method = method, .l = l, .q = q,
	    .nq = nq, .c = c };
	struct http_call hc;
	int rc;

	rq.scheme = strncasecmp(c->endpoint, "http://", 7) == 0 ? "http" :
	    "https";
	memset(&hc, 0, sizeof(hc));
	hc.method = method;
	hc.prepare = sign;
	hc.judge = judge;
	hc.arg = &rq;
	hc.out = resp;
	rc = http_once(h, &hc);
	curl_slist_free_all(hc.headers);
	sigv4_out_free(&rq.o);
	*code = rq.code;
	if (rc == 0)
		return 0;
	/* a transport error, a temporary answer or one too big */
	c->temp = hc.result != HTTP_OK;
	return sys_err(err, errlen, "%s", hc.err);
}

int
s3mpu_list(struct s3mpu_ctx *c, const char *bucket, const char *prefix,
    struct s3mpu **u, size_t *n, char *err, size_t errlen)
{
	struct aws_s3_loc l;
	struct sigv4_kv q[4];
	struct buf resp = { 0 };
	struct http_client h;
	char *key = NULL, *id = NULL, *code = NULL;
	size_t nq;
	int rc = 0;

	*u = NULL;
	*n = 0;
	c->temp = 0;
	if (aws_s3_address(&l, c->endpoint, bucket, NULL, c->style, err,
	    errlen) == -1)
		return -1;
	if (client(c, &h, err, errlen) == -1) {
		aws_s3_loc_free(&l);
		return -1;
	}
	/* the pages on one kept-alive connection */
	do {
		nq = 0;
		q[nq].name = "uploads", q[nq++].value = NULL;
		if (prefix != NULL && *prefix != '\0')
			q[nq].name = "prefix", q[nq++].value = prefix;
		if (key != NULL) {
			q[nq].name = "key-marker", q[nq++].value = key;
			if (id != NULL)
				q[nq].name = "upload-id-marker",
				q[nq++].value = id;
		}
		rc = call(c, &h, "GET", &l, q, nq, &resp, &code, err,
		    errlen);
		free(code);
		free(key);
		free(id);
		key = id = NULL;
		if (rc == 0 && s3mpu_parse(resp.p, resp.len, u, n, &key,
		    &id) == -1)
			rc = sys_err(err, errlen, "not a "
			    "ListMultipartUploadsResult");
	} while (rc == 0 && key != NULL);
	free(key);
	free(id);
	buf_free(&resp);
	http_client_free(&h);
	aws_s3_loc_free(&l);
	if (rc == -1) {
		s3mpu_free(*u, *n);
		free(*u);
		*u = NULL;
		*n = 0;
	}
	return rc;
}

int
s3mpu_abort(struct s3mpu_ctx *c, const char *bucket, const struct s3mpu *u,
    char *err, size_t errlen)
{
	struct aws_s3_loc l;
	struct sigv4_kv q[1];
	struct buf resp = { 0 };
	struct http_client h;
	char *code = NULL;
	int rc;

	c->temp = 0;
	if (aws_s3_address(&l, c->endpoint, bucket, u->key, c->style, err,
	    errlen) == -1)
		return -1;
	if (client(c, &h, err, errlen) == -1) {
		aws_s3_loc_free(&l);
		return -1;
	}
	q[0].name = "uploadId";
	q[0].value = u->upload_id;
	rc = call(c, &h, "DELETE", &l, q, 1, &resp, &code, err, errlen);
	http_client_free(&h);
	/* gone already (completed, aborted by a lifecycle rule) */
	if (rc == -1 && code != NULL && strcmp(code, "NoSuchUpload") == 0)
		rc = 0;
	free(code);
	buf_free(&resp);
	aws_s3_loc_free(&l);
	return rc;
}
