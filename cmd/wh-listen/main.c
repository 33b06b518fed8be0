/* wh-listen: receive webhooks over HTTP and write each accepted one as a
 * record: the options and start-up */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "arg.h"
#include "nd.h"
#include "wh-listen.h"

const char usage[] =
    "usage: wh-listen [-a addr] [-p port] [-c file] [-t sec] [--path path]\n"
    "\t[--body-only] [--max-body bytes] [--max-conn n] [--status code]\n"
    "\t[--verify scheme] [--secret-file file] [--secret-env name]\n"
    "\t[--tolerance sec] [--sig-header name] [--sig-prefix text]\n"
    "\t[--sig-encoding hex|base64] [--ack-fifo fifo] [--ack-timeout sec]\n"
    "\t[--tls-cert file --tls-key file] [--sns] [--sns-topic arn]\n"
    "\t[--pubsub] [--keep-header name] [--redact-header name]\n"
    "\t[--write-timeout sec] [--drain sec] [--threads n] [--raw-body]\n"
    "\t[--replay-db file] [--oidc-audience aud --oidc-jwks file|url]\n"
    "\t[--oidc-issuer iss] [--oidc-email addr] [--allow cidr]\n"
    "\t[--trusted-proxy cidr] [--proxy-header x-forwarded-for|forwarded]\n"
    "\t[--metrics-addr host:port]";

static const char *addr;		/* NULL: 127.0.0.1, or systemd's socket */
static const char *port;		/* NULL: 8080 */
const char *cfile;
char **paths;
size_t npaths;
int body_only;
int raw_body;
size_t max_body = 1024 * 1024;
char big_note[112];
char big_msg[128];
unsigned max_conn = 512;
unsigned timeout_s = 10;
int ok_status = 200;
const char *ack_fifo;
double ack_timeout = 10;
double write_timeout = 5;
double drain_s = 10;
long nthreads;
const char *tls_cert, *tls_key;
char **sns_topics;
size_t nsns_topics;
struct route dflt;
const char *replay_db;
const char *metrics_addr;	/* --metrics-addr: GET /metrics there */
char **keep_hdrs, **redact_hdrs;
size_t nkeep_hdrs, nredact_hdrs;

/* The command line's verification, for the default route. */
struct verify_opts {
	const char *verify, *shdr, *spre, *senc;
	struct secret_src src;		/* --secret-file, --secret-env */
	long tolerance;
	const char *aud, *jwks, *email;	/* --oidc-* */
	const char *iss[8];
	size_t niss;
};

enum {
	OPT_PATH = 256, OPT_BODY_ONLY, OPT_MAX_BODY, OPT_MAX_CONN, OPT_STATUS,
	OPT_VERIFY, OPT_SECRET_FILE, OPT_SECRET_ENV, OPT_TOLERANCE, OPT_SIG_HEADER,
	OPT_SIG_PREFIX, OPT_SIG_ENCODING, OPT_ACK_FIFO, OPT_ACK_TIMEOUT, OPT_TLS_CERT,
	OPT_TLS_KEY, OPT_SNS, OPT_SNS_TOPIC,
	OPT_KEEP_HEADER, OPT_REDACT_HEADER, OPT_WRITE_TIMEOUT, OPT_DRAIN,
	OPT_RAW_BODY, OPT_REPLAY_DB, OPT_THREADS, OPT_OIDC_AUDIENCE,
	OPT_OIDC_JWKS, OPT_OIDC_ISSUER, OPT_OIDC_EMAIL, OPT_PUBSUB, OPT_ALLOW,
	OPT_TRUSTED_PROXY, OPT_PROXY_HEADER, OPT_METRICS_ADDR
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
	{ "pubsub", no_argument, NULL, OPT_PUBSUB },
	{ "keep-header", required_argument, NULL, OPT_KEEP_HEADER },
	{ "redact-header", required_argument, NULL, OPT_REDACT_HEADER },
	{ "write-timeout", required_argument, NULL, OPT_WRITE_TIMEOUT },
	{ "drain", required_argument, NULL, OPT_DRAIN },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "raw-body", no_argument, NULL, OPT_RAW_BODY },
	{ "replay-db", required_argument, NULL, OPT_REPLAY_DB },
	{ "oidc-audience", required_argument, NULL, OPT_OIDC_AUDIENCE },
	{ "oidc-jwks", required_argument, NULL, OPT_OIDC_JWKS },
	{ "oidc-issuer", required_argument, NULL, OPT_OIDC_ISSUER },
	{ "oidc-email", required_argument, NULL, OPT_OIDC_EMAIL },
	{ "allow", required_argument, NULL, OPT_ALLOW },
	{ "trusted-proxy", required_argument, NULL, OPT_TRUSTED_PROXY },
	{ "proxy-header", required_argument, NULL, OPT_PROXY_HEADER },
	{ "metrics-addr", required_argument, NULL, OPT_METRICS_ADDR },
	ND_LONGOPTS_COMMON,
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

