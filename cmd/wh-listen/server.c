/*
 * wh-listen: the HTTP server (libh2o's evloop, HTTP/1.1): one event loop
 * a thread, all accepting on one listening socket, --max-conn, TLS
 * handshakes, the drain, and --metrics-addr's listener; server_http.c
 * is the request side.  These two files are the only ones that know the
 * HTTP library.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server.h"
#include <h2o/http1.h>

#include "sys.h"

#if defined(__SANITIZE_ADDRESS__)
/*
 * LeakSanitizer (make SANITIZE=1): h2o keeps freed buffers and pool
 * chunks on lists that are the thread's own and unreachable once a loop's
 * thread has ended, and closes no connection at exit; what it allocates
 * is not wh-listen's leak.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_options(void);
const char *
__lsan_default_suppressions(void)
{
	return "leak:libh2o-evloop.so\n";
}

/* and says nothing of it: the tests want stderr as wh-listen wrote it */
const char *
__lsan_default_options(void)
{
	return "print_suppressions=0";
}
#endif

static h2o_globalconf_t gconf, mconf;	/* the server's, --metrics-addr's */
static struct worker *workers;
static long nworkers;
static struct worker mworker;
static int listen_fd = -1;
static long nconns;	/* atomic */
volatile sig_atomic_t stopping;

/* ---- connections ---- */

/* At --max-conn a loop stops accepting, and new connections wait in the
 * listen queue, until one closes (here, or in another loop: its timer
 * looks again every 100 ms). */
static void on_accept(h2o_socket_t *, const char *);

static void
accept_resume(struct worker *w)
{
	if (w->listener == NULL || !h2o_timeout_is_linked(&w->paused) ||
	    __atomic_load_n(&nconns, __ATOMIC_RELAXED) >= (long)max_conn)
		return;
	h2o_timeout_unlink(&w->paused);
	h2o_socket_read_start(w->listener, on_accept);
}

static void
on_paused(h2o_timeout_entry_t *e)
{
	struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, paused, e);

	if (w->listener != NULL &&
	    __atomic_load_n(&nconns, __ATOMIC_RELAXED) >= (long)max_conn)
		h2o_timeout_link(w->ctx.loop, &w->pause_timeout, &w->paused);
	else if (w->listener != NULL)
		h2o_socket_read_start(w->listener, on_accept);
}

static void
on_close(void *data)
{
	struct conn *c = data;

	h2o_timeout_unlink(&c->hs);
	h2o_linklist_unlink(&c->link);
	__atomic_sub_fetch(&nconns, 1, __ATOMIC_RELAXED);
	accept_resume(c->w);
	free(c);
}

static void
http1_start(struct conn *c)
{
	h2o_http1_accept(&c->w->accept, c->sock,
	    *h2o_get_timestamp(&c->w->ctx, NULL, NULL));
	c->h2o_read = c->sock->_cb.read;
	if (c->h2o_read != NULL)
		c->sock->_cb.read = on_read;
}

static void
on_handshake(h2o_socket_t *sock, const char *err)
{
	struct conn *c = sock->on_close.data;

	h2o_timeout_unlink(&c->hs);
	if (err != NULL) {
		h2o_socket_close(sock);
		return;
	}
	http1_start(c);
}

static void
on_hs_timeout(h2o_timeout_entry_t *e)
{
	struct conn *c = H2O_STRUCT_FROM_MEMBER(struct conn, hs, e);

	h2o_socket_close(c->sock);
}

/* A new connection. */
static void
on_accept(h2o_socket_t *listener, const char *err)
{
	struct worker *w = listener->data;
	h2o_socket_t *sock;
	struct conn *c;

	if (err != NULL)
		return;
	if (__atomic_load_n(&nconns, __ATOMIC_RELAXED) >= (long)max_conn) {
		h2o_socket_read_stop(listener);
		h2o_timeout_link(w->ctx.loop, &w->pause_timeout, &w->paused);
		return;
	}
	if ((sock = h2o_evloop_socket_accept(listener)) == NULL)
		return;
	__atomic_add_fetch(&nconns, 1, __ATOMIC_RELAXED);
	c = xcalloc(1, sizeof(*c));
	c->w = w;
	c->sock = sock;
	c->refusal = -1;
	c->hs.cb = on_hs_timeout;
	h2o_linklist_insert(&w->conns, &c->link);
	sock->on_close.cb = on_close;
	sock->on_close.data = c;
	if (tls_ssl_ctx() == NULL) {
		http1_start(c);
		return;
	}
	h2o_timeout_link(w->ctx.loop, &w->hs_timeout, &c->hs);
	h2o_socket_ssl_handshake(sock, tls_ssl_ctx(), NULL, on_handshake);
}

