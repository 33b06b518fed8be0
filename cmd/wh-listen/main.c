/* wh-listen: receive webhooks over HTTP and write each accepted one as a record */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "bignum.h"
#include "conf.h"
#include "enc.h"
#include "httpframe.h"
#include "msg.h"
#include "opt.h"
#include "outq.h"
#include "replay.h"
#include "snsverify.h"
#include "sys.h"
#include "tmpl.h"
#include "whbody.h"
#include "whsig.h"
#include "xmem.h"

static const char usage[] =
    "usage: wh-listen [-a addr] [-p port] [-c file] [-t sec] [--path path]\n"
    "\t[--body-only] [--max-body bytes] [--max-conn n] [--status code]\n"
    "\t[--verify scheme] [--secret-file file | --secret-env name]\n"
    "\t[--tolerance sec] [--sig-header name] [--sig-prefix text]\n"
    "\t[--sig-encoding hex|base64] [--ack-fifo fifo] [--ack-timeout sec]\n"
    "\t[--tls-cert file --tls-key file] [--sns] [--sns-topic arn]\n"
    "\t[--keep-header name] [--redact-header name]\n"
    "\t[--write-timeout sec] [--drain sec] [--raw-body] [--replay-db file]";

/* ---- settings ---------------------------------------------------------- */

/* How one path is checked: a signature scheme and its secret, or none. */
struct route {
	char *path;		/* NULL for the command line's default */
	int verify;		/* 0: none, 1: w is set */
	struct whsig w;
	long tolerance;		/* replay window, seconds */
	int sns;		/* --sns: SNS messages checked by signature */
};

/* A loaded configuration; swapped whole on SIGHUP, freed when unused. */
struct config {
	int refs;
	struct route *routes;	/* from -c */
	size_t nroutes;
};

static const char *addr = "127.0.0.1";
static const char *port = "8080";
static const char *cfile;
static char **paths;		/* --path, served with the default route */
static size_t npaths;
static int body_only;
static int raw_body;		/* --raw-body: the bytes as received too */
static size_t max_body = 1024 * 1024;
static char big_note[112];	/* the 413's reason: which option raises it */
static char big_msg[128];	/* and its body text */
static unsigned max_conn = 512;
static unsigned timeout_s = 10;
static int ok_status = 200;
static const char *ack_fifo;
static double ack_timeout = 10;
static double write_timeout = 5;	/* --write-timeout */
static double drain_s = 10;		/* --drain */
static const char *tls_cert, *tls_key;
static char **sns_topics;	/* --sns-topic: the only topics accepted */
static size_t nsns_topics;
/* hosts: WH_LISTEN_SNS_HOSTS, for tests; ca_file: WH_LISTEN_SNS_CA or
 * CURL_CA_BUNDLE; topics: --sns-topic */
static struct sns_config sns_cfg;
static struct route dflt;	/* command-line verification */

static pthread_mutex_t cf_mu = PTHREAD_MUTEX_INITIALIZER;
static struct config *cf_cur;

/* ---- small helpers ----------------------------------------------------- */

/* Wall-clock seconds: signed timestamps are on this clock */
static double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RFC 3339 UTC time with milliseconds, e.g. 2024-05-01T12:00:00.123Z */
static void
stamp(char out[32])
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	/* the seconds part is the same for every request in a second */
	static _Thread_local time_t last = -1;
	static _Thread_local char secs[24];
	static _Thread_local size_t nsecs;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ts.tv_sec != last) {
		gmtime_r(&ts.tv_sec, &tm);
		nsecs = strftime(secs, sizeof(secs), "%Y-%m-%dT%H:%M:%S",
		    &tm);
		last = ts.tv_sec;
	}
	n = nsecs;
	memcpy(out, secs, n);
	snprintf(out + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

static void
uuid4(char out[37])
{
	/* RAND_bytes a few KiB at a time: it checks the pid (a system
	 * call) on every call */
	static _Thread_local unsigned char pool[4096];
	static _Thread_local size_t left;
	unsigned char r[16];
	char hex[33];
	int i, j;

	if (left < sizeof(r)) {
		if (RAND_bytes(pool, sizeof(pool)) != 1)
			msg_die(EX_SYSTEM, "cannot get random bytes for an "
			    "id");
		left = sizeof(pool);
	}
	left -= sizeof(r);
	memcpy(r, pool + left, sizeof(r));
	OPENSSL_cleanse(pool + left, sizeof(r));
	r[6] = (r[6] & 0x0f) | 0x40;
	r[8] = (r[8] & 0x3f) | 0x80;
	enc_hex(hex, r, sizeof(r));
	for (i = 0, j = 0; i < 32; i += 2) {
		if (i == 8 || i == 12 || i == 16 || i == 20)
			out[j++] = '-';
		out[j++] = hex[i];
		out[j++] = hex[i + 1];
	}
	out[j] = '\0';
}

/*
 * A JSON string from bytes that may not be UTF-8 (header values, paths):
 * bytes that do not form UTF-8 are taken as ISO 8859-1, as HTTP's
 * obs-text historically was.
 */
static json_t *
jstr(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	struct buf b = {0};
	json_t *v;
	size_t i = 0, k;

	if (enc_utf8_ok(p, n))
		return json_stringn(p, n);
	while (i < n) {
		if (s[i] >= 0x80 && (k = enc_utf8_seq(s + i, n - i)) == 0) {
			buf_addc(&b, 0xc0 | s[i] >> 6);
			buf_addc(&b, 0x80 | (s[i] & 0x3f));
			i++;
			continue;
		}
		k = s[i] < 0x80 ? 1 : enc_utf8_seq(s + i, n - i);
		buf_add(&b, s + i, k);
		i += k;
	}
	v = json_stringn(b.p, b.len);
	buf_free(&b);
	return v;
}

/* ---- routes and configuration ------------------------------------------ */

/*
 * Fill r's verification from a scheme name and a secret source; src_file
 * or src_env (one of them) names the secret.  Returns 0 or -1 with err.
 */
static int
route_set(struct route *r, const char *scheme, const char *src_file,
    const char *src_env, const char *hdr, const char *prefix,
    const char *enc, long tolerance, char *err, size_t errlen)
{
	char e[256];
	const char *sec;
	char *file = NULL;
	size_t len;
	int s;

	r->tolerance = tolerance;
	if (scheme == NULL) {
		if (src_file || src_env || hdr || prefix || enc) {
			snprintf(err, errlen, "a secret or signature header "
			    "is given without a verify scheme");
			return -1;
		}
		return 0;
	}
	if ((s = whsig_scheme(scheme)) < 0) {
		snprintf(err, errlen, "unknown verify scheme %s", scheme);
		return -1;
	}
	whsig_init(&r->w, s);
	r->w.tolerance = tolerance;
	if (s == WHSIG_HMAC_SHA256) {
		if (hdr == NULL) {
			snprintf(err, errlen, "hmac-sha256 needs a sig-header");
			return -1;
		}
		if (whsig_set_header(&r->w, hdr, prefix, enc, e,
		    sizeof(e)) < 0) {
			snprintf(err, errlen, "%s", e);
			return -1;
		}
	} else if (hdr || prefix || enc) {
		snprintf(err, errlen, "sig-header, sig-prefix and "
		    "sig-encoding only go with hmac-sha256");
		return -1;
	}
	if ((src_file == NULL) == (src_env == NULL)) {
		snprintf(err, errlen, "verify %s needs exactly one of "
		    "secret-file and secret-env", scheme);
		return -1;
	}
	if (src_file) {
		if ((file = sys_slurp(src_file, 0, &len, e, sizeof(e))) ==
		    NULL) {
			snprintf(err, errlen, "secret file: %s", e);
			return -1;
		}
		sec = file;
	} else {
		if ((sec = getenv(src_env)) == NULL) {
			snprintf(err, errlen, "environment variable %s is "
			    "not set", src_env);
			return -1;
		}
		len = strlen(sec);
	}
	if (whsig_load_secret(&r->w, sec, len, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "secret from %s %s: %s",
		    src_file ? "file" : "environment variable",
		    src_file ? src_file : src_env, e);
		if (file) {
			OPENSSL_cleanse(file, len);
			free(file);
		}
		return -1;
	}
	if (file) {
		OPENSSL_cleanse(file, len);
		free(file);
	}
	r->verify = 1;
	return 0;
}

static void
config_free(struct config *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->nroutes; i++) {
		whsig_clear(&c->routes[i].w);
		free(c->routes[i].path);
	}
	free(c->routes);
	free(c);
}