/* The options that take a value checked here, and the flags; 0, or -1
 * for one that is not (the verification and output options). */
static int
server_option(int c)
{
	char err[256];

	switch (c) {
	case 'a': addr = optarg; break;
	case 'p':
		(void)arg_long("--port", optarg, 0, 65535, usage);
		port = optarg;
		break;
	case 'c': cfile = optarg; break;
	case 't':
		timeout_s = (unsigned)arg_long("--timeout", optarg, 1, 3600,
		    usage);
		break;
	case OPT_PATH:
		if (optarg[0] != '/')
			bad_opt("path (must start with /)", optarg);
		paths = xrealloc(paths, (npaths + 1) * sizeof(*paths));
		paths[npaths++] = optarg;
		break;
	case OPT_MAX_BODY:
		max_body = arg_size("--max-body", optarg, 1, (size_t)1 << 40,
		    usage);
		break;
	case OPT_MAX_CONN:
		max_conn = (unsigned)arg_long("--max-conn", optarg, 1, 65536,
		    usage);
		break;
	case OPT_TLS_CERT: tls_cert = optarg; break;
	case OPT_TLS_KEY: tls_key = optarg; break;
	case OPT_DRAIN:
		drain_s = arg_ms("--drain", optarg, 0, 3600000, usage) / 1e3;
		break;
	case OPT_THREADS:
		nthreads = arg_long("--threads", optarg, 1, 16, usage);
		break;
	case OPT_ALLOW:
	case OPT_TRUSTED_PROXY:
		if (range_add(c == OPT_ALLOW ? &allow : &trusted, optarg, err,
		    sizeof(err)) < 0)
			arg_bad(c == OPT_ALLOW ? "--allow" : "--trusted-proxy",
			    err, usage);
		break;
	case OPT_PROXY_HEADER:
		if (strcmp(optarg, "forwarded") == 0)
			proxy_header = CIDR_FORWARDED;
		else if (strcmp(optarg, "x-forwarded-for") != 0)
			bad_opt("proxy-header (x-forwarded-for or forwarded)",
			    optarg);
		break;
	default: return -1;
	}
	return 0;
}

