/* wh-listen: the HTTP server (libmicrohttpd): connections and their
 * watch, /healthz, and the calls into the request pipeline.  The
 * one file that knows the HTTP library. */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "httpframe.h"
#include "sys.h"
#include "wh-listen.h"

/* One TCP connection, watched so slow clients are cut off (slowloris). */
struct conn {
	int fd;
	int busy;		/* request being answered: no deadline */
	int cut;
	double deadline;
	unsigned long gen;	/* tls_gen() when it began */
	struct conn *prev, *next;
};

static pthread_mutex_t conn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn conns = { -1, 0, 0, 0, 0, &conns, &conns };

static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static long inflight;
volatile sig_atomic_t stopping;

static struct MHD_Response *r_ok, *r_health;
static struct MHD_Daemon *daemon_;

static void
on_conn(void *cls, struct MHD_Connection *mc, void **sctx,
    enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci;
	struct conn *c;

	(void)cls;
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci ? ci->connect_fd : -1;
		c->deadline = sys_now_ms() / 1e3 + timeout_s;
		c->gen = tls_cert ? tls_gen() : 0;
		pthread_mutex_lock(&conn_mu);
		c->next = conns.next;
		c->prev = &conns;
		conns.next->prev = c;
		conns.next = c;
		pthread_mutex_unlock(&conn_mu);
		*sctx = c;
	} else if ((c = *sctx) != NULL) {
		/* called before the socket is closed: c->fd is still ours */
		pthread_mutex_lock(&conn_mu);
		c->prev->next = c->next;
		c->next->prev = c->prev;
		pthread_mutex_unlock(&conn_mu);
		free(c);
		*sctx = NULL;
	}
}

/* Cut connections that did not send a whole request within --timeout;
 * free the TLS pairs retired before the oldest connection left began. */
static void
conn_sweep(void)
{
	struct conn *c;
	double now = sys_now_ms() / 1e3;
	unsigned long oldest = ULONG_MAX;

	pthread_mutex_lock(&conn_mu);
	for (c = conns.next; c != &conns; c = c->next) {
		if (!c->busy && !c->cut && c->fd >= 0 && now > c->deadline) {
			shutdown(c->fd, SHUT_RDWR);
			c->cut = 1;
		}
		if (c->gen < oldest)
			oldest = c->gen;
	}
	pthread_mutex_unlock(&conn_mu);
	if (tls_cert)
		tls_sweep(oldest);
}

/* q is being answered: its connection has no deadline until done. */
void
srv_busy(struct req *q, int busy)
{
	struct conn *c = q->c;

	if (c == NULL)
		return;
	pthread_mutex_lock(&conn_mu);
	c->busy = busy;
	if (!busy)
		c->deadline = sys_now_ms() / 1e3 + timeout_s;
	pthread_mutex_unlock(&conn_mu);
}

/* The connection waits (for its record or its ack) without a thread. */
void
srv_sleep(void *conn)
{
	MHD_suspend_connection(conn);
}

void
srv_wake(void *conn)
{
	MHD_resume_connection(conn);
}

/* Queue q's answer; 1 to go on, 0 to cut the connection. */
int
srv_reply(struct req *q, int status, const char *text, const char *hdr)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	char name[32];
	const char *v;

	q->answered = 1;
	q->status = status;
	if (status == ok_status && text == NULL && !stopping)
		return MHD_queue_response(q->conn, status, r_ok) == MHD_YES;
	r = MHD_create_response_from_buffer(text ? strlen(text) : 0,
	    (void *)(text ? text : ""), MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return 0;
	if (text)
		MHD_add_response_header(r, "Content-Type",
		    "text/plain; charset=utf-8");
	/* "Name: value" */
	if (hdr != NULL && (v = strstr(hdr, ": ")) != NULL &&
	    (size_t)(v - hdr) < sizeof(name)) {
		memcpy(name, hdr, (size_t)(v - hdr));
		name[v - hdr] = '\0';
		MHD_add_response_header(r, name, v + 2);
	}
	if (stopping)
		MHD_add_response_header(r, "Connection", "close");
	rc = MHD_queue_response(q->conn, status, r);
	MHD_destroy_response(r);
	return rc == MHD_YES;
}

