/* wh-send: send each record as an HTTP request and add the response */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/rand.h>

#include "bignum.h"
#include "httprun.h"
#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "sys.h"
#include "tmpl.h"
#include "whsig.h"
#include "xmem.h"

static const char usage[] =
    "usage: wh-send [-ehnqV] -u url [-X method] [-H 'name: value']... "
    "[-d body | --body-file file] [--header-file file] [--accept list] "
    "[--sign scheme --secret-file file] [--sign-id id] [--sig-header name] "
    "[--sig-prefix text] [--sig-encoding hex|base64] [-j jobs] "
    "[-t seconds] [--retries n] [--retry-all] [--max-body bytes] "
    "[--errors file] [--max-line bytes] [file ...]";

/* a -H option: the name and the value's template */
struct hdr {
	char *name;
	struct tmpl *val;
};

static struct tmpl *urlt;
static char *method = "POST";
static struct hdr *hdrs;
static size_t nhdrs;
static struct tmpl *bodyt;	/* -d */
static struct jtmpl *bodyj;	/* --body-file */
static struct curl_slist *secret;	/* --header-file */
static int has_ctype;
static int nflag;
static struct whsig sig;
static int signing;
static struct tmpl *sigid;
static struct {
	long lo, hi;
} acc_set[32];
static int naccept;

/* "2xx,404,500-503" */
static int
parse_accept(const char *s)
{
	char *end;
	long lo, hi;

	naccept = 0;
	while (*s != '\0') {
		if (naccept == (int)(sizeof(acc_set) / sizeof(acc_set[0])))
			return -1;
		if (isdigit((unsigned char)s[0]) && s[1] == 'x' && s[2] == 'x') {
			lo = (s[0] - '0') * 100;
			hi = lo + 99;
			s += 3;
		} else {
			errno = 0;
			lo = strtol(s, &end, 10);
			if (errno != 0 || end == s)
				return -1;
			hi = lo;
			s = end;
			if (*s == '-') {
				hi = strtol(s + 1, &end, 10);
				if (errno != 0 || end == s + 1)
					return -1;
				s = end;
			}
		}
		if (lo < 100 || hi > 599 || lo > hi)
			return -1;
		acc_set[naccept].lo = lo;
		acc_set[naccept].hi = hi;
		naccept++;
		if (*s == ',')
			s++;
		else if (*s != '\0')
			return -1;
	}
	return naccept > 0 ? 0 : -1;
}