/* The options of the record, its output and its verification. */
static void
record_option(int c, struct verify_opts *v)
{
	switch (c) {
	case OPT_BODY_ONLY: body_only = 1; break;
	case OPT_STATUS:
		ok_status = (int)arg_long("--status", optarg, 200, 299, usage);
		break;
	case OPT_VERIFY:
		if (whsig_scheme(optarg) < 0)
			bad_opt("verify scheme", optarg);
		v->verify = optarg;
		break;
	case OPT_SECRET_FILE:
	case OPT_SECRET_ENV:
		if (v->src.n == SECRETS_MAX)
			bad_opt("secret-file or secret-env (8 at most)",
			    optarg);
		v->src.env[v->src.n] = c == OPT_SECRET_ENV;
		v->src.name[v->src.n++] = optarg;
		break;
	case OPT_TOLERANCE:
		v->tolerance = arg_long("--tolerance", optarg, 1, 2000000000L,
		    usage);
		break;
	case OPT_SIG_HEADER: v->shdr = optarg; break;
	case OPT_SIG_PREFIX: v->spre = optarg; break;
	case OPT_SIG_ENCODING:
		if (strcmp(optarg, "hex") && strcmp(optarg, "base64"))
			bad_opt("sig-encoding", optarg);
		v->senc = optarg;
		break;
	case OPT_ACK_FIFO: ack_fifo = optarg; break;
	case OPT_ACK_TIMEOUT:
		ack_timeout = arg_ms("--ack-timeout", optarg, 1, 86400000,
		    usage) / 1e3;
		break;
	case OPT_SNS: dflt.sns = 1; break;
	case OPT_PUBSUB: dflt.pubsub = 1; break;
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
		write_timeout = arg_ms("--write-timeout", optarg, 1, 3600000,
		    usage) / 1e3;
		break;
	case OPT_RAW_BODY: raw_body = 1; break;
	case OPT_REPLAY_DB: replay_db = optarg; break;
	case OPT_OIDC_AUDIENCE: v->aud = optarg; break;
	case OPT_OIDC_JWKS: v->jwks = optarg; break;
	case OPT_OIDC_ISSUER:
		if (v->niss == sizeof(v->iss) / sizeof(v->iss[0]))
			bad_opt("oidc-issuer (8 at most)", optarg);
		v->iss[v->niss++] = optarg;
		break;
	case OPT_OIDC_EMAIL: v->email = optarg; break;
	case OPT_METRICS_ADDR: metrics_addr = optarg; break;
	ND_CASES_COMMON
		nd_common_opt(c, optarg, usage);
		break;
	case 'h': msg_help(usage);
	case 'V': msg_version();
	default: msg_usage(usage);
	}
}

static void
parse_options(int argc, char *argv[], struct verify_opts *v)
{
	int c;

	while ((c = getopt_long(argc, argv, "a:c:hp:t:V", longopts, NULL))
	    != -1)
		if (server_option(c) < 0)
			record_option(c, v);
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
	if (dflt.sns && dflt.pubsub) {
		msg_err("--sns and --pubsub do not go together");
		msg_usage(usage);
	}
	if (ack_fifo && body_only) {
		msg_err("--ack-fifo needs the id member: not with --body-only");
		msg_usage(usage);
	}
}

/* Until SIGTERM or SIGINT, or stdout goes away; SIGHUP reloads -c. */
static void
wait_for_end(const sigset_t *sigs)
{
	int sig;

	for (;;) {
		struct timespec ts = { 0, 200 * 1000 * 1000 };

		sig = sigtimedwait(sigs, NULL, &ts);
		if (outq_dead())
			break;
		if (sig == SIGHUP)
			config_reload();
		else if (sig == SIGTERM || sig == SIGINT)
			break;
	}
}

int
main(int argc, char *argv[])
{
	struct verify_opts v = { .tolerance = WHSIG_TOLERANCE };
	struct config *cf;
	char err[1024];
	sigset_t sigs;

	msg_prog = "wh-listen";
	parse_options(argc, argv, &v);
	/* before any thread: curl_global_init is not safe alongside them;
	 * before the configuration, which may fetch a JWKS */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	/* configuration first: nothing listens before it is known good */
	if (route_set(&dflt, v.verify, &v.src, v.shdr, v.spre,
	    v.senc, v.tolerance, err, sizeof(err)) < 0 ||
	    route_oidc(&dflt, v.aud, v.jwks, v.iss, v.niss, v.email, err,
	    sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (cfile == NULL)
		cf = config_new();
	else if ((cf = config_load(cfile, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "%s", err);
	config_swap(cf);
	tls_load();
	spool_open();
	if (nsns_topics > 0 && !dflt.sns && cfile == NULL) {
		msg_err("--sns-topic goes with --sns");
		msg_usage(usage);
	}
	sns_setup();

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	/* threads started from here on leave the signals to sigtimedwait */
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	spool_start();
	wm_start();
	server_start(addr, port);
	if (metrics_addr != NULL)
		server_metrics_start(metrics_addr);
	wait_for_end(&sigs);
	server_drain(&sigs);
	spool_close();
	if (outq_dead()) {
		msg_err("cannot write records: %s", strerror(outq_dead()));
		return EX_SYSTEM;
	}
	return EX_OK;
}