/* A request header's value, or NULL (a whsig_header_fn). */
const char *
srv_hdr(void *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

struct each {
	srv_kv_fn *fn;
	void *arg;
};

static enum MHD_Result
each_cb(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	struct each *e = cls;

	(void)kind;
	e->fn(e->arg, key, klen, val, vlen);
	return MHD_YES;
}

/* fn for each header field (query 0) or query argument (query 1). */
void
srv_each(void *conn, int query, srv_kv_fn *fn, void *arg)
{
	struct each e = { fn, arg };

	MHD_get_connection_values_n(conn, query ? MHD_GET_ARGUMENT_KIND :
	    MHD_HEADER_KIND, each_cb, &e);
}

/* The client's address, numeric. */
const char *
srv_remote(void *conn, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	socklen_t len;

	ci = MHD_get_connection_info(conn,
	    MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "unknown");
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return out;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	getnameinfo(sa, len, out, n, NULL, 0, NI_NUMERICHOST);
	return out;
}

/* The request's header fields, for httpframe. */
struct fields {
	struct httpframe_field *f;
	size_t n, cap;
};

static void
add_field(void *cls, const char *key, size_t klen, const char *val,
    size_t vlen)
{
	struct fields *fs = cls;

	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? 2 * fs->cap : 32;
		fs->f = xrealloc(fs->f, fs->cap * sizeof(*fs->f));
	}
	fs->f[fs->n++] = (struct httpframe_field){ key, val ? val : "",
	    klen, val ? vlen : 0 };
}

/*
 * 0, or the status refusing a request whose length a proxy in front
 * could read otherwise: libmicrohttpd 0.9.75 (Debian 12) takes the first
 * of two Content-Lengths, lets Transfer-Encoding win over Content-Length
 * and keeps the connection, cuts a header value at a NUL and ends the
 * header at a line beginning with one, all silently.  It keeps the
 * header block in place (0.9.x), so what a NUL hid can be seen there.
 */
static int
framing(struct MHD_Connection *mc, const char *method, const char *version,
    char *why, size_t whylen)
{
	const union MHD_ConnectionInfo *ci;
	struct fields fs = { NULL, 0, 0 };
	int st;

	srv_each(mc, 0, add_field, &fs);
	st = httpframe_check(fs.f, fs.n, version, why, whylen);
	if (st == 0 && strncmp(MHD_get_version(), "0.9.", 4) == 0 &&
	    (ci = MHD_get_connection_info(mc,
	    MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE)) != NULL &&
	    httpframe_hidden(fs.f, fs.n, method, ci->header_size,
	    version + strlen(version))) {
		snprintf(why, whylen, "a header field value with a NUL, a "
		    "header line beginning with one, or a line folded (RFC "
		    "9110 5.5, RFC 9112 5.2)");
		st = 400;
	}
	free(fs.f);
	return st;
}

/* /healthz: 200 ok, or 503 saying why records cannot be written now. */
static int
health(struct req *q)
{
	char text[128];
	double stalled = outq_stalled();
	int e = outq_dead();

	if (strcmp(q->method, "GET") && strcmp(q->method, "HEAD")) {
		refuse(q, NO_HEALTH_METHOD, NULL);
		return q->rc;
	}
	if (e == 0 && stalled < 1) {
		q->answered = 1;
		q->status = MHD_HTTP_OK;
		return MHD_queue_response(q->conn, MHD_HTTP_OK, r_health) ==
		    MHD_YES;
	}
	if (e != 0)
		snprintf(text, sizeof(text), "output failed: %s\n",
		    strerror(e));
	else
		snprintf(text, sizeof(text), "output stalled: nothing "
		    "written for %.0f s\n", stalled);
	return srv_reply(q, MHD_HTTP_SERVICE_UNAVAILABLE, text, NULL);
}

