/* s3-put: upload files to S3, one output record per file (options,
 * start-up, and the input: file operands or records) */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "arg.h"
#include "http.h"
#include "tmpl.h"
#include "s3-put.h"

const char usage[] =
    "usage: s3-put [-ehnqV] -b bucket [-k key] [-f file] [-j jobs] "
    "[-t seconds] [--content-type type] [--cache-control value] "
    "[--metadata k=v]... [--storage-class class] [--sse AES256|aws:kms] "
    "[--sse-kms-key-id id] [--if-none-match] [--no-checksum] "
    "[--part-size bytes] "
    "[--multipart-threshold bytes] [--retries n] [--delete-source] "
    "[--endpoint url] [--errors file] [--max-line bytes] [file ...]\n"
    "       s3-put [-n] -b bucket [-k prefix] "
    "--list-uploads | --abort-stale age";

struct options opt = {
	.file = "{fetch.path}",
	.checksum = 1,
	.psize = 8 * MIB, .threshold = 8 * MIB,
	.jobs = 4, .retries = 4,
	.timeout = 30,
};

/* the input: file operands, or records on stdin */
static struct {
	struct tmpl *bucket, *key, *file;
	char **operands;
	int noperands, next;
	struct nd_reader rd;
} in;

#define AGE_MAX_MS	(36500LL * 86400 * 1000)	/* a century */

/* what the command line asks for besides the options */
struct cmdline {
	const char *errors;
	long age;			/* --abort-stale, or -1 */
	int list;			/* --list-uploads */
};

/* a Content-Type from the file name, like the AWS CLI's guess */
static const char *
guess_type(const char *name)
{
	static const char *const types[][2] = {
		{"txt", "text/plain"}, {"log", "text/plain"},
		{"html", "text/html"}, {"htm", "text/html"},
		{"css", "text/css"}, {"csv", "text/csv"},
		{"md", "text/markdown"}, {"js", "text/javascript"},
		{"json", "application/json"}, {"xml", "application/xml"},
		{"ndjson", "application/x-ndjson"},
		{"jsonl", "application/x-ndjson"},
		{"yaml", "application/yaml"}, {"yml", "application/yaml"},
		{"pdf", "application/pdf"}, {"zip", "application/zip"},
		{"gz", "application/gzip"}, {"tgz", "application/gzip"},
		{"tar", "application/x-tar"}, {"bz2", "application/x-bzip2"},
		{"xz", "application/x-xz"}, {"zst", "application/zstd"},
		{"wasm", "application/wasm"}, {"png", "image/png"},
		{"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
		{"gif", "image/gif"}, {"svg", "image/svg+xml"},
		{"webp", "image/webp"}, {"ico", "image/vnd.microsoft.icon"},
		{"mp3", "audio/mpeg"}, {"wav", "audio/wav"},
		{"mp4", "video/mp4"}, {"webm", "video/webm"},
		{"parquet", "application/vnd.apache.parquet"},
	};
	const char *dot, *slash;
	size_t i;

	slash = strrchr(name, '/');
	dot = strrchr(slash ? slash : name, '.');
	if (dot != NULL)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i][0]) == 0)
				return types[i][1];
	return "application/octet-stream";
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* bucket, key, url, location and type of u from its file name */
static int
place(struct upload *u, const char *bucket, const char *key)
{
	char err[512];
	struct buf b = {0};

	u->bucket = xstrdup(bucket);
	if (key == NULL || *key == '\0' || key[strlen(key) - 1] == '/') {
		buf_adds(&b, key ? key : "");
		buf_adds(&b, base_name(u->file));
		u->key = b.p;
	} else {
		u->key = xstrdup(key);
	}
	memset(&b, 0, sizeof(b));
	buf_addf(&b, "s3://%s/%s", u->bucket, u->key);
	u->s3url = b.p;
	if (*u->bucket == '\0' || *u->key == '\0') {
		ufail(u, EX_PARTIAL, "cannot put %s: empty bucket or key",
		    u->s3url);
		return -1;
	}
	if (aws_s3_address(&u->loc, opt.s3.endpoint, u->bucket, u->key,
	    opt.s3.style, err, sizeof(err)) < 0) {
		ufail(u, EX_PARTIAL, "cannot put %s: %s", u->s3url, err);
		return -1;
	}
	u->ctype = xstrdup(opt.ctype ? opt.ctype : guess_type(u->is_stdin ?
	    u->key : u->file));
	return 0;
}

