/*
 * wh-listen: the HTTP server's request side (libh2o): a request's header
 * block parsed again and checked, its answers, the srv_* calls the
 * pipeline makes, the handlers, and the filter that makes what h2o
 * refuses by itself wh-listen's own refusals.
 *
 * h2o reads a request's body whole before its handler is called and
 * takes the first of two lengths (as libmicrohttpd did before it), so
 * the header block is parsed again (picohttpparser, h2o's own) from the
 * connection's input, where it lies until the answer is sent, and
 * checked with
 * lib/httpframe; what h2o refuses by itself (413, a transfer coding it
 * does not know, a broken chunk) is answered and logged as wh-listen's
 * own refusals by a filter on every answer.
 */
#include <netdb.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "enc.h"
#include "httpframe.h"
#include "server.h"

static pthread_mutex_t wake_mu = PTHREAD_MUTEX_INITIALIZER;
long srv_inflight;
__thread struct worker *srv_self;

/* ---- the header block, parsed again and checked ---- */

static const char *
status_text(int st)
{
	switch (st) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Content Too Large";
	case 417: return "Expectation Failed";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	}
	return "";	/* RFC 9112 4: the reason phrase may be empty */
}

/*
 * Check the request whose header block begins c's input: c->refusal
 * and c->why say what is wrong with it (-1: nothing).  A block that
 * does not parse is refused by h2o itself (400, closed): it is only
 * said here.
 */
void
check_block(struct conn *c, struct hreq *hq)
{
	struct phr_header hs[HDR_MAX];
	struct httpframe_field f[HDR_MAX];
	const char *m, *p, *in = c->sock->input->bytes;
	char *block;
	size_t ml, pl, n = HDR_MAX, len = c->sock->input->size, i;
	int minor, r, st;

	c->refusal = -1;
	r = phr_parse_request(in, len, &m, &ml, &p, &pl, &minor, hs, &n, 0);
	if (r == -2)
		return;		/* not all in yet */
	c->checked = 1;
	if (r == -1) {
		c->refusal = NO_FRAMING;
		c->unparsed = 1;
		if (len >= 14 && memcmp(in, "PRI * HTTP/2.0", 14) == 0)
			snprintf(c->why, sizeof(c->why), "HTTP/2 with prior "
			    "knowledge (RFC 9113 3.3): only HTTP/1 is served");
		else if (memchr(in, '\0', len) != NULL)
			snprintf(c->why, sizeof(c->why), "a header field "
			    "value with a NUL, a header line beginning with "
			    "one, or a line folded (RFC 9110 5.5, RFC 9112 "
			    "5.2)");
		else
			snprintf(c->why, sizeof(c->why), "a request line or "
			    "header field that does not parse (RFC 9112 3, "
			    "5)");
		return;
	}
	for (i = 0; i < n; i++) {
		if (hs[i].name_len == 0) {	/* obs-fold */
			c->refusal = NO_FRAMING;
			snprintf(c->why, sizeof(c->why), "a header field "
			    "value with a NUL, a header line beginning with "
			    "one, or a line folded (RFC 9110 5.5, RFC 9112 "
			    "5.2)");
			return;
		}
		f[i] = (struct httpframe_field){ hs[i].name, hs[i].value,
		    hs[i].name_len, hs[i].value_len };
	}
	if ((st = httpframe_check(f, n, minor ? "HTTP/1.1" : "HTTP/1.0",
	    c->why, sizeof(c->why))) != 0)
		c->refusal = st == 501 ? NO_CODING : NO_FRAMING;
	else if (r > HDR_BLOCK_MAX) {
		c->refusal = NO_HEADER_BIG;
		snprintf(c->why, sizeof(c->why), "header block over %d KiB",
		    HDR_BLOCK_MAX / 1024);
	}
	if (hq == NULL)
		return;
	/* the request's own copy, each name and value NUL-terminated, in
	 * its memory pool (a zeroed array of HDR_MAX in struct hreq was a
	 * 3 KB calloc a request, 2.5% of the CPU, perf) */
	hq->nh = n;
	hq->h = h2o_mem_alloc_pool(&hq->hr->pool, n * sizeof(*hq->h) + 1);
	block = h2o_mem_alloc_pool(&hq->hr->pool, (size_t)r + 1);
	memcpy(block, in, (size_t)r);
	for (i = 0; i < n; i++) {
		char *nm = block + (hs[i].name - in);
		char *v = block + (hs[i].value - in);

		nm[hs[i].name_len] = '\0';
		v[hs[i].value_len] = '\0';
		hq->h[i] = (struct phr_header){ nm, hs[i].name_len, v,
		    hs[i].value_len };
	}
}


