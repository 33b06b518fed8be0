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
    "[--sign scheme --secret-file file] [--sign-id id] [--sign-header name] "
    "[--sign-prefix text] [--sign-encoding hex|base64] [-j jobs] "
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
	O_SIGNID, O_SIGNHEADER, O_SIGNPREFIX, O_SIGNENC, O_RETRIES,
	O_RETRYALL, O_MAXBODY, O_ERRORS
};

int
main(int argc, char *argv[])
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
		{"sign-header", required_argument, NULL, O_SIGNHEADER},
		{"sign-prefix", required_argument, NULL, O_SIGNPREFIX},
		{"sign-encoding", required_argument, NULL, O_SIGNENC},
		{"jobs", required_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"retries", required_argument, NULL, O_RETRIES},
		{"retry-all", no_argument, NULL, O_RETRYALL},
		{"max-body", required_argument, NULL, O_MAXBODY},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct http_opts ho;
	struct http_pool *pool;
	struct http_tool tool = { build, done, NULL };
	struct nd_opts o = {0};
	const char *url = NULL, *data = NULL, *bodyfile = NULL;
	const char *errors = NULL, *scheme = NULL, *secretfile = NULL;
	const char *sighdr = NULL, *sigpre = NULL, *sigenc = NULL;
	const char *acc = "2xx", *sid = NULL, *c;
	char err[1024], *text;
	size_t len, i;
	json_t *j;
	int ch, rc;

	msg_prog = "wh-send";
	if (http_opts_init(&ho, msg_prog, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	while ((ch = getopt_long(argc, argv, "d:eH:hj:nqt:u:VX:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'u': url = optarg; break;
		case 'X': method = optarg; break;
		case 'H':
			if (!http_header_ok(optarg)) {
				msg_err("-H takes 'Name: value'");
				msg_usage(usage);
			}
			hdrs = xrealloc(hdrs, (nhdrs + 1) * sizeof(*hdrs));
			c = strchr(optarg, ':');
			hdrs[nhdrs].name = xstrndup(optarg,
			    (size_t)(c - optarg));
			for (c++; *c == ' ' || *c == '\t'; c++)
				;
			if ((hdrs[nhdrs].val = tmpl_compile(c, err,
			    sizeof(err))) == NULL) {
				msg_err("%s", err);
				msg_usage(usage);
			}
			if (strcasecmp(hdrs[nhdrs].name, "content-type") == 0)
				has_ctype = 1;
			nhdrs++;
			break;
		case 'd': data = optarg; break;
		case O_BODYFILE: bodyfile = optarg; break;
		case O_HEADERFILE:
			if (http_header_file(optarg, &secret, err,
			    sizeof(err)) < 0)
				msg_die(EX_CONFIG, "%s", err);
			break;
		case O_ACCEPT: acc = optarg; break;
		case O_SIGN: scheme = optarg; break;
		case O_SECRETFILE: secretfile = optarg; break;
		case O_SIGNID: sid = optarg; break;
		case O_SIGNHEADER: sighdr = optarg; break;
		case O_SIGNPREFIX: sigpre = optarg; break;
		case O_SIGNENC: sigenc = optarg; break;
		case 'j': ho.jobs = (int)arg_long("-j", optarg, 1, 256, usage); break;
		case 't': ho.timeout = arg_long("-t", optarg, 1, 86400, usage); break;
		case O_RETRIES:
			ho.retry.retries = (int)arg_long("--retries", optarg, 0, 100, usage);
			break;
		case O_RETRYALL: ho.retry.all = 1; break;
		case O_MAXBODY:
			ho.body_max = arg_size("--max-body", optarg, 0,
			    1L << 30, usage);
			break;
		case O_ERRORS: errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case 'e': o.eflag = 1; break;
		case 'n': nflag = 1; break;
		case 'q': msg_quiet = 1; break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	if (url == NULL) {
		msg_err("give a URL (-u)");
		msg_usage(usage);
	}
	if (data != NULL && bodyfile != NULL) {
		msg_err("-d and --body-file do not go together");
		msg_usage(usage);
	}
	if (!method_ok(method)) {
		msg_err("bad method '%s': upper-case letters only", method);
		msg_usage(usage);
	}
	if (parse_accept(acc) < 0) {
		msg_err("bad --accept '%s': statuses, ranges (200-204) or "
		    "classes (2xx), comma separated", acc);
		msg_usage(usage);
	}
	if ((urlt = tmpl_compile(url, err, sizeof(err))) == NULL) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	if (strchr(url, '{') == NULL &&
	    http_url_check(url, err, sizeof(err)) < 0) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	if (data != NULL &&
	    (bodyt = tmpl_compile(data, err, sizeof(err))) == NULL) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	if (sid != NULL &&
	    (sigid = tmpl_compile(sid, err, sizeof(err))) == NULL) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	if (bodyfile != NULL) {
		json_error_t je;

		text = read_file(bodyfile, &len, EX_CONFIG);
		if ((j = json_loadb(text, len, JSON_DECODE_ANY, &je)) == NULL)
			msg_die(EX_CONFIG, "%s:%d: invalid JSON: %s", bodyfile,
			    je.line, je.text);
		free(text);
		if ((bodyj = jtmpl_compile(j, err, sizeof(err))) == NULL)
			msg_die(EX_CONFIG, "%s: %s", bodyfile, err);
		json_decref(j);
	}
	if ((scheme == NULL) != (secretfile == NULL)) {
		msg_err("--sign and --secret-file go together");
		msg_usage(usage);
	}
	if ((sighdr || sigpre || sigenc) && (scheme == NULL ||
	    whsig_scheme(scheme) != WHSIG_HMAC_SHA256)) {
		msg_err("--sign-header, --sign-prefix and --sign-encoding are "
		    "for --sign hmac-sha256");
		msg_usage(usage);
	}
	if (scheme != NULL) {
		int s = whsig_scheme(scheme);

		if (s < 0) {
			msg_err("unknown --sign '%s' (standard, github, "
			    "slack, stripe, hmac-sha256)", scheme);
			msg_usage(usage);
		}
		whsig_init(&sig, s);
		text = read_file(secretfile, &len, EX_CONFIG);
		if (whsig_load_secret(&sig, text, len, err, sizeof(err)) < 0)
			msg_die(EX_CONFIG, "%s: %s", secretfile, err);
		memset(text, 0, len);
		free(text);
		if (s == WHSIG_HMAC_SHA256) {
			if (sighdr == NULL) {
				msg_err("--sign hmac-sha256 needs "
				    "--sign-header");
				msg_usage(usage);
			}
			if (whsig_set_header(&sig, sighdr, sigpre, sigenc, err,
			    sizeof(err)) < 0) {
				msg_err("%s", err);
				msg_usage(usage);
			}
		}
		signing = 1;
	}
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot start libcurl");
	if ((pool = http_pool_new(&ho, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
	rc = http_run(argv + optind, argc - optind, pool, &tool, NULL, &o);
	http_pool_free(pool);
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
	curl_global_cleanup();
	return rc;
}
