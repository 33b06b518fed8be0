/* sqs-send: send each record as an SQS message */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg.h"
#include "bignum.h"
#include "msg.h"
#include "nd.h"
#include "sqs.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: sqs-send [-ehV] -q queue [--body template] "
    "[--group-id template] [--dedup-id template] [--delay sec] "
    "[--attr name=template]... [--endpoint url] [--errors file] "
    "[--max-line bytes] [file ...]";

#define BATCH 10
#define PAUSE_MS 10


/* a record waiting in the batch, with its message */
struct item {
	struct nd_held rec;
	json_t *entry;		/* the SendMessageBatch entry */
	size_t size;
};

static struct sqs_client cl;
static char *qurl;
static struct tmpl *tbody, *tgroup, *tdedup;
static struct tmpl_attr *attrs;
static size_t nattrs;
static long delay = -1;
static struct item batch[BATCH];
static size_t nbatch, batchsize;
static long maxsize = SQS_SIZE_OLD;	/* the queue's MaximumMessageSize */
static int dead;

static void
item_free(struct item *it)
{
	nd_held_free(&it->rec);
	json_decref(it->entry);
	memset(it, 0, sizeof(*it));
}

/* report it as not sent ("cannot send: why: message") and free it */
static void
item_fail(struct item *it, const char *why, const char *message)
{
	nd_held_fail(&it->rec, "cannot send: %s%s%s", why, message ? ": " :
	    "", message ? message : "");
	item_free(it);
}

/* SendMessageBatch for what is batched; 0 or an exit code */
static int
flush_batch(char *err, size_t errlen)
{
	json_t *req, *ents, *resp, *e, *ok, *failed, *sent;
	const char *code, *message, *mid;
	char why[1024];
	size_t i;

	if (nbatch == 0)
		return 0;
	ents = json_array();
	for (i = 0; i < nbatch; i++)
		json_array_append(ents, batch[i].entry);
	req = json_pack("{s:s, s:o}", "QueueUrl", qurl, "Entries", ents);
	if (sqs_call(&cl, "SendMessageBatch", req, &resp, 0, 0, why,
	    sizeof(why)) == -1) {
		json_decref(req);
		/* every record of the batch is reported, ready to replay */
		for (i = 0; i < nbatch; i++)
			item_fail(&batch[i], why, NULL);
		nbatch = batchsize = 0;
		if ((dead = sqs_batch_fail(&cl)) != 0)
			snprintf(err, errlen, "cannot send to %s: %s", qurl,
			    why);
		return dead;
	}
	json_decref(req);
	ok = json_object_get(resp, "Successful");
	failed = json_object_get(resp, "Failed");
	for (i = 0; i < nbatch; i++) {
		const char *want = json_string_value(json_object_get(
		    batch[i].entry, "Id"));

		e = sqs_batch_entry(ok, want);
		mid = json_string_value(json_object_get(e, "MessageId"));
		if (mid != NULL) {
			sent = json_pack("{s:s}", "message_id", mid);
			if (json_is_string(json_object_get(e,
			    "SequenceNumber")))
				json_object_set(sent, "sequence_number",
				    json_object_get(e, "SequenceNumber"));
			json_object_set_new(batch[i].rec.obj, "sqs_sent",
			    sent);
			nd_write(batch[i].rec.obj);
			item_free(&batch[i]);
			continue;
		}
		code = "not in the answer";
		message = NULL;
		sqs_batch_error(failed, want, &code, &message);
		item_fail(&batch[i], code, message);
	}
	nbatch = batchsize = 0;
	json_decref(resp);
	nd_flush_stdout();
	return 0;
}

static int
on_pause(void *arg, char *err, size_t errlen)
{
	(void)arg;
	if (dead)
		return dead;
	return flush_batch(err, errlen);
}

