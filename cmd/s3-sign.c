/* s3-sign: presigned S3 URLs (GET or PUT) for objects or records */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws.h"
#include "msg.h"
#include "nd.h"
#include "opt.h"
#include "sigv4.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: s3-sign [-hqV] [-e seconds] [-m GET|PUT] [-b bucket] [-k key] "
    "[--date time] [--endpoint url] [--errors file] [--max-line bytes] "
    "[s3://bucket/key ...]";

static long expires = 3600;
static const char *method = "GET";
static time_t when;
static struct aws_s3_conf s3;		/* region, endpoint, credentials */
static struct tmpl *t_bucket, *t_key;

/* RFC 3339 ("2026-11-23T01:02:03Z") or AWS's 20261123T010203Z */
static int
parse_date(const char *s, time_t *t)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y%m%dT%H%M%SZ", &tm);
	if (end != NULL && *end == '\0' && strlen(s) == 16) {
		*t = timegm(&tm);
		return 0;
	}
	return aws_parse_time(s, t);
}

/* sign bucket/key; 0 with *url malloc'd, or -1 with err */
static int
presign(const char *bucket, const char *key, char **url, char *err,
    size_t errlen)
{
	struct aws_s3_loc loc;
	struct sigv4_req r = {0};
	struct sigv4_signer s = {0};
	struct sigv4_out o = {0};
	char aerr[512];

	if (*bucket == '\0' || *key == '\0') {
		snprintf(err, errlen, "empty bucket or key");
		return -1;
	}
	if (aws_s3_address(&loc, s3.endpoint, bucket, key, s3.style, err,
	    errlen) < 0)
		return -1;
	if (s3.creds.expires != 0 &&
	    aws_creds_refresh(&s3.creds, time(NULL), aerr, sizeof(aerr)) < 0)
		msg_warn("cannot refresh credentials: %s", aerr);
	r.method = method;
	r.scheme = s3.scheme;
	r.host = loc.host;
	r.path = loc.path;
	s.key = s3.creds.key;
	s.secret = s3.creds.secret;
	s.token = s3.creds.token;
	s.region = s3.region;
	s.service = "s3";
	s.flags = SIGV4_S3;
	if (sigv4_presign(&s, &r, when, expires, &o, err, errlen) < 0) {
		aws_s3_loc_free(&loc);
		return -1;
	}
	*url = xstrdup(o.url.p);
	sigv4_out_free(&o);
	aws_s3_loc_free(&loc);
	return 0;
}

static json_t *
expires_at(void)
{
	char b[32];
	time_t t = when + expires;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(b);
}

static int
sign_record(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	struct buf b = {0}, k = {0};
	char *url;
	json_t *out;

	(void)arg;
	buf_adds(&b, "");
	buf_adds(&k, "");
	if (tmpl_render(t_bucket, r->obj, &b, err, errlen) < 0 ||
	    tmpl_render(t_key, r->obj, &k, err, errlen) < 0 ||
	    presign(b.p, k.p, &url, err, errlen) < 0) {
		buf_free(&b);
		buf_free(&k);
		return ND_FAIL;
	}
	out = json_copy(r->obj);
	json_object_set_new(out, "signed_url", json_string(url));
	json_object_set_new(out, "expires_at", expires_at());
	nd_write(out);
	json_decref(out);
	free(url);
	buf_free(&b);
	buf_free(&k);
	return 0;
}

