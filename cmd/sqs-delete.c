/* sqs-delete: delete each record's SQS message, then pass the record on */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "nd.h"
#include "sqs.h"
#include "xmem.h"

static const char usage[] =
    "usage: sqs-delete [-ehV] [-q queue] [--endpoint url] "
    "[--errors file] [--max-line bytes] [file ...]";

#define BATCH 10
#define PAUSE_MS 10

/* one message: its receipt handle and the records that carry it */
struct entry {
	char *queue;
	char *handle;
	long parts;		/* records expected (sqs.parts), 1 if none */
	struct nd_held *rec;
	size_t n;
};

static struct sqs_client cl;
static char *defqueue;		/* -q, resolved */
static struct entry batch[BATCH];
static size_t nbatch;
static struct entry *waiting;	/* messages with parts still to come */
static size_t nwaiting;
static int dead;		/* a fatal error was reported */

static void
entry_free(struct entry *e)
{
	nd_held_free_all(e->rec, e->n);
	free(e->queue);
	free(e->handle);
	memset(e, 0, sizeof(*e));
}

static void
hold(struct entry *e, struct nd_rec *r)
{
	e->rec = xrealloc(e->rec, (e->n + 1) * sizeof(*e->rec));
	nd_hold(&e->rec[e->n++], r);
}

/* DeleteMessageBatch for what is batched; 0 or an exit code */
static int
flush_batch(char *err, size_t errlen)
{
	json_t *req, *ents, *resp, *failed;
	const char *code, *message = NULL;
	char eid[24], why[1024];
	size_t i, k;
	int rc = 0;

	if (nbatch == 0)
		return 0;
	ents = json_array();
	for (i = 0; i < nbatch; i++) {
		snprintf(eid, sizeof(eid), "m%zu", i);
		json_array_append_new(ents, json_pack("{s:s, s:s}", "Id",
		    eid, "ReceiptHandle", batch[i].handle));
	}
	req = json_pack("{s:s, s:o}", "QueueUrl", batch[0].queue, "Entries",
	    ents);
	if (sqs_call(&cl, "DeleteMessageBatch", req, &resp, 0, 0, why,
	    sizeof(why)) == -1) {
		json_decref(req);
		snprintf(err, errlen, "cannot delete messages from %s: %s",
		    batch[0].queue, why);
		/* every record of the batch is reported; the messages come
		 * back after their visibility timeout */
		for (i = 0; i < nbatch; i++) {
			for (k = 0; k < batch[i].n; k++)
				nd_held_fail(&batch[i].rec[k], "cannot delete "
				    "its message: %s%s", why, "");
			entry_free(&batch[i]);
		}
		nbatch = 0;
		if ((dead = sqs_batch_fail(&cl)) == 0)
			err[0] = '\0';
		return dead;
	}
	json_decref(req);
	failed = json_object_get(resp, "Failed");
	for (i = 0; i < nbatch; i++) {
		snprintf(eid, sizeof(eid), "m%zu", i);
		code = NULL;
		sqs_batch_error(failed, eid, &code, &message);
		for (k = 0; k < batch[i].n; k++) {
			if (code != NULL)
				nd_held_fail(&batch[i].rec[k],
				    "cannot delete its message: %s: %s",
				    code, message ? message : "");
			else
				nd_write(batch[i].rec[k].obj);
		}
		entry_free(&batch[i]);
	}
	nbatch = 0;
	json_decref(resp);
	nd_flush_stdout();
	return rc;
}

/* input paused, or it ends: nothing may wait */
static int
on_pause(void *arg, char *err, size_t errlen)
{
	(void)arg;
	if (dead)
		return dead;
	return flush_batch(err, errlen);
}

