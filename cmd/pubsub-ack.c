/* pubsub-ack: acknowledge (or --nack) each record's Pub/Sub message,
 * then pass the record on */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "pubsub.h"
#include "xmem.h"

static const char usage[] =
    "usage: pubsub-ack [-ehV] [-s subscription] [--project project] "
    "[--nack] [--endpoint url] [--errors file] [--max-line bytes] "
    "[file ...]";

#define PAUSE_MS 10

/* one message: its ack id and the records that carry it */
struct entry {
	char *ack_id;
	struct nd_held *rec;
	size_t n;
};

static struct pubsub_client cl;
static char *defsub;		/* -s, in full */
static char *batchsub;		/* the subscription of the batch */
static struct entry batch[PUBSUB_ACK_BATCH];
static size_t nbatch;
static int nack;
static int dead;		/* a fatal error was reported */

static void
entry_free(struct entry *e)
{
	nd_held_free_all(e->rec, e->n);
	free(e->ack_id);
	memset(e, 0, sizeof(*e));
}

/* acknowledge (or nack) what is batched (also nd_run's idle: input
 * paused or ended, nothing may wait); 0 or an exit code */
static int
flush_batch(void *arg, char *err, size_t errlen)
{
	json_t *ids, *req;
	char why[1024];
	size_t i, k;
	int rc;

	(void)arg;
	if (dead)
		return dead;
	if (nbatch == 0)
		return 0;
	ids = json_array();
	for (i = 0; i < nbatch; i++)
		json_array_append_new(ids, json_string(batch[i].ack_id));
	if (nack) {
		rc = pubsub_deadline(&cl, batchsub, ids, 0, why, sizeof(why));
	} else {
		req = json_pack("{s:O}", "ackIds", ids);
		rc = pubsub_call(&cl, NULL, batchsub, "acknowledge", req, NULL,
		    0, 0, why, sizeof(why));
		json_decref(req);
	}
	json_decref(ids);
	for (i = 0; i < nbatch; i++) {
		/* on failure every record is reported; the messages come
		 * back after their ack deadline in any case */
		for (k = 0; k < batch[i].n; k++)
			if (rc == 0)
				nd_write(batch[i].rec[k].obj);
			else
				nd_held_fail(&batch[i].rec[k], "cannot %s "
				    "its message: %s", nack ? "nack" :
				    "acknowledge", why);
		entry_free(&batch[i]);
	}
	nbatch = 0;
	nd_flush_stdout();
	if (rc == 0)
		return 0;
	if (cl.fail == PUBSUB_FAIL_TEMP) {
		nd_set_status(EX_TEMPFAIL);
		return 0;
	}
	snprintf(err, errlen, "cannot %s messages of %s: %s", nack ? "nack" :
	    "acknowledge", batchsub, why);
	return dead = EX_REMOTE;
}

static int
ack_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *ps = json_object_get(r->obj, "pubsub");
	const char *id, *s;
	struct entry *e = NULL;
	size_t i;
	int rc;

	(void)arg;
	id = json_string_value(json_object_get(ps, "ack_id"));
	s = json_string_value(json_object_get(ps, "subscription"));
	if (s == NULL)
		s = defsub;
	if (id == NULL || *id == '\0') {
		snprintf(err, errlen, "no pubsub.ack_id");
		return ND_FAIL;
	}
	if (s == NULL) {
		snprintf(err, errlen, "no pubsub.subscription and no -s");
		return ND_FAIL;
	}
	if (nbatch > 0 && strcmp(batchsub, s) == 0)
		for (i = 0; i < nbatch && e == NULL; i++)
			/* the same message twice: one id, all its records */
			if (strcmp(batch[i].ack_id, id) == 0)
				e = &batch[i];
	if (e == NULL && (nbatch == PUBSUB_ACK_BATCH || (nbatch > 0 &&
	    strcmp(batchsub, s) != 0)) && (rc = flush_batch(NULL, err, errlen)) != 0)
		return rc;
	if (e == NULL) {
		if (nbatch == 0) {
			free(batchsub);
			batchsub = xstrdup(s);
		}
		e = &batch[nbatch++];
		e->ack_id = xstrdup(id);
	}
	e->rec = xrealloc(e->rec, (e->n + 1) * sizeof(*e->rec));
	nd_hold(&e->rec[e->n++], r);
	return 0;
}

int
main(int argc, char *argv[])
{
	enum { O_PROJECT = 256, O_NACK, O_ENDPOINT, O_ERRORS };
	static const struct option longopts[] = {
		{"subscription", required_argument, NULL, 's'},
		{"project", required_argument, NULL, O_PROJECT},
		{"nack", no_argument, NULL, O_NACK},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct pubsub_setup s = { .on_retry = msg_retry };
	struct nd_opts o = {0};
	const char *name = NULL, *project = NULL;
	char err[1024];
	int c, rc;

	msg_prog = "pubsub-ack";
	while ((c = getopt_long(argc, argv, "ehs:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': o.eflag = 1; break;
		case 's': name = optarg; break;
		case O_PROJECT: project = optarg; break;
		case O_NACK: nack = 1; break;
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
	if (name != NULL && (defsub = pubsub_name("subscriptions", project,
	    name, err, sizeof(err))) == NULL)
		arg_bad("-s", err, usage);
	if (pubsub_setup(&cl, &s, &rc, err, sizeof(err)) == -1)
		msg_die(rc, "%s", err);
	o.idle = flush_batch;
	o.idle_ms = PAUSE_MS;
	rc = nd_run(argv + optind, argc - optind, ack_one, NULL, &o);
	free(defsub);
	free(batchsub);
	pubsub_close(&cl);
	curl_global_cleanup();
	return rc;
}
