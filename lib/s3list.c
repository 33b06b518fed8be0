/* s3list: ListObjectsV2/ListObjects pages and HeadObject */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "s3list.h"
#include "sys.h"

/* ---- the ListBucketResult document ---- */

struct lp {
	int root_ok, truncated, v1;
	int encoded;		/* EncodingType url: keys percent-encoded */
	struct s3obj cur;
	struct s3obj **o;
	size_t *n;
	char *token, *last;
};

static void
l_open(void *arg, int depth, const char *name)
{
	struct lp *l = arg;

	if (depth == 1)
		l->root_ok = strcmp(name, "ListBucketResult") == 0;
	else if (depth == 2 && strcmp(name, "Contents") == 0) {
		s3list_free(&l->cur, 1);
		memset(&l->cur, 0, sizeof(l->cur));
	}
}

/* an ETag without its quotes ("\"abc\"" -> "abc") */
static char *
unquote(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

static void
content(struct lp *l, const char *name, const char *text)
{
	char *end;

	if (strcmp(name, "Key") == 0)
		xstrset(&l->cur.key, text);
	else if (strcmp(name, "ETag") == 0) {
		free(l->cur.etag);
		l->cur.etag = unquote(text);
	} else if (strcmp(name, "LastModified") == 0)
		xstrset(&l->cur.last_modified, text);
	else if (strcmp(name, "Size") == 0) {
		l->cur.size = strtoll(text, &end, 10);
		if (*text == '\0' || *end != '\0' || l->cur.size < 0)
			l->cur.size = -1;
	}
}

/* the values are the leaves at depth 3 (in <Contents>) and 2 */
static void
l_close(void *arg, int depth, const char *name, const char *text, int leaf)
{
	struct lp *l = arg;

	if (depth == 3 && leaf)
		content(l, name, text);
	else if (depth == 2 && strcmp(name, "Contents") == 0) {
		if (l->cur.key != NULL && l->cur.etag != NULL &&
		    l->cur.size >= 0) {
			xstrset(&l->last, l->cur.key);
			*l->o = xrealloc(*l->o, (*l->n + 1) * sizeof(**l->o));
			(*l->o)[(*l->n)++] = l->cur;
		} else
			s3list_free(&l->cur, 1);
		memset(&l->cur, 0, sizeof(l->cur));
	} else if (depth == 2 && leaf) {
		if (strcmp(name, "IsTruncated") == 0)
			l->truncated = strcmp(text, "true") == 0;
		else if (strcmp(name, "NextContinuationToken") == 0)
			xstrset(&l->token, text);
		else if (strcmp(name, "EncodingType") == 0)
			l->encoded = strcmp(text, "url") == 0;
	}
}

/* a key as S3 encodes it with encoding-type=url (form encoding: '+' a
 * space) back to its bytes */
static void
decode(char **key)
{
	struct buf b = { 0 };

	enc_form_decode(*key, strlen(*key), &b, 0);
	free(*key);
	*key = b.p;
}

int
s3list_parse(const char *body, size_t len, int v1, struct s3obj **o,
    size_t *n, char **next)
{
	struct lp l;
	size_t n0 = *n, i;
	int rc = 0;

	*next = NULL;
	memset(&l, 0, sizeof(l));
	l.o = o;
	l.n = n;
	l.v1 = v1;
	if (aws_xml_walk(body, len, l_open, l_close, &l) == -1 || !l.root_ok)
		rc = -1;
	s3list_free(&l.cur, 1);
	/* EncodingType comes after the Contents: decode once it is known */
	for (i = n0; rc == 0 && l.encoded && i < *n; i++)
		decode(&(*o)[i].key);
	if (rc == 0 && l.encoded && l.last != NULL)
		decode(&l.last);
	if (rc == 0 && l.truncated) {
		if (!v1) {
			*next = l.token;
			l.token = NULL;
		} else {
			/* not NextMarker: S3 sends it only with a delimiter,
			 * moto without one (and it holds an ETag there) */
			*next = l.last;
			l.last = NULL;
		}
		/* truncated, and nothing to go on from: a broken page */
		if (*next == NULL || **next == '\0') {
			free(*next);
			*next = NULL;
			rc = -1;
		}
	}
	free(l.token);
	free(l.last);
	return rc;
}

void
s3list_free(struct s3obj *o, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(o[i].key);
		free(o[i].etag);
		free(o[i].last_modified);
		free(o[i].ctype);
	}
}

/* ---- ListObjectsV2 / ListObjects ---- */

/* one page's request: v2 list-type=2 and continuation-token, v1 marker */
static size_t
page_query(struct sigv4_kv *q, int v1, const char *prefix, const char *next)
{
	size_t nq = 0;

	/* keys as XML 1.0 cannot hold them (control characters) come
	 * percent-encoded; decoded only where the answer says it did */
	q[nq].name = "encoding-type", q[nq++].value = "url";
	if (!v1)
		q[nq].name = "list-type", q[nq++].value = "2";
	if (prefix != NULL && *prefix != '\0')
		q[nq].name = "prefix", q[nq++].value = prefix;
	if (next != NULL) {
		q[nq].name = v1 ? "marker" : "continuation-token";
		q[nq++].value = next;
	}
	return nq;
}