static const char *
conf_str(json_t *o, const char *key, int *bad)
{
	json_t *v = json_object_get(o, key);

	if (v == NULL)
		return NULL;
	if (!json_is_string(v)) {
		*bad = 1;
		return NULL;
	}
	return json_string_value(v);
}

/*
 * Load the -c file:
 *   paths:
 *     /github: {verify: github, secret-env: GITHUB_SECRET}
 * Returns the config or NULL with "file:line: problem" in err.
 */
static struct config *
config_load(const char *path, char *err, size_t errlen)
{
	static const char *keys[] = { "verify", "secret-file", "secret-env",
	    "tolerance", "sig-header", "sig-prefix", "sig-encoding", "sns",
	    NULL };
	struct config *c;
	json_t *root, *ps, *v;
	const char *p, *k;
	char e[512];
	size_t i;
	int bad;

	if (conf_load(path, &root, e, sizeof(e)) < 0) {
		snprintf(err, errlen, "%s", e);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	c->refs = 1;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s:%d: not a mapping", path,
		    conf_line(root));
		goto fail;
	}
	json_object_foreach(root, k, v) {
		if (strcmp(k, "paths") != 0) {
			snprintf(err, errlen, "%s:%d: unknown key %s", path,
			    conf_line(v), k);
			goto fail;
		}
	}
	ps = json_object_get(root, "paths");
	if (!json_is_object(ps)) {
		snprintf(err, errlen, "%s:%d: paths must be a mapping of "
		    "paths to settings", path, ps ? conf_line(ps) : 1);
		goto fail;
	}
	c->routes = xcalloc(json_object_size(ps) + 1, sizeof(*c->routes));
	json_object_foreach(ps, p, v) {
		struct route *r = &c->routes[c->nroutes];
		json_t *t, *kv;
		const char *kk;
		long tol = WHSIG_TOLERANCE;
		int line = conf_line(v) ? conf_line(v) : conf_line(ps);

		if (p[0] != '/') {
			snprintf(err, errlen, "%s:%d: path %s does not start "
			    "with /", path, line, p);
			goto fail;
		}
		if (json_is_null(v))
			v = NULL;
		else if (!json_is_object(v)) {
			snprintf(err, errlen, "%s:%d: settings of %s must be "
			    "a mapping", path, line, p);
			goto fail;
		}
		json_object_foreach(v, kk, kv) {
			for (i = 0; keys[i] && strcmp(keys[i], kk); i++)
				;
			if (keys[i] == NULL) {
				snprintf(err, errlen, "%s:%d: unknown setting "
				    "%s", path, conf_line(kv) ? conf_line(kv)
				    : line, kk);
				goto fail;
			}
		}
		if ((t = json_object_get(v, "tolerance")) != NULL) {
			if (!json_is_integer(t) || json_integer_value(t) < 1 ||
			    json_integer_value(t) > 2000000000L) {
				snprintf(err, errlen, "%s:%d: tolerance must "
				    "be whole seconds", path, line);
				goto fail;
			}
			tol = (long)json_integer_value(t);
		}
		if ((t = json_object_get(v, "sns")) != NULL &&
		    !json_is_boolean(t)) {
			snprintf(err, errlen, "%s:%d: sns must be true or "
			    "false", path, line);
			goto fail;
		}
		bad = 0;
		{
			const char *sch = conf_str(v, "verify", &bad);
			const char *sf = conf_str(v, "secret-file", &bad);
			const char *se = conf_str(v, "secret-env", &bad);
			const char *sh = conf_str(v, "sig-header", &bad);
			const char *sp = conf_str(v, "sig-prefix", &bad);
			const char *sn = conf_str(v, "sig-encoding", &bad);

			if (bad) {
				snprintf(err, errlen, "%s:%d: settings of %s "
				    "must be strings", path, line, p);
				goto fail;
			}
			r->path = xstrdup(p);
			c->nroutes++;
			if (route_set(r, sch, sf, se, sh, sp, sn, tol, e,
			    sizeof(e)) < 0) {
				snprintf(err, errlen, "%s:%d: %s: %s", path,
				    line, p, e);
				goto fail;
			}
			r->sns = json_is_true(json_object_get(v, "sns"));
		}
	}
	json_decref(root);
	return c;
fail:
	json_decref(root);
	config_free(c);
	return NULL;
}

static struct config *
config_get(void)
{
	struct config *c;

	pthread_mutex_lock(&cf_mu);
	c = cf_cur;
	c->refs++;
	pthread_mutex_unlock(&cf_mu);
	return c;
}

static void
config_put(struct config *c)
{
	int last;

	pthread_mutex_lock(&cf_mu);
	last = --c->refs == 0;
	pthread_mutex_unlock(&cf_mu);
	if (last)
		config_free(c);
}

/* Replace the current config; requests in flight keep the old one. */
static void
config_swap(struct config *c)
{
	struct config *old;

	pthread_mutex_lock(&cf_mu);
	old = cf_cur;
	cf_cur = c;
	pthread_mutex_unlock(&cf_mu);
	if (old)
		config_put(old);
}

/* The route serving url, or NULL when the path is not served (404). */
static const struct route *
route_find(const struct config *c, const char *url)
{
	size_t i;

	for (i = 0; i < c->nroutes; i++)
		if (strcmp(c->routes[i].path, url) == 0)
			return &c->routes[i];
	for (i = 0; i < npaths; i++)
		if (strcmp(paths[i], url) == 0)
			return &dflt;
	if (npaths == 0 && cfile == NULL)
		return &dflt;
	return NULL;
}

/* ---- output ------------------------------------------------------------ */

/*
 * Lines go out through lib/outq: written at once when the way is free,
 * else queued, and never written once --write-timeout has passed for
 * one not begun.  A request waits for its line suspended, so a reader
 * that stops reading holds no server thread: /healthz and the other
 * requests are still answered.
 */
static void
out_sleep(void *arg)
{
	MHD_suspend_connection(arg);
}

static void
out_wake(void *arg)
{
	MHD_resume_connection(arg);
}

static const struct outq_ops out_ops = { out_sleep, out_wake };

/*
 * With a thread per connection (WH_LISTEN_MODE=threads) a request blocks
 * its own thread instead: libmicrohttpd 0.9.75 loses resumes there (every
 * suspended thread waits on the one wake-up descriptor and whichever
 * clears it leaves the others asleep; seen as requests never answered).
 */
static int per_conn;

/* ---- replay memory ----------------------------------------------------- */

