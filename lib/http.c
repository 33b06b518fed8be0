/* http: the one HTTP engine of the network tools: a window of requests
 * on one multi handle, taken in order (or as they end), retries with
 * backoff, Retry-After */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "httpint.h"
#include "sys.h"
#include "xmem.h"

struct http_pool {
	struct http_opts o;
	CURLM *multi;
	struct http_xfer **q;	/* ring of queued transfers, oldest first */
	size_t cap, head, n;
	size_t window;		/* most queued at once */
	int active;
	CURL **idle;		/* easy handles kept for reuse */
	size_t nidle;
	atomic_int woken;	/* a wakeup is on its way to the poll */
	uint64_t seq;		/* transfers finished so far */
};

int
http_opts_init(struct http_opts *o, const char *tool, char *err,
    size_t errlen)
{
	static char ua[128];

	memset(o, 0, sizeof(*o));
	o->jobs = 4;
	o->timeout = 30;
	o->body_max = 1024 * 1024;
	o->max_redirs = 10;
	snprintf(ua, sizeof(ua), "%s/%s (hookpipe)", tool,
#ifdef HOOKPIPE_VERSION
	    HOOKPIPE_VERSION
#else
	    "0"
#endif
	    );
	o->user_agent = ua;
	return http_retry_init(&o->retry, 3, 500, 30000, err, errlen);
}

void
http_xfer_release(struct http_xfer *x)
{
	struct http_pool *p = x->pool;

	/* p and its multi handle outlive every transfer queued in it */
	atomic_store(&x->held, 0);
	if (p != NULL)
		http_pool_wakeup(p);
}

void
http_pool_wakeup(struct http_pool *p)
{
	/* one wakeup stands for every call until the poll has seen it (the
	 * loop clears woken before it looks at held, or the caller at its
	 * work, again) */
	if (!atomic_exchange(&p->woken, 1))
		curl_multi_wakeup(p->multi);
}

/* ---- the pool ---- */

struct http_pool *
http_pool_new(const struct http_opts *o, char *err, size_t errlen)
{
	struct http_pool *p;

	p = xcalloc(1, sizeof(*p));
	p->o = *o;
	if (p->o.jobs < 1)
		p->o.jobs = 1;
	/* finished transfers wait behind a slow head; leave room to go on */
	p->window = (size_t)p->o.jobs * 4;
	if (p->window < 8)
		p->window = 8;
	p->cap = p->window;
	p->q = xcalloc(p->cap, sizeof(*p->q));
	if ((p->multi = curl_multi_init()) == NULL) {
		snprintf(err, errlen, "cannot start libcurl");
		free(p->q);
		free(p);
		return NULL;
	}
	curl_multi_setopt(p->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)p->o.jobs);
	curl_multi_setopt(p->multi, CURLMOPT_MAXCONNECTS,
	    (long)p->o.jobs * 2);
	return p;
}

void
http_pool_free(struct http_pool *p)
{
	size_t i;
	struct http_xfer *x;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++) {
		x = p->q[(p->head + i) % p->cap];
		if (x->easy != NULL) {
			curl_multi_remove_handle(p->multi, x->easy);
			curl_easy_cleanup(x->easy);
		}
		http_xfer_free(x);
	}
	for (i = 0; i < p->nidle; i++)
		curl_easy_cleanup(p->idle[i]);
	free(p->idle);
	free(p->q);
	curl_multi_cleanup(p->multi);
	free(p);
}

int
http_pool_room(const struct http_pool *p)
{
	size_t i, open = 0;

	if (!p->o.unordered)
		return p->n < p->window;
	for (i = 0; i < p->n; i++)
		open += !p->q[(p->head + i) % p->cap]->done;
	return open < p->window;
}

size_t
http_pool_len(const struct http_pool *p)
{
	return p->n;
}

void
http_pool_add(struct http_pool *p, struct http_xfer *x)
{
	if (p->n == p->cap) {
		/* grow the ring, oldest first again */
		struct http_xfer **nq = xcalloc(p->cap * 2, sizeof(*nq));
		size_t i;

		for (i = 0; i < p->n; i++)
			nq[i] = p->q[(p->head + i) % p->cap];
		free(p->q);
		p->q = nq;
		p->head = 0;
		p->cap *= 2;
	}
	x->pool = p;
	x->body_max = p->o.body_max;
	x->due = x->not_before;
	x->sink_first = 1;
	if (x->done)
		x->endseq = ++p->seq;
	p->q[(p->head + p->n) % p->cap] = x;
	p->n++;
}