/* The socket's peer, numeric. */
void
peer_of(h2o_socket_t *sock, char *out, size_t n)
{
	struct sockaddr_storage ss;
	socklen_t sl;

	snprintf(out, n, "unknown");
	if ((sl = h2o_socket_getpeername(sock, (void *)&ss)) > 0)
		getnameinfo((void *)&ss, sl, out, n, NULL, 0,
		    NI_NUMERICHOST);
}

/* The log line for a request h2o refuses by itself: its method and
 * path as far as its request line gives them. */
static void
note_raw(struct conn *c, int status, const char *why)
{
	struct req q = { .method = "-", .url = "-" };
	const char *in = c->sock->input->bytes, *sp, *sp2;
	size_t len = c->sock->input->size;
	char m[17], u[201];

	if ((sp = memchr(in, ' ', len < 16 ? len : 16)) != NULL) {
		snprintf(m, sizeof(m), "%.*s", (int)(sp - in), in);
		q.method = m;
		len -= (size_t)(sp + 1 - in);
		if ((sp2 = memchr(sp + 1, ' ', len < 200 ? len : 200)) != NULL) {
			snprintf(u, sizeof(u), "%.*s", (int)(sp2 - sp - 1),
			    sp + 1);
			q.url = u;
		}
	}
	peer_of(c->sock, q.addr, sizeof(q.addr));
	req_note(&q, status, why);
}

/*
 * h2o's reader, with the header block of the connection's first request
 * checked as it comes in, so that one h2o cannot parse (and answers 400
 * and closes, bypassing the handler and the filter) is said on stderr.
 * h2o puts its own reader back for the requests after.
 */
void
on_read(h2o_socket_t *sock, const char *err)
{
	struct conn *c = sock->on_close.data;

	if (err == NULL && !c->checked && sock->input->size > 0) {
		check_block(c, NULL);
		if (c->unparsed) {
			note_raw(c, 400, c->why);
			wm_refused(NO_FRAMING);
		}
	}
	c->h2o_read(sock, err);
}

/* ---- answers ---- */

/* Start an answer of q's request: status, text (NULL: none), one more
 * header line "Name: value" (NULL: none); close the connection after
 * it with cut (or when stopping). */
static h2o_generator_t no_generator = { NULL, NULL };

