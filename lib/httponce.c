/* httponce: one blocking request with the engine's retry policy on a
 * kept-alive easy handle, for the simple cases (lib/http.h: http_once) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "http.h"
#include "xmem.h"

int
http_client_init(struct http_client *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->timeout_ms = 30000;
	c->connect_timeout_ms = 10000;
	c->user_agent = "hookpipe/"
#ifdef HOOKPIPE_VERSION
	    HOOKPIPE_VERSION;
#else
	    "0";
#endif
	c->protocols = "http,https";
	c->retry.jitter = 1;
	c->retry.retry_after_max = 120;
	if ((c->easy = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	return 0;
}

void
http_client_free(struct http_client *c)
{
	if (c->easy != NULL)
		curl_easy_cleanup(c->easy);
	c->easy = NULL;
}

struct once {
	struct http_client *c;
	struct http_call *q;
	int big;		/* the answer went over body_max */
};

static size_t
once_body(char *p, size_t size, size_t n, void *arg)
{
	struct once *o = arg;
	size_t len = size * n;

	if (o->q->out == NULL)
		return len;
	if (o->c->body_max > 0 && len > o->c->body_max - o->q->out->len) {
		o->big = 1;
		return 0;	/* curl fails the transfer */
	}
	buf_add(o->q->out, p, len);
	return len;
}

/* the answer's Date (clock skew: lib/awsauth) */
static size_t
once_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_call *q = arg;
	size_t len = size * n, k = 5;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0)
		q->date[0] = '\0';
	else if (len > 5 && strncasecmp(p, "Date:", 5) == 0) {
		while (k < len && (p[k] == ' ' || p[k] == '\t'))
			k++;
		snprintf(q->date, sizeof(q->date), "%.*s", (int)(len - k),
		    p + k);
		q->date[strcspn(q->date, "\r\n")] = '\0';
	}
	return len;
}

/* an abortable call ends on *stop, unless the answer has started */
static int
once_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow,
    curl_off_t ultotal, curl_off_t ulnow)
{
	struct http_client *c = arg;

	(void)dltotal;
	(void)ultotal;
	(void)ulnow;
	return c->stop != NULL && *c->stop && dlnow == 0;
}

static int
once_idempotent(const char *m)
{
	return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 ||
	    strcmp(m, "PUT") == 0 || strcmp(m, "DELETE") == 0 ||
	    strcmp(m, "OPTIONS") == 0;
}

static const char *
once_method(const struct http_call *q)
{
	return q->method != NULL ? q->method : q->body != NULL ? "POST" :
	    "GET";
}

/* set the handle up for one attempt; sent gets the headers to free */
static void
once_setup(struct once *o, char *curlerr, struct curl_slist **sent)
{
	struct http_client *c = o->c;
	struct http_call *q = o->q;
	const char *m = once_method(q);
	struct curl_slist *l;
	CURL *e = c->easy;

	curl_easy_reset(e);
	curl_easy_setopt(e, CURLOPT_URL, q->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, c->protocols);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, c->timeout_ms + q->wait_ms);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, curlerr);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, once_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, o);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, once_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
	if (c->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
	if (c->noproxy != NULL)
		curl_easy_setopt(e, CURLOPT_NOPROXY, c->noproxy);
	if (c->path_as_is)
		curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	if (q->body != NULL) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->bodylen);
	}
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	else if (strcmp(m, "GET") != 0 && strcmp(m, "POST") != 0)
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	*sent = NULL;
	for (l = q->headers; l != NULL; l = l->next)
		*sent = curl_slist_append(*sent, l->data);
	if (q->body != NULL)	/* no 100-continue round trip */
		*sent = curl_slist_append(*sent, "Expect:");
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, *sent);
	if (q->abortable && c->stop != NULL) {
		curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, once_progress);
		curl_easy_setopt(e, CURLOPT_XFERINFODATA, c);
	}
}

static void
once_sleep(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/*
 * One attempt: 0 for a 2xx, 1 for an answer or failure worth a retry
 * (why filled), -1 for a final one (q->result and q->err set).
 */
static int
once_attempt(struct once *o, char *why, size_t whylen)
{
	struct http_client *c = o->c;
	struct http_call *q = o->q;
	char curlerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *sent;
	CURLcode cc;

	q->status = 0;
	q->date[0] = '\0';
	o->big = 0;
	if (q->out != NULL)
		buf_reset(q->out);
	if (q->prepare != NULL && q->prepare(q, q->err, sizeof(q->err)) < 0) {
		q->result = HTTP_FAIL_LOCAL;
		return -1;
	}
	once_setup(o, curlerr, &sent);
	cc = curl_easy_perform(c->easy);
	curl_slist_free_all(sent);
	q->attempts++;
	if (cc == CURLE_ABORTED_BY_CALLBACK || o->big) {
		q->result = o->big ? HTTP_FAIL_LOCAL : HTTP_CANCELED;
		snprintf(q->err, sizeof(q->err), "%s", o->big ?
		    "response too large" : "canceled");
		return -1;
	}
	if (cc != CURLE_OK) {
		snprintf(why, whylen, "%s", curlerr[0] ? curlerr :
		    curl_easy_strerror(cc));
		return http_retry_temp(&c->retry, cc, 0,
		    once_idempotent(once_method(q))) ? 1 : -2;
	}
	curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &q->status);
	if (q->status >= 200 && q->status < 300)
		return 0;
	if (q->judge != NULL)
		return q->judge(q, why, whylen) ? 1 : -3;
	snprintf(why, whylen, "HTTP %ld", q->status);
	return http_retry_temp(&c->retry, CURLE_OK, q->status,
	    once_idempotent(once_method(q))) ? 1 : -3;
}

int
http_once(struct http_client *c, struct http_call *q)
{
	struct once o = { c, q, 0 };
	char why[sizeof(q->err)];
	long wait;
	int rc;

	q->attempts = 0;
	q->err[0] = '\0';
	for (;;) {
		why[0] = '\0';
		if ((rc = once_attempt(&o, why, sizeof(why))) == 0) {
			q->result = HTTP_OK;
			return 0;
		}
		if (rc == -1)
			return -1;
		if (rc < 0 || q->attempts > c->retry.retries ||
		    (q->abortable && c->stop != NULL && *c->stop)) {
			/* -3: an answer, final; else a failure */
			q->result = rc == -3 ? HTTP_OK : HTTP_FAIL_TEMP;
			if (rc == 1 && q->attempts > 1)
				snprintf(q->err, sizeof(q->err), "%s (after %d "
				    "attempts)", why, q->attempts);
			else
				snprintf(q->err, sizeof(q->err), "%s", why);
			return -1;
		}
		wait = http_retry_wait(&c->retry, q->attempts, -1);
		if (c->on_retry != NULL)
			c->on_retry(why, q->attempts, c->retry.retries, wait);
		once_sleep(wait);
	}
}
