/* pubsub-publish: publish each record as a Pub/Sub message */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg.h"
#include "bignum.h"
#include "enc.h"
#include "msg.h"
#include "nd.h"
#include "pubsub.h"
#include "sys.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: pubsub-publish [-ehV] --topic topic [--project project] "
    "[--data template] [--attr name=template]... "
    "[--ordering-key template] [--endpoint url] [--errors file] "
    "[--max-line bytes] [file ...]";

#define PAUSE_MS 10		/* input idle that sends the batch */
#define LATENCY_MS 1000		/* a batch older goes with the next record */
/* {"messages":[]} around the messages, with room to spare */
#define REQUEST_OVERHEAD 64

/* a record waiting in the batch, with its message */
struct item {
	struct nd_held rec;
	json_t *msg;		/* the PubsubMessage */
};

static struct pubsub_client cl;
static char *topic;
static struct tmpl *tdata, *tkey;
static struct tmpl_attr *attrs;
static size_t nattrs;
static struct item batch[PUBSUB_BATCH_MSGS];
static size_t nbatch, batchsize;
static int64_t first_ms;	/* when the batch's first message came */
static int dead;

static void
item_free(struct item *it)
{
	nd_held_free(&it->rec);
	json_decref(it->msg);
	it->msg = NULL;
}

/* report it as not published and free it */
static void
item_fail(struct item *it, const char *why)
{
	nd_held_fail(&it->rec, "cannot publish: %s", why);
	item_free(it);
}

/* one publish request of the n items at it: 0 with each written, or -1
 * with why (none written, none freed) */
static int
publish(struct item *it, size_t n, char *why, size_t whylen)
{
	json_t *req, *msgs, *resp, *ids;
	const char *mid;
	size_t i;
	int rc;

	msgs = json_array();
	for (i = 0; i < n; i++)
		json_array_append(msgs, it[i].msg);
	req = json_pack("{s:o}", "messages", msgs);
	rc = pubsub_call(&cl, NULL, topic, "publish", req, &resp, 0, 0, why,
	    whylen);
	json_decref(req);
	if (rc == -1)
		return -1;
	ids = json_object_get(resp, "messageIds");
	if (json_array_size(ids) != n) {
		/* nothing is reported published that may not be */
		cl.fail = PUBSUB_FAIL_REMOTE;
		snprintf(why, whylen, "the answer has %zu message ids for %zu "
		    "messages", json_array_size(ids), n);
		json_decref(resp);
		return -1;
	}
	for (i = 0; i < n; i++) {
		mid = json_string_value(json_array_get(ids, i));
		json_object_set_new(it[i].rec.obj, "pubsub_published", json_pack(
		    "{s:s?, s:s}", "message_id", mid, "topic", topic));
		nd_write(it[i].rec.obj);
		item_free(&it[i]);
	}
	json_decref(resp);
	return 0;
}

/* publish what is batched (also nd_run's idle: input paused or ended);
 * 0 or an exit code */
static int
flush_batch(void *arg, char *err, size_t errlen)
{
	char why[1024];
	size_t i, n = nbatch;

	(void)arg;
	if (dead)
		return dead;
	if (n == 0)
		return 0;
	nbatch = batchsize = 0;
	if (publish(batch, n, why, sizeof(why)) == 0) {
		nd_flush_stdout();
		return 0;
	}
	if (cl.fail == PUBSUB_FAIL_REMOTE && n > 1 &&
	    strcmp(cl.code, "INVALID_ARGUMENT") == 0) {
		/* one bad message refuses the whole request: find it */
		for (i = 0; i < n; i++) {
			if (publish(&batch[i], 1, why, sizeof(why)) == 0)
				continue;
			item_fail(&batch[i], why);
			if (cl.fail == PUBSUB_FAIL_TEMP)
				nd_set_status(EX_TEMPFAIL);
		}
		nd_flush_stdout();
		return 0;
	}
	/* every record of the batch is reported, ready to replay */
	for (i = 0; i < n; i++)
		item_fail(&batch[i], why);
	if (cl.fail == PUBSUB_FAIL_TEMP) {
		nd_set_status(EX_TEMPFAIL);
		return 0;
	}
	if (strcmp(cl.code, "INVALID_ARGUMENT") == 0)
		return 0;
	snprintf(err, errlen, "cannot publish to %s: %s", topic, why);
	return dead = EX_REMOTE;
}

/* the message's attributes and ordering key into msg; 0 or -1 */
static int
add_attrs(json_t *msg, json_t *rec, char *err, size_t errlen)
{
	json_t *a, *v;
	char *s;
	size_t i;

	if (nattrs > 0) {
		a = json_object();
		json_object_set_new(msg, "attributes", a);
		for (i = 0; i < nattrs; i++) {
			if ((s = tmpl_string(attrs[i].t, rec, err,
			    errlen)) == NULL)
				return -1;
			if (strlen(s) > PUBSUB_ATTR_VALUE_MAX ||
			    (v = json_string(s)) == NULL) {
				snprintf(err, errlen, "attribute %s: %s",
				    attrs[i].name, strlen(s) >
				    PUBSUB_ATTR_VALUE_MAX ? "over 1024 bytes" :
				    "not UTF-8");
				free(s);
				return -1;
			}
			free(s);
			json_object_set_new(a, attrs[i].name, v);
		}
	}
	if (tkey != NULL) {
		if ((s = tmpl_string(tkey, rec, err, errlen)) == NULL)
			return -1;
		if (strlen(s) > PUBSUB_KEY_MAX ||
		    (v = json_string(s)) == NULL) {
			snprintf(err, errlen, "ordering key %s", strlen(s) >
			    PUBSUB_KEY_MAX ? "over 1024 bytes" : "not UTF-8");
			free(s);
			return -1;
		}
		free(s);
		if (json_string_length(v) > 0)
			json_object_set_new(msg, "orderingKey", v);
		else
			json_decref(v);
	}
	return 0;
}

