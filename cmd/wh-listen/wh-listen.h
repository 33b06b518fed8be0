/* wh-listen: the tool's private header: the settings, a request on its
 * way through the pipeline, and what each file of the tool gives the
 * others (main.c options and start-up, config.c the per-path settings
 * and SIGHUP, server.c the HTTP server's loops and connections and
 * server_http.c its request side, request.c the request pipeline,
 * record.c the record's text, spool.c records out, replay memory and
 * --ack-fifo, sd.c systemd's socket and readiness, tls.c the TLS
 * certificate, proxy.c the client's address and --allow).  Only server.c
 * and server_http.c know the HTTP library (libh2o; their own header is
 * server.h), and tls.c OpenSSL's TLS: the others see a connection as a
 * void *. */
#ifndef WH_LISTEN_H
#define WH_LISTEN_H

#include <signal.h>
#include <stddef.h>

#include <jansson.h>

#include "cidr.h"
#include "jwks.h"
#include "msg.h"
#include "outq.h"
#include "snsverify.h"
#include "whsig.h"
#include "xmem.h"

extern const char usage[];

/* --oidc-audience: the bearer JWT a push carries (Google Pub/Sub's). */
struct oidc {
	char *aud;		/* the audience wanted */
	char **iss;		/* the issuers accepted */
	size_t niss;
	char *email;		/* --oidc-email, or NULL: not checked */
	struct jwks *jwks;	/* the keys: file or URL */
};

/* Address ranges: --allow, --trusted-proxy, a path's allow. */
struct cidr_set {
	struct cidr *c;
	size_t n;
};

#define SECRETS_MAX 8	/* secrets a path may have (rotation) */

/* Where a path's secrets are, in order: files and variables, each
 * holding one secret a line. */
struct secret_src {
	const char *name[SECRETS_MAX];
	int env[SECRETS_MAX];	/* 1: name is an environment variable */
	size_t n;
};

/* How one path is checked: a signature scheme and its secrets, or none. */
struct route {
	char *path;		/* NULL for the command line's default */
	int verify;		/* 0: none, 1: w[0..nw-1] are set */
	struct whsig w[SECRETS_MAX];	/* one a secret, same scheme */
	size_t nw;
	long tolerance;		/* replay window, seconds */
	int sns;		/* --sns: SNS messages checked by signature */
	int pubsub;		/* --pubsub: Pub/Sub pushes unwrapped */
	struct oidc *oidc;	/* NULL: no bearer token wanted */
	struct cidr_set allow;	/* allow: in -c; none: --allow's */
};

/* A loaded configuration; swapped whole on SIGHUP, freed when unused. */
struct config {
	int refs;
	struct route *routes;	/* from -c */
	size_t nroutes;
};

/* ---- the options (main.c) ---- */
extern const char *cfile;
extern char **paths;		/* --path, served with the default route */
extern size_t npaths;
extern int body_only;
extern int raw_body;		/* --raw-body: the bytes as received too */
extern size_t max_body;
extern char big_note[112];	/* the 413's reason: which option raises it */
extern char big_msg[128];	/* and its body text */
extern unsigned max_conn;
extern unsigned timeout_s;
extern int ok_status;
extern const char *ack_fifo;
extern double ack_timeout;
extern double write_timeout;	/* --write-timeout */
extern double drain_s;		/* --drain */
extern long nthreads;		/* --threads; 0: one a core */
extern const char *tls_cert, *tls_key;
extern char **sns_topics;	/* --sns-topic: the only topics accepted */
extern size_t nsns_topics;
extern struct route dflt;	/* command-line verification */
extern const char *replay_db;
extern char **keep_hdrs, **redact_hdrs;	/* lower case */
extern size_t nkeep_hdrs, nredact_hdrs;

/* ---- config.c: -c, SIGHUP, --sns's settings ---- */
extern struct sns_config sns_cfg;
int route_oidc(struct route *r, const char *aud, const char *jwks,
    const char *const *iss, size_t niss, const char *email, char *err,
    size_t errlen);
void oidc_free(struct oidc *o);
int route_set(struct route *r, const char *scheme,
    const struct secret_src *src, const char *hdr, const char *prefix,
    const char *enc, long tolerance, char *err, size_t errlen);
struct config *config_load(const char *path, char *err, size_t errlen);
struct config *config_new(void);
struct config *config_get(void);
void config_put(struct config *c);
void config_swap(struct config *c);
void config_reload(void);
const struct route *route_find(const struct config *c, const char *url);
void sns_setup(void);

/* ---- a request (server.c makes it, request.c runs it) ---- */
struct conn;
struct waiter;