/*
 * Delivery ids already written, each remembered for as long as its
 * signature could still verify (lib/replay; --replay-db keeps them in a
 * file across restarts).
 */
static struct replay *replay;
static const char *replay_db;

/*
 * Until when a replay of a delivery signed at ts (-1: none) could pass:
 * the check takes whole seconds, so ts + tolerance passes for all of
 * that second.
 */
static double
replay_until(const struct route *rt, long long ts)
{
	if (ts < 0)
		return now_wall() + (double)rt->tolerance;
	return (double)ts + (double)rt->tolerance + 1;
}

/*
 * 1 if path+id is a replay, 0 if new, -1 on error.  A new id is
 * remembered at once, or with --ack-fifo only once acknowledged (keep
 * 0 then): one whose record was lost must be written again.
 */
static int
replay_seen(const char *path, const char *id, double until, int keep)
{
	char err[256];
	int rc;

	rc = keep ? replay_check(replay, path, id, until, now_wall(), err,
	    sizeof(err)) : replay_peek(replay, path, id, now_wall(), err,
	    sizeof(err));
	if (rc < 0)
		msg_warn("cannot check for a replay: %s", err);
	return rc;
}

/* ---- connections and requests ------------------------------------------ */

/* One TCP connection, watched so slow clients are cut off (slowloris). */
struct conn {
	int fd;
	int busy;		/* request being answered: no deadline */
	int cut;
	double deadline;
	struct conn *prev, *next;
};

static pthread_mutex_t conn_mu = PTHREAD_MUTEX_INITIALIZER;
static struct conn conns = { -1, 0, 0, 0, &conns, &conns };

struct waiter;

struct req {
	struct conn *c;
	struct config *cf;
	const struct route *rt;
	struct buf body;
	int answered;		/* a response is queued */
	int too_big;		/* body over --max-body: being dropped */
	struct waiter *w;	/* --ack-fifo */
	struct outq_line *o;	/* the record, once made */
	int o_seen;		/* its fate has been acted on */
	char at[32];
};

static pthread_mutex_t live_mu = PTHREAD_MUTEX_INITIALIZER;
static long inflight;
static volatile sig_atomic_t stopping;

static struct MHD_Response *r_ok, *r_health;

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

/* Cut connections that did not send a whole request within --timeout. */
static void
conn_sweep(void)
{
	struct conn *c;
	double now = sys_now_ms() / 1e3;

	pthread_mutex_lock(&conn_mu);
	for (c = conns.next; c != &conns; c = c->next)
		if (!c->busy && !c->cut && c->fd >= 0 && now > c->deadline) {
			shutdown(c->fd, SHUT_RDWR);
			c->cut = 1;
		}
	pthread_mutex_unlock(&conn_mu);
}

static void
conn_busy(struct conn *c, int busy)
{
	if (c == NULL)
		return;
	pthread_mutex_lock(&conn_mu);
	c->busy = busy;
	if (!busy)
		c->deadline = sys_now_ms() / 1e3 + timeout_s;
	pthread_mutex_unlock(&conn_mu);
}