/* ---- loops ---- */

/* Stop accepting (from server_drain); quit once told twice. */
static void
on_stop(h2o_multithread_receiver_t *r, h2o_linklist_t *msgs)
{
	struct worker *w = H2O_STRUCT_FROM_MEMBER(struct worker, stop, r);

	while (!h2o_linklist_is_empty(msgs)) {
		h2o_multithread_message_t *m = H2O_STRUCT_FROM_MEMBER(
		    h2o_multithread_message_t, link, msgs->next);

		h2o_linklist_unlink(&m->link);
		free(m);
		if (w->listener != NULL) {
			h2o_timeout_unlink(&w->paused);
			h2o_socket_read_stop(w->listener);
			h2o_socket_close(w->listener);
			w->listener = NULL;
		} else
			w->quit = 1;
	}
}

static void
tell(struct worker *w)
{
	h2o_multithread_message_t *m = xcalloc(1, sizeof(*m));

	h2o_multithread_send_message(&w->stop, m);
}

/* Draining: the connections a request has begun to come in on, which
 * the drain waits for as for those in the handler.  Counted after each
 * turn of the loop, when one may have changed. */
static void
count_partial(struct worker *w)
{
	h2o_linklist_t *l;
	long n = 0;

	for (l = w->conns.next; l != &w->conns; l = l->next) {
		struct conn *c = H2O_STRUCT_FROM_MEMBER(struct conn, link, l);

		n += !c->live && c->sock->input != NULL &&
		    c->sock->input->size > 0;
	}
	__atomic_store_n(&w->partial, n, __ATOMIC_RELAXED);
	__atomic_store_n(&w->counted, 1, __ATOMIC_RELEASE);
}

/*
 * A loop, set up in its own thread: h2o's allocators are the thread's
 * own (the buffers of the queue's pipe too), so nothing of a loop may
 * be made in another.
 */
static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	h2o_context_init(&w->ctx, h2o_evloop_create(), w->conf);
	h2o_linklist_init_anchor(&w->conns);
	h2o_linklist_init_anchor(&w->ready);
	srv_self = w;
	w->accept.ctx = &w->ctx;
	w->accept.hosts = w->conf->hosts;
	w->queue = h2o_multithread_create_queue(w->ctx.loop);
	h2o_multithread_register_receiver(w->queue, &w->wake, on_wake);
	h2o_multithread_register_receiver(w->queue, &w->stop, on_stop);
	h2o_timeout_init(w->ctx.loop, &w->hs_timeout, timeout_s * 1000ULL);
	h2o_timeout_init(w->ctx.loop, &w->pause_timeout, 100);
	w->paused.cb = on_paused;
	w->listener = h2o_evloop_socket_create(w->ctx.loop, w->fd,
	    H2O_SOCKET_FLAG_DONT_READ);
	w->listener->data = w;
	h2o_socket_read_start(w->listener, on_accept);
	sem_post(&w->up);
	while (!w->quit) {
		h2o_evloop_run(w->ctx.loop, w->again ? 0 : INT32_MAX);
		w->again = 0;
		/* the turn's lines in one write, then their answers */
		outq_flush();
		run_ready(w);
		/*
		 * and the answers' ends now (h2o's pending callbacks, which
		 * libh2o-evloop's h2o_timeout__do_post_callback runs), not
		 * after the next turn has updated its sockets: h2o stops
		 * reading a connection for each request and starts again
		 * when the answer is sent, and ended a turn later that was
		 * two epoll_ctls a request, 5% of the CPU (perf, issue 18).
		 * A request pipelined behind one answered starts here; its
		 * line is written at the end of the next turn, which then
		 * does not wait.
		 */
		w->tail = 1;
		h2o_timeout__do_post_callback(w->ctx.loop);
		w->tail = 0;
		if (stopping)
			count_partial(w);
	}
	return NULL;
}

/* w's loop on the listening socket fd (its own duplicate), with conf's
 * hosts, in a thread of its own; back once it accepts. */
