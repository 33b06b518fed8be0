/* slack-post: post a Slack message for each record */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg.h"
#include "bignum.h"
#include "httprun.h"
#include "msg.h"
#include "nd.h"
#include "slackresp.h"
#include "sys.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: slack-post [-ehnqV] [-t text] [--blocks file] "
    "[--webhook-file file | --token-file file --channel channel] "
    "[--api url] [--rate n] [--burst n] [-j jobs] [--timeout seconds] "
    "[--retries n] [--errors file] [--max-line bytes] [file ...]";

static char *webhook;		/* incoming webhook URL (a secret) */
static char *token;		/* bot token (a secret) */
static char *api = "https://slack.com/api";
static struct tmpl *textt, *chant;
static struct jtmpl *blocksj;
static int nflag;
static double rate = 1.0;
static int burst = 3;

/* per channel: the GCRA's theoretical arrival time, monotonic ms */
static struct chan {
	char *name;
	int64_t tat;
} *chans;
static size_t nchans;

/* the time a message to channel may go, reserving its slot */
static int64_t
slot(const char *name)
{
	int64_t now = sys_now_ms(), interval = (int64_t)(1000.0 / rate);
	int64_t tau = (int64_t)(burst - 1) * interval, t;
	struct chan *c = NULL;
	size_t i;

	for (i = 0; i < nchans; i++)
		if (strcmp(chans[i].name, name) == 0)
			c = &chans[i];
	if (c == NULL) {
		chans = xrealloc(chans, (nchans + 1) * sizeof(*chans));
		c = &chans[nchans++];
		c->name = xstrdup(name);
		c->tat = now;
	}
	t = c->tat - tau > now ? c->tat - tau : now;
	c->tat = (c->tat > t ? c->tat : t) + interval;
	return t;
}

/* "{a} and {b|upper}" -> "{a|slack} and {b|upper|slack}" */
static char *
escape_values(const char *s)
{
	struct buf b = {0};
	const char *close;

	while (*s != '\0') {
		if ((s[0] == '{' && s[1] == '{') || (s[0] == '}' &&
		    s[1] == '}')) {
			buf_add(&b, s, 2);
			s += 2;
		} else if (s[0] == '{' && (close = strchr(s, '}')) != NULL) {
			buf_add(&b, s, (size_t)(close - s));
			buf_adds(&b, "|slack}");
			s = close + 1;
		} else {
			buf_addc(&b, *s++);
		}
	}
	return b.p ? b.p : xstrdup("");
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

static struct http_xfer *
build(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	struct http_xfer *x;
	struct buf b = {0};
	json_t *msg = json_object(), *v, *text = NULL;
	const char *k;
	char *ch = NULL;

	(void)arg;
	if (textt != NULL) {
		if (tmpl_render(textt, r->obj, &b, err, errlen) < 0)
			goto bad;
		if ((text = json_stringn(b.p ? b.p : "", b.len)) == NULL) {
			snprintf(err, errlen, "text is not valid UTF-8");
			goto bad;
		}
		json_object_set_new(msg, "text", text);
	}
	if (blocksj != NULL) {
		if ((v = jtmpl_render(blocksj, r->obj, err, errlen)) == NULL)
			goto bad;
		if (json_is_array(v)) {
			json_object_set_new(msg, "blocks", v);
		} else {
			/* an object: its keys make the message */
			json_object_foreach(v, k, text)
				json_object_set(msg, k, text);
			json_decref(v);
		}
	}
	if (chant != NULL) {
		buf_reset(&b);
		if (tmpl_render(chant, r->obj, &b, err, errlen) < 0)
			goto bad;
		if (b.len == 0) {
			snprintf(err, errlen, "channel template '%s' gave "
			    "nothing", tmpl_text(chant));
			goto bad;
		}
		ch = xstrdup(b.p);
		json_object_set_new(msg, "channel", json_string(ch));
	}
	x = http_xfer_new();
	x->method = xstrdup("POST");
	if (webhook != NULL) {
		x->url = xstrdup(webhook);
	} else {
		buf_reset(&b);
		buf_addf(&b, "%s/chat.postMessage", api);
		x->url = b.p;
		memset(&b, 0, sizeof(b));
		buf_addf(&b, "Authorization: Bearer %s", token);
		x->secret = curl_slist_append(NULL, b.p);
		memset(b.p, 0, b.len);
	}
	x->headers = curl_slist_append(NULL,
	    "Content-Type: application/json; charset=utf-8");
	buf_reset(&b);
	bignum_dump(msg, JSON_COMPACT, dump_cb, &b);
	x->body = b.p;
	x->bodylen = b.len;
	memset(&b, 0, sizeof(b));
	x->not_before = slot(ch ? ch : "webhook");
	x->user = ch;
	if (nflag) {
		x->done = 1;
		x->result = HTTP_SKIPPED;
	}
	json_decref(msg);
	return x;
bad:
	free(ch);
	buf_free(&b);
	json_decref(msg);
	return NULL;
}

static void
drop(struct http_xfer *x, void *arg)
{
	(void)arg;
	free(x->user);
}

static int
done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen)
{
	char why[512], reason[1024], *show;
	struct slackresp sr = {0};
	json_t *out, *s;
	int rc = 0;

	(void)arg;
	show = http_url_show(x->url, webhook != NULL);
	out = json_copy(r->obj);
	if (nflag) {
		json_t *req = json_object(), *h = json_array();

		json_object_set_new(req, "method", json_string("POST"));
		json_object_set_new(req, "url", json_string(show));
		json_array_append_new(h, json_string(x->headers->data));
		if (x->secret != NULL)
			json_array_append_new(h, json_string(
			    "Authorization: ***"));
		json_object_set_new(req, "headers", h);
		json_object_set_new(req, "body", bignum_loadb(x->body,
		    x->bodylen, 0, NULL));
		json_object_set_new(out, "request", req);
		nd_write(out);
		goto out;
	}
	if (x->result != HTTP_OK) {
		snprintf(err, errlen, "cannot post to %s: %s", show,
		    http_reason(x, why, sizeof(why)));
		rc = http_record_fail(x->result, 0, 0);
		goto out;
	}
	if (slackresp_parse(webhook != NULL, x->status, x->resp.p,
	    x->resp.len, &sr, reason, sizeof(reason)) < 0) {
		if (sr.kind == SLACKRESP_API)
			snprintf(err, errlen, "Slack refused the message to "
			    "%s: %s", (char *)x->user, reason);
		else
			snprintf(err, errlen, "HTTP %ld from %s: %s",
			    x->status, show, reason);
		rc = http_record_fail(HTTP_OK, sr.temp, sr.fatal);
		goto out;
	}
	if (webhook != NULL)
		s = json_pack("{s:b}", "ok", 1);
	else
		s = json_pack("{s:b, s:O?, s:O?}", "ok", 1, "ts", sr.ts,
		    "channel", sr.channel);
	json_object_set_new(out, "slack", s);
	nd_write(out);
out:
	slackresp_free(&sr);
	json_decref(out);
	free(show);
	return rc;
}