/* o->unordered: the first finished of those not held, taken out */
static struct http_xfer *
take_any(struct http_pool *p)
{
	struct http_xfer *x, *best = NULL;
	size_t i, at = 0;

	for (i = 0; i < p->n; i++) {
		x = p->q[(p->head + i) % p->cap];
		if (x->done && !atomic_load_explicit(&x->held,
		    memory_order_acquire) && (best == NULL ||
		    x->endseq < best->endseq)) {
			best = x;
			at = i;
		}
	}
	if (best == NULL)
		return NULL;
	for (i = at; i + 1 < p->n; i++)
		p->q[(p->head + i) % p->cap] =
		    p->q[(p->head + i + 1) % p->cap];
	p->n--;
	return best;
}

struct http_xfer *
http_pool_take(struct http_pool *p)
{
	struct http_xfer *x;

	if (p->o.unordered)
		return take_any(p);
	if (p->n == 0 || !p->q[p->head]->done ||
	    atomic_load_explicit(&p->q[p->head]->held, memory_order_acquire))
		return NULL;
	x = p->q[p->head];
	p->head = (p->head + 1) % p->cap;
	p->n--;
	return x;
}

/* x's outcome is final: tell the tool */
static void
end(struct http_xfer *x)
{
	x->done = 1;
	x->endseq = ++x->pool->seq;
	if (x->pool->o.progress != NULL && x->result == HTTP_OK &&
	    x->status >= 200 && x->status <= 299 && (x->sink || x->upload))
		progress_file_done(x->pool->o.progress);
	if (x->ended != NULL)
		x->ended(x);
}

static int
is_get(const struct http_xfer *x)
{
	return x->method == NULL || strcmp(x->method, "GET") == 0 ||
	    strcmp(x->method, "HEAD") == 0;
}

/* whether a request may be sent twice: RFC 9110 idempotent methods */
static int
idempotent(const struct http_xfer *x)
{
	return is_get(x) || strcmp(x->method, "PUT") == 0 ||
	    strcmp(x->method, "DELETE") == 0 ||
	    strcmp(x->method, "OPTIONS") == 0;
}

/* x's method and body on e */
static void
set_method(struct http_pool *p, struct http_xfer *x, CURL *e, const char *m)
{
	x->progress = p->o.progress;
	if (x->upload) {
		if (p->o.progress != NULL && x->attempts == 0)
			progress_expect(p->o.progress, (long long)x->bodylen);
		x->upoff = 0;
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, http_xfer_on_read);
		curl_easy_setopt(e, CURLOPT_READDATA, x);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, http_xfer_on_seek);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, x);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)x->bodylen);
		if (p->o.upload_buffer > 0)
			curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE,
			    p->o.upload_buffer);
		if (strcmp(m, "PUT") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	} else if (strcmp(m, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else {
		if (x->body != NULL || strcmp(m, "POST") == 0) {
			curl_easy_setopt(e, CURLOPT_POSTFIELDS,
			    x->body ? x->body : "");
			curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
			    (curl_off_t)x->bodylen);
		}
		if (strcmp(m, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, m);
	}
}

/* set e up for the next request of x; -1 with x->err on failure */
static int
setup(struct http_pool *p, struct http_xfer *x, CURL *e)
{
	const char *m = x->method ? x->method : "GET";
	struct curl_slist *h, *l;
	char *hop_origin;
	int same;

	curl_easy_setopt(e, CURLOPT_URL, x->hop);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	/* not x->err: curl would write over what a sink said there */
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->curlerr);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, p->o.user_agent);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (p->o.recv_buffer > 0)
		curl_easy_setopt(e, CURLOPT_BUFFERSIZE, p->o.recv_buffer);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	/* redirects are ours: secret headers must not follow them */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, p->o.timeout * 1000);
	if (p->o.idle_timeout) {
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, p->o.timeout);
	} else {
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, p->o.timeout * 1000);
	}
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_xfer_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_xfer_on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	set_method(p, x, e, m);
	curl_slist_free_all(x->sent);
	x->sent = NULL;
	hop_origin = http_url_origin(x->hop);
	same = hop_origin != NULL && x->origin != NULL &&
	    strcmp(hop_origin, x->origin) == 0;
	free(hop_origin);
	for (l = x->headers; l != NULL; l = l->next)
		if ((h = curl_slist_append(x->sent, l->data)) != NULL)
			x->sent = h;
	for (l = same ? x->secret : NULL; l != NULL; l = l->next)
		if ((h = curl_slist_append(x->sent, l->data)) != NULL)
			x->sent = h;
	/* no 100-continue round trip for big bodies */
	if ((h = curl_slist_append(x->sent, "Expect:")) != NULL)
		x->sent = h;
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->sent);
	if (x->prepare != NULL && x->prepare(x, e) < 0)
		return -1;
	return 0;
}

