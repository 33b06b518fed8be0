/* pubsub-pull: pull Pub/Sub messages and write one record per message */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "pubsub.h"
#include "pubsubmsg.h"
#include "xmem.h"

static const char usage[] =
    "usage: pubsub-pull [-hV] -s subscription [--project project] "
    "[-n count] [--once] [--ack-deadline sec] [--endpoint url]";

#define BATCH 100		/* messages asked for in a pull */
/* a pull that finds nothing is held by the server (90 s by the
 * emulator): the client waits that much longer than its timeout */
#define PULL_WAIT 120

static struct pubsub_client cl;
static char *sub;
static long maxn;		/* 0: no limit */
static long deadline = -1;	/* --ack-deadline; -1: the subscription's */
static int once;
static int status;		/* worst exit code so far */

/* write the record of one received message */
static void
emit(json_t *rm)
{
	json_t *ack = json_object_get(rm, "ackId"), *rec;
	char err[256];

	if (!json_is_string(ack)) {
		msg_err("message without ackId: skipped");
		status = status > EX_PARTIAL ? status : EX_PARTIAL;
		return;
	}
	if ((rec = pubsubmsg_record(json_object_get(rm, "message"), sub,
	    json_string_value(ack), json_object_get(rm, "deliveryAttempt"),
	    err, sizeof(err))) == NULL) {
		msg_err("%s: skipped", err);
		status = status > EX_PARTIAL ? status : EX_PARTIAL;
		return;
	}
	nd_write(rec);
	json_decref(rec);
}

/* --ack-deadline for the messages of a pull; 0 or an exit code */
static int
extend(json_t *msgs)
{
	json_t *ids = json_array(), *m;
	char err[1024];
	size_t i;
	int rc = 0;

	json_array_foreach(msgs, i, m)
		if (json_is_string(json_object_get(m, "ackId")))
			json_array_append(ids, json_object_get(m, "ackId"));
	if (json_array_size(ids) > 0 && pubsub_deadline(&cl, sub, ids,
	    deadline, err, sizeof(err)) == -1) {
		msg_err("cannot set the ack deadline on %s: %s", sub, err);
		rc = pubsub_fail_exit(&cl);
	}
	json_decref(ids);
	return rc;
}

/* one pull of at most want messages, the records out.  The number
 * received, or -1 when the run ends (status set on failure) */
static long
pull(long want)
{
	char err[1024];
	json_t *req, *resp, *msgs, *m;
	size_t i, n;
	int rc, xrc = 0;

	req = json_pack("{s:I, s:b}", "maxMessages", (json_int_t)want,
	    "returnImmediately", once);
	rc = pubsub_call(&cl, NULL, sub, "pull", req, &resp, once ? 0 :
	    PULL_WAIT, 1, err, sizeof(err));
	json_decref(req);
	if (rc == -1) {
		if (cl.fail == PUBSUB_FAIL_CANCELED)
			return -1;
		msg_err("cannot pull from %s: %s", sub, err);
		status = pubsub_fail_exit(&cl);
		return -1;
	}
	msgs = json_object_get(resp, "receivedMessages");
	n = json_array_size(msgs);
	/* the deadline first, while the records are still to come */
	if (deadline >= 0 && n > 0)
		xrc = extend(msgs);
	json_array_foreach(msgs, i, m)
		emit(m);
	/* records out before the next pull */
	nd_flush();
	json_decref(resp);
	if (xrc != 0) {
		status = xrc;
		return -1;
	}
	return (long)n;
}

/* pull until -n, --once, a failure or a TERM ends it */
static void
pull_loop(void)
{
	long got = 0, n;

	while (!nd_stop) {
		n = pull(maxn > 0 && maxn - got < BATCH ? maxn - got : BATCH);
		if (n < 0)
			break;
		got += n;
		if ((once && n == 0) || (maxn > 0 && got >= maxn))
			break;
	}
}

static void
parse_options(int argc, char *argv[], const char **endpoint)
{
	enum { O_PROJECT = 256, O_ONCE, O_DEADLINE, O_ENDPOINT };
	static const struct option longopts[] = {
		{"subscription", required_argument, NULL, 's'},
		{"project", required_argument, NULL, O_PROJECT},
		{"count", required_argument, NULL, 'n'},
		{"once", no_argument, NULL, O_ONCE},
		{"ack-deadline", required_argument, NULL, O_DEADLINE},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *name = NULL, *project = NULL;
	char err[1024];
	int c;

	while ((c = getopt_long(argc, argv, "hn:s:V", longopts, NULL)) != -1) {
		switch (c) {
		case 's': name = optarg; break;
		case O_PROJECT: project = optarg; break;
		case 'n':
			maxn = arg_long("-n", optarg, 1, LONG_MAX, usage);
			break;
		case O_ONCE: once = 1; break;
		case O_DEADLINE:
			deadline = arg_long("--ack-deadline", optarg, 0,
			    PUBSUB_DEADLINE_MAX, usage);
			break;
		case O_ENDPOINT: *endpoint = optarg; break;
		ND_CASES_COMMON
			nd_common_opt(c, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default: msg_usage(usage);
		}
	}
	if (optind != argc || name == NULL)
		msg_usage(usage);
	if ((sub = pubsub_name("subscriptions", project, name, err,
	    sizeof(err))) == NULL)
		arg_bad("-s", err, usage);
}

int
main(int argc, char *argv[])
{
	struct pubsub_setup s = { .on_retry = msg_retry, .stop = &nd_stop };
	char err[1024];
	int code;

	msg_prog = "pubsub-pull";
	parse_options(argc, argv, &s.endpoint);
	/* from here on a TERM ends the run with 0, a pull included */
	nd_signals();
	if (pubsub_setup(&cl, &s, &code, err, sizeof(err)) == -1)
		msg_die(code, "%s", err);
	pull_loop();
	nd_flush();
	free(sub);
	pubsub_close(&cl);
	curl_global_cleanup();
	if (nd_status() > status)
		status = nd_status();
	return status;
}
