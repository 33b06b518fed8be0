/*
 * wh-listen: what the two files of the HTTP server share (server.c the
 * loops, connections and drain; server_http.c a request's header block,
 * its answers and the filter), and only they: the rest of the tool sees
 * a connection as a void *.
 */
#ifndef WH_LISTEN_SERVER_H
#define WH_LISTEN_SERVER_H

#include <semaphore.h>

#include <h2o.h>

#include "phr.h"
#include "wh-listen.h"

#define HDR_MAX 100		/* h2o's H2O_MAX_HEADERS */
#define HDR_BLOCK_MAX (64 * 1024)	/* a header block over: 431 */

/* A loop and its thread. */
struct worker {
	h2o_globalconf_t *conf;
	int fd;			/* its listening socket */
	sem_t up;		/* posted once it accepts */
	h2o_context_t ctx;
	h2o_accept_ctx_t accept;
	h2o_socket_t *listener;
	h2o_multithread_queue_t *queue;
	h2o_multithread_receiver_t wake;	/* requests to go on */
	h2o_multithread_receiver_t stop;	/* stop accepting */
	h2o_timeout_t hs_timeout;		/* a TLS handshake's */
	h2o_timeout_t pause_timeout;		/* --max-conn's recheck */
	h2o_timeout_entry_t paused;		/* linked: not accepting */
	h2o_linklist_t conns;			/* its connections */
	h2o_linklist_t ready;	/* woken in this loop: to go on this turn */
	long partial;		/* draining: those a request is coming on */
	int counted;		/* ... counted once at least */
	int quit;
	int tail;		/* running the answers' ends (worker_main) */
	int again;		/* ... and a request came: no wait next turn */
	pthread_t t;
};

/* One TCP connection (the socket's on_close.data). */
struct conn {
	h2o_linklist_t link;	/* in w->conns */
	struct worker *w;
	h2o_socket_t *sock;
	h2o_socket_cb h2o_read;	/* h2o's reader, ours wrapped round it */
	h2o_timeout_entry_t hs;	/* the TLS handshake's deadline */
	int checked;		/* this request's header block is checked */
	int refusal;		/* -1, or why it is refused */
	char why[160];
	int unparsed;		/* h2o refuses it too: 400, closed */
	int ours;		/* the answer starting is wh-listen's */
	int live;		/* a request in the handler or after */
	char peer[CIDR_STR_MAX];	/* the peer, numeric; "" till asked */
};

/* A request the pipeline holds (q->conn). */
struct hreq {
	h2o_req_t *hr;
	struct conn *c;
	struct req *q;
	h2o_multithread_message_t msg;
	int queued, gone;	/* under wake_mu */
	struct phr_header *h;	/* its header fields, NUL-terminated, in */
	size_t nh;		/* a copy of the block in its pool */
	int cut;		/* close the connection after the answer */
};

extern long srv_inflight;	/* requests in the handler or after (atomic) */
extern __thread struct worker *srv_self;	/* the loop of this thread */

/* server_http.c */
void check_block(struct conn *c, struct hreq *hq);
void peer_of(h2o_socket_t *sock, char *out, size_t n);
void on_read(h2o_socket_t *sock, const char *err);
void on_wake(h2o_multithread_receiver_t *r, h2o_linklist_t *msgs);
void run_ready(struct worker *w);
int on_req(h2o_handler_t *self, h2o_req_t *hr);
int on_metrics(h2o_handler_t *self, h2o_req_t *hr);
void on_setup_ostream(h2o_filter_t *self, h2o_req_t *hr,
    h2o_ostream_t **slot);

#endif
