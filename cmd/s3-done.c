/* s3-done: settle each record's object in s3-scan's state file, then
 * pass the record on */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "nd.h"
#include "scanstate.h"
#include "xmem.h"

static const char usage[] =
    "usage: s3-done [-ehV] --state file [--failed] [--errors file] "
    "[--max-line bytes] [file ...]";

#define BATCH 100	/* records settled in one transaction */
#define PAUSE_MS 10

/* a record held until its object is settled */
struct held {
	json_t *obj;
	char *src;
	long lineno;
	const char *bucket, *key, *etag;	/* in obj */
};

static struct scanstate *st;
static int outcome = SCAN_DONE;		/* --failed: SCAN_FAILED */
static struct held batch[BATCH];
static size_t nbatch;

static void
held_fail(const struct held *h, const char *fmt, const char *a)
{
	struct nd_rec r;

	memset(&r, 0, sizeof(r));
	r.obj = h->obj;
	r.src = h->src;
	r.lineno = h->lineno;
	nd_fail(&r, fmt, a);
}

static void
held_free(struct held *h)
{
	json_decref(h->obj);
	free(h->src);
	memset(h, 0, sizeof(*h));
}

/* settle the batch in one transaction, then pass its records on; 0 or
 * an exit code (the store failed: nothing of the batch is settled) */
static int
flush_batch(char *err, size_t errlen)
{
	int found[BATCH];
	char what[2048];
	size_t i;
	int rc;

	if (nbatch == 0)
		return 0;
	rc = scanstate_begin(st, err, errlen);
	for (i = 0; i < nbatch && rc == 0; i++)
		rc = scanstate_settle(st, batch[i].bucket, batch[i].key,
		    batch[i].etag, outcome, &found[i], err, errlen);
	if (rc == 0)
		rc = scanstate_commit(st, err, errlen);
	else
		scanstate_rollback(st);
	for (i = 0; i < nbatch; i++) {
		if (rc == -1)
			held_fail(&batch[i], "not settled: %s", err);
		else if (!found[i]) {
			snprintf(what, sizeof(what), "s3://%s/%s (ETag %s)",
			    batch[i].bucket, batch[i].key, batch[i].etag);
			held_fail(&batch[i], "%s: not in the scan state",
			    what);
		}
		else
			nd_write(batch[i].obj);
		held_free(&batch[i]);
	}
	nbatch = 0;
	nd_flush_stdout();
	return rc == -1 ? EX_SYSTEM : 0;
}

/* input paused, or it ends: nothing may wait */
static int
on_pause(void *arg, char *err, size_t errlen)
{
	(void)arg;
	return flush_batch(err, errlen);
}

static const char *
field(json_t *s3, const char *name)
{
	return json_string_value(json_object_get(s3, name));
}

static int
settle_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *s3 = json_object_get(r->obj, "s3");
	struct held *h;
	int rc;

	(void)arg;
	if (field(s3, "bucket") == NULL || field(s3, "key") == NULL ||
	    field(s3, "etag") == NULL) {
		snprintf(err, errlen, "no s3.bucket, s3.key and s3.etag");
		return ND_FAIL;
	}
	if (nbatch == BATCH && (rc = flush_batch(err, errlen)) != 0)
		return rc;
	h = &batch[nbatch++];
	h->obj = json_incref(r->obj);
	h->src = xstrdup(r->src ? r->src : "stdin");
	h->lineno = r->lineno;
	h->bucket = field(s3, "bucket");
	h->key = field(s3, "key");
	h->etag = field(s3, "etag");
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { O_STATE = 256, O_FAILED, O_ERRORS };
	static const struct option longopts[] = {
		{"state", required_argument, NULL, O_STATE},
		{"failed", no_argument, NULL, O_FAILED},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *statefile = NULL, *errors = NULL;
	struct nd_opts o;
	char err[1024];
	int c, rc;

	msg_prog = "s3-done";
	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "ehV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.eflag = 1; break;
		case O_STATE: statefile = optarg; break;
		case O_FAILED: outcome = SCAN_FAILED; break;
		case O_ERRORS: errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		ND_CASES_COMMON
			nd_common_opt(c, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default: msg_usage(usage);
		}
	}
	if (statefile == NULL)
		msg_usage(usage);
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if ((st = scanstate_open(statefile, 0, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "%s", err);
	o.idle = on_pause;
	o.idle_ms = PAUSE_MS;
	rc = nd_run(argv + optind, argc - optind, settle_one, NULL, &o);
	scanstate_close(st);
	return rc;
}