/* the PubsubMessage for a record, or NULL with err */
static json_t *
message(json_t *rec, char *err, size_t errlen)
{
	struct buf data = {0}, b64 = {0};
	json_t *msg = json_object();
	char *s;

	if (tdata == NULL) {
		s = bignum_dumps(rec, JSON_COMPACT);
		buf_adds(&data, s);
		free(s);
	} else if (tmpl_render(tdata, rec, &data, err, errlen) == -1) {
		json_decref(msg);
		return NULL;
	}
	if (data.len > 0) {
		enc_base64(&b64, data.p, data.len, ENC_B64);
		json_object_set_new(msg, "data", json_string(b64.p));
	}
	buf_free(&data);
	buf_free(&b64);
	if (add_attrs(msg, rec, err, errlen) == -1) {
		json_decref(msg);
		return NULL;
	}
	if (json_object_get(msg, "data") == NULL &&
	    json_object_size(json_object_get(msg, "attributes")) == 0) {
		/* Pub/Sub refuses the whole request for it */
		snprintf(err, errlen, "empty message: no data and no "
		    "attributes");
		json_decref(msg);
		return NULL;
	}
	return msg;
}

static int
publish_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *msg;
	char *s;
	size_t size;
	int rc;

	(void)arg;
	if ((msg = message(r->obj, err, errlen)) == NULL)
		return ND_FAIL;
	s = json_dumps(msg, JSON_COMPACT);
	size = strlen(s) + 1;
	free(s);
	if (size + REQUEST_OVERHEAD > PUBSUB_BATCH_BYTES) {
		snprintf(err, errlen, "message is %zu bytes encoded, over the "
		    "10 MB of a publish request", size);
		json_decref(msg);
		return ND_FAIL;
	}
	/* full, or input that never pauses: the batch goes first (a
	 * failure reports the record in hand once, through the loop) */
	if (nbatch == PUBSUB_BATCH_MSGS || batchsize + size +
	    REQUEST_OVERHEAD > PUBSUB_BATCH_BYTES || (nbatch > 0 &&
	    sys_now_ms() - first_ms >= LATENCY_MS)) {
		if ((rc = flush_batch(NULL, err, errlen)) != 0) {
			json_decref(msg);
			return rc;
		}
	}
	if (nbatch == 0)
		first_ms = sys_now_ms();
	nd_hold(&batch[nbatch].rec, r);
	batch[nbatch].msg = msg;
	nbatch++;
	batchsize += size;
	return 0;
}

/* the options as given that the set-up still needs */
struct args {
	const char *topic, *project, *endpoint, *errors;
};

static void
attr_opt(const char *val)
{
	char err[1024];

	if (tmpl_attr_add(&attrs, &nattrs, val, err, sizeof(err)) == -1)
		arg_bad("--attr", err, usage);
	if (strlen(attrs[nattrs - 1].name) > PUBSUB_ATTR_NAME_MAX)
		arg_bad("--attr", "a name of over 256 bytes", usage);
	if (nattrs > PUBSUB_ATTRS_MAX)
		msg_die(EX_USAGE, "at most 100 --attr (a Pub/Sub limit)");
}

static void
parse_options(int argc, char *argv[], struct nd_opts *o, struct args *a)
{
	enum { O_TOPIC = 256, O_PROJECT, O_DATA, O_ATTR, O_KEY, O_ENDPOINT,
	    O_ERRORS };
	static const struct option longopts[] = {
		{"topic", required_argument, NULL, O_TOPIC},
		{"project", required_argument, NULL, O_PROJECT},
		{"data", required_argument, NULL, O_DATA},
		{"attr", required_argument, NULL, O_ATTR},
		{"ordering-key", required_argument, NULL, O_KEY},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int c;

	while ((c = getopt_long(argc, argv, "ehV", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o->eflag = 1; break;
		case O_TOPIC: a->topic = optarg; break;
		case O_PROJECT: a->project = optarg; break;
		case O_DATA:
			tdata = arg_tmpl("--data", optarg, usage);
			break;
		case O_ATTR: attr_opt(optarg); break;
		case O_KEY:
			tkey = arg_tmpl("--ordering-key", optarg, usage);
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
	if (a->topic == NULL)
		msg_usage(usage);
}

int
main(int argc, char *argv[])
{
	struct nd_opts o = {0};
	struct args a = {0};
	struct pubsub_setup s = { .on_retry = msg_retry };
	char err[1024];
	int rc;

	msg_prog = "pubsub-publish";
	parse_options(argc, argv, &o, &a);
	if ((topic = pubsub_name("topics", a.project, a.topic, err,
	    sizeof(err))) == NULL)
		arg_bad("--topic", err, usage);
	s.errors = a.errors;
	s.endpoint = a.endpoint;
	if (pubsub_setup(&cl, &s, &rc, err, sizeof(err)) == -1)
		msg_die(rc, "%s", err);
	o.idle = flush_batch;
	o.idle_ms = PAUSE_MS;
	rc = nd_run(argv + optind, argc - optind, publish_one, NULL, &o);
	tmpl_attrs_free(attrs, nattrs);
	tmpl_free(tdata);
	tmpl_free(tkey);
	free(topic);
	pubsub_close(&cl);
	curl_global_cleanup();
	return rc;
}