static void
give_back(struct http_pool *p, CURL *e)
{
	if (p->nidle < (size_t)p->o.jobs * 2) {
		if (p->idle == NULL)
			p->idle = xcalloc((size_t)p->o.jobs * 2,
			    sizeof(*p->idle));
		curl_easy_reset(e);
		p->idle[p->nidle++] = e;
	} else {
		curl_easy_cleanup(e);
	}
}

static void
start(struct http_pool *p, struct http_xfer *x)
{
	CURL *e;

	x->err[0] = '\0';
	x->verdict = 0;
	if (x->hop == NULL && x->sign != NULL &&
	    x->sign(x, x->err, sizeof(x->err)) < 0) {
		if (x->err[0] == '\0')
			snprintf(x->err, sizeof(x->err), "cannot sign");
		x->code = CURLE_OK;	/* http_reason: sign's words, not */
		x->status = 0;		/* the last attempt's status */
		x->result = HTTP_FAIL_LOCAL;
		end(x);
		return;
	}
	if (x->hop == NULL)
		x->hop = xstrdup(x->url);
	if (x->origin == NULL)
		x->origin = http_url_origin(x->url);
	e = p->nidle > 0 ? p->idle[--p->nidle] : curl_easy_init();
	x->curlerr[0] = '\0';
	x->prev_code = x->code;
	x->code = CURLE_OK;
	x->stopped = 0;
	x->status = 0;
	x->truncated = 0;
	x->sink_first = 1;
	buf_reset(&x->resp);
	http_xfer_clear_resp(x);
	if (e == NULL) {
		snprintf(x->err, sizeof(x->err), "cannot start libcurl");
		x->result = HTTP_FAIL_LOCAL;
		end(x);
		return;
	}
	if (setup(p, x, e) < 0 ||
	    curl_multi_add_handle(p->multi, e) != CURLM_OK) {
		if (x->err[0] == '\0')
			snprintf(x->err, sizeof(x->err), "cannot start a "
			    "transfer");
		give_back(p, e);
		x->result = HTTP_FAIL_LOCAL;
		end(x);
		return;
	}
	x->easy = e;
	x->active = 1;
	p->active++;
}

static int
is_redirect(long s)
{
	return s == 301 || s == 302 || s == 303 || s == 307 || s == 308;
}

/* whether x's attempt (curl's code) is worth another: the judge's word
 * on an answer, else the retry policy's; why: the reason to tell */
static int
retryable(struct http_pool *p, struct http_xfer *x, CURLcode code,
    char *why, size_t len)
{
	int v;

	if (code != CURLE_OK || x->judge == NULL) {
		http_reason(x, why, len);
		return http_retry_temp(&p->o.retry, code, x->status,
		    idempotent(x));
	}
	why[0] = '\0';
	v = x->judge(x, why, len);
	x->verdict = v < 0 ? -1 : v > 0;
	if (x->verdict != 0) {
		if (why[0] == '\0')
			snprintf(why, len, "HTTP %ld", x->status);
		snprintf(x->err, sizeof(x->err), "%s", why);
	}
	return x->verdict > 0;
}

/* whether o->stop says no more retries */
static int
stopping(const struct http_pool *p)
{
	return p->o.stop != NULL && *p->o.stop;
}