/* GET /metrics: the Prometheus text format (metrics.c) */
static int
metrics_page(struct req *q)
{
	struct MHD_Response *r;
	struct buf b = {0};
	enum MHD_Result rc;

	if (strcmp(q->method, "GET") && strcmp(q->method, "HEAD")) {
		refuse(q, NO_HEALTH_METHOD, NULL);
		return q->rc;
	}
	wm_text(&b);
	r = MHD_create_response_from_buffer(b.len, b.p, MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (r == NULL)
		return 0;
	MHD_add_response_header(r, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	q->answered = 1;
	q->status = MHD_HTTP_OK;
	rc = MHD_queue_response(q->conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc == MHD_YES;
}

static long
in_flight(void)
{
	long n;

	pthread_mutex_lock(&live_mu);
	n = inflight;
	pthread_mutex_unlock(&live_mu);
	return n;
}

/* A new request: its headers are in. */
static int
on_headers(struct MHD_Connection *mc, const char *url, const char *method,
    const char *version, void **ctx)
{
	const union MHD_ConnectionInfo *ci;
	struct req *q = xcalloc(1, sizeof(*q));
	char why[160];
	int st;

	*ctx = q;
	pthread_mutex_lock(&live_mu);
	inflight++;
	pthread_mutex_unlock(&live_mu);
	q->conn = mc;
	q->url = url;
	q->method = method;
	q->rc = 1;
	q->t0_ns = wm_now_ns();
	stamp(q->at);
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	q->c = ci ? ci->socket_context : NULL;
	/* answered before the body: libmicrohttpd then closes */
	if ((st = framing(mc, method, version, why, sizeof(why))) != 0) {
		refuse(q, st == MHD_HTTP_NOT_IMPLEMENTED ? NO_CODING :
		    NO_FRAMING, why);
		return q->rc;
	}
	if (strcmp(url, "/healthz") == 0)
		return health(q);
	if (strcmp(url, "/metrics") == 0 && metrics_addr == NULL)
		return metrics_page(q);
	return req_begin(q);
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *data,
    size_t *datalen, void **ctx)
{
	struct req *q = *ctx;

	(void)cls;
	if (q == NULL)
		return on_headers(mc, url, method, version, ctx) ? MHD_YES :
		    MHD_NO;
	if (*datalen > 0)
		wm_bytes(*datalen);
	if (q->answered) {
		*datalen = 0;	/* the rest of a refused body */
		return MHD_YES;
	}
	if (*datalen > 0 && !(q->o || q->w)) {
		req_data(q, data, *datalen);
		*datalen = 0;
		return MHD_YES;
	}
	return req_end(q) ? MHD_YES : MHD_NO;
}

static void
on_done(void *cls, struct MHD_Connection *mc, void **ctx,
    enum MHD_RequestTerminationCode toe)
{
	struct req *q = *ctx;

	(void)cls;
	(void)mc;
	(void)toe;
	if (q == NULL)
		return;
	srv_busy(q, 0);
	wm_done(q->url, q->status, q->t0_ns);
	req_free(q);
	*ctx = NULL;
	pthread_mutex_lock(&live_mu);
	inflight--;
	pthread_mutex_unlock(&live_mu);
}

/* The watcher: reads the ack FIFO, times out waiters, cuts slow
 * connections. */
static void *
watch_main(void *arg)
{
	(void)arg;
	for (;;) {
		ack_poll(100);
		conn_sweep();
	}
	return NULL;
}

static int
listen_on(const char *a, const char *p)
{
	struct addrinfo hints, *res;
	int fd, one = 1, e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((e = getaddrinfo(a, p, &hints, &res)) != 0)
		msg_die(EX_USAGE, "cannot use address %s port %s: %s", a, p,
		    gai_strerror(e));
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		msg_die(EX_SYSTEM, "cannot make a socket: %s",
		    strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 1024) < 0)
		msg_die(EX_SYSTEM, "cannot listen on %s port %s: %s", a, p,
		    strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* The socket systemd passed, or one listening on addr port (NULL: the
 * defaults, 127.0.0.1 8080). */
static int
server_socket(const char *addr, const char *port)
{
	int fd;

	if ((fd = sd_listen_fd()) < 0)
		return listen_on(addr ? addr : "127.0.0.1",
		    port ? port : "8080");
	if (addr != NULL || port != NULL) {
		msg_err("-a and -p do not go with the socket systemd passed "
		    "(LISTEN_FDS)");
		msg_usage(usage);
	}
	return fd;
}

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	msg_err("%s", line);
}

/* Server threads: --threads, or one a core (at most 16).  A thread a
 * core: two a core gave up to 13 % more requests/s but twice the p99
 * latency (7-10 ms, not 4.6-5.0 ms, 2 cores, wrk -c64 beside it). */
static long
server_threads(void)
{
	long n = nthreads ? nthreads : sysconf(_SC_NPROCESSORS_ONLN);

	return n > 16 ? 16 : n;
}

/* Listen on addr port (or systemd's socket) and serve, with the watcher
 * beside; then tell systemd it is ready. */
void
server_start(const char *addr, const char *port)
{
	struct MHD_OptionItem opts[16];
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO |
	    MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	size_t no = 0;
	pthread_t watcher;

	r_ok = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	r_health = MHD_create_response_from_buffer(3, (void *)"ok\n",
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r_health, "Content-Type", "text/plain");
	if (tls_cert)
		flags |= MHD_USE_TLS;
	/* the logger first, or libmicrohttpd complains on stderr */
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)mhd_log, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET,
	    server_socket(addr, port), NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    max_conn, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    timeout_s, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)on_done, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)on_conn, NULL };
	if (server_threads() > 1)
		opts[no++] = (struct MHD_OptionItem){
		    MHD_OPTION_THREAD_POOL_SIZE, server_threads(), NULL };
	if (tls_cert)
		opts[no++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_CERT_CALLBACK, 0, tls_callback() };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	daemon_ = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (daemon_ == NULL)
		msg_die(EX_SYSTEM, "cannot start the HTTP server");
	if (pthread_create(&watcher, NULL, watch_main, NULL) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread");
	sd_notify_state("READY=1");
}