static char *
secret_from(const char *file, const char *env, const char *what)
{
	char err[1024], *s;
	const char *e;

	if (file != NULL) {
		if ((s = http_secret_file(file, err, sizeof(err))) == NULL)
			msg_die(EX_CONFIG, "cannot read the %s: %s", what,
			    err);
		return s;
	}
	if ((e = getenv(env)) != NULL && *e != '\0')
		return xstrdup(e);
	return NULL;
}

enum {
	O_BLOCKS = 256, O_WEBHOOKFILE, O_TOKENFILE, O_CHANNEL, O_API,
	O_RATE, O_BURST, O_ERRORS
};

/* the options as given */
struct args {
	const char *text, *blocks, *whfile, *tokfile, *channel, *errors;
};

static void
parse_args(int argc, char *argv[], struct http_opts *ho, struct nd_opts *o,
    struct args *a)
{
	static const struct option longopts[] = {
		{"text", required_argument, NULL, 't'},
		{"blocks", required_argument, NULL, O_BLOCKS},
		{"webhook-file", required_argument, NULL, O_WEBHOOKFILE},
		{"token-file", required_argument, NULL, O_TOKENFILE},
		{"channel", required_argument, NULL, O_CHANNEL},
		{"api", required_argument, NULL, O_API},
		{"rate", required_argument, NULL, O_RATE},
		{"burst", required_argument, NULL, O_BURST},
		HTTP_LONGOPTS,
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "ehj:nqt:V", longopts,
	    NULL)) != -1) {
		if (http_run_opt(ho, ch, optarg, usage))
			continue;
		switch (ch) {
		case 't': a->text = optarg; break;
		case O_BLOCKS: a->blocks = optarg; break;
		case O_WEBHOOKFILE: a->whfile = optarg; break;
		case O_TOKENFILE: a->tokfile = optarg; break;
		case O_CHANNEL: a->channel = optarg; break;
		case O_API: api = optarg; break;
		case O_RATE:
			rate = arg_real("--rate", optarg, 0.001, 1000, usage);
			break;
		case O_BURST:
			burst = (int)arg_long("--burst", optarg, 1, 1000, usage);
			break;
		case O_ERRORS: a->errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case 'e': o->eflag = 1; break;
		case 'n': nflag = 1; break;
		case 'q': msg_quiet = 1; break;
		ND_CASES_COMMON
			nd_common_opt(ch, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	if (a->text == NULL && a->blocks == NULL) {
		msg_err("give the message: -t text or --blocks file");
		msg_usage(usage);
	}
	if (a->whfile != NULL && (a->tokfile != NULL || a->channel != NULL)) {
		msg_err("--webhook-file does not go with --token-file or "
		    "--channel");
		msg_usage(usage);
	}
}

/* the text, channel and blocks templates */
static void
compile_message(const struct args *a)
{
	char err[1024], *esc;
	json_error_t je;
	json_t *j;

	if (a->text != NULL) {
		esc = escape_values(a->text);
		textt = tmpl_compile(esc, err, sizeof(err));
		free(esc);
		if (textt == NULL) {
			/* report the template as typed */
			if ((textt = tmpl_compile(a->text, err,
			    sizeof(err))) == NULL)
				msg_err("%s", err);
			else
				msg_err("template '%s': bad expression",
				    a->text);
			msg_usage(usage);
		}
	}
	if (a->channel != NULL)
		chant = arg_tmpl(NULL, a->channel, usage);
	if (a->blocks != NULL) {
		if ((j = json_load_file(a->blocks, JSON_DECODE_ANY, &je)) ==
		    NULL)
			msg_die(EX_CONFIG, "cannot load %s: line %d: %s",
			    a->blocks, je.line, je.text);
		if (!json_is_array(j) && !json_is_object(j))
			msg_die(EX_CONFIG, "%s: blocks must be an array or a "
			    "message object", a->blocks);
		if ((blocksj = jtmpl_compile(j, err, sizeof(err))) == NULL)
			msg_die(EX_CONFIG, "%s: %s", a->blocks, err);
		json_decref(j);
	}
}

/* the webhook URL, else the bot token and the API */
static void
load_secrets(const struct args *a)
{
	char err[1024];

	if (a->channel == NULL && a->tokfile == NULL)
		webhook = secret_from(a->whfile, "SLACK_WEBHOOK_URL",
		    "webhook URL");
	if (webhook == NULL) {
		token = secret_from(a->tokfile, "SLACK_BOT_TOKEN",
		    "bot token");
		if (token == NULL)
			msg_die(EX_CONFIG, "no Slack webhook or token: set "
			    "SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN, or give "
			    "--webhook-file or --token-file");
		if (chant == NULL)
			msg_die(EX_CONFIG, "chat.postMessage needs --channel");
		if (http_url_check(api, err, sizeof(err)) < 0)
			msg_die(EX_CONFIG, "--api: %s", err);
	} else if (http_url_check(webhook, err, sizeof(err)) < 0) {
		/* never quote the webhook URL: it is the secret */
		msg_die(EX_CONFIG, "the webhook URL is not an http(s) URL");
	}
}

int
main(int argc, char *argv[])
{
	struct http_opts ho;
	struct http_pool *pool;
	struct http_tool tool = { build, done, drop };
	struct nd_opts o = {0};
	struct args a = {0};
	const char *e;
	char err[1024];
	int rc;

	msg_prog = "slack-post";
	if (http_opts_init(&ho, msg_prog, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	ho.jobs = 1;	/* messages in a channel keep their order */
	ho.retry.no_5xx = 1;	/* posts are not idempotent */
	if ((e = getenv("SLACK_API_URL")) != NULL && *e != '\0')
		api = (char *)e;
	parse_args(argc, argv, &ho, &o, &a);
	compile_message(&a);
	load_secrets(&a);
	if (a.errors != NULL && nd_errors_open(a.errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot start libcurl");
	if ((pool = http_pool_new(&ho, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
	rc = http_run(argv + optind, argc - optind, pool, &tool, NULL, &o);
	http_pool_free(pool);
	tmpl_free(textt);
	tmpl_free(chant);
	jtmpl_free(blocksj);
	free(webhook);
	if (token != NULL)
		memset(token, 0, strlen(token));
	free(token);
	while (nchans > 0)
		free(chans[--nchans].name);
	free(chans);
	curl_global_cleanup();
	return rc;
}