/* a transfer's attempt ended with code: redirect, retry or done */
static void
finish(struct http_pool *p, struct http_xfer *x, CURLcode code)
{
	CURL *e = x->easy;
	char *loc = NULL, why[CURL_ERROR_SIZE + 64];
	long wait;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
	if (code == CURLE_OK && x->follow && is_get(x) &&
	    is_redirect(x->status)) {
		curl_easy_getinfo(e, CURLINFO_REDIRECT_URL, &loc);
		if (loc != NULL)
			loc = xstrdup(loc);
	}
	curl_multi_remove_handle(p->multi, e);
	give_back(p, e);
	x->easy = NULL;
	x->active = 0;
	p->active--;
	x->code = code;
	if (code != CURLE_OK && x->err[0] == '\0')
		snprintf(x->err, sizeof(x->err), "%s",
		    x->curlerr[0] != '\0' ? x->curlerr :
		    curl_easy_strerror(code));
	if (x->stopped) {
		x->result = x->stopped < 0 ? HTTP_FAIL_LOCAL : HTTP_SKIPPED;
		end(x);
		free(loc);
		return;
	}
	if (loc != NULL) {
		if (x->redirs < p->o.max_redirs &&
		    http_url_check(loc, why, sizeof(why)) == 0) {
			free(x->hop);
			x->hop = loc;
			x->redirs++;
			x->due = 0;
			return;
		}
		free(loc);
		snprintf(x->err, sizeof(x->err), "%s", x->redirs >=
		    p->o.max_redirs ? "too many redirects" : why);
	}
	x->attempts++;
	if (retryable(p, x, code, why, sizeof(why)) &&
	    x->attempts <= p->o.retry.retries && !stopping(p)) {
		wait = http_retry_wait(&p->o.retry, x->attempts,
		    code == CURLE_OK && !p->o.no_retry_after ?
		    x->retry_after : -1);
		if (wait < 0) {
			snprintf(x->err, sizeof(x->err), "HTTP %ld with "
			    "Retry-After %ld s, longer than %ld s", x->status,
			    x->retry_after, p->o.retry.retry_after_max);
			goto done;
		}
		if (p->o.on_retry != NULL)
			p->o.on_retry(x, why, x->attempts,
			    p->o.retry.retries, wait);
		x->due = sys_now_ms() + wait;
		free(x->hop);
		x->hop = NULL;	/* again from the first URL: a signed one
				 * may have expired */
		x->redirs = 0;
		return;
	}
done:
	x->result = code == CURLE_OK ? HTTP_OK : HTTP_FAIL_TEMP;
	free(x->final_url);
	x->final_url = xstrdup(x->hop);
	end(x);
}

/* end the transfers not in flight HTTP_CANCELED (retries set: only
 * those waiting to be sent again, not a redirect's next hop) */
static void
cancel(struct http_pool *p, int retries)
{
	struct http_xfer *x;
	size_t i;

	for (i = 0; i < p->n; i++) {
		x = p->q[(p->head + i) % p->cap];
		if (!x->done && !x->active && (!retries ||
		    (x->attempts > 0 && x->hop == NULL))) {
			snprintf(x->err, sizeof(x->err), "not sent: the run "
			    "was stopped%s", x->attempts > 0 ?
			    " before a retry" : "");
			x->code = CURLE_ABORTED_BY_CALLBACK;
			x->status = 0;
			x->result = HTTP_CANCELED;
			end(x);
		}
	}
}

/* start what is due, oldest first, while there is room */
static void
start_ready(struct http_pool *p, int64_t now)
{
	struct http_xfer *x;
	size_t i;

	for (i = 0; i < p->n && p->active < p->o.jobs; i++) {
		x = p->q[(p->head + i) % p->cap];
		if (!x->done && !x->active && x->due <= now)
			start(p, x);
	}
}

int
http_pool_run(struct http_pool *p, int ms, int fd, char *err, size_t errlen)
{
	struct curl_waitfd w;
	struct http_xfer *x;
	CURLMsg *msg;
	CURLMcode mc;
	int64_t now = sys_now_ms(), left;
	int running, nmsg, timeout = ms;
	size_t i;

	if (stopping(p))
		cancel(p, 1);
	start_ready(p, now);
	/* a transfer left waiting while every slot is busy is not due: the
	 * end of one in flight wakes the poll (a 0 here would spin) */
	for (i = 0; i < p->n && p->active < p->o.jobs; i++) {
		x = p->q[(p->head + i) % p->cap];
		if (!x->done && !x->active) {
			left = x->due - now;
			if (left < 0)
				left = 0;
			if (left < timeout)
				timeout = (int)left;
		}
	}
	memset(&w, 0, sizeof(w));
	w.fd = fd;
	w.events = CURL_WAIT_POLLIN;
	mc = curl_multi_poll(p->multi, fd >= 0 ? &w : NULL, fd >= 0 ? 1 : 0,
	    timeout, NULL);
	atomic_store(&p->woken, 0);
	if (mc == CURLM_OK)
		mc = curl_multi_perform(p->multi, &running);
	if (mc != CURLM_OK) {
		snprintf(err, errlen, "libcurl: %s", curl_multi_strerror(mc));
		return -1;
	}
	while ((msg = curl_multi_info_read(p->multi, &nmsg)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		if (x != NULL)
			finish(p, x, msg->data.result);
	}
	/* nothing new starts before the caller has seen what ended: an
	 * answer may stop the run */
	return 0;
}

void
http_pool_default_on_retry(struct http_pool *p, void (*fn)(
    struct http_xfer *x, const char *why, int n, int of, long wait_ms))
{
	if (p->o.on_retry == NULL)
		p->o.on_retry = fn;
}

void
http_pool_cancel_waits(struct http_pool *p)
{
	cancel(p, 0);
}