int
s3list_list(struct s3req_ctx *c, const char *bucket, const char *prefix,
    int v1, s3list_page_fn *fn, void *arg, char **code, char *err,
    size_t errlen)
{
	struct aws_s3_loc l;
	struct sigv4_kv q[5];
	struct buf resp = { 0 };
	struct http_client h;
	struct s3obj *o;
	char *next = NULL, *prev;
	size_t n, nq;
	int rc = 0;

	*code = NULL;
	c->temp = 0;
	if (aws_s3_address(&l, c->endpoint, bucket, NULL, c->style, err,
	    errlen) == -1)
		return -1;
	if (s3req_client(c, &h, err, errlen) == -1) {
		aws_s3_loc_free(&l);
		return -1;
	}
	do {
		nq = page_query(q, v1, prefix, next);
		rc = s3req_call(c, &h, "GET", &l, q, nq, &resp, code, NULL,
		    err, errlen);
		prev = next;
		next = NULL;
		o = NULL;
		n = 0;
		if (rc == 0 && s3list_parse(resp.p, resp.len, v1, &o, &n,
		    &next) == -1)
			rc = sys_err(err, errlen, "not a ListBucketResult");
		free(prev);
		if (rc == 0)
			rc = fn(arg, o, n, err, errlen);
		else
			s3list_free(o, n);
		free(o);
		if (rc == 0) {
			free(*code);
			*code = NULL;
		}
	} while (rc == 0 && next != NULL);
	free(next);
	buf_free(&resp);
	http_client_free(&h);
	aws_s3_loc_free(&l);
	return rc;
}

/* ---- HeadObject, jobs at once on a pool ---- */

struct head {
	struct s3req rq;
	struct aws_s3_loc l;
	struct s3obj *o;
};

static int
h_sign(struct http_xfer *x, char *err, size_t errlen)
{
	struct head *hd = x->user;
	const char *url;

	if (s3req_sign(&hd->rq, &x->headers, &url, err, errlen) == -1)
		return -1;
	free(x->url);
	x->url = xstrdup(url);
	return 0;
}

/* the key's bytes as they are ("a/../b" is a key, not a path) */
static int
h_prepare(struct http_xfer *x, CURL *e)
{
	(void)x;
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	return 0;
}

/* a HEAD answer has no body: the status says it all */
static int
h_judge(struct http_xfer *x, char *why, size_t whylen)
{
	if (x->status / 100 == 2 || x->status == 404)
		return 0;
	snprintf(why, whylen, "HTTP %ld", x->status);
	return http_status_temp(x->status) ? 1 : -1;
}

static struct http_xfer *
h_new(struct s3req_ctx *c, const char *bucket, struct s3obj *o,
    char *err, size_t errlen)
{
	struct http_xfer *x;
	struct head *hd = xcalloc(1, sizeof(*hd));

	if (aws_s3_address(&hd->l, c->endpoint, bucket, o->key, c->style,
	    err, errlen) == -1) {
		free(hd);
		return NULL;
	}
	hd->rq.c = c;
	hd->rq.method = "HEAD";
	hd->rq.l = &hd->l;
	hd->o = o;
	x = http_xfer_new();
	x->method = xstrdup("HEAD");
	x->url = xstrdup(hd->l.url);
	x->sign = h_sign;
	x->judge = h_judge;
	x->prepare = h_prepare;
	x->user = hd;
	return x;
}

/* a finished HEAD: its answer into o; -1 with err if it failed */
static int
h_end(struct http_xfer *x, struct s3req_ctx *c, char *err, size_t errlen)
{
	struct head *hd = x->user;
	char why[256];
	int rc = 0;

	if (x->result == HTTP_OK && x->status / 100 == 2) {
		if (x->ctype != NULL && *x->ctype != '\0')
			hd->o->ctype = xstrdup(x->ctype);
	} else if (x->result == HTTP_OK && x->status == 404)
		hd->o->gone = 1;
	else {
		c->temp = x->result != HTTP_OK || http_status_temp(x->status);
		rc = sys_err(err, errlen, "cannot head %s: %s", hd->o->key,
		    http_reason(x, why, sizeof(why)));
	}
	s3req_free(&hd->rq);
	aws_s3_loc_free(&hd->l);
	free(hd);
	x->user = NULL;
	http_xfer_free(x);
	return rc;
}

int
s3list_head(struct s3req_ctx *c, const char *bucket, struct s3obj *o,
    size_t n, int jobs, char *err, size_t errlen)
{
	struct http_opts ho;
	struct http_pool *p;
	struct http_xfer *x;
	char scratch[256];
	size_t i = 0;
	int rc = 0;

	c->temp = 0;
	if (http_opts_init(&ho, c->agent ? c->agent : "s3-scan", err,
	    errlen) == -1 || http_retry_init(&ho.retry, c->retries,
	    c->backoff_ms, c->backoff_max_ms, err, errlen) == -1)
		return -1;
	ho.jobs = jobs;
	ho.timeout = c->timeout;
	ho.unordered = 1;
	if ((p = http_pool_new(&ho, err, errlen)) == NULL) {
		c->temp = 1;
		return -1;
	}
	while (rc == 0 && (i < n || http_pool_len(p) > 0)) {
		while (i < n && http_pool_room(p)) {
			if ((x = h_new(c, bucket, &o[i++], err, errlen)) ==
			    NULL) {
				rc = -1;
				break;
			}
			http_pool_add(p, x);
		}
		while (rc == 0 && (x = http_pool_take(p)) != NULL)
			rc = h_end(x, c, err, errlen);
		if (rc == 0 && http_pool_len(p) > 0 &&
		    http_pool_run(p, 1000, -1, err, errlen) == -1) {
			c->temp = 1;
			rc = -1;
		}
	}
	/* after a failure: the transfers in flight end, unread */
	while (http_pool_len(p) > 0) {
		while ((x = http_pool_take(p)) != NULL)
			h_end(x, c, scratch, sizeof(scratch));
		if (http_pool_len(p) > 0 && http_pool_run(p, 1000, -1,
		    scratch, sizeof(scratch)) == -1)
			break;
	}
	http_pool_free(p);
	return rc;
}
