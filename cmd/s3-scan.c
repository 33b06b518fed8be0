/* s3-scan: list buckets and write one record per object not yet seen,
 * leased until s3-done settles it */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>
#include <jansson.h>

#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "s3list.h"
#include "scanstate.h"
#include "state.h"
#include "sys.h"
#include "xmem.h"

static const char usage[] =
    "usage: s3-scan [-hqV] -b bucket ... --state file [--once | "
    "--interval seconds] [--prefix prefix] [--type type ...] [--max n] "
    "[--lease seconds] [-j n] [--list-v1] [--retries n] [--timeout seconds] "
    "[--endpoint url] [--create-table] [--status | --requeue]";

static const char **buckets, **types;
static size_t nbuckets, ntypes;
static const char *prefix, *statefile, *endpoint;
static int state_flags;	/* --create-table */
static long interval = -1, maxn, lease = 900, jobs = 4, retries = 4,
    timeout = 30;
static int listv1, once, status, requeue;
static struct aws_s3_conf s3;
static struct s3req_ctx ctx;
static struct scanstate *st;

/* ---- media types ---- */

/* the type of a key's extension, for objects stored without one */
static const char *
ext_type(const char *key)
{
	static const char *const map[][2] = {
		{ "mp4", "video/mp4" }, { "m4v", "video/x-m4v" },
		{ "mov", "video/quicktime" }, { "qt", "video/quicktime" },
		{ "mkv", "video/x-matroska" }, { "webm", "video/webm" },
		{ "avi", "video/x-msvideo" }, { "mpg", "video/mpeg" },
		{ "mpeg", "video/mpeg" }, { "mxf", "application/mxf" },
		{ "ts", "video/mp2t" }, { "jpg", "image/jpeg" },
		{ "jpeg", "image/jpeg" }, { "png", "image/png" },
		{ "gif", "image/gif" }, { "tif", "image/tiff" },
		{ "tiff", "image/tiff" }, { "mp3", "audio/mpeg" },
		{ "wav", "audio/wav" }, { "txt", "text/plain" },
		{ "json", "application/json" }, { "pdf", "application/pdf" },
	};
	const char *dot = strrchr(key, '.'), *slash = strrchr(key, '/');
	size_t i;

	if (dot == NULL || (slash != NULL && slash > dot))
		return NULL;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(dot + 1, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* S3's default for an object stored without a type says nothing */
static int
no_type(const char *t)
{
	return t == NULL || *t == '\0' ||
	    strncasecmp(t, "binary/octet-stream", 19) == 0 ||
	    strncasecmp(t, "application/octet-stream", 24) == 0;
}

/* whether type (parameters dropped) matches a --type: "video/mp4", or
 * a whole class ("video/" then a star); without --type everything does */
static int
wanted(const char *type)
{
	size_t i, n, tl;

	if (ntypes == 0)
		return 1;
	if (type == NULL)
		return 0;
	tl = strcspn(type, "; \t");
	for (i = 0; i < ntypes; i++) {
		n = strlen(types[i]);
		if (n >= 2 && strcmp(types[i] + n - 2, "/*") == 0) {
			if (tl > n - 1 && strncasecmp(type, types[i], n - 1) ==
			    0)
				return 1;
		} else if (tl == n && strncasecmp(type, types[i], n) == 0)
			return 1;
	}
	return 0;
}

/* ---- a pass ---- */

struct pass {
	const char *bucket;
	long added;
	int local;		/* the state file failed */
};

/* move the objects the state does not know to the front: *k of them;
 * -1 with err (and p->local) if the state file fails */
static int
unseen(struct pass *p, struct s3obj *o, size_t n, size_t *k, char *err,
    size_t errlen)
{
	struct s3obj t;
	size_t i;
	int seen;

	for (*k = i = 0; i < n; i++) {
		if (scanstate_seen(st, p->bucket, o[i].key, o[i].etag, &seen,
		    err, errlen) == -1) {
			p->local = 1;
			return -1;
		}
		if (!seen) {
			t = o[*k];
			o[(*k)++] = o[i];
			o[i] = t;
		}
	}
	return 0;
}

/* o[0..k), headed, into the state in one transaction: pending, or
 * skipped when not of a wanted type; -1 with err (and p->local) */
static int
remember(struct pass *p, struct s3obj *o, size_t k, char *err,
    size_t errlen)
{
	struct scanstate_item it;
	size_t i;
	int added;

	if (scanstate_begin(st, err, errlen) == -1)
		goto bad;
	for (i = 0; i < k; i++) {
		if (o[i].gone)
			continue;
		if (no_type(o[i].ctype)) {
			free(o[i].ctype);
			o[i].ctype = ext_type(o[i].key) ?
			    xstrdup(ext_type(o[i].key)) : NULL;
		}
		memset(&it, 0, sizeof(it));
		it.bucket = p->bucket;
		it.key = o[i].key;
		it.etag = o[i].etag;
		it.size = o[i].size;
		it.last_modified = o[i].last_modified;
		it.ctype = o[i].ctype;
		if (scanstate_add(st, &it, wanted(o[i].ctype) ? SCAN_PENDING :
		    SCAN_SKIPPED, &added, err, errlen) == -1) {
			scanstate_rollback(st);
			goto bad;
		}
		p->added += added;
	}
	if (scanstate_commit(st, err, errlen) == 0)
		return 0;
bad:
	p->local = 1;
	return -1;
}

/* one page: the objects not seen yet, their types (HeadObject, -j at
 * once, only when --type is to judge them; else the extension's),
 * remembered */
static int
on_page(void *arg, struct s3obj *o, size_t n, char *err, size_t errlen)
{
	struct pass *p = arg;
	size_t k;
	int rc;

	rc = unseen(p, o, n, &k, err, errlen);
	if (rc == 0 && k > 0 && ntypes > 0)
		rc = s3list_head(&ctx, p->bucket, o, k, (int)jobs, err,
		    errlen);
	if (rc == 0 && k > 0)
		rc = remember(p, o, k, err, errlen);
	s3list_free(o, n);
	return rc;
}

static void
emit(void *arg, const struct scanstate_item *it)
{
	json_t *rec;

	(void)arg;
	rec = json_pack("{s:{s:s, s:s, s:I, s:s, s:s?, s:s?}}", "s3",
	    "bucket", it->bucket, "key", it->key, "size",
	    (json_int_t)it->size, "etag", it->etag, "last_modified",
	    it->last_modified, "content_type", it->ctype);
	if (rec == NULL) {
		msg_err("cannot write s3://%s/%s: not UTF-8", it->bucket,
		    it->key);
		nd_set_status(EX_PARTIAL);
		return;
	}
	nd_write(rec);
	json_decref(rec);
}

/* list bucket and emit what is due; an exit code (0: all went well) */
static int
scan_bucket(const char *bucket, long *left)
{
	struct pass p = { bucket, 0, 0 };
	char err[1024], *code = NULL;
	long n;
	int rc = 0;

	err[0] = '\0';
	if (s3list_list(&ctx, bucket, prefix, listv1, on_page, &p, &code,
	    err, sizeof(err)) == -1) {
		rc = p.local ? EX_SYSTEM : ctx.temp ? EX_TEMPFAIL :
		    EX_REMOTE;
		msg_err("cannot list bucket %s: %s", bucket, err);
	}
	free(code);
	/* --max reached: listed, remembered, emitted by a later pass */
	if (maxn > 0 && *left == 0)
		return rc;
	/* what was remembered before a cut is emitted all the same */
	n = scanstate_take(st, bucket, lease, time(NULL), maxn ? *left : 0,
	    emit, NULL, err, sizeof(err));
	nd_flush();
	if (n == -1) {
		msg_err("%s", err);
		return EX_SYSTEM;
	}
	*left -= n;
	return rc;
}

static int
scan_pass(void)
{
	long left = maxn;
	size_t i;
	int rc = 0, r;

	for (i = 0; i < nbuckets && !nd_stop; i++)
		if ((r = scan_bucket(buckets[i], &left)) > rc)
			rc = r;
	return rc;
}

/* --status, --requeue: one record on stdout */
static int
admin(void)
{
	long counts[SCAN_NSTATES], red, n;
	char err[1024];
	json_t *rec;
	int i;

	if (requeue) {
		if (scanstate_requeue(st, &n, err, sizeof(err)) == -1)
			msg_die(EX_SYSTEM, "%s", err);
		rec = json_pack("{s:I}", "requeued", (json_int_t)n);
	} else {
		if (scanstate_counts(st, counts, &red, err, sizeof(err)) ==
		    -1)
			msg_die(EX_SYSTEM, "%s", err);
		rec = json_object();
		for (i = 0; i < SCAN_NSTATES; i++)
			json_object_set_new(rec, scanstate_names[i],
			    json_integer(counts[i]));
		json_object_set_new(rec, "redelivered", json_integer(red));
	}
	nd_write(rec);
	json_decref(rec);
	nd_flush();
	return nd_status();
}

/* --interval: passes until a signal; a temporary failure waits for the
 * next pass, one refused for good ends the run */
static int
loop(void)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	int64_t until;
	int rc;

	for (;;) {
		rc = scan_pass();
		if (nd_stop || (rc != 0 && rc != EX_TEMPFAIL &&
		    rc != EX_PARTIAL))
			return rc;
		until = sys_now_ms() + interval * 1000;
		while (!nd_stop && sys_now_ms() < until)
			nanosleep(&ts, NULL);
		if (nd_stop)
			return rc;
	}
}

static void
add(const char ***v, size_t *n, const char *s)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

static void
parse_options(int argc, char *argv[])
{
	enum { O_STATE = 256, O_ONCE, O_INTERVAL, O_PREFIX, O_TYPE, O_MAX,
	    O_LEASE, O_V1, O_RETRIES, O_TIMEOUT, O_ENDPOINT, O_STATUS,
	    O_REQUEUE, O_CREATE };
	static const struct option lo[] = {
		{"bucket", required_argument, NULL, 'b'},
		{"jobs", required_argument, NULL, 'j'},
		{"state", required_argument, NULL, O_STATE},
		{"create-table", no_argument, NULL, O_CREATE},
		{"once", no_argument, NULL, O_ONCE},
		{"interval", required_argument, NULL, O_INTERVAL},
		{"prefix", required_argument, NULL, O_PREFIX},
		{"type", required_argument, NULL, O_TYPE},
		{"max", required_argument, NULL, O_MAX},
		{"lease", required_argument, NULL, O_LEASE},
		{"list-v1", no_argument, NULL, O_V1},
		{"retries", required_argument, NULL, O_RETRIES},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"status", no_argument, NULL, O_STATUS},
		{"requeue", no_argument, NULL, O_REQUEUE},
		{"quiet", no_argument, NULL, 'q'},
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int c;

	while ((c = getopt_long(argc, argv, "b:hj:qV", lo, NULL)) != -1) {
		switch (c) {
		case 'b': add(&buckets, &nbuckets, optarg); break;
		case 'j': jobs = arg_long("-j", optarg, 1, 64, usage); break;
		case O_STATE: statefile = optarg; break;
		case O_CREATE: state_flags = STATE_CREATE_TABLE; break;
		case O_ONCE: once = 1; break;
		case O_INTERVAL:
			interval = arg_long("--interval", optarg, 0, 86400 * 7,
			    usage);
			break;
		case O_PREFIX: prefix = optarg; break;
		case O_TYPE: add(&types, &ntypes, optarg); break;
		case O_MAX:
			maxn = arg_long("--max", optarg, 1, 100000000, usage);
			break;
		case O_LEASE:
			lease = arg_long("--lease", optarg, 1, 86400 * 30,
			    usage);
			break;
		case O_V1: listv1 = 1; break;
		case O_RETRIES:
			retries = arg_long("--retries", optarg, 0, 20, usage);
			break;
		case O_TIMEOUT:
			timeout = arg_long("--timeout", optarg, 1, 3600, usage);
			break;
		case O_ENDPOINT: endpoint = optarg; break;
		case O_STATUS: status = 1; break;
		case O_REQUEUE: requeue = 1; break;
		case 'q': msg_quiet = 1; break;
		ND_CASES_COMMON
			nd_common_opt(c, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default: msg_usage(usage);
		}
	}
}

/* the options that go together, or exit 2 */
static void
check_options(int argc)
{
	if (optind != argc || statefile == NULL)
		msg_usage(usage);
	if (status + requeue > 1 || ((status || requeue) && (nbuckets > 0 ||
	    once || interval >= 0))) {
		msg_err("--status and --requeue go alone with --state");
		msg_usage(usage);
	}
	if (!status && !requeue && (nbuckets == 0 || once ==
	    (interval >= 0))) {
		msg_err("give -b and one of --once and --interval");
		msg_usage(usage);
	}
}

int
main(int argc, char *argv[])
{
	struct http_retry rp;
	char err[1100];
	int rc;

	msg_prog = "s3-scan";
	parse_options(argc, argv);
	check_options(argc);
	if (http_retry_init(&rp, (int)retries, 500, 20000, err,
	    sizeof(err)) == -1)
		msg_die(EX_CONFIG, "%s", err);
	if ((st = scanstate_open(statefile, state_flags, err, sizeof(err))) ==
	    NULL)
		msg_die(EX_CONFIG, "%s", err);
	nd_signals();
	if (status || requeue) {
		rc = admin();
		scanstate_close(st);
		return rc;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	if (aws_s3_conf_load(&s3, endpoint, 1, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	s3req_ctx_init(&ctx, &s3, "s3-scan", timeout, (int)retries);
	ctx.on_retry = msg_quiet ? NULL : msg_retry;
	rc = once ? scan_pass() : loop();
	nd_flush();
	if (nd_status() > rc)
		rc = nd_status();
	scanstate_close(st);
	aws_s3_conf_free(&s3);
	curl_global_cleanup();
	free(buckets);
	free(types);
	return rc;
}