/* s3://bucket/key operands */
static int
sign_operands(char **av, int n)
{
	char err[1024], *url, *bucket;
	const char *key;
	json_t *out;
	int i;

	for (i = 0; i < n && !nd_stop; i++) {
		if (strncmp(av[i], "s3://", 5) != 0 ||
		    (key = strchr(av[i] + 5, '/')) == NULL || key[1] == '\0') {
			msg_err("cannot sign %s: not s3://bucket/key", av[i]);
			nd_set_status(EX_PARTIAL);
			continue;
		}
		bucket = xstrndup(av[i] + 5, (size_t)(key - av[i] - 5));
		if (presign(bucket, key + 1, &url, err, sizeof(err)) < 0) {
			msg_err("cannot sign %s: %s", av[i], err);
			nd_set_status(EX_PARTIAL);
			free(bucket);
			continue;
		}
		out = json_pack("{s:s, s:s, s:o}", "url", av[i], "signed_url",
		    url, "expires_at", expires_at());
		if (out == NULL) {
			msg_err("cannot sign %s: not UTF-8", av[i]);
			nd_set_status(EX_PARTIAL);
		} else {
			nd_write(out);
		}
		json_decref(out);
		free(url);
		free(bucket);
	}
	nd_flush();
	return nd_status();
}

/* what the command line asks for besides the settings above */
struct cmdline {
	const char *bucket, *key, *endpoint, *errors, *date;
};

static void
parse_options(int argc, char *argv[], struct cmdline *cl)
{
	enum { O_DATE = 256, O_ENDPOINT, O_ERRORS };
	static const struct option longopts[] = {
		{"expires", required_argument, NULL, 'e'},
		{"method", required_argument, NULL, 'm'},
		{"bucket", required_argument, NULL, 'b'},
		{"key", required_argument, NULL, 'k'},
		{"date", required_argument, NULL, O_DATE},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	char err[1024];
	int ch;

	while ((ch = getopt_long(argc, argv, "b:e:hk:m:qV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'e':
			if (opt_long("--expires", optarg, 1,
			    SIGV4_EXPIRES_MAX, &expires, err,
			    sizeof(err)) < 0) {
				msg_err("%s", err);
				msg_usage(usage);
			}
			break;
		case 'm':
			if (strcmp(optarg, "GET") == 0 ||
			    strcmp(optarg, "get") == 0)
				method = "GET";
			else if (strcmp(optarg, "PUT") == 0 ||
			    strcmp(optarg, "put") == 0)
				method = "PUT";
			else {
				msg_err("bad method '%s': GET or PUT", optarg);
				msg_usage(usage);
			}
			break;
		case 'b': cl->bucket = optarg; break;
		case 'k': cl->key = optarg; break;
		case 'q': msg_quiet = 1; break;
		case O_DATE: cl->date = optarg; break;
		case O_ENDPOINT: cl->endpoint = optarg; break;
		case O_ERRORS: cl->errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		ND_CASES_COMMON
			nd_common_opt(ch, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
}

int
main(int argc, char *argv[])
{
	struct cmdline cl = { "{s3.bucket}", "{s3.key}", NULL, NULL, NULL };
	struct nd_opts o = {0};
	char err[1100];
	int rc;

	msg_prog = "s3-sign";
	parse_options(argc, argv, &cl);
	when = time(NULL);
	if (cl.date != NULL && parse_date(cl.date, &when) < 0) {
		msg_err("bad --date '%s': RFC 3339 or 20261123T010203Z",
		    cl.date);
		msg_usage(usage);
	}
	if ((t_bucket = tmpl_compile(cl.bucket, err, sizeof(err))) == NULL ||
	    (t_key = tmpl_compile(cl.key, err, sizeof(err))) == NULL) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	if (cl.errors != NULL &&
	    nd_errors_open(cl.errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	if (aws_s3_conf_load(&s3, cl.endpoint, 1, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	/* a URL outlives nothing: not the credentials that signed it */
	if (s3.creds.expires != 0 && when + expires > s3.creds.expires)
		msg_warn("the URLs stop working when the %s credentials "
		    "expire, in %ld s, before their %ld s", s3.creds.source,
		    (long)(s3.creds.expires - when), expires);
	nd_signals();
	if (optind < argc)
		rc = sign_operands(argv + optind, argc - optind);
	else
		rc = nd_run(NULL, 0, sign_record, NULL, &o);
	aws_s3_conf_free(&s3);
	curl_global_cleanup();
	return rc;
}
