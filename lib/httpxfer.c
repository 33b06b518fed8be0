/* httpxfer: one transfer of the pool (lib/http.h): its life, what curl
 * hands back of an answer (headers, the kept ones, body), and an
 * upload's body */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "httpint.h"
#include "xmem.h"

struct http_xfer *
http_xfer_new(void)
{
	struct http_xfer *x = xcalloc(1, sizeof(*x));

	x->retry_after = -1;
	return x;
}

void
http_xfer_clear_resp(struct http_xfer *x)
{
	size_t i;

	free(x->ctype);
	free(x->cdisp);
	free(x->crange);
	x->ctype = x->cdisp = x->crange = NULL;
	x->retry_after = -1;
	for (i = 0; x->kept != NULL && x->keep[i] != NULL; i++) {
		free(x->kept[i]);
		x->kept[i] = NULL;
	}
}

void
http_xfer_free(struct http_xfer *x)
{
	if (x == NULL)
		return;
	free(x->method);
	free(x->url);
	free(x->hop);
	free(x->origin);
	free(x->final_url);
	curl_slist_free_all(x->headers);
	curl_slist_free_all(x->secret);
	curl_slist_free_all(x->sent);
	if (x->body_free != NULL) {
		x->body_free(x);
	} else {
		if (x->body != NULL)
			memset(x->body, 0, x->bodylen);
		free(x->body);
	}
	buf_free(&x->resp);
	http_xfer_clear_resp(x);
	free(x->kept);
	free(x);
}

const char *
http_xfer_header(const struct http_xfer *x, const char *name)
{
	size_t i;

	for (i = 0; x->kept != NULL && x->keep[i] != NULL; i++)
		if (strcasecmp(x->keep[i], name) == 0)
			return x->kept[i];
	return NULL;
}

const char *
http_reason(const struct http_xfer *x, char *buf, size_t len)
{
	if (x->verdict != 0 && x->err[0] != '\0')
		snprintf(buf, len, "%s", x->err);
	else if (x->code == CURLE_OK && x->status > 0)
		snprintf(buf, len, "HTTP %ld", x->status);
	else if (x->err[0] != '\0')
		snprintf(buf, len, "%s", x->err);
	else
		snprintf(buf, len, "%s", curl_easy_strerror(x->code));
	return buf;
}

/* a header x->keep names: its value in x->kept */
static void
keep_header(struct http_xfer *x, const char *name, size_t nl,
    const char *v, size_t vl)
{
	size_t i, n;

	for (i = 0; x->keep[i] != NULL; i++) {
		if (strlen(x->keep[i]) != nl ||
		    strncasecmp(x->keep[i], name, nl) != 0)
			continue;
		if (x->kept == NULL) {
			for (n = i; x->keep[n] != NULL; n++)
				;
			x->kept = xcalloc(n, sizeof(*x->kept));
		}
		free(x->kept[i]);
		x->kept[i] = xstrndup(v, vl);
		return;
	}
}

size_t
http_xfer_on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * n, nl, vl;
	const char *v;
	char *val;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		/* a new response (after a 1xx or on a new hop) */
		http_xfer_clear_resp(x);
		return len;
	}
	v = memchr(p, ':', len);
	if (v == NULL)
		return len;
	nl = (size_t)(v - p);
	for (v++; v < p + len && (*v == ' ' || *v == '\t'); v++)
		;
	vl = (size_t)(p + len - v);
	while (vl > 0 && (v[vl - 1] == '\r' || v[vl - 1] == '\n' ||
	    v[vl - 1] == ' '))
		vl--;
	if (x->keep != NULL)
		keep_header(x, p, nl, v, vl);
	val = xstrndup(v, vl);
	if (nl == 12 && strncasecmp(p, "content-type", nl) == 0) {
		free(x->ctype);
		x->ctype = val;
	} else if (nl == 19 && strncasecmp(p, "content-disposition", nl)
	    == 0) {
		free(x->cdisp);
		x->cdisp = val;
	} else if (nl == 13 && strncasecmp(p, "content-range", nl) == 0) {
		free(x->crange);
		x->crange = val;
	} else if (nl == 11 && strncasecmp(p, "retry-after", nl) == 0) {
		x->retry_after = http_retry_after(val, (long)time(NULL));
		free(val);
	} else {
		free(val);
	}
	return len;
}

size_t
http_xfer_on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * n, keep;
	long status = 0;
	int rc;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 300 && status < 400 && x->follow)
		return len;	/* a redirect's body: dropped */
	if (x->sink != NULL && status >= 200 && status < 300) {
		x->status = status;	/* the sink checks for 206 */
		if (x->progress != NULL) {
			curl_off_t cl = -1;

			if (x->sink_first && curl_easy_getinfo(x->easy,
			    CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) == CURLE_OK)
				progress_expect(x->progress, cl);
			progress_add(x->progress, (long long)len);
		}
		rc = x->sink(x, p, len);
		x->sink_first = 0;
		if (rc != 0) {
			x->stopped = rc;
			return 0;	/* CURLE_WRITE_ERROR ends it */
		}
		return len;
	}
	keep = len;
	if (x->resp.len + keep > x->body_max) {
		keep = x->resp.len < x->body_max ?
		    x->body_max - x->resp.len : 0;
		x->truncated = 1;
	}
	buf_add(&x->resp, p, keep);
	return len;
}

/* an upload's body, from x->body (CURLOPT_READFUNCTION) */
size_t
http_xfer_on_read(char *p, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	size_t len = size * n;

	if (len > x->bodylen - x->upoff)
		len = x->bodylen - x->upoff;
	if (len > 0)
		memcpy(p, x->body + x->upoff, len);
	x->upoff += len;
	if (x->progress != NULL)
		progress_add(x->progress, (long long)len);
	return len;
}

/* rewind an upload (CURLOPT_SEEKFUNCTION): curl sends it again */
int
http_xfer_on_seek(void *arg, curl_off_t off, int origin)
{
	struct http_xfer *x = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > x->bodylen)
		return CURL_SEEKFUNC_FAIL;
	if (x->progress != NULL)	/* sent again */
		progress_add(x->progress, (long long)off -
		    (long long)x->upoff);
	x->upoff = (size_t)off;
	return CURL_SEEKFUNC_OK;
}
