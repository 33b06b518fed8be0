/*
 * h2o-proto: issue 18's measurement of libh2o (Debian's libh2o-evloop,
 * 2.2.5) as wh-listen's server layer, kept under scripts/bench and built
 * by bench/listen when the library is installed; not a tool.
 *
 * It does the work wh-listen does for bench/listen's request, on h2o: one
 * evloop per thread on a SO_REUSEPORT listener, no lock on the hot path;
 * each POST's body checked with lib/jscan (RFC 8259, one pass); a record
 * line like wh-listen's (id, received_at, method, path, headers, body);
 * the lines of one loop iteration written with one write(2) (group
 * commit, under one lock), and only then each request answered 200, as
 * wh-listen answers only what it has written.
 *
 * usage: h2o-proto PORT THREADS > records
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <h2o.h>

#include "jscan.h"
#include "xmem.h"

static h2o_globalconf_t config;
static int port;
static pthread_mutex_t out_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long seq;

struct worker {
	h2o_context_t ctx;
	h2o_accept_ctx_t accept;
	struct jscan *scan;
	struct buf out;		/* the lines of this iteration */
	h2o_req_t **pending;	/* answered once they are written */
	size_t npending, cap;
};

static __thread struct worker *self;

static void
jstr(struct buf *b, const char *p, size_t n)
{
	size_t i;

	buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == '"' || c == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)c);
		} else if (c < 0x20)
			buf_addf(b, "\\u%04x", c);
		else
			buf_addc(b, (char)c);
	}
	buf_addc(b, '"');
}

static int
on_req(h2o_handler_t *h, h2o_req_t *req)
{
	struct worker *w = self;
	struct timespec ts;
	char err[128], t[64];
	size_t i;

	(void)h;
	if (!h2o_memis(req->method.base, req->method.len, H2O_STRLIT("POST")))
		return -1;
	if (jscan_line(w->scan, req->entity.base, req->entity.len, err,
	    sizeof(err)) != 0) {
		h2o_send_error_400(req, "Bad Request",
		    "body is not a JSON object\n", 0);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", gmtime(&ts.tv_sec));
	buf_addf(&w->out, "{\"id\":\"%llu\",\"received_at\":\"%s.%03ldZ\","
	    "\"method\":\"POST\",\"path\":", __atomic_add_fetch(&seq, 1,
	    __ATOMIC_RELAXED), t, ts.tv_nsec / 1000000);
	jstr(&w->out, req->path.base, req->path.len);
	buf_adds(&w->out, ",\"headers\":{");
	for (i = 0; i < req->headers.size; i++) {
		if (i > 0)
			buf_addc(&w->out, ',');
		jstr(&w->out, req->headers.entries[i].name->base,
		    req->headers.entries[i].name->len);
		buf_addc(&w->out, ':');
		jstr(&w->out, req->headers.entries[i].value.base,
		    req->headers.entries[i].value.len);
	}
	buf_adds(&w->out, "},\"body\":");
	buf_add(&w->out, req->entity.base, req->entity.len);
	buf_adds(&w->out, "}\n");
	if (w->npending == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->pending = xrealloc(w->pending, w->cap * sizeof(*w->pending));
	}
	w->pending[w->npending++] = req;
	return 0;
}

/* the iteration's lines out, then their answers */
static void
commit(struct worker *w)
{
	static h2o_generator_t gen = { NULL, NULL };
	size_t i, off = 0;
	ssize_t n;

	if (w->npending == 0)
		return;
	pthread_mutex_lock(&out_mu);
	while (off < w->out.len) {
		n = write(1, w->out.p + off, w->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	pthread_mutex_unlock(&out_mu);
	buf_reset(&w->out);
	for (i = 0; i < w->npending; i++) {
		h2o_req_t *req = w->pending[i];

		req->res.status = off > 0 ? 200 : 503;
		req->res.reason = off > 0 ? "OK" : "Service Unavailable";
		h2o_start_response(req, &gen);
		h2o_send(req, NULL, 0, H2O_SEND_STATE_FINAL);
	}
	w->npending = 0;
}

static void
on_accept(h2o_socket_t *listener, const char *err)
{
	h2o_socket_t *sock;

	if (err != NULL || (sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	h2o_accept(&self->accept, sock);
}

static void *
run(void *arg)
{
	struct worker *w = arg;
	struct sockaddr_in a;
	h2o_socket_t *ls;
	int fd, on = 1;

	self = w;
	w->scan = jscan_new();
	h2o_context_init(&w->ctx, h2o_evloop_create(), &config);
	w->accept.ctx = &w->ctx;
	w->accept.hosts = config.hosts;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	a.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		perror("h2o-proto: listen");
		exit(1);
	}
	ls = h2o_evloop_socket_create(w->ctx.loop, fd,
	    H2O_SOCKET_FLAG_DONT_READ);
	h2o_socket_read_start(ls, on_accept);
	for (;;) {
		h2o_evloop_run(w->ctx.loop, INT32_MAX);
		commit(w);
	}
	return NULL;
}

int
main(int argc, char *argv[])
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	h2o_handler_t *h;
	pthread_t *t;
	int i, n;

	if (argc != 3) {
		fprintf(stderr, "usage: h2o-proto PORT THREADS\n");
		return 2;
	}
	port = atoi(argv[1]);
	n = atoi(argv[2]);
	signal(SIGPIPE, SIG_IGN);
	h2o_config_init(&config);
	host = h2o_config_register_host(&config,
	    h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	h = h2o_create_handler(path, sizeof(*h));
	h->on_req = on_req;
	t = xcalloc((size_t)n, sizeof(*t));
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, run, xcalloc(1, sizeof(struct worker)));
	pthread_join(t[0], NULL);
	return 0;
}