/* move e into the batch (flushing first if needed) */
static int
add_entry(struct entry *e, char *err, size_t errlen)
{
	size_t i;
	int rc;

	for (i = 0; i < nbatch; i++) {
		/* the same message twice: one entry, all its records */
		if (strcmp(batch[i].handle, e->handle) == 0 &&
		    strcmp(batch[i].queue, e->queue) == 0) {
			batch[i].rec = xrealloc(batch[i].rec,
			    (batch[i].n + e->n) * sizeof(*e->rec));
			memcpy(batch[i].rec + batch[i].n, e->rec,
			    e->n * sizeof(*e->rec));
			batch[i].n += e->n;
			free(e->rec);
			free(e->queue);
			free(e->handle);
			memset(e, 0, sizeof(*e));
			return 0;
		}
	}
	if (nbatch == BATCH || (nbatch > 0 &&
	    strcmp(batch[0].queue, e->queue) != 0)) {
		if ((rc = flush_batch(err, errlen)) != 0) {
			/* stopping: the record in hand is reported by the
			 * loop, the earlier parts of its message here */
			for (i = 0; i + 1 < e->n; i++)
				nd_held_fail(&e->rec[i], "not deleted: %s%s",
				    err, "");
			entry_free(e);
			return rc;
		}
	}
	batch[nbatch++] = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

static int
delete_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *sqs = json_object_get(r->obj, "sqs"), *p;
	const char *handle, *queue;
	struct entry e;
	long parts = 1;
	size_t i;

	(void)arg;
	handle = json_string_value(json_object_get(sqs, "receipt_handle"));
	queue = json_string_value(json_object_get(sqs, "queue_url"));
	if (queue == NULL)
		queue = defqueue;
	if (handle == NULL) {
		snprintf(err, errlen, "no sqs.receipt_handle");
		return ND_FAIL;
	}
	if (queue == NULL) {
		snprintf(err, errlen, "no sqs.queue_url and no -q");
		return ND_FAIL;
	}
	p = json_object_get(sqs, "parts");
	if (p != NULL) {
		if (!json_is_integer(p) || json_integer_value(p) < 1 ||
		    json_integer_value(p) > 1000000) {
			snprintf(err, errlen, "sqs.parts is not a count");
			return ND_FAIL;
		}
		parts = (long)json_integer_value(p);
	}
	if (parts > 1) {
		for (i = 0; i < nwaiting; i++)
			if (strcmp(waiting[i].handle, handle) == 0 &&
			    strcmp(waiting[i].queue, queue) == 0)
				break;
		if (i == nwaiting) {
			waiting = xrealloc(waiting,
			    (nwaiting + 1) * sizeof(*waiting));
			memset(&waiting[i], 0, sizeof(*waiting));
			waiting[i].queue = xstrdup(queue);
			waiting[i].handle = xstrdup(handle);
			waiting[i].parts = parts;
			nwaiting++;
		}
		hold(&waiting[i], r);
		if ((long)waiting[i].n < waiting[i].parts)
			return 0;
		e = waiting[i];
		waiting[i] = waiting[--nwaiting];
		return add_entry(&e, err, errlen);
	}
	memset(&e, 0, sizeof(e));
	e.queue = xstrdup(queue);
	e.handle = xstrdup(handle);
	e.parts = 1;
	hold(&e, r);
	return add_entry(&e, err, errlen);
}

int
main(int argc, char *argv[])
{
	enum { O_ENDPOINT = 256, O_ERRORS };
	static const struct option longopts[] = {
		{"queue", required_argument, NULL, 'q'},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct sqs_setup s = { .service = "sqs", .url = &defqueue,
	    .on_retry = msg_retry };
	struct nd_opts o;
	char err[1024];
	size_t i;
	int c, rc, code;

	msg_prog = "sqs-delete";
	memset(&o, 0, sizeof(o));
	while ((c = getopt_long(argc, argv, "ehq:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.eflag = 1; break;
		case 'q': s.queue = optarg; break;
		case O_ENDPOINT: s.endpoint = optarg; break;
		case O_ERRORS: s.errors = optarg; break;
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
	if (sqs_setup(&cl, &s, &code, err, sizeof(err)) == -1)
		msg_die(code, "%s", err);
	o.idle = on_pause;
	o.idle_ms = PAUSE_MS;
	rc = nd_run(argv + optind, argc - optind, delete_one, NULL, &o);
	for (i = 0; i < nwaiting; i++) {
		msg_warn("%s:%ld: %zu of %ld parts of the message came; "
		    "not deleted: it comes back after its visibility timeout",
		    waiting[i].rec[0].src, waiting[i].rec[0].lineno,
		    waiting[i].n, waiting[i].parts);
		entry_free(&waiting[i]);
	}
	free(waiting);
	free(defqueue);
	sqs_close(&cl);
	curl_global_cleanup();
	return rc;
}
