/* s3mpu: list and abort a bucket's incomplete multipart uploads */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include "awsauth.h"
#include "awsint.h"
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

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (b->len + size * n > RESP_MAX)
		return 0;
	buf_add(b, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	char *date = arg;
	size_t len = size * n, k = 5;

	if (len > 5 && strncasecmp(p, "Date:", 5) == 0) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		snprintf(date, 64, "%.*s", (int)(len - k), p + k);
		date[strcspn(date, "\r\n")] = '\0';
	}
	return len;
}

/* One attempt; 0 with *status, or -1 with err (a transport error). */
static int
attempt(struct s3mpu_ctx *c, const char *method, const struct aws_s3_loc *l,
    const struct sigv4_kv *q, size_t nq, struct buf *resp, long *status,
    char *date, char *err, size_t errlen)
{
	struct sigv4_req r;
	struct sigv4_out o;
	struct curl_slist *hl = NULL;
	char ebuf[CURL_ERROR_SIZE] = "";
	CURL *e;
	CURLcode cc;
	size_t i;

	memset(&r, 0, sizeof(r));
	memset(&o, 0, sizeof(o));
	r.method = method;
	r.scheme = strncasecmp(c->endpoint, "http://", 7) == 0 ? "http" :
	    "https";
	r.host = l->host;
	r.path = l->path;
	r.query = q;
	r.nquery = nq;
	r.payload_hash = SIGV4_EMPTY_SHA256;
	if (awsauth_sign(c->creds, c->region, "s3", SIGV4_S3, &r, &o, err,
	    errlen) == -1) {
		sigv4_out_free(&o);
		return -1;
	}
	for (i = 0; o.headers[i] != NULL; i++)
		hl = curl_slist_append(hl, o.headers[i]);
	if ((e = curl_easy_init()) == NULL) {
		curl_slist_free_all(hl);
		sigv4_out_free(&o);
		return sys_err(err, errlen, "cannot start libcurl");
	}
	buf_reset(resp);
	date[0] = '\0';
	curl_easy_setopt(e, CURLOPT_URL, o.url.p);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, c->timeout);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, c->timeout);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, date);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "s3-put/" HOOKPIPE_VERSION
	    " (hookpipe)");
	cc = curl_easy_perform(e);
	*status = 0;
	if (cc == CURLE_OK)
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(e);
	curl_slist_free_all(hl);
	sigv4_out_free(&o);
	if (cc != CURLE_OK)
		return sys_err(err, errlen, "%s", ebuf[0] ? ebuf :
		    curl_easy_strerror(cc));
	return 0;
}

/*
 * A signed request with retries: 0 with the 2xx body in resp, or -1 with
 * err and c->temp; *code gets S3's error code (malloc'd) or NULL.
 */
static int
call(struct s3mpu_ctx *c, const char *method, const struct aws_s3_loc *l,
    const struct sigv4_kv *q, size_t nq, struct buf *resp, char **code,
    char *err, size_t errlen)
{
	char date[64], why[CURL_ERROR_SIZE + 64], *message;
	long status, wait = c->backoff_ms;
	int n, temp;

	*code = NULL;
	for (n = 0;; n++) {
		free(*code);
		*code = message = NULL;
		if (attempt(c, method, l, q, nq, resp, &status, date, why,
		    sizeof(why)) == -1) {
			temp = 1;
		} else if (status >= 200 && status < 300) {
			return 0;
		} else {
			aws_xml_error(resp->p ? resp->p : "", resp->len, code,
			    &message);
			snprintf(why, sizeof(why), "%ld %s%s%s", status,
			    *code ? *code : "Error", message ? ": " : "",
			    message ? message : "");
			free(message);
			temp = status == 408 || status == 429 ||
			    status >= 500 || awsauth_temp_code(*code) ||
			    awsauth_skewed(*code, date[0] ? date : NULL);
		}
		if (!temp || n >= c->retries) {
			c->temp = temp;
			return sys_err(err, errlen, "%s", why);
		}
		awsauth_backoff(&wait);
	}
}

int
s3mpu_list(struct s3mpu_ctx *c, const char *bucket, const char *prefix,
    struct s3mpu **u, size_t *n, char *err, size_t errlen)
{
	struct aws_s3_loc l;
	struct sigv4_kv q[4];
	struct buf resp = { 0 };
	char *key = NULL, *id = NULL, *code = NULL;
	size_t nq;
	int rc = 0;

	*u = NULL;
	*n = 0;
	c->temp = 0;
	if (aws_s3_address(&l, c->endpoint, bucket, NULL, c->style, err,
	    errlen) == -1)
		return -1;
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
		rc = call(c, "GET", &l, q, nq, &resp, &code, err, errlen);
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
	char *code = NULL;
	int rc;

	c->temp = 0;
	if (aws_s3_address(&l, c->endpoint, bucket, u->key, c->style, err,
	    errlen) == -1)
		return -1;
	q[0].name = "uploadId";
	q[0].value = u->upload_id;
	rc = call(c, "DELETE", &l, q, 1, &resp, &code, err, errlen);
	/* gone already (completed, aborted by a lifecycle rule) */
	if (rc == -1 && code != NULL && strcmp(code, "NoSuchUpload") == 0)
		rc = 0;
	free(code);
	buf_free(&resp);
	aws_s3_loc_free(&l);
	return rc;
}