static int
send_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *entry, *ma;
	char *body, *s, id[24];
	size_t size, i;
	int rc;

	(void)arg;
	if (tbody != NULL) {
		if ((body = tmpl_string(tbody, r->obj, err, errlen)) == NULL)
			return ND_FAIL;
	} else {
		body = bignum_dumps(r->obj, JSON_COMPACT);
	}
	if (*body == '\0') {
		free(body);
		snprintf(err, errlen, "empty message body");
		return ND_FAIL;
	}
	size = strlen(body);
	entry = json_object();
	json_object_set_new(entry, "MessageBody", json_string(body));
	free(body);
	if (json_object_get(entry, "MessageBody") == NULL) {
		json_decref(entry);
		snprintf(err, errlen, "message body is not UTF-8");
		return ND_FAIL;
	}
	if (delay >= 0)
		json_object_set_new(entry, "DelaySeconds",
		    json_integer(delay));
	if (tgroup != NULL) {
		if ((s = tmpl_string(tgroup, r->obj, err, errlen)) == NULL)
			goto bad;
		json_object_set_new(entry, "MessageGroupId", json_string(s));
		free(s);
	}
	if (tdedup != NULL) {
		if ((s = tmpl_string(tdedup, r->obj, err, errlen)) == NULL)
			goto bad;
		json_object_set_new(entry, "MessageDeduplicationId",
		    json_string(s));
		free(s);
	}
	if (nattrs > 0) {
		ma = json_object();
		json_object_set_new(entry, "MessageAttributes", ma);
		for (i = 0; i < nattrs; i++) {
			if ((s = tmpl_string(attrs[i].t, r->obj, err,
			    errlen)) == NULL)
				goto bad;
			/* SQS counts names, types and values in the size */
			size += strlen(attrs[i].name) + strlen("String") +
			    strlen(s);
			json_object_set_new(ma, attrs[i].name,
			    json_pack("{s:s, s:s}", "DataType", "String",
			    "StringValue", s));
			free(s);
		}
	}
	if (size > (size_t)maxsize) {
		snprintf(err, errlen, "message is %zu bytes, over the queue's "
		    "MaximumMessageSize of %ld", size, maxsize);
		goto bad;
	}
	/* a batch holds 10 messages and 1 MiB in all */
	if (nbatch == BATCH || batchsize + size > SQS_BATCH_MAX) {
		if ((rc = flush_batch(err, errlen)) != 0) {
			json_decref(entry);
			return rc;
		}
	}
	snprintf(id, sizeof(id), "m%zu", nbatch);
	json_object_set_new(entry, "Id", json_string(id));
	nd_hold(&batch[nbatch].rec, r);
	batch[nbatch].entry = entry;
	batch[nbatch].size = size;
	nbatch++;
	batchsize += size;
	return 0;
bad:
	json_decref(entry);
	return ND_FAIL;
}

/* the options as given that the set-up still needs */
struct args {
	const char *queue, *endpoint, *errors;
};

static void
parse_options(int argc, char *argv[], struct nd_opts *o, struct args *a)
{
	enum { O_BODY = 256, O_GROUP, O_DEDUP, O_DELAY, O_ATTR, O_ENDPOINT,
	    O_ERRORS };
	static const struct option longopts[] = {
		{"queue", required_argument, NULL, 'q'},
		{"body", required_argument, NULL, O_BODY},
		{"group-id", required_argument, NULL, O_GROUP},
		{"dedup-id", required_argument, NULL, O_DEDUP},
		{"delay", required_argument, NULL, O_DELAY},
		{"attr", required_argument, NULL, O_ATTR},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	char err[1024];
	int c;

	while ((c = getopt_long(argc, argv, "ehq:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o->eflag = 1; break;
		case 'q': a->queue = optarg; break;
		case O_BODY:
			tbody = arg_tmpl("--body", optarg, usage);
			break;
		case O_GROUP:
			tgroup = arg_tmpl("--group-id", optarg, usage);
			break;
		case O_DEDUP:
			tdedup = arg_tmpl("--dedup-id", optarg, usage);
			break;
		case O_DELAY:
			delay = arg_long("--delay", optarg, 0, 900, usage);
			break;
		case O_ATTR:
			if (tmpl_attr_add(&attrs, &nattrs, optarg, err,
			    sizeof(err)) == -1)
				arg_bad("--attr", err, usage);
			break;
		case O_ENDPOINT: a->endpoint = optarg; break;
		case O_ERRORS: a->errors = optarg; break;
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
	if (a->queue == NULL)
		msg_usage(usage);
	if (nattrs > 10)
		msg_die(EX_USAGE, "at most 10 --attr (an SQS limit)");
}

/* the --errors file, the client, the queue's URL and its
 * MaximumMessageSize */
static void
open_queue(const struct args *a)
{
	struct sqs_setup s = { .errors = a->errors, .service = "sqs",
	    .endpoint = a->endpoint, .queue = a->queue, .url = &qurl,
	    .on_retry = msg_retry };
	char err[1024];
	int code;

	if (sqs_setup(&cl, &s, &code, err, sizeof(err)) == -1)
		msg_die(code, "%s", err);
	if (sqs_max_size(&cl, qurl, &maxsize, err, sizeof(err)) == -1) {
		/* no sqs:GetQueueAttributes: the limit every queue had */
		msg_warn("cannot read the MaximumMessageSize of %s: %s; "
		    "assuming %d bytes", qurl, err, SQS_SIZE_OLD);
		maxsize = SQS_SIZE_OLD;
	}
}

int
main(int argc, char *argv[])
{
	struct nd_opts o = {0};
	struct args a = {0};
	int rc;

	msg_prog = "sqs-send";
	parse_options(argc, argv, &o, &a);
	open_queue(&a);
	o.idle = on_pause;
	o.idle_ms = PAUSE_MS;
	rc = nd_run(argv + optind, argc - optind, send_one, NULL, &o);
	tmpl_attrs_free(attrs, nattrs);
	tmpl_free(tbody);
	tmpl_free(tgroup);
	tmpl_free(tdedup);
	free(qurl);
	sqs_close(&cl);
	curl_global_cleanup();
	return rc;
}