static void
answer(struct hreq *hq, int status, const char *text, const char *type,
    size_t tlen, const char *hdr, int cut)
{
	h2o_req_t *hr = hq->hr;
	const char *v;

	hq->q->answered = 1;
	hq->q->status = status;
	hr->res.status = status;
	hr->res.reason = status_text(status);
	hr->res.content_length = text ? tlen : 0;
	if (type != NULL)
		h2o_add_header(&hr->pool, &hr->res.headers,
		    H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
	if (hdr != NULL && (v = strstr(hdr, ": ")) != NULL)
		h2o_add_header_by_str(&hr->pool, &hr->res.headers, hdr,
		    (size_t)(v - hdr), 0, NULL, v + 2, strlen(v + 2));
	if (cut || stopping)
		hr->http1_is_persistent = 0;
	hq->c->ours = 1;
	h2o_start_response(hr, &no_generator);
	/* no body, no buffer: an empty one left h2o's writev one buffer
	 * short, to be sent (nothing) on the next write event, which cost
	 * a writev and two epoll_ctls a request */
	if (text == NULL || tlen == 0 || h2o_memis(hr->input.method.base,
	    hr->input.method.len, H2O_STRLIT("HEAD")))
		h2o_send(hr, NULL, 0, H2O_SEND_STATE_FINAL);
	else {
		h2o_iovec_t b = h2o_strdup(&hr->pool, text, tlen);

		h2o_send(hr, &b, 1, H2O_SEND_STATE_FINAL);
	}
}

int
srv_reply(struct req *q, int status, const char *text, const char *hdr)
{
	struct hreq *hq = q->conn;

	answer(hq, status, text, text ? "text/plain; charset=utf-8" : NULL,
	    text ? strlen(text) : 0, hdr, hq->cut);
	return 1;
}

/* A request header's value, or NULL (a whsig_header_fn). */
const char *
srv_hdr(void *conn, const char *name)
{
	struct hreq *hq = conn;
	size_t i, n = strlen(name);

	for (i = 0; i < hq->nh; i++)
		if (hq->h[i].name_len == n &&
		    strncasecmp(hq->h[i].name, name, n) == 0)
			return hq->h[i].value;
	return NULL;
}

/* fn for each header field (query 0) or query argument (query 1,
 * form-decoded: '+' a space, %XX a byte). */
void
srv_each(void *conn, int query, srv_kv_fn *fn, void *arg)
{
	struct hreq *hq = conn;
	h2o_req_t *hr = hq->hr;
	struct buf k = {0}, v = {0};
	const char *p, *end, *amp, *eq;
	size_t i;

	if (!query) {
		for (i = 0; i < hq->nh; i++)
			fn(arg, hq->h[i].name, hq->h[i].name_len,
			    hq->h[i].value, hq->h[i].value_len);
		return;
	}
	if (hr->query_at == SIZE_MAX)
		return;
	p = hr->path.base + hr->query_at + 1;
	end = hr->path.base + hr->path.len;
	for (; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		buf_reset(&k);
		buf_reset(&v);
		enc_form_decode(p, (size_t)(eq - p), &k, 0);
		if (eq < amp)
			enc_form_decode(eq + 1, (size_t)(amp - eq - 1), &v, 0);
		fn(arg, k.p, k.len, eq < amp ? v.p : NULL, eq < amp ?
		    v.len : 0);
	}
	buf_free(&k);
	buf_free(&v);
}

/* The client's address, numeric. */
const char *
srv_remote(void *conn, char *out, size_t n)
{
	struct hreq *hq = conn;
	struct conn *c = hq->c;
	size_t len;

	/* once a connection: getnameinfo's sprintf was 4% of a request */
	if (c->peer[0] == '\0')
		peer_of(c->sock, c->peer, sizeof(c->peer));
	if (n == 0)
		return out;
	len = strnlen(c->peer, n - 1);
	memcpy(out, c->peer, len);
	out[len] = '\0';
	return out;
}

/* h2o keeps no deadline on a request being answered: nothing to do. */
void
srv_busy(struct req *q, int busy)
{
	(void)q;
	(void)busy;
}

/* The request waits for its record or its ack: its loop goes on. */
void
srv_sleep(void *conn)
{
	(void)conn;
}

/*
 * From any thread: the request goes on in its own loop.  Woken in that
 * loop (its line written by the loop's own flush) it goes on this turn,
 * without a message.
 */
void
srv_wake(void *conn)
{
	struct hreq *hq = conn;
	struct worker *w = hq->c->w;

	pthread_mutex_lock(&wake_mu);
	if (!hq->queued && !hq->gone) {
		hq->queued = 1;
		if (w == srv_self)
			h2o_linklist_insert(&w->ready, &hq->msg.link);
		else
			h2o_multithread_send_message(&w->wake, &hq->msg);
	}
	pthread_mutex_unlock(&wake_mu);
}

static void
go_on(h2o_linklist_t *msgs)
{
	while (!h2o_linklist_is_empty(msgs)) {
		struct hreq *hq = H2O_STRUCT_FROM_MEMBER(struct hreq, msg,
		    msgs->next);
		int gone;

		h2o_linklist_unlink(&hq->msg.link);
		pthread_mutex_lock(&wake_mu);
		hq->queued = 0;
		gone = hq->gone;
		pthread_mutex_unlock(&wake_mu);
		if (gone)
			free(hq);
		else if (!hq->q->answered)
			(void)req_end(hq->q);
	}
}

void
on_wake(h2o_multithread_receiver_t *r, h2o_linklist_t *msgs)
{
	(void)r;
	go_on(msgs);
}

/* The requests this loop's flush woke. */
void
run_ready(struct worker *w)
{
	go_on(&w->ready);
}

/* /healthz: 200 ok, or 503 saying why records cannot be written now. */
static void
health(struct req *q)
{
	char text[128];
	double stalled = outq_stalled();
	int e = outq_dead();

	if (strcmp(q->method, "GET") && strcmp(q->method, "HEAD")) {
		refuse(q, NO_HEALTH_METHOD, NULL);
		return;
	}
	if (e == 0 && stalled < 1) {
		answer(q->conn, 200, "ok\n", "text/plain", 3, NULL, 0);
		return;
	}
	if (e != 0)
		snprintf(text, sizeof(text), "output failed: %s\n",
		    strerror(e));
	else
		snprintf(text, sizeof(text), "output stalled: nothing "
		    "written for %.0f s\n", stalled);
	srv_reply(q, 503, text, NULL);
}

/* GET /metrics: the Prometheus text format (metrics.c) */
static void
metrics_page(struct req *q)
{
	struct buf b = {0};

	if (strcmp(q->method, "GET") && strcmp(q->method, "HEAD")) {
		refuse(q, NO_HEALTH_METHOD, NULL);
		return;
	}
	wm_text(&b);
	answer(q->conn, 200, b.p ? b.p : "", "text/plain; version=0.0.4; "
	    "charset=utf-8", b.len, NULL, 0);
	buf_free(&b);
}

/* ---- requests ---- */

/* The server is done with the request (its memory pool is cleared). */
static void
on_dispose(void *p)
{
	struct hreq *hq = *(struct hreq **)p;
	int queued;

	wm_done(hq->q->url, hq->q->status, hq->q->t0_ns);
	hq->c->live = 0;
	req_free(hq->q);
	pthread_mutex_lock(&wake_mu);
	hq->gone = 1;
	queued = hq->queued;
	pthread_mutex_unlock(&wake_mu);
	if (!queued)
		free(hq);
	__atomic_sub_fetch(&srv_inflight, 1, __ATOMIC_RELAXED);
}

/* A request for w, set up: NULL when its framing is refused. */
static struct hreq *
hreq_new(h2o_req_t *hr)
{
	h2o_socket_t *sock = hr->conn->callbacks->get_socket(hr->conn);
	struct hreq *hq = xcalloc(1, sizeof(*hq));
	struct req *q = xcalloc(1, sizeof(*q));
	struct hreq **slot;

	__atomic_add_fetch(&srv_inflight, 1, __ATOMIC_RELAXED);
	slot = h2o_mem_alloc_shared(&hr->pool, sizeof(*slot), on_dispose);
	*slot = hq;
	hq->hr = hr;
	hq->c = sock->on_close.data;
	hq->c->live = 1;
	if (hq->c->w->tail)
		hq->c->w->again = 1;	/* its line: next turn, no wait */
	hq->q = q;
	q->conn = hq;
	q->rc = 1;
	q->method = h2o_strdup(&hr->pool, hr->method.base,
	    hr->method.len).base;
	q->url = h2o_strdup(&hr->pool, hr->path_normalized.base,
	    hr->path_normalized.len).base;
	q->t0_ns = wm_now_ns();
	stamp(q->at);
	/* the block is parsed again for this request's own copy */
	hq->c->checked = 0;
	check_block(hq->c, hq);
	return hq;
}

/* The handler: the whole request is in. */
int
on_req(h2o_handler_t *self, h2o_req_t *hr)
{
	struct hreq *hq = hreq_new(hr);
	struct req *q = hq->q;

	(void)self;
	if (!hq->c->checked) {	/* h2o parsed what picohttpparser did not */
		hq->c->refusal = NO_FRAMING;
		snprintf(hq->c->why, sizeof(hq->c->why), "the request is not "
		    "where the server read it");
	}
	if (hq->c->refusal >= 0) {
		hq->cut = 1;	/* its framing is in doubt: nothing after */
		refuse(q, hq->c->refusal, hq->c->why);
		return 0;
	}
	if (strcmp(q->url, "/healthz") == 0) {
		health(q);
		return 0;
	}
	if (strcmp(q->url, "/metrics") == 0 && metrics_addr == NULL) {
		metrics_page(q);
		return 0;
	}
	if (hr->entity.base != NULL)
		wm_bytes(hr->entity.len);
	if (req_begin(q) && !q->answered) {
		if (hr->entity.len > 0)
			req_body(q, hr->entity.base, hr->entity.len);
		(void)req_end(q);
	}
	return 0;
}

/* ---- what h2o refuses by itself, answered as wh-listen's refusals ---- */

struct swap {
	h2o_ostream_t super;
	h2o_iovec_t text;
	int sent;
};

static void
swap_send(h2o_ostream_t *self, h2o_req_t *hr, h2o_iovec_t *bufs,
    size_t n, h2o_send_state_t state)
{
	struct swap *s = (struct swap *)self;
	int now = n > 0 && !s->sent;

	(void)bufs;
	s->sent |= now;
	h2o_ostream_send_next(&s->super, hr, now ? &s->text : NULL,
	    now ? 1 : 0, state);
}

/* Which refusal an answer h2o made is, and why; -1: none of ours. */
static int
own_refusal(struct conn *c, int status, const char **why)
{
	check_block(c, NULL);
	*why = c->why;
	if (c->refusal >= 0)
		return c->refusal;
	if (status == 413) {
		*why = big_note;
		return NO_TOO_BIG;
	}
	if (status == 400) {
		*why = "a broken chunked body or Content-Length (RFC 9112 "
		    "6.2, 7.1)";
		return NO_FRAMING;
	}
	return -1;
}

void
on_setup_ostream(h2o_filter_t *self, h2o_req_t *hr, h2o_ostream_t **slot)
{
	h2o_socket_t *sock = hr->conn->callbacks->get_socket(hr->conn);
	struct conn *c = sock ? sock->on_close.data : NULL;
	struct req q = { .method = "-", .url = "-" };
	const char *why, *text, *hdr;
	struct swap *s;
	int r;

	(void)self;
	if (c == NULL || c->ours || (r = own_refusal(c, hr->res.status,
	    &why)) < 0) {
		if (c != NULL)
			c->ours = 0;
		h2o_setup_next_ostream(hr, slot);
		return;
	}
	/* h2o answered before the handler: the request is as h2o read it */
	if (hr->input.method.base != NULL)
		q.method = h2o_strdup(&hr->pool, hr->input.method.base,
		    hr->input.method.len).base;
	if (hr->input.path.base != NULL)
		q.url = h2o_strdup(&hr->pool, hr->input.path.base,
		    hr->input.path.len).base;
	peer_of(sock, q.addr, sizeof(q.addr));
	req_note(&q, refusal_of(r, &text, &hdr), why);
	wm_refused(r);
	wm_done(q.url, refusal_of(r, &text, &hdr), wm_now_ns());
	hr->res.status = refusal_of(r, &text, &hdr);
	hr->res.reason = status_text(hr->res.status);
	hr->res.content_length = strlen(text);
	hr->http1_is_persistent = 0;
	s = (struct swap *)h2o_add_ostream(hr, sizeof(*s), slot);
	s->super.do_send = swap_send;
	s->text = h2o_iovec_init(text, strlen(text));
	s->sent = 0;
	h2o_setup_next_ostream(hr, &s->super.next);
}

/* --metrics-addr's server: GET /metrics, 404 for the rest */
int
on_metrics(h2o_handler_t *self, h2o_req_t *hr)
{
	struct hreq *hq = hreq_new(hr);

	(void)self;
	if (hq->c->refusal >= 0)
		refuse(hq->q, hq->c->refusal, hq->c->why);
	else if (strcmp(hq->q->url, "/metrics") != 0)
		refuse(hq->q, NO_PATH, NULL);
	else
		metrics_page(hq->q);
	return 0;
}