static void
worker_start(struct worker *w, h2o_globalconf_t *conf, int fd)
{
	w->conf = conf;
	if ((w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) < 0)
		msg_die(EX_SYSTEM, "cannot duplicate the listening socket: "
		    "%s", strerror(errno));
	sem_init(&w->up, 0, 0);
	if (pthread_create(&w->t, NULL, worker_main, w) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread");
	while (sem_wait(&w->up) != 0 && errno == EINTR)
		;
}

/* The settings for one server: a handler for every path, and the
 * filter for every answer, also those h2o makes before any handler. */
static void
conf_init(h2o_globalconf_t *conf, int (*on)(h2o_handler_t *, h2o_req_t *))
{
	h2o_hostconf_t *host;
	h2o_pathconf_t *path;
	h2o_handler_t *h;
	h2o_filter_t *f;

	h2o_config_init(conf);
	conf->server_name = h2o_iovec_init(H2O_STRLIT(""));
	conf->max_request_entity_size = max_body;
	conf->http1.req_timeout = timeout_s * 1000ULL;
	conf->http1.upgrade_to_http2 = 0;
	host = h2o_config_register_host(conf,
	    h2o_iovec_init(H2O_STRLIT("default")), 65535);
	path = h2o_config_register_path(host, "/", 0);
	h = h2o_create_handler(path, sizeof(*h));
	h->on_req = on;
	f = h2o_create_filter(path, sizeof(*f));
	f->on_setup_ostream = on_setup_ostream;
	f = h2o_create_filter(&host->fallback_path, sizeof(*f));
	f->on_setup_ostream = on_setup_ostream;
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
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0);
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
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return fd;
}

/* Server threads: --threads, or one a core (at most 16), each with its
 * own loop, all accepting on the one socket. */
static long
server_threads(void)
{
	long n = nthreads ? nthreads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > 16 ? 16 : n;
}

/* --ack-fifo's reader: the acks read, the waiters timed out. */
static void *
ack_main(void *arg)
{
	(void)arg;
	for (;;)
		ack_poll(100);
	return NULL;
}

/* Listen on addr port (or systemd's socket) and serve, with --ack-fifo's
 * reader beside; then tell systemd it is ready. */
void
server_start(const char *addr, const char *port)
{
	pthread_t acker;
	long i;

	conf_init(&gconf, on_req);
	outq_defer();
	listen_fd = server_socket(addr, port);
	nworkers = server_threads();
	workers = xcalloc((size_t)nworkers, sizeof(*workers));
	for (i = 0; i < nworkers; i++)
		worker_start(&workers[i], &gconf, listen_fd);
	if (ack_fifo != NULL && pthread_create(&acker, NULL, ack_main,
	    NULL) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread");
	sd_notify_state("READY=1");
}

void
server_metrics_start(const char *hostport)
{
	char *h = xstrdup(hostport), *p = strrchr(h, ':'), *a = h;
	int fd;

	if (p == NULL || p[1] == '\0' || p == h)
		msg_die(EX_USAGE, "bad --metrics-addr '%s': HOST:PORT",
		    hostport);
	*p++ = '\0';
	if (*a == '[' && a[strlen(a) - 1] == ']') {	/* [::1]:9100 */
		a++;
		a[strlen(a) - 1] = '\0';
	}
	conf_init(&mconf, on_metrics);
	fd = listen_on(a, p);
	worker_start(&mworker, &mconf, fd);
	close(fd);
	free(h);
}

/* Requests in flight: in the handler or after, or coming in. */
static long
busy(void)
{
	long i, n = __atomic_load_n(&srv_inflight, __ATOMIC_RELAXED);

	for (i = 0; i < nworkers; i++) {
		if (!__atomic_load_n(&workers[i].counted, __ATOMIC_ACQUIRE))
			return 1;
		n += __atomic_load_n(&workers[i].partial, __ATOMIC_RELAXED);
	}
	return n;
}

/*
 * Stop accepting and let the requests in flight finish, for --drain
 * seconds at most (a second signal cuts it short); then what is still
 * waiting to be written gets 503, and what waits for an ack 504, before
 * the loops stop.
 */
void
server_drain(const sigset_t *sigs)
{
	double deadline;
	long i;
	int sig;

	stopping = 1;
	sd_notify_state("STOPPING=1");
	for (i = 0; i < nworkers; i++) {
		workers[i].ctx.shutdown_requested = 1;
		tell(&workers[i]);
	}
	close(listen_fd);
	deadline = sys_now_ms() / 1e3 + drain_s;
	while (busy() > 0 &&
	    sys_now_ms() / 1e3 < deadline && !outq_dead()) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		sig = sigtimedwait(sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	outq_give_up();
	ack_give_up();
	deadline = sys_now_ms() / 1e3 + 1;	/* for those answers to go out */
	while (__atomic_load_n(&srv_inflight, __ATOMIC_RELAXED) > 0 &&
	    sys_now_ms() / 1e3 < deadline)
		usleep(10000);
	for (i = 0; i < nworkers; i++)
		tell(&workers[i]);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i].t, NULL);
}