static enum MHD_Result
reply(struct req *q, struct MHD_Connection *mc, int status, const char *text,
    const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	if (q)
		q->answered = 1;
	if (status == ok_status && text == NULL && !stopping)
		return MHD_queue_response(mc, status, r_ok);
	r = MHD_create_response_from_buffer(text ? strlen(text) : 0,
	    (void *)(text ? text : ""), MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (text)
		MHD_add_response_header(r, "Content-Type",
		    "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(r, "Allow", allow);
	if (stopping)
		MHD_add_response_header(r, "Connection", "close");
	rc = MHD_queue_response(mc, status, r);
	MHD_destroy_response(r);
	return rc;
}

static const char *
remote_of(struct MHD_Connection *mc, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci;
	const struct sockaddr *sa;
	socklen_t len;

	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, n, "unknown");
	if (ci == NULL || (sa = ci->client_addr) == NULL)
		return out;
	len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	getnameinfo(sa, len, out, n, NULL, 0, NI_NUMERICHOST);
	return out;
}

/* One line on stderr per refused request, saying why (never secrets). */
static void
note(struct MHD_Connection *mc, const char *method, const char *url,
    int status, const char *why)
{
	char ip[INET6_ADDRSTRLEN + 8];
	struct buf b = {0};
	size_t i;

	/* the path comes from the client: keep control bytes off the tty */
	for (i = 0; url[i] && i < 200; i++)
		buf_addc(&b, (unsigned char)url[i] < 0x20 ||
		    url[i] == 0x7f ? '?' : url[i]);
	if (b.p == NULL)
		buf_adds(&b, "");
	msg_err("%s %s from %s: %d %s", method, b.p,
	    remote_of(mc, ip, sizeof(ip)), status, why);
	buf_free(&b);
}

/* The request's header fields, for httpframe. */
struct fields {
	struct httpframe_field *f;
	size_t n, cap;
};

static enum MHD_Result
add_field(void *cls, enum MHD_ValueKind kind, const char *key, size_t klen,
    const char *val, size_t vlen)
{
	struct fields *fs = cls;

	(void)kind;
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? 2 * fs->cap : 32;
		fs->f = xrealloc(fs->f, fs->cap * sizeof(*fs->f));
	}
	fs->f[fs->n++] = (struct httpframe_field){ key, val ? val : "",
	    klen, val ? vlen : 0 };
	return MHD_YES;
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

	MHD_get_connection_values_n(mc, MHD_HEADER_KIND, add_field, &fs);
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

/* ---- the record -------------------------------------------------------- */

/*
 * Request headers that carry credentials, left out of records (and so of
 * every file and log the records reach); --keep-header keeps one and
 * --redact-header adds one.  Signatures (MACs) stay: they prove nothing
 * without the secret and later stages may check them again.
 */
static const char *const secret_headers[] = {
	"authorization", "proxy-authorization", "cookie", "set-cookie",
	"x-api-key", "api-key", "x-auth-token", "x-access-token",
	"x-amz-security-token", "x-gitlab-token",
	"x-telegram-bot-api-secret-token", NULL
};
static char **keep_hdrs, **redact_hdrs;	/* lower case */
static size_t nkeep_hdrs, nredact_hdrs;

/* 1 if the lower-case header name is kept out of records. */
static int
hdr_secret(const char *name)
{
	size_t i;

	for (i = 0; i < nkeep_hdrs; i++)
		if (strcmp(keep_hdrs[i], name) == 0)
			return 0;
	for (i = 0; i < nredact_hdrs; i++)
		if (strcmp(redact_hdrs[i], name) == 0)
			return 1;
	for (i = 0; secret_headers[i]; i++)
		if (strcmp(secret_headers[i], name) == 0)
			return 1;
	return 0;
}

/* A header name option's value, lower case, appended to *list. */
static void
hdr_list_add(char ***list, size_t *n, const char *name)
{
	char *s = xstrdup(name);
	size_t i;

	for (i = 0; s[i]; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			s[i] += 32;
	*list = xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = s;
}

/* The record's headers, and the names of those left out. */
struct hdrs {
	json_t *h;
	json_t *gone;		/* array, NULL until one is left out */
};

static enum MHD_Result
add_header(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t klen, const char *val, size_t vlen)
{
	struct hdrs *hs = cls;
	json_t *h = hs->h, *old;
	char name[256];
	size_t i;

	(void)kind;
	if (klen >= sizeof(name))
		klen = sizeof(name) - 1;
	for (i = 0; i < klen; i++)
		name[i] = key[i] >= 'A' && key[i] <= 'Z' ? key[i] + 32 :
		    key[i];
	name[klen] = '\0';
	if (hdr_secret(name)) {
		if (hs->gone == NULL)
			hs->gone = json_array();
		for (i = 0; i < json_array_size(hs->gone); i++)
			if (strcmp(json_string_value(json_array_get(hs->gone,
			    i)), name) == 0)
				return MHD_YES;
		json_array_append_new(hs->gone, json_string(name));
		return MHD_YES;
	}
	if (val == NULL)
		val = "", vlen = 0;
	if ((old = json_object_get(h, name)) != NULL) {
		/* repeated header: one value, comma-joined (RFC 9110 5.3) */
		struct buf b = {0};

		buf_adds(&b, json_string_value(old));
		buf_adds(&b, ", ");
		buf_add(&b, val, vlen);
		json_object_set_new(h, name, jstr(b.p, b.len));
		buf_free(&b);
	} else
		json_object_set_new(h, name, jstr(val, vlen));
	return MHD_YES;
}

static enum MHD_Result
add_query(void *cls, enum MHD_ValueKind kind, const char *key,
    size_t klen, const char *val, size_t vlen)
{
	json_t *ks;

	(void)kind;
	ks = jstr(key, klen);
	whbody_add_arg(cls, json_string_value(ks), val ? jstr(val, vlen) :
	    json_string(""));
	json_decref(ks);
	return MHD_YES;
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

static const char *const id_headers[] = {
	"webhook-id", "svix-id", "x-github-delivery", "x-gitea-delivery",
	"x-gitlab-event-uuid", "x-amz-sns-message-id",
	"x-shopify-webhook-id", NULL
};

/* The sender's delivery id, or NULL. */
static const char *
sender_id(struct MHD_Connection *mc, const struct route *rt, json_t *body)
{
	const char *v;
	json_t *j = NULL;
	int i;

	for (i = 0; id_headers[i]; i++)
		if ((v = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
		    id_headers[i])) != NULL && *v)
			return v;
	/* Stripe and Slack put the event id in the body */
	if (rt->verify && rt->w.scheme == WHSIG_STRIPE)
		j = json_object_get(body, "id");
	else if (rt->verify && rt->w.scheme == WHSIG_SLACK)
		j = json_object_get(body, "event_id");
	if (json_is_string(j) && *json_string_value(j))
		return json_string_value(j);
	return NULL;
}


/* ---- --ack-fifo -------------------------------------------------------- */

/* A response held until its id comes back on the FIFO. */
struct waiter {
	char *id;
	double until;		/* remembered as a replay until then */
	struct MHD_Connection *mc;
	int state;		/* W_WAIT, W_ACKED, W_LATE */
	int suspended;
	double deadline;
	struct waiter *prev, *next;
};

enum { W_WAIT, W_ACKED, W_LATE };

static pthread_mutex_t ack_mu = PTHREAD_MUTEX_INITIALIZER;
static struct waiter waiters = { NULL, 0, NULL, 0, 0, 0, &waiters, &waiters };

static struct waiter *
ack_add(struct MHD_Connection *mc, const char *id, double until)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->id = xstrdup(id);
	w->until = until;
	w->mc = mc;
	w->deadline = sys_now_ms() / 1e3 + ack_timeout;
	pthread_mutex_lock(&ack_mu);
	w->next = waiters.next;
	w->prev = &waiters;
	waiters.next->prev = w;
	waiters.next = w;
	pthread_mutex_unlock(&ack_mu);
	return w;
}

static void
ack_free(struct waiter *w)
{
	pthread_mutex_lock(&ack_mu);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	pthread_mutex_unlock(&ack_mu);
	free(w->id);
	free(w);
}

/* Settle waiter w (ack_mu held), waking its connection if it sleeps. */
static void
ack_settle(struct waiter *w, int state)
{
	if (w->state != W_WAIT)
		return;
	w->state = state;
	if (w->suspended) {
		w->suspended = 0;
		MHD_resume_connection(w->mc);
	}
}

static void
ack_line(const char *line, size_t len)
{
	json_error_t je;
	json_t *o, *id;
	struct waiter *w;

	if ((o = bignum_loadb(line, len, 0, &je)) == NULL)
		return;
	id = json_object_get(o, "id");
	if (json_is_string(id)) {
		pthread_mutex_lock(&ack_mu);
		for (w = waiters.next; w != &waiters; w = w->next)
			if (strcmp(w->id, json_string_value(id)) == 0)
				ack_settle(w, W_ACKED);
		pthread_mutex_unlock(&ack_mu);
	}
	json_decref(o);
}

/* The FIFO reader: also times out waiters and cuts slow connections. */
static void *
watch_main(void *arg)
{
	struct buf in = {0};
	struct pollfd pfd;
	char tmp[65536];
	struct waiter *w;
	double now;
	ssize_t n;
	size_t i, start;
	int fd = -1;

	(void)arg;
	if (ack_fifo) {
		/* O_RDWR: the FIFO never reports end of file between writers */
		fd = open(ack_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			msg_die(EX_SYSTEM, "cannot open %s: %s", ack_fifo,
			    strerror(errno));
	}
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (fd >= 0)
			poll(&pfd, 1, 100);
		else
			usleep(100000);
		if (fd >= 0 && (pfd.revents & POLLIN)) {
			while ((n = read(fd, tmp, sizeof(tmp))) > 0)
				buf_add(&in, tmp, n);
			for (start = 0, i = 0; i < in.len; i++)
				if (in.p[i] == '\n') {
					ack_line(in.p + start, i - start);
					start = i + 1;
				}
			if (start > 0) {
				memmove(in.p, in.p + start, in.len - start);
				in.len -= start;
			}
		}
		now = sys_now_ms() / 1e3;
		if (ack_fifo) {
			pthread_mutex_lock(&ack_mu);
			for (w = waiters.next; w != &waiters; w = w->next)
				if (now > w->deadline)
					ack_settle(w, W_LATE);
			pthread_mutex_unlock(&ack_mu);
		}
		conn_sweep();
	}
	return NULL;
}

/* ---- --sns: Amazon SNS HTTP(S) subscriptions (lib/snsverify) ---------- */

/* sns_cfg from the environment and --sns-topic */
static void
sns_setup(void)
{
	if ((sns_cfg.ca_file = getenv("WH_LISTEN_SNS_CA")) == NULL ||
	    *sns_cfg.ca_file == '\0')
		sns_cfg.ca_file = getenv("CURL_CA_BUNDLE");
	if (sns_cfg.ca_file != NULL && *sns_cfg.ca_file == '\0')
		sns_cfg.ca_file = NULL;
	if ((sns_cfg.hosts = getenv("WH_LISTEN_SNS_HOSTS")) != NULL &&
	    *sns_cfg.hosts == '\0')
		sns_cfg.hosts = NULL;
	if (sns_cfg.hosts != NULL)
		msg_warn("WH_LISTEN_SNS_HOSTS is set: SNS certificates and "
		    "confirmations are fetched from %s only, a test setting",
		    sns_cfg.hosts);
	sns_cfg.topics = (const char *const *)sns_topics;
	sns_cfg.ntopics = nsns_topics;
	sns_cfg.cache = sns_cache_new();
}

/*
 * A verified SubscriptionConfirmation is confirmed by fetching its
 * SubscribeURL; an UnsubscribeConfirmation is only logged (fetching its
 * URL would subscribe again).  Neither is written.
 */
static enum MHD_Result
sns_confirm(struct req *q, struct MHD_Connection *mc, const char *url,
    const char *method, const struct sns_msg *m)
{
	const char *type = m->type;
	const char *topic = m->topic;
	char e[CURL_ERROR_SIZE + 64], why[CURL_ERROR_SIZE + 600];
	struct buf b = {0};
	int rc;

	if (strcmp(type, "UnsubscribeConfirmation") == 0) {
		snprintf(why, sizeof(why), "SNS unsubscribed from %.300s, "
		    "not subscribing again", topic);
		note(mc, method, url, MHD_HTTP_OK, why);
		return reply(q, mc, MHD_HTTP_OK, NULL, NULL);
	}
	rc = sns_get(sns_cfg.ca_file, m->subscribe_url, &b, e, sizeof(e));
	buf_free(&b);
	if (rc < 0) {
		snprintf(why, sizeof(why), "cannot confirm the SNS "
		    "subscription to %.300s: %s", topic, e);
		note(mc, method, url, 502, why);
		return reply(q, mc, MHD_HTTP_BAD_GATEWAY,
		    "cannot confirm the subscription\n", NULL);
	}
	snprintf(why, sizeof(why), "confirmed the SNS subscription to %.300s",
	    topic);
	note(mc, method, url, MHD_HTTP_OK, why);
	return reply(q, mc, MHD_HTTP_OK, NULL, NULL);
}

/* ---- the handler ------------------------------------------------------- */

static const char *
get_hdr(void *arg, const char *name)
{
	return MHD_lookup_connection_value(arg, MHD_HEADER_KIND, name);
}

static enum MHD_Result written(struct req *, struct MHD_Connection *,
    const char *, const char *);
static enum MHD_Result answer_ack(struct req *, struct MHD_Connection *,
    const char *, const char *);

/* The full request is in: check it, write its record, answer. */
static enum MHD_Result
finish(struct req *q, struct MHD_Connection *mc, const char *url,
    const char *method)
{
	const struct route *rt = q->rt;
	char why[512], ip[INET6_ADDRSTRLEN + 8], uid[37], sid[128] = "";
	const char *id, *stype;
	json_t *rec, *body = NULL, *qo;
	struct hdrs hs;
	struct buf line = {0}, bj = {0};
	int fresh = 0, rc, btype;
	long long signed_at = -1;
	enum MHD_Result mr;

	conn_busy(q->c, 1);
	if (q->body.p == NULL)
		buf_adds(&q->body, "");
	stype = rt->sns ? get_hdr(mc, "x-amz-sns-message-type") : NULL;
	if (stype != NULL) {
		/* SNS signs with RSA, not with --verify's scheme */
		struct sns_msg m;
		const char *hid;

		if (sns_verify(&sns_cfg, q->body.p, q->body.len, stype,
		    time(NULL), &m, why, sizeof(why)) != SNS_OK) {
			note(mc, method, url, 401, why);
			return reply(q, mc, MHD_HTTP_UNAUTHORIZED,
			    "signature verification failed\n", NULL);
		}
		if (strcmp(stype, "Notification") != 0) {
			mr = sns_confirm(q, mc, url, method, &m);
			sns_msg_free(&m);
			return mr;
		}
		/* the id must be the signed one, or replays pass as new */
		hid = get_hdr(mc, "x-amz-sns-message-id");
		if (*m.message_id == '\0' || strlen(m.message_id) >= sizeof(sid) ||
		    (hid != NULL && strcmp(hid, m.message_id) != 0)) {
			sns_msg_free(&m);
			note(mc, method, url, 401, "x-amz-sns-message-id "
			    "does not match the signed MessageId");
			return reply(q, mc, MHD_HTTP_UNAUTHORIZED,
			    "signature verification failed\n", NULL);
		}
		snprintf(sid, sizeof(sid), "%s", m.message_id);
		sns_msg_free(&m);
	} else if (rt->sns && !rt->verify) {
		note(mc, method, url, 401, "not an SNS message (no "
		    "x-amz-sns-message-type) and no --verify scheme");
		return reply(q, mc, MHD_HTTP_UNAUTHORIZED,
		    "signature verification failed\n", NULL);
	} else if (rt->verify && whsig_verify_ts(&rt->w, get_hdr, mc,
	    q->body.p, q->body.len, time(NULL), &signed_at, why,
	    sizeof(why)) < 0) {
		note(mc, method, url, 401, why);
		return reply(q, mc, MHD_HTTP_UNAUTHORIZED,
		    "signature verification failed\n", NULL);
	}
	/* the body as compact JSON text in bj, parsed only when needed */
	btype = whbody_decode(q->body.p, q->body.len, get_hdr(mc,
	    "content-type"), &bj, &body);
	if (btype == '{' && body == NULL && ((rt->verify &&
	    (rt->w.scheme == WHSIG_STRIPE || rt->w.scheme == WHSIG_SLACK)) ||
	    ((!rt->verify || rt->w.scheme == WHSIG_SLACK) &&
	    memmem(bj.p, bj.len, "url_verification", 16) != NULL))) {
		json_error_t je;

		body = json_loadb(bj.p, bj.len, JSON_ALLOW_NUL |
		    JSON_DECODE_INT_AS_REAL, &je);
	}
	if (json_is_object(body) && (!rt->verify ||
	    rt->w.scheme == WHSIG_SLACK)) {
		json_t *t = json_object_get(body, "type");
		json_t *ch = json_object_get(body, "challenge");

		if (json_is_string(t) && json_is_string(ch) &&
		    strcmp(json_string_value(t), "url_verification") == 0) {
			/* Slack's handshake: echo the challenge, no record */
			mr = reply(q, mc, MHD_HTTP_OK, json_string_value(ch),
			    NULL);
			json_decref(body);
			buf_free(&bj);
			return mr;
		}
	}
	if (body_only && btype != '{') {
		json_decref(body);
		buf_free(&bj);
		note(mc, method, url, 400, "body is not a JSON object");
		return reply(q, mc, MHD_HTTP_BAD_REQUEST,
		    "body is not a JSON object\n", NULL);
	}
	if (sid[0] != '\0')
		id = sid;
	else if ((id = sender_id(mc, rt, body)) == NULL) {
		uuid4(uid);
		id = uid;
		fresh = 1;
	}
	/* a replay: answered as before, written once (with --ack-fifo, once
	 * acknowledged) */
	if (!fresh && (rc = replay_seen(url, id, replay_until(rt, signed_at),
	    !ack_fifo)) != 0) {
		json_decref(body);
		buf_free(&bj);
		if (rc < 0)
			return reply(q, mc, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "cannot store the event\n", NULL);
		return reply(q, mc, ok_status, NULL, NULL);
	}
	if (body_only)
		buf_add(&line, bj.p, bj.len);
	else {
		rec = json_object();
		json_object_set_new(rec, "id", jstr(id, strlen(id)));
		json_object_set_new(rec, "received_at", json_string(q->at));
		json_object_set_new(rec, "method", json_string(method));
		json_object_set_new(rec, "path", jstr(url, strlen(url)));
		qo = json_object();
		MHD_get_connection_values_n(mc, MHD_GET_ARGUMENT_KIND,
		    add_query, qo);
		json_object_set_new(rec, "query", qo);
		hs.h = json_object();
		hs.gone = NULL;
		MHD_get_connection_values_n(mc, MHD_HEADER_KIND, add_header,
		    &hs);
		json_object_set_new(rec, "headers", hs.h);
		if (hs.gone)
			json_object_set_new(rec, "headers_redacted", hs.gone);
		json_object_set_new(rec, "remote_addr",
		    json_string(remote_of(mc, ip, sizeof(ip))));
		if (raw_body && btype != 0 &&
		    enc_utf8_ok(q->body.p, q->body.len))
			/* --raw-body: the bytes as signed, for checking again */
			json_object_set_new(rec, "raw_body",
			    json_stringn(q->body.p, q->body.len));
		else if (btype == 0 || raw_body) {
			/* not UTF-8: the bytes, base64 */
			struct buf b64 = {0};

			enc_base64(&b64, q->body.p, q->body.len, ENC_B64);
			json_object_set_new(rec, "body_base64",
			    json_stringn(b64.p ? b64.p : "", b64.len));
			buf_free(&b64);
		}
		json_dump_callback(rec, dump_cb, &line, JSON_COMPACT);
		json_decref(rec);
		if (btype != 0) {
			/* splice the body text in as the last member */
			line.len--;	/* the closing brace */
			buf_adds(&line, ",\"body\":");
			buf_add(&line, bj.p, bj.len);
			buf_addc(&line, '}');
		}
	}
	buf_addc(&line, '\n');
	/* before body goes: a Stripe or Slack id points into it */
	if (ack_fifo)
		q->w = ack_add(mc, id, replay_until(rt, signed_at));
	json_decref(body);
	buf_free(&bj);
	q->o = outq_add(line.p, line.len, write_timeout, per_conn ? NULL :
	    &out_ops, mc);
	if (q->o == NULL)
		msg_die(EX_SYSTEM, "cannot allocate memory");
	if (outq_state(q->o) == OUTQ_QUEUED) {
		if (!per_conn)
			return MHD_YES;	/* suspended until its fate is known */
		(void)outq_wait(q->o);	/* this connection's own thread */
	}
	return written(q, mc, url, method);
}

/* The record was written, or could not be: answer, or wait for the ack. */
static enum MHD_Result
written(struct req *q, struct MHD_Connection *mc, const char *url,
    const char *method)
{
	int st = outq_state(q->o);

	if (st == OUTQ_QUEUED)
		return MHD_YES;
	q->o_seen = 1;
	if (st != OUTQ_WRITTEN) {
		note(mc, method, url, 503, st == OUTQ_FAILED ?
		    "stdout is closed" : stopping ? "output stalled, "
		    "stopping: not written" : "output stalled: not written "
		    "within --write-timeout");
		if (q->w) {
			ack_free(q->w);
			q->w = NULL;
		}
		return reply(q, mc, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "cannot store the event\n", NULL);
	}
	if (q->w == NULL)
		return reply(q, mc, ok_status, NULL, NULL);
	pthread_mutex_lock(&ack_mu);
	if (q->w->state == W_WAIT) {
		MHD_suspend_connection(mc);
		q->w->suspended = 1;
		pthread_mutex_unlock(&ack_mu);
		return MHD_YES;
	}
	pthread_mutex_unlock(&ack_mu);
	return answer_ack(q, mc, url, method);	/* settled already */
}

/* After --ack-fifo's wait: 2xx if the id came back, else 504. */
static enum MHD_Result
answer_ack(struct req *q, struct MHD_Connection *mc, const char *url,
    const char *method)
{
	int state;

	pthread_mutex_lock(&ack_mu);
	state = q->w->state;
	pthread_mutex_unlock(&ack_mu);
	if (state == W_WAIT)
		return MHD_YES;
	if (state == W_ACKED) {
		(void)replay_seen(url, q->w->id, q->w->until, 1);
		return reply(q, mc, ok_status, NULL, NULL);
	}
	note(mc, method, url, 504, "no acknowledgement in time");
	return reply(q, mc, MHD_HTTP_GATEWAY_TIMEOUT,
	    "event written but not acknowledged in time\n", NULL);
}

/* /healthz: 200 ok, or 503 saying why records cannot be written now. */
static enum MHD_Result
health(struct req *q, struct MHD_Connection *mc)
{
	char text[128];
	double stalled = outq_stalled();
	int e = outq_dead();

	if (e == 0 && stalled < 1) {
		q->answered = 1;
		return MHD_queue_response(mc, MHD_HTTP_OK, r_health);
	}
	if (e != 0)
		snprintf(text, sizeof(text), "output failed: %s\n",
		    strerror(e));
	else
		snprintf(text, sizeof(text), "output stalled: nothing "
		    "written for %.0f s\n", stalled);
	return reply(q, mc, MHD_HTTP_SERVICE_UNAVAILABLE, text, NULL);
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

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *mc, const char *url,
    const char *method, const char *version, const char *data,
    size_t *datalen, void **ctx)
{
	const union MHD_ConnectionInfo *ci;
	struct req *q = *ctx;
	const char *cl;
	unsigned long long n;
	char *end, why[160];
	int st;

	(void)cls;
	if (q == NULL) {
		q = xcalloc(1, sizeof(*q));
		*ctx = q;
		pthread_mutex_lock(&live_mu);
		inflight++;
		pthread_mutex_unlock(&live_mu);
		stamp(q->at);
		ci = MHD_get_connection_info(mc,
		    MHD_CONNECTION_INFO_SOCKET_CONTEXT);
		q->c = ci ? ci->socket_context : NULL;
		/* answered before the body: libmicrohttpd then closes */
		if ((st = framing(mc, method, version, why, sizeof(why))) != 0) {
			note(mc, method, url, st, why);
			return reply(q, mc, st, st == MHD_HTTP_NOT_IMPLEMENTED ?
			    "transfer coding not implemented\n" :
			    "bad request framing\n", NULL);
		}
		if (strcmp(url, "/healthz") == 0) {
			if (strcmp(method, "GET") && strcmp(method, "HEAD"))
				return reply(q, mc,
				    MHD_HTTP_METHOD_NOT_ALLOWED,
				    "method not allowed\n", "GET, HEAD");
			return health(q, mc);
		}
		q->cf = config_get();
		if ((q->rt = route_find(q->cf, url)) == NULL)
			return reply(q, mc, MHD_HTTP_NOT_FOUND,
			    "not found\n", NULL);
		if (strcmp(method, "POST") && strcmp(method, "PUT"))
			return reply(q, mc, MHD_HTTP_METHOD_NOT_ALLOWED,
			    "method not allowed\n", "POST, PUT");
		if (outq_dead())
			return reply(q, mc, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "cannot store the event\n", NULL);
		cl = MHD_lookup_connection_value(mc, MHD_HEADER_KIND,
		    "Content-Length");
		if (cl) {
			errno = 0;
			n = strtoull(cl, &end, 10);
			if (errno == 0 && end != cl && n > max_body) {
				note(mc, method, url, 413, big_note);
				return reply(q, mc,
				    MHD_HTTP_CONTENT_TOO_LARGE,
				    big_msg, NULL);
			}
		}
		return MHD_YES;
	}
	if (q->answered) {
		*datalen = 0;	/* the rest of a refused body */
		return MHD_YES;
	}
	if (q->o && !q->o_seen)
		return written(q, mc, url, method);
	if (q->w)
		return answer_ack(q, mc, url, method);
	if (*datalen > 0) {
		/*
		 * libmicrohttpd takes no answer while a body is coming in:
		 * drop the rest and answer 413 at its end (the --timeout
		 * deadline bounds how long that may take).
		 */
		if (!q->too_big && *datalen > max_body - q->body.len) {
			q->too_big = 1;
			buf_free(&q->body);
		}
		if (!q->too_big)
			buf_add(&q->body, data, *datalen);
		*datalen = 0;
		return MHD_YES;
	}
	if (q->too_big) {
		note(mc, method, url, 413, big_note);
		return reply(q, mc, MHD_HTTP_CONTENT_TOO_LARGE,
		    big_msg, NULL);
	}
	return finish(q, mc, url, method);
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
	conn_busy(q->c, 0);
	outq_done(q->o);
	if (q->w)
		ack_free(q->w);
	if (q->cf)
		config_put(q->cf);
	buf_free(&q->body);
	free(q);
	*ctx = NULL;
	pthread_mutex_lock(&live_mu);
	inflight--;
	pthread_mutex_unlock(&live_mu);
}

/* ---- start-up ---------------------------------------------------------- */

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

enum {
	OPT_PATH = 256, OPT_BODY_ONLY, OPT_MAX_BODY, OPT_MAX_CONN, OPT_STATUS,
	OPT_VERIFY, OPT_SECRET_FILE, OPT_SECRET_ENV, OPT_TOLERANCE, OPT_SIG_HEADER,
	OPT_SIG_PREFIX, OPT_SIG_ENCODING, OPT_ACK_FIFO, OPT_ACK_TIMEOUT, OPT_TLS_CERT,
	OPT_TLS_KEY, OPT_SNS, OPT_SNS_TOPIC,
	OPT_KEEP_HEADER, OPT_REDACT_HEADER, OPT_WRITE_TIMEOUT, OPT_DRAIN,
	OPT_RAW_BODY, OPT_REPLAY_DB
};

static const struct option longopts[] = {
	{ "addr", required_argument, NULL, 'a' },
	{ "port", required_argument, NULL, 'p' },
	{ "config", required_argument, NULL, 'c' },
	{ "timeout", required_argument, NULL, 't' },
	{ "path", required_argument, NULL, OPT_PATH },
	{ "body-only", no_argument, NULL, OPT_BODY_ONLY },
	{ "max-body", required_argument, NULL, OPT_MAX_BODY },
	{ "max-conn", required_argument, NULL, OPT_MAX_CONN },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "verify", required_argument, NULL, OPT_VERIFY },
	{ "secret-file", required_argument, NULL, OPT_SECRET_FILE },
	{ "secret-env", required_argument, NULL, OPT_SECRET_ENV },
	{ "tolerance", required_argument, NULL, OPT_TOLERANCE },
	{ "sig-header", required_argument, NULL, OPT_SIG_HEADER },
	{ "sig-prefix", required_argument, NULL, OPT_SIG_PREFIX },
	{ "sig-encoding", required_argument, NULL, OPT_SIG_ENCODING },
	{ "ack-fifo", required_argument, NULL, OPT_ACK_FIFO },
	{ "ack-timeout", required_argument, NULL, OPT_ACK_TIMEOUT },
	{ "tls-cert", required_argument, NULL, OPT_TLS_CERT },
	{ "tls-key", required_argument, NULL, OPT_TLS_KEY },
	{ "sns", no_argument, NULL, OPT_SNS },
	{ "sns-topic", required_argument, NULL, OPT_SNS_TOPIC },
	{ "keep-header", required_argument, NULL, OPT_KEEP_HEADER },
	{ "redact-header", required_argument, NULL, OPT_REDACT_HEADER },
	{ "write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "raw-body", no_argument, NULL, OPT_RAW_BODY },
	{ "replay-db", required_argument, NULL, OPT_REPLAY_DB },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static void
bad_opt(const char *opt, const char *val)
{
	msg_err("bad %s: %s", opt, val);
	msg_usage(usage);
}

/* a bad option value: opt's wording, then the usage */
static void
bad_val(const char *err)
{
	msg_err("%s", err);
	msg_usage(usage);
}

static long
num_opt(const char *what, const char *s, long lo, long hi)
{
	char err[256];
	long v;

	if (opt_long(what, s, lo, hi, &v, err, sizeof(err)) < 0)
		bad_val(err);
	return v;
}

/* a duration option, in seconds */
static double
secs_opt(const char *what, const char *s, long long lo_ms, long long hi_ms)
{
	char err[256];
	long long ms;

	if (opt_ms(what, s, lo_ms, hi_ms, &ms, err, sizeof(err)) < 0)
		bad_val(err);
	return ms / 1e3;
}

int
main(int argc, char *argv[])
{
	const char *verify = NULL, *sfile = NULL, *senv = NULL;
	const char *shdr = NULL, *spre = NULL, *senc = NULL;
	char *cert = NULL, *key = NULL;
	struct MHD_Daemon *d;
	struct MHD_OptionItem opts[16];
	pthread_t watcher;
	sigset_t sigs;
	long v, tolerance = WHSIG_TOLERANCE;
	unsigned flags;
	size_t n, no = 0;
	char err[1024];
	int c, lfd, sig;
	double deadline;
	struct config *cf;
	struct waiter *w;
	const char *mode;

	msg_prog = "wh-listen";
	while ((c = getopt_long(argc, argv, "a:c:hp:t:V", longopts, NULL))
	    != -1) {
		switch (c) {
		case 'a': addr = optarg; break;
		case 'p':
			v = num_opt("--port", optarg, 0, 65535);
			port = optarg;
			break;
		case 'c': cfile = optarg; break;
		case 't':
			v = num_opt("--timeout", optarg, 1, 3600);
			timeout_s = (unsigned)v;
			break;
		case OPT_PATH:
			if (optarg[0] != '/')
				bad_opt("path (must start with /)", optarg);
			paths = xrealloc(paths, (npaths + 1) * sizeof(*paths));
			paths[npaths++] = optarg;
			break;
		case OPT_BODY_ONLY: body_only = 1; break;
		case OPT_MAX_BODY:
			if (opt_size("--max-body", optarg, 1, (size_t)1 << 40,
			    &max_body, err, sizeof(err)) < 0)
				bad_val(err);
			break;
		case OPT_MAX_CONN:
			v = num_opt("--max-conn", optarg, 1, 65536);
			max_conn = (unsigned)v;
			break;
		case OPT_STATUS:
			v = num_opt("--status", optarg, 200, 299);
			ok_status = (int)v;
			break;
		case OPT_VERIFY:
			if (whsig_scheme(optarg) < 0)
				bad_opt("verify scheme", optarg);
			verify = optarg;
			break;
		case OPT_SECRET_FILE: sfile = optarg; break;
		case OPT_SECRET_ENV: senv = optarg; break;
		case OPT_TOLERANCE:
			tolerance = num_opt("--tolerance", optarg, 1,
			    2000000000L);
			break;
		case OPT_SIG_HEADER: shdr = optarg; break;
		case OPT_SIG_PREFIX: spre = optarg; break;
		case OPT_SIG_ENCODING:
			if (strcmp(optarg, "hex") && strcmp(optarg, "base64"))
				bad_opt("sig-encoding", optarg);
			senc = optarg;
			break;
		case OPT_ACK_FIFO: ack_fifo = optarg; break;
		case OPT_ACK_TIMEOUT:
			ack_timeout = secs_opt("--ack-timeout", optarg, 1,
			    86400000);
			break;
		case OPT_TLS_CERT: tls_cert = optarg; break;
		case OPT_TLS_KEY: tls_key = optarg; break;
		case OPT_SNS: dflt.sns = 1; break;
		case OPT_SNS_TOPIC:
			if (strncmp(optarg, "arn:", 4) != 0)
				bad_opt("sns-topic (an ARN)", optarg);
			sns_topics = xrealloc(sns_topics, (nsns_topics + 1) *
			    sizeof(*sns_topics));
			sns_topics[nsns_topics++] = optarg;
			break;
		case OPT_KEEP_HEADER:
			hdr_list_add(&keep_hdrs, &nkeep_hdrs, optarg);
			break;
		case OPT_REDACT_HEADER:
			hdr_list_add(&redact_hdrs, &nredact_hdrs, optarg);
			break;
		case OPT_WRITE_TIMEOUT:
			write_timeout = secs_opt("--write-timeout", optarg, 1,
			    3600000);
			break;
		case OPT_DRAIN:
			drain_s = secs_opt("--drain", optarg, 0, 3600000);
			break;
		case OPT_RAW_BODY: raw_body = 1; break;
		case OPT_REPLAY_DB: replay_db = optarg; break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default: msg_usage(usage);
		}
	}
	if (optind != argc)
		msg_usage(usage);
	snprintf(big_note, sizeof(big_note), "body too large: over %zu bytes, "
	    "the limit wh-listen --max-body raises", max_body);
	snprintf(big_msg, sizeof(big_msg), "%s\n", big_note);
	if (raw_body && body_only) {
		msg_err("--raw-body adds a member: not with --body-only");
		msg_usage(usage);
	}
	if ((tls_cert == NULL) != (tls_key == NULL)) {
		msg_err("--tls-cert and --tls-key go together");
		msg_usage(usage);
	}
	if (ack_fifo && body_only) {
		msg_err("--ack-fifo needs the id member: not with --body-only");
		msg_usage(usage);
	}

	/* configuration first: nothing listens before it is known good */
	if (route_set(&dflt, verify, sfile, senv, shdr, spre, senc, tolerance,
	    err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (cfile) {
		if ((cf = config_load(cfile, err, sizeof(err))) == NULL)
			msg_die(EX_CONFIG, "%s", err);
	} else {
		cf = xcalloc(1, sizeof(*cf));
		cf->refs = 1;
	}
	config_swap(cf);
	if (tls_cert) {
		if ((cert = sys_slurp(tls_cert, 0, &n, err, sizeof(err))) ==
		    NULL || (key = sys_slurp(tls_key, 0, &n, err,
		    sizeof(err))) == NULL)
			msg_die(EX_CONFIG, "%s", err);
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
			msg_die(EX_SYSTEM, "libmicrohttpd was built without "
			    "TLS");
	}
	if (ack_fifo) {
		struct stat st;

		if (stat(ack_fifo, &st) < 0 || !S_ISFIFO(st.st_mode))
			msg_die(EX_CONFIG, "cannot use %s as the ack FIFO: %s",
			    ack_fifo, errno ? strerror(errno) :
			    "not a FIFO");
	}
	if ((replay = replay_open(replay_db, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "cannot open the replay file %s", err);
	if (fcntl(STDOUT_FILENO, F_GETFL) < 0)
		msg_die(EX_SYSTEM, "cannot write records: stdout is closed");
	if (nsns_topics > 0 && !dflt.sns && cfile == NULL) {
		msg_err("--sns-topic goes with --sns");
		msg_usage(usage);
	}
	/* before any thread: curl_global_init is not safe alongside them */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	sns_setup();

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* threads started from here on leave the signals to sigtimedwait */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	r_ok = MHD_create_response_from_buffer(0, (void *)"",
	    MHD_RESPMEM_PERSISTENT);
	r_health = MHD_create_response_from_buffer(3, (void *)"ok\n",
	    MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r_health, "Content-Type", "text/plain");

	if (outq_start(STDOUT_FILENO, err, sizeof(err)) < 0)
		msg_die(EX_SYSTEM, "cannot write records: %s", err);
	lfd = listen_on(addr, port);
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	    MHD_USE_ERROR_LOG;
	mode = getenv("WH_LISTEN_MODE");	/* for scripts/bench/listen */
	if (mode && strcmp(mode, "threads") == 0)
		flags |= MHD_USE_THREAD_PER_CONNECTION, per_conn = 1;
	else
		flags |= MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO;
	if (tls_cert)
		flags |= MHD_USE_TLS;
	/* the logger first, or libmicrohttpd complains on stderr */
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_EXTERNAL_LOGGER,
	    (intptr_t)mhd_log, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, lfd,
	    NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    max_conn, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    timeout_s, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
	    (intptr_t)on_done, NULL };
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
	    (intptr_t)on_conn, NULL };
	if (!(flags & MHD_USE_THREAD_PER_CONNECTION)) {
		/* a thread a core: two a core gave up to 13 % more
		 * requests/s but twice the p99 latency (7-10 ms, not
		 * 4.6-5.0 ms, 2 cores, wrk -c64 beside it) */
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

		if (mode && opt_long("WH_LISTEN_MODE", mode, 1, 64, &v, err,
		    sizeof(err)) == 0)
			ncpu = v;
		if (ncpu > 1)
			opts[no++] = (struct MHD_OptionItem){
			    MHD_OPTION_THREAD_POOL_SIZE,
			    ncpu > 16 ? 16 : ncpu, NULL };
	}
	if (tls_cert) {
		opts[no++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_CERT, 0, cert };
		opts[no++] = (struct MHD_OptionItem){
		    MHD_OPTION_HTTPS_MEM_KEY, 0, key };
	}
	opts[no++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL,
	    MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
	if (d == NULL)
		msg_die(tls_cert ? EX_CONFIG : EX_SYSTEM, "cannot start the "
		    "HTTP server%s", tls_cert ? " (check the TLS certificate "
		    "and key)" : "");
	if (key) {
		OPENSSL_cleanse(key, strlen(key));
		free(key);
	}
	free(cert);
	if (pthread_create(&watcher, NULL, watch_main, NULL) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread");

	/* wait for a signal, or for stdout to go away */
	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		sig = sigtimedwait(&sigs, NULL, &ts);
		if (outq_dead())
			break;
		if (sig == SIGHUP) {
			if (cfile == NULL)
				continue;
			if ((cf = config_load(cfile, err, sizeof(err))) ==
			    NULL)
				msg_err("cannot reload %s, keeping the old "
				    "settings: %s", cfile, err);
			else
				config_swap(cf);
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}

	/*
	 * Stop accepting and let the requests in flight finish, for --drain
	 * seconds at most (a second signal cuts it short); then what is
	 * still waiting to be written gets 503, and what waits for an ack
	 * 504, before the server stops.
	 */
	stopping = 1;
	lfd = MHD_quiesce_daemon(d);
	if (lfd >= 0)
		close(lfd);
	deadline = sys_now_ms() / 1e3 + drain_s;
	while (in_flight() > 0 && sys_now_ms() / 1e3 < deadline && !outq_dead()) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		sig = sigtimedwait(&sigs, NULL, &ts);
		if (sig == SIGTERM || sig == SIGINT)
			break;
	}
	outq_give_up();
	pthread_mutex_lock(&ack_mu);
	for (w = waiters.next; w != &waiters; w = w->next)
		ack_settle(w, W_LATE);
	pthread_mutex_unlock(&ack_mu);
	deadline = sys_now_ms() / 1e3 + 1;	/* for those answers to go out */
	while (in_flight() > 0 && sys_now_ms() / 1e3 < deadline)
		usleep(10000);
	MHD_stop_daemon(d);
	replay_close(replay);
	if (outq_dead()) {
		msg_err("cannot write records: %s", strerror(outq_dead()));
		return EX_SYSTEM;
	}
	return EX_OK;
}
