/* s3mpu: list and abort a bucket's incomplete multipart uploads */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "s3mpu.h"
#include "s3req.h"
#include "sys.h"
#include "xmem.h"

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

/* the values are the leaves at depth 3 (in <Upload>) and 2 */
static void
l_close(void *arg, int depth, const char *name, const char *text, int leaf)
{
	struct lp *l = arg;

	if (depth == 3 && leaf) {
		if (strcmp(name, "Key") == 0)
			xstrset(&l->cur.key, text);
		else if (strcmp(name, "UploadId") == 0)
			xstrset(&l->cur.upload_id, text);
		else if (strcmp(name, "Initiated") == 0)
			xstrset(&l->cur.initiated, text);
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
			xstrset(&l->next_key, text);
		else if (strcmp(name, "NextUploadIdMarker") == 0)
			xstrset(&l->next_id, text);
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
	if (s3req_client(c, &h, err, errlen) == -1) {
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
		rc = s3req_call(c, &h, "GET", &l, q, nq, &resp, &code,
		    NULL, err, errlen);
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
	if (s3req_client(c, &h, err, errlen) == -1) {
		aws_s3_loc_free(&l);
		return -1;
	}
	q[0].name = "uploadId";
	q[0].value = u->upload_id;
	rc = s3req_call(c, &h, "DELETE", &l, q, 1, &resp, &code, NULL,
	    err, errlen);
	http_client_free(&h);
	/* gone already (completed, aborted by a lifecycle rule) */
	if (rc == -1 && code != NULL && strcmp(code, "NoSuchUpload") == 0)
		rc = 0;
	free(code);
	buf_free(&resp);
	aws_s3_loc_free(&l);
	return rc;
}