static int
accepted(long status)
{
	int i;

	for (i = 0; i < naccept; i++)
		if (status >= acc_set[i].lo && status <= acc_set[i].hi)
			return 1;
	return 0;
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

/* a fresh webhook id: msg_ and 24 hex digits */
static void
new_id(char *out, size_t len)
{
	unsigned char r[12];
	size_t i;

	if (RAND_bytes(r, sizeof(r)) != 1)
		for (i = 0; i < sizeof(r); i++)
			r[i] = (unsigned char)rand();
	snprintf(out, len, "msg_");
	for (i = 0; i < sizeof(r); i++)
		snprintf(out + 4 + 2 * i, len - 4 - 2 * i, "%02x", r[i]);
}

static int
add_header(struct curl_slist **l, const char *name, const char *val)
{
	struct buf b = {0};
	struct curl_slist *n;

	buf_addf(&b, "%s: %s", name, val);
	n = curl_slist_append(*l, b.p);
	buf_free(&b);
	if (n == NULL)
		return -1;
	*l = n;
	return 0;
}

static struct http_xfer *
build(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	struct http_xfer *x = http_xfer_new();
	struct buf b = {0};
	struct whsig_headers sh;
	json_t *v;
	char id[WHSIG_ID_MAX + 1];
	size_t i;

	(void)arg;
	if (tmpl_render(urlt, r->obj, &b, err, errlen) < 0)
		goto bad;
	if (http_url_check(b.p ? b.p : "", err, errlen) < 0)
		goto bad;
	x->url = b.p;
	memset(&b, 0, sizeof(b));
	x->method = xstrdup(method);
	for (i = 0; i < nhdrs; i++) {
		buf_reset(&b);
		if (tmpl_render(hdrs[i].val, r->obj, &b, err, errlen) < 0)
			goto bad;
		if (b.p != NULL && strpbrk(b.p, "\r\n") != NULL) {
			snprintf(err, errlen, "header %s: value has a line "
			    "break", hdrs[i].name);
			goto bad;
		}
		if (add_header(&x->headers, hdrs[i].name, b.p ? b.p : "") < 0)
			goto nomem;
	}
	buf_reset(&b);
	if (bodyt != NULL) {
		if (tmpl_render(bodyt, r->obj, &b, err, errlen) < 0)
			goto bad;
	} else if (bodyj != NULL) {
		if ((v = jtmpl_render(bodyj, r->obj, err, errlen)) == NULL)
			goto bad;
		bignum_dump(v, JSON_COMPACT | JSON_ENCODE_ANY, dump_cb, &b);
		json_decref(v);
	} else {
		bignum_dump(r->obj, JSON_COMPACT, dump_cb, &b);
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		x->body = b.p ? b.p : xstrdup("");
		x->bodylen = b.len;
		memset(&b, 0, sizeof(b));
		if (!has_ctype && add_header(&x->headers, "Content-Type",
		    "application/json") < 0)
			goto nomem;
	}
	if (signing) {
		const char *idp = NULL;

		if (sigid != NULL) {
			buf_reset(&b);
			if (tmpl_render(sigid, r->obj, &b, err, errlen) < 0)
				goto bad;
			snprintf(id, sizeof(id), "%s", b.p ? b.p : "");
			idp = id;
		} else if (sig.scheme == WHSIG_STANDARD) {
			new_id(id, sizeof(id));
			idp = id;
		}
		if (whsig_sign(&sig, idp, time(NULL), x->body ? x->body : "",
		    x->bodylen, &sh, err, errlen) < 0)
			goto bad;
		for (i = 0; i < (size_t)sh.n; i++)
			if (add_header(&x->headers, sh.h[i].name,
			    sh.h[i].value) < 0)
				goto nomem;
	}
	for (const struct curl_slist *l = secret; l != NULL; l = l->next) {
		struct curl_slist *n = curl_slist_append(x->secret, l->data);

		if (n == NULL)
			goto nomem;
		x->secret = n;
	}
	x->follow = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
	buf_free(&b);
	if (nflag) {
		x->done = 1;
		x->result = HTTP_SKIPPED;
	}
	return x;
nomem:
	snprintf(err, errlen, "out of memory");
bad:
	buf_free(&b);
	http_xfer_free(x);
	return NULL;
}

/* -n: the request as it would go, secret header values masked */
static json_t *
describe(const struct http_xfer *x)
{
	json_t *req = json_object(), *h = json_array(), *body;
	const struct curl_slist *l;
	char *c;

	json_object_set_new(req, "method", json_string(x->method));
	json_object_set_new(req, "url", json_string(x->url));
	for (l = x->headers; l != NULL; l = l->next)
		json_array_append_new(h, json_string(l->data));
	for (l = x->secret; l != NULL; l = l->next) {
		c = strchr(l->data, ':');
		json_array_append_new(h, json_sprintf("%.*s: ***",
		    (int)(c - l->data), l->data));
	}
	json_object_set_new(req, "headers", h);
	if (x->body != NULL) {
		body = json_stringn(x->body, x->bodylen);
		json_object_set_new(req, "body", body ? body :
		    json_string("(not UTF-8)"));
	}
	return req;
}

/* the response body as JSON when it is, else as text */
static json_t *
body_value(const struct http_xfer *x)
{
	json_t *v = NULL;

	if (x->resp.len == 0)
		return json_string("");
	if (!x->truncated)
		v = bignum_loadb(x->resp.p, x->resp.len, JSON_DECODE_ANY,
		    NULL);
	if (v == NULL)
		v = json_stringn(x->resp.p, x->resp.len);
	if (v == NULL)
		v = json_string("(not UTF-8)");
	return v;
}

/* a short one-line excerpt of an error body for messages */
static void
excerpt(const struct http_xfer *x, char *out, size_t len)
{
	size_t i, n = 0;

	out[0] = '\0';
	if (x->resp.len == 0 || len < 8)
		return;
	out[n++] = ':';
	out[n++] = ' ';
	for (i = 0; i < x->resp.len && n + 4 < len && i < 200; i++) {
		unsigned char c = (unsigned char)x->resp.p[i];

		out[n++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
	}
	out[n] = '\0';
}

static int
done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen)
{
	char why[512], ex[256], *show;
	json_t *out, *h;

	(void)arg;
	if (nflag) {
		out = json_copy(r->obj);
		json_object_set_new(out, "request", describe(x));
		nd_write(out);
		json_decref(out);
		return 0;
	}
	show = http_url_show(x->final_url ? x->final_url : x->url, 0);
	if (x->result != HTTP_OK) {
		snprintf(err, errlen, "cannot send to %s: %s", show,
		    http_reason(x, why, sizeof(why)));
		free(show);
		return http_record_fail(x->result, 0, 0);
	}
	if (!accepted(x->status)) {
		excerpt(x, ex, sizeof(ex));
		snprintf(err, errlen, "HTTP %ld from %s%s", x->status, show,
		    ex);
		free(show);
		return http_status_fail(x->status);
	}
	free(show);
	out = json_copy(r->obj);
	h = json_pack("{s:I, s:o}", "status", (json_int_t)x->status, "body",
	    body_value(x));
	if (x->truncated)
		json_object_set_new(h, "truncated", json_true());
	json_object_set_new(out, "http", h);
	nd_write(out);
	json_decref(out);
	return 0;
}

static int
method_ok(const char *m)
{
	const char *s;

	for (s = m; *s != '\0'; s++)
		if (!isupper((unsigned char)*s))
			return 0;
	return s != m;
}

static char *
read_file(const char *path, size_t *len, int code)
{
	char err[1024], *s;

	if ((s = sys_slurp(path, 0, len, err, sizeof(err))) == NULL)
		msg_die(code, "%s", err);
	return s;
}

enum {
	O_BODYFILE = 256, O_HEADERFILE, O_ACCEPT, O_SIGN, O_SECRETFILE,
	O_SIGNID, O_SIGHEADER, O_SIGPREFIX, O_SIGENC,
	O_RETRYALL, O_MAXBODY, O_ERRORS
};

/* the options as given that the set-up still needs */
struct args {
	const char *url, *data, *bodyfile, *errors, *acc, *sid;
	const char *scheme, *secretfile, *sighdr, *sigpre, *sigenc;
};

/* -H 'Name: value' */
static void
add_hdr(const char *arg)
{
	const char *c;

	if (!http_header_ok(arg)) {
		msg_err("-H takes 'Name: value'");
		msg_usage(usage);
	}
	hdrs = xrealloc(hdrs, (nhdrs + 1) * sizeof(*hdrs));
	c = strchr(arg, ':');
	hdrs[nhdrs].name = xstrndup(arg, (size_t)(c - arg));
	for (c++; *c == ' ' || *c == '\t'; c++)
		;
	hdrs[nhdrs].val = arg_tmpl(NULL, c, usage);
	if (strcasecmp(hdrs[nhdrs].name, "content-type") == 0)
		has_ctype = 1;
	nhdrs++;
}

static void
parse_options(int argc, char *argv[], struct http_opts *ho,
    struct nd_opts *o, struct args *a)
{
	static const struct option longopts[] = {
		{"url", required_argument, NULL, 'u'},
		{"method", required_argument, NULL, 'X'},
		{"header", required_argument, NULL, 'H'},
		{"data", required_argument, NULL, 'd'},
		{"body-file", required_argument, NULL, O_BODYFILE},
		{"header-file", required_argument, NULL, O_HEADERFILE},
		{"accept", required_argument, NULL, O_ACCEPT},
		{"sign", required_argument, NULL, O_SIGN},
		{"secret-file", required_argument, NULL, O_SECRETFILE},
		{"sign-id", required_argument, NULL, O_SIGNID},
		/* wh-listen's spellings; the --sign-* ones came first */
		{"sig-header", required_argument, NULL, O_SIGHEADER},
		{"sig-prefix", required_argument, NULL, O_SIGPREFIX},
		{"sig-encoding", required_argument, NULL, O_SIGENC},
		{"sign-header", required_argument, NULL, O_SIGHEADER},
		{"sign-prefix", required_argument, NULL, O_SIGPREFIX},
		{"sign-encoding", required_argument, NULL, O_SIGENC},
		HTTP_LONGOPTS,
		{"retry-all", no_argument, NULL, O_RETRYALL},
		{"max-body", required_argument, NULL, O_MAXBODY},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	char err[1024];
	int ch;

	while ((ch = getopt_long(argc, argv, "d:eH:hj:nqt:u:VX:", longopts,
	    NULL)) != -1) {
		if (http_run_opt(ho, ch == 't' ? HTTP_OPT_TIMEOUT : ch, optarg,
		    usage))
			continue;
		switch (ch) {
		case 'u': a->url = optarg; break;
		case 'X': method = optarg; break;
		case 'H': add_hdr(optarg); break;
		case 'd': a->data = optarg; break;
		case O_BODYFILE: a->bodyfile = optarg; break;
		case O_HEADERFILE:
			if (http_header_file(optarg, &secret, err,
			    sizeof(err)) < 0)
				msg_die(EX_CONFIG, "%s", err);
			break;
		case O_ACCEPT: a->acc = optarg; break;
		case O_SIGN: a->scheme = optarg; break;
		case O_SECRETFILE: a->secretfile = optarg; break;
		case O_SIGNID: a->sid = optarg; break;
		case O_SIGHEADER: a->sighdr = optarg; break;
		case O_SIGPREFIX: a->sigpre = optarg; break;
		case O_SIGENC: a->sigenc = optarg; break;
		case O_RETRYALL: ho->retry.all = 1; break;
		case O_MAXBODY:
			ho->body_max = arg_size("--max-body", optarg, 0,
			    1L << 30, usage);
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
}

/* the options that go together; the URL, -d and --sign-id templates */
static void
check_options(const struct args *a)
{
	char err[1024];

	if (a->url == NULL) {
		msg_err("give a URL (-u)");
		msg_usage(usage);
	}
	if (a->data != NULL && a->bodyfile != NULL) {
		msg_err("-d and --body-file do not go together");
		msg_usage(usage);
	}
	if (!method_ok(method)) {
		msg_err("bad method '%s': upper-case letters only", method);
		msg_usage(usage);
	}
	if (parse_accept(a->acc) < 0) {
		msg_err("bad --accept '%s': statuses, ranges (200-204) or "
		    "classes (2xx), comma separated", a->acc);
		msg_usage(usage);
	}
	urlt = arg_tmpl(NULL, a->url, usage);
	if (strchr(a->url, '{') == NULL &&
	    http_url_check(a->url, err, sizeof(err)) < 0) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	if (a->data != NULL)
		bodyt = arg_tmpl(NULL, a->data, usage);
	if (a->sid != NULL)
		sigid = arg_tmpl(NULL, a->sid, usage);
}

/* --body-file: the JSON template */
static void
load_body(const char *bodyfile)
{
	json_error_t je;
	char err[1024], *text;
	size_t len;
	json_t *j;

	text = read_file(bodyfile, &len, EX_CONFIG);
	if ((j = json_loadb(text, len, JSON_DECODE_ANY, &je)) == NULL)
		msg_die(EX_CONFIG, "%s:%d: invalid JSON: %s", bodyfile,
		    je.line, je.text);
	free(text);
	if ((bodyj = jtmpl_compile(j, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "%s: %s", bodyfile, err);
	json_decref(j);
}

/* --sign: the scheme, the secret, hmac-sha256's header */
static void
setup_signing(const struct args *a)
{
	char err[1024], *text;
	const char *first;
	size_t len, pos = 0, flen;
	int s;

	if ((a->scheme == NULL) != (a->secretfile == NULL)) {
		msg_err("--sign and --secret-file go together");
		msg_usage(usage);
	}
	if ((a->sighdr || a->sigpre || a->sigenc) && (a->scheme == NULL ||
	    whsig_scheme(a->scheme) != WHSIG_HMAC_SHA256)) {
		msg_err("--sig-header, --sig-prefix and --sig-encoding are "
		    "for --sign hmac-sha256");
		msg_usage(usage);
	}
	if (a->scheme == NULL)
		return;
	if ((s = whsig_scheme(a->scheme)) < 0) {
		msg_err("unknown --sign '%s' (standard, github, slack, "
		    "stripe, hmac-sha256)", a->scheme);
		msg_usage(usage);
	}
	whsig_init(&sig, s);
	text = read_file(a->secretfile, &len, EX_CONFIG);
	/* one secret a line, as wh-listen reads them: the first signs */
	if (!whsig_next_secret(text, len, &pos, &first, &flen))
		first = text, flen = 0;
	if (whsig_load_secret(&sig, first, flen, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s: %s", a->secretfile, err);
	memset(text, 0, len);
	free(text);
	if (s == WHSIG_HMAC_SHA256) {
		if (a->sighdr == NULL) {
			msg_err("--sign hmac-sha256 needs --sig-header");
			msg_usage(usage);
		}
		if (whsig_set_header(&sig, a->sighdr, a->sigpre, a->sigenc,
		    err, sizeof(err)) < 0) {
			msg_err("%s", err);
			msg_usage(usage);
		}
	}
	signing = 1;
}

static void
free_all(void)
{
	size_t i;

	whsig_clear(&sig);
	curl_slist_free_all(secret);
	for (i = 0; i < nhdrs; i++) {
		free(hdrs[i].name);
		tmpl_free(hdrs[i].val);
	}
	free(hdrs);
	tmpl_free(urlt);
	tmpl_free(bodyt);
	tmpl_free(sigid);
	jtmpl_free(bodyj);
}

int
main(int argc, char *argv[])
{
	struct http_opts ho;
	struct http_pool *pool;
	struct http_tool tool = { build, done, NULL };
	struct nd_opts o = {0};
	struct args a = { .acc = "2xx" };
	char err[1024];
	int rc;

	msg_prog = "wh-send";
	if (http_opts_init(&ho, msg_prog, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	parse_options(argc, argv, &ho, &o, &a);
	check_options(&a);
	if (a.bodyfile != NULL)
		load_body(a.bodyfile);
	setup_signing(&a);
	if (a.errors != NULL &&
	    nd_errors_open(a.errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot start libcurl");
	if ((pool = http_pool_new(&ho, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
	rc = http_run(argv + optind, argc - optind, pool, &tool, NULL, &o);
	http_pool_free(pool);
	free_all();
	curl_global_cleanup();
	return rc;
}