/* --metrics-addr's server: GET /metrics, 404 for the rest */
static enum MHD_Result
on_metrics(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *data,
    size_t *datalen, void **ctx)
{
	struct req q = {0};

	(void)cls, (void)version, (void)data;
	if (*ctx != NULL) {
		*datalen = 0;	/* answered already: a body is dropped */
		return MHD_YES;
	}
	*ctx = &conns;
	q.conn = mc;
	q.url = url;
	q.method = method;
	q.rc = 1;
	if (strcmp(url, "/metrics") != 0) {
		refuse(&q, NO_PATH, NULL);
		return q.rc ? MHD_YES : MHD_NO;
	}
	return metrics_page(&q) ? MHD_YES : MHD_NO;
}

void
server_metrics_start(const char *hostport)
{
	char *h = xstrdup(hostport), *p = strrchr(h, ':'), *a = h;

	if (p == NULL || p[1] == '\0' || p == h)
		msg_die(EX_USAGE, "bad --metrics-addr '%s': HOST:PORT",
		    hostport);
	*p++ = '\0';
	if (*a == '[' && a[strlen(a) - 1] == ']') {	/* [::1]:9100 */
		a++;
		a[strlen(a) - 1] = '\0';
	}
	if (MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, on_metrics, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, listen_on(a, p),
	    MHD_OPTION_CONNECTION_LIMIT, 16u,
	    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END) == NULL)
		msg_die(EX_SYSTEM, "cannot start the metrics server");
	free(h);
}

/*
 * Stop accepting and let the requests in flight finish, for --drain
 * seconds at most (a second signal cuts it short); then what is still
 * waiting to be written gets 503, and what waits for an ack 504, before
 * the server stops.
 */
void
server_drain(const sigset_t *sigs)
{
	double deadline;
	int lfd, sig;

	stopping = 1;
	sd_notify_state("STOPPING=1");
	lfd = MHD_quiesce_daemon(daemon_);
	if (lfd >= 0)
		close(lfd);
	deadline = sys_now_ms() / 1e3 + drain_s;
	while (in_flight() > 0 && sys_now_ms() / 1e3 < deadline &&
	    !outq_dead()) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	outq_give_up();
	ack_give_up();
	deadline = sys_now_ms() / 1e3 + 1;	/* for those answers to go out */
	while (in_flight() > 0 && sys_now_ms() / 1e3 < deadline)
		usleep(10000);
	MHD_stop_daemon(daemon_);
}