struct req {
	void *conn;		/* the server's connection */
	struct conn *c;		/* its TCP connection's watch (server.c) */
	const char *url, *method;
	struct config *cf;
	const struct route *rt;
	const char *body;	/* the whole body, the server's (h2o's, till
				 * req_free): read, never copied */
	size_t blen;
	int answered;		/* a response is queued */
	int rc;			/* 1: carry on, 0: cut the connection */
	int too_big;		/* body over --max-body: being dropped */
	struct waiter *w;	/* --ack-fifo */
	struct outq_line *o;	/* the record, once made */
	char *rid;		/* the delivery id remembered as seen, until
				 * the record is written (forgotten if not) */
	int o_seen;		/* its fate has been acted on */
	char at[32];
	int status;		/* the answer's, for GET /metrics */
	long long t0_ns;	/* when its headers were in */
	char addr[CIDR_STR_MAX];	/* the client (behind proxies) */
	char peer[CIDR_STR_MAX];	/* the socket's peer */
	unsigned char a[16];	/* addr, when have_addr */
	int have_addr;
};

/* What the pipeline learns of a request on its way (request.c). */
struct event {
	char sid[640];		/* SNS: the signed MessageId; Pub/Sub:
				 * subscription/messageId */
	long long signed_at;	/* the signed timestamp, -1: none */
	const char *bt;		/* the body as compact JSON text: q->body's */
	size_t btl;		/* own bytes, or bj's */
	struct buf bj;
	json_t *body;		/* the body parsed, when a step needs it */
	int btype;		/* whbody_decode's: '{', other JSON, 0 bytes */
	json_t *ps;		/* --pubsub: the message's pubsub and body */
	const char *id;		/* the delivery id */
	char uid[37];		/* one made here */
	int secret;		/* the index of the secret verifying, or -1 */
	struct buf line;	/* the record */
};

/* Every way a request is refused: its status and answer (request.c). */
enum refusal {
	NO_FRAMING, NO_CODING, NO_PATH, NO_METHOD, NO_HEALTH_METHOD,
	NO_TOO_BIG, NO_TOKEN, NO_SIGNATURE, NO_OBJECT, NO_PUSH, NO_STORE,
	NO_CONFIRM, NO_ACK, NO_ADDR, NO_HEADER_BIG
};

/* ---- server.c: the HTTP server ---- */
extern volatile sig_atomic_t stopping;
typedef void srv_kv_fn(void *arg, const char *key, size_t klen,
    const char *val, size_t vlen);
void server_start(const char *addr, const char *port);
void server_drain(const sigset_t *sigs);
/* Answer q: status, text (NULL: none), and hdr, one more header line
 * "Name: value" (NULL: none). */
int srv_reply(struct req *q, int status, const char *text,
    const char *hdr);
int srv_health(struct req *q);
const char *srv_hdr(void *conn, const char *name);
/* Call fn for each header (query 0), or each query argument decoded
 * (1): a header's name and value stay the request's until it is done,
 * a query argument's only during the call. */
void srv_each(void *conn, int query, srv_kv_fn *fn, void *arg);
const char *srv_remote(void *conn, char *out, size_t n);
void srv_busy(struct req *q, int busy);
void srv_sleep(void *conn);
void srv_wake(void *conn);

/* ---- proxy.c: the client's address, --allow ---- */
extern struct cidr_set trusted, allow;
extern int proxy_header;
int range_add(struct cidr_set *set, const char *s, char *err,
    size_t errlen);
void proxy_client(struct req *q);
int proxy_allowed(const struct req *q);

/* ---- tls.c: the certificate, swapped on SIGHUP ---- */
void tls_load(void);
void *tls_ssl_ctx(void);
void tls_reload(void);

/* ---- sd.c: systemd's socket activation and readiness ---- */
int sd_listen_fd(void);
void sd_notify_state(const char *state);

/* ---- request.c: the pipeline ---- */
int refuse(struct req *q, enum refusal r, const char *why);
int refusal_of(enum refusal r, const char **text, const char **hdr);
void req_note(struct req *q, int status, const char *why);
int req_begin(struct req *q);
void req_body(struct req *q, const char *body, size_t len);
int req_end(struct req *q);
void req_free(struct req *q);

/* ---- record.c: the record ---- */
void stamp(char out[32]);
int uuid4(char out[37]);
void hdr_list_add(char ***list, size_t *n, const char *name);
const char *sender_id(struct req *q, json_t *body);
void record_line(struct req *q, struct event *e);

/* ---- metrics.c: GET /metrics (--metrics-addr: its own listener) ---- */
extern const char *metrics_addr;
void wm_start(void);
long long wm_now_ns(void);
void wm_bytes(size_t n);
void wm_replay(void);
void wm_refused(int r);
void wm_output(int outq_state);
void wm_done(const char *path, int status, long long t0_ns);
void wm_text(struct buf *b);
void server_metrics_start(const char *hostport);

/* ---- spool.c: records out, replay memory, --ack-fifo ---- */
enum { W_WAIT, W_ACKED, W_LATE };
void spool_open(void);
void spool_start(void);
void spool_close(void);
struct outq_line *spool_add(struct req *q, struct buf *line);
double replay_until(const struct route *rt, long long ts);
int replay_seen(const char *path, const char *id, double until, int keep);
void replay_unsee(const char *path, const char *id);
struct waiter *ack_add(void *conn, const char *id, double until);
void ack_free(struct waiter *w);
int ack_state(struct waiter *w);
int ack_hold(struct waiter *w);
void ack_remember(struct waiter *w, const char *path);
void ack_poll(int ms);
void ack_give_up(void);

#endif