static void
from_operand(const char *arg)
{
	struct upload *u = upload_new();

	u->file = xstrdup(arg);
	u->is_stdin = strcmp(arg, "-") == 0;
	if (place(u, opt.bucket, opt.key) < 0)
		upload_enter(u, U_DONE, NULL, 0);
	enqueue(u);
}

static char *
render(struct tmpl *t, json_t *obj, struct upload *u, const char *what)
{
	struct buf b = {0};
	char err[1024];

	buf_adds(&b, "");
	if (tmpl_render(t, obj, &b, err, sizeof(err)) < 0) {
		ufail(u, EX_PARTIAL, "%s: %s", what, err);
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

static void
from_line(const char *line, size_t len, long lineno)
{
	struct upload *u = upload_new();
	char err[1024], *bucket = NULL, *key = NULL;

	u->line = xstrndup(line ? line : "", len);
	u->len = len;
	u->lineno = lineno;
	upload_enter(u, U_DONE, NULL, 0);
	if (line == NULL) {
		nd_too_long(err, sizeof(err));
		ufail(u, opt.eflag ? EX_DATA : EX_PARTIAL, "%s", err);
		goto out;
	}
	if ((u->obj = nd_parse(line, len, err, sizeof(err))) == NULL) {
		ufail(u, opt.eflag ? EX_DATA : EX_PARTIAL, "%s", err);
		goto out;
	}
	if ((u->file = render(in.file, u->obj, u, "file")) == NULL ||
	    (bucket = render(in.bucket, u->obj, u, "bucket")) == NULL ||
	    (in.key && (key = render(in.key, u->obj, u, "key")) == NULL))
		goto out;
	if (*u->file == '\0') {
		ufail(u, EX_PARTIAL, "file: empty file name");
		goto out;
	}
	u->is_stdin = 0;
	if (place(u, bucket, key) == 0)
		upload_enter(u, U_NEW, NULL, 0);
out:
	if (u->failed && opt.eflag) {
		/* read no further: the records before it still finish */
		if (u->code < EX_DATA)
			u->code = EX_DATA;
		run.stopping = EX_DATA;
	}
	free(bucket);
	free(key);
	enqueue(u);
}

/* whether a record can be read without blocking */
static int
input_ready(void)
{
	struct pollfd p;

	if (nd_reader_ready(&in.rd))
		return 1;
	if (run.active == 0)
		return 1;	/* nothing else to do: block */
	p.fd = in.rd.fd;
	p.events = POLLIN;
	return poll(&p, 1, 0) > 0;
}

/* take one more input item; 0 if none was ready */
int
read_input(void)
{
	char *line;
	size_t len;
	int rc;

	if (opt.opmode) {
		if (in.next >= in.noperands) {
			run.input_done = 1;
			return 0;
		}
		from_operand(in.operands[in.next++]);
		return 1;
	}
	while (input_ready()) {
		rc = nd_reader_next(&in.rd, &line, &len);
		if (rc < 0 && errno == EINTR && nd_stop)
			return 0;
		if (rc < 0) {
			msg_err("cannot read stdin: %s", strerror(errno));
			nd_set_status(EX_SYSTEM);
			run.input_done = 1;
			return 0;
		}
		if (rc == 0) {
			run.input_done = 1;
			return 0;
		}
		if (rc != ND_LONG && nd_blank(line, len))
			continue;
		metrics_add(METRICS_READ, 1);
		from_line(rc == ND_LONG ? NULL : line, len, in.rd.lineno);
		return 1;
	}
	return 0;
}

/* the input to wait for beside the transfers, or -1 */
int
input_waitfd(void)
{
	if (opt.opmode || run.input_done || run.stopping || nd_stop ||
	    run.active >= run.slots)
		return -1;
	return in.rd.fd;
}

/* ---- options ---- */

static void
add_meta(const char *kv)
{
	const char *eq = strchr(kv, '=');
	struct buf b = {0};
	size_t i;

	if (eq == NULL || eq == kv) {
		msg_err("bad --metadata '%s': want key=value", kv);
		msg_usage(usage);
	}
	buf_adds(&b, "x-amz-meta-");
	for (i = 0; kv + i < eq; i++) {
		char c = kv[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_' &&
		    c != '.') {
			msg_err("bad --metadata key in '%s'", kv);
			msg_usage(usage);
		}
		buf_addc(&b, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	for (i = 0; eq[1 + i] != '\0'; i++)
		if ((unsigned char)eq[1 + i] < 0x20 || eq[1 + i] == 0x7f) {
			msg_err("bad --metadata value in '%s'", kv);
			msg_usage(usage);
		}
	opt.meta_names = xrealloc(opt.meta_names,
	    (opt.nmeta + 1) * sizeof(char *));
	opt.meta_values = xrealloc(opt.meta_values,
	    (opt.nmeta + 1) * sizeof(char *));
	opt.meta_names[opt.nmeta] = b.p;
	opt.meta_values[opt.nmeta++] = xstrdup(eq + 1);
}

static void
parse_options(int argc, char *argv[], struct cmdline *cl)
{
	enum { O_CTYPE = 256, O_CACHE, O_META, O_CLASS, O_SSE, O_KMS, O_INM,
	    O_NOSUM,
	    O_PSIZE, O_THRESH, O_DELETE, O_ENDPOINT, O_ERRORS, O_RETRIES,
	    O_LIST, O_STALE };
	static const struct option longopts[] = {
		{"bucket", required_argument, NULL, 'b'},
		{"key", required_argument, NULL, 'k'},
		{"file", required_argument, NULL, 'f'},
		{"jobs", required_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"content-type", required_argument, NULL, O_CTYPE},
		{"cache-control", required_argument, NULL, O_CACHE},
		{"metadata", required_argument, NULL, O_META},
		{"storage-class", required_argument, NULL, O_CLASS},
		{"sse", required_argument, NULL, O_SSE},
		{"sse-kms-key-id", required_argument, NULL, O_KMS},
		{"if-none-match", no_argument, NULL, O_INM},
		{"no-checksum", no_argument, NULL, O_NOSUM},
		{"part-size", required_argument, NULL, O_PSIZE},
		{"multipart-threshold", required_argument, NULL, O_THRESH},
		{"retries", required_argument, NULL, O_RETRIES},
		{"delete-source", no_argument, NULL, O_DELETE},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"list-uploads", no_argument, NULL, O_LIST},
		{"abort-stale", required_argument, NULL, O_STALE},
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "b:ef:hj:k:nqt:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b': opt.bucket = optarg; break;
		case 'k': opt.key = optarg; break;
		case 'f': opt.file = optarg; break;
		case 'j':
			opt.jobs = (int)arg_long("-j", optarg, 1, 64, usage);
			break;
		case 't':
			opt.timeout = arg_long("-t", optarg, 1, 3600, usage);
			break;
		case 'e': opt.eflag = 1; break;
		case 'n': opt.nflag = 1; break;
		case 'q': msg_quiet = 1; break;
		case O_CTYPE: opt.ctype = optarg; break;
		case O_CACHE: opt.cache = optarg; break;
		case O_META: add_meta(optarg); break;
		case O_CLASS: opt.class = optarg; break;
		case O_SSE: opt.sse = optarg; break;
		case O_KMS: opt.kms = optarg; break;
		case O_INM: opt.inm = 1; break;
		case O_NOSUM: opt.checksum = 0; break;
		case O_PSIZE:
			opt.psize = arg_size("--part-size", optarg, PART_MIN,
			    PART_MAX, usage);
			break;
		case O_THRESH:
			opt.threshold = arg_size("--multipart-threshold",
			    optarg, 0, PART_MAX, usage);
			break;
		case O_RETRIES:
			opt.retries = (int)arg_long("--retries", optarg, 0, 20,
			    usage);
			break;
		case O_DELETE: opt.delete = 1; break;
		case O_ENDPOINT: opt.endpoint_opt = optarg; break;
		case O_ERRORS: cl->errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case O_LIST: cl->list = 1; break;
		case O_STALE:
			/* in whole seconds, rounded up: never younger */
			cl->age = (long)((arg_ms("--abort-stale", optarg, 0,
			    AGE_MAX_MS, usage) + 999) / 1000);
			break;
		ND_CASES_COMMON
			nd_common_opt(ch, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	in.operands = argv + optind;
	in.noperands = argc - optind;
	opt.opmode = in.noperands > 0;
}

/* the options that go together, the operands, the templates */
static void
check_options(const struct cmdline *cl)
{
	char err[1024];
	int i, nstdin = 0;

	if ((cl->list || cl->age >= 0) && in.noperands > 0) {
		msg_err("--list-uploads and --abort-stale take no files");
		msg_usage(usage);
	}
	if (opt.bucket == NULL) {
		msg_err("give a bucket (-b)");
		msg_usage(usage);
	}
	if (opt.sse && strcmp(opt.sse, "AES256") != 0 &&
	    strcmp(opt.sse, "aws:kms") != 0) {
		msg_err("bad --sse '%s': AES256 or aws:kms", opt.sse);
		msg_usage(usage);
	}
	if (opt.kms && (opt.sse == NULL || strcmp(opt.sse, "aws:kms") != 0)) {
		msg_err("--sse-kms-key-id goes with --sse aws:kms");
		msg_usage(usage);
	}
	for (i = 0; i < in.noperands; i++)
		nstdin += strcmp(in.operands[i], "-") == 0;
	if (nstdin > 1 || (nstdin && (opt.key == NULL || *opt.key == '\0' ||
	    opt.key[strlen(opt.key) - 1] == '/'))) {
		msg_err("- (standard input) needs a full key (-k) and "
		    "may be given once");
		msg_usage(usage);
	}
	if (in.noperands > 1 && opt.key && *opt.key &&
	    opt.key[strlen(opt.key) - 1] != '/') {
		msg_err("several files need a key prefix ending in / (-k)");
		msg_usage(usage);
	}
	if (!opt.opmode && !cl->list && cl->age < 0) {
		if ((in.bucket = tmpl_compile(opt.bucket, err, sizeof(err))) ==
		    NULL || (in.file = tmpl_compile(opt.file, err,
		    sizeof(err))) == NULL || (opt.key != NULL &&
		    (in.key = tmpl_compile(opt.key, err, sizeof(err))) ==
		    NULL)) {
			msg_err("%s", err);
			msg_usage(usage);
		}
	}
}

/* the environment, the AWS config and credentials */
static void
setup(const struct cmdline *cl)
{
	char err[1100];

	/* 500 ms doubling to 20 s, or HOOKPIPE_BACKOFF */
	if (http_retry_init(&opt.retry, opt.retries, 500, 20000, err,
	    sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (cl->errors != NULL &&
	    nd_errors_open(cl->errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	if (aws_s3_conf_load(&opt.s3, opt.endpoint_opt, !opt.nflag ||
	    cl->list || cl->age >= 0, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
}

/* the uploads, from the operands or the records on stdin */
static int
put_all(void)
{
	int rc;

	/*
	 * One request more than connections: it is read and hashed while
	 * the others send, then waits in the pool for a connection.
	 */
	run.slots = opt.jobs + 1;
	transfers_open();
	pool_init();
	nd_signals();
	nd_reader_init(&in.rd, STDIN_FILENO, "stdin");
	rc = loop();
	prep_stop();
	nd_reader_free(&in.rd);
	transfers_close();
	pool_free();
	return rc;
}

int
main(int argc, char *argv[])
{
	struct cmdline cl = { NULL, -1, 0 };
	int rc;

	msg_prog = "s3-put";
	parse_options(argc, argv, &cl);
	check_options(&cl);
	setup(&cl);
	if (cl.list || cl.age >= 0) {
		nd_signals();
		rc = uploads(cl.age);
	} else {
		rc = put_all();
	}
	aws_s3_conf_free(&opt.s3);
	curl_global_cleanup();
	return rc;
}
