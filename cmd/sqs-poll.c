/* sqs-poll: receive SQS messages and write one record per message */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "bignum.h"
#include "enc.h"
#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "path.h"
#include "sqs.h"
#include "sys.h"
#include "xmem.h"

static const char usage[] =
    "usage: sqs-poll [-hV] -q queue [-n count] [--once] [--wait sec] "
    "[--idle-exit sec] [--visibility sec] [--delete] [--lock file] "
    "[--raw] [--s3-records] [--endpoint url]";

static struct sqs_client cl;
static char *qurl;
static long wait_s = -1;	/* -1: 20, or 1 with --once */
static long visibility = -1;	/* -1: the queue's */
static long maxn;		/* 0: no limit */
static long idle_exit;		/* 0: never */
static int once, dflag, raw, s3flag;
static int status;		/* worst exit code so far */

/* receipt handles to delete after the records are written */
static json_t *dels;

/* "2026-11-23T01:02:03.456Z" from epoch milliseconds */
static json_t *
iso_ms(const char *ms)
{
	char *end, t[40];
	long long v;
	time_t sec;
	struct tm tm;

	errno = 0;
	v = strtoll(ms, &end, 10);
	if (errno != 0 || end == ms || *end != '\0' || v < 0)
		return NULL;
	sec = (time_t)(v / 1000);
	if (gmtime_r(&sec, &tm) == NULL)
		return NULL;
	if (strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		return NULL;
	snprintf(t + strlen(t), sizeof(t) - strlen(t), ".%03dZ",
	    (int)(v % 1000));
	return json_string(t);
}

/* S3 event keys are form-encoded: '+' is a space, then %XX */
static json_t *
form_decode(const char *s)
{
	struct buf b = {0};
	json_t *v;

	enc_form_decode(s, strlen(s), &b, 0);
	v = json_stringn(b.p ? b.p : "", b.len);
	buf_free(&b);
	return v;
}

/* {"name": value} from SQS MessageAttributes */
static json_t *
sqs_attrs(json_t *ma)
{
	json_t *a = json_object(), *v, *sv;
	const char *k;

	json_object_foreach(ma, k, v) {
		sv = json_object_get(v, "StringValue");
		if (sv == NULL)
			sv = json_object_get(v, "BinaryValue");
		if (json_is_string(sv))
			json_object_set(a, k, sv);
	}
	return a;
}

static void
want_delete(const char *handle)
{
	json_array_append_new(dels, json_string(handle));
}

/* the SNS envelope, unwrapped: fills sns, returns the new body */
static json_t *
unwrap_sns(json_t *body, json_t **sns)
{
	json_t *m = json_object_get(body, "Message"), *s, *ma, *a, *v;
	const char *k;

	*sns = NULL;
	if (!json_is_object(body) || !json_is_string(m) ||
	    !json_is_string(json_object_get(body, "TopicArn")) ||
	    strcmp(json_string_value(json_object_get(body, "Type")) ?
	    json_string_value(json_object_get(body, "Type")) : "",
	    "Notification") != 0)
		return json_incref(body);
	s = json_object();
	path_copy_str(s, "topic_arn", body, "TopicArn");
	path_copy_str(s, "message_id", body, "MessageId");
	path_copy_str(s, "subject", body, "Subject");
	path_copy_str(s, "timestamp", body, "Timestamp");
	ma = json_object_get(body, "MessageAttributes");
	if (json_is_object(ma) && json_object_size(ma) > 0) {
		a = json_object();
		json_object_foreach(ma, k, v)
			path_copy_str(a, k, v, "Value");
		json_object_set_new(s, "attributes", a);
	}
	*sns = s;
	return bignum_body(json_string_value(m),
	    strlen(json_string_value(m)));
}

/* one S3 event entry as the "s3" object */
static json_t *
s3_entry(json_t *e)
{
	json_t *s3 = json_object(), *o, *b, *k;

	path_copy_str(s3, "event", e, "eventName");
	b = json_object_get(json_object_get(e, "s3"), "bucket");
	o = json_object_get(json_object_get(e, "s3"), "object");
	path_copy_str(s3, "bucket", b, "name");
	k = json_object_get(o, "key");
	if (json_is_string(k)) {
		json_t *d = form_decode(json_string_value(k));

		/* not UTF-8 once decoded: keep it as it came */
		json_object_set_new(s3, "key", d != NULL ? d :
		    json_incref(k));
	}
	if (json_is_integer(json_object_get(o, "size")))
		json_object_set(s3, "size", json_object_get(o, "size"));
	path_copy_str(s3, "etag", o, "eTag");
	path_copy_str(s3, "version_id", o, "versionId");
	path_copy_str(s3, "sequencer", o, "sequencer");
	path_copy_str(s3, "time", e, "eventTime");
	return s3;
}

/* write the records of one message; returns how many */
static int
emit(json_t *m)
{
	json_t *sqs, *a, *body, *sns = NULL, *rec, *recs, *e, *v;
	const char *handle, *bs;
	size_t i, n;
	int out = 0;

	handle = json_string_value(json_object_get(m, "ReceiptHandle"));
	bs = json_string_value(json_object_get(m, "Body"));
	if (handle == NULL || bs == NULL) {
		msg_err("message without ReceiptHandle or Body: skipped");
		status = status > EX_PARTIAL ? status : EX_PARTIAL;
		return 0;
	}
	a = json_object_get(m, "Attributes");
	sqs = json_object();
	json_object_set_new(sqs, "queue_url", json_string(qurl));
	path_copy_str(sqs, "message_id", m, "MessageId");
	json_object_set_new(sqs, "receipt_handle", json_string(handle));
	if (json_is_string(v = json_object_get(a, "ApproximateReceiveCount")))
		json_object_set_new(sqs, "receive_count",
		    json_integer(strtoll(json_string_value(v), NULL, 10)));
	if (json_is_string(v = json_object_get(a, "SentTimestamp")) &&
	    (v = iso_ms(json_string_value(v))) != NULL)
		json_object_set_new(sqs, "sent_at", v);
	path_copy_str(sqs, "group_id", a, "MessageGroupId");
	json_object_set_new(sqs, "attributes",
	    sqs_attrs(json_object_get(m, "MessageAttributes")));

	body = bignum_body(bs, strlen(bs));
	if (!raw) {
		json_t *b2 = unwrap_sns(body, &sns);

		json_decref(body);
		body = b2;
	}
	recs = json_object_get(body, "Records");
	if (s3flag && json_is_object(body) &&
	    json_is_string(json_object_get(body, "Event")) &&
	    strcmp(json_string_value(json_object_get(body, "Event")),
	    "s3:TestEvent") == 0) {
		/* S3 says hello when notifications are set up */
		want_delete(handle);
	} else if (s3flag && json_is_array(recs)) {
		n = json_array_size(recs);
		if (n == 0)
			want_delete(handle);
		json_array_foreach(recs, i, e) {
			rec = json_object();
			a = json_copy(sqs);
			json_object_set_new(a, "part",
			    json_integer((json_int_t)i + 1));
			json_object_set_new(a, "parts",
			    json_integer((json_int_t)n));
			json_object_set_new(rec, "sqs", a);
			if (sns != NULL)
				json_object_set(rec, "sns", sns);
			json_object_set_new(rec, "s3", s3_entry(e));
			nd_write(rec);
			json_decref(rec);
			out++;
		}
		if (dflag && n > 0)
			want_delete(handle);
	} else {
		rec = json_object();
		json_object_set(rec, "sqs", sqs);
		if (sns != NULL)
			json_object_set(rec, "sns", sns);
		json_object_set(rec, "body", body);
		nd_write(rec);
		json_decref(rec);
		out++;
		if (dflag)
			want_delete(handle);
	}
	json_decref(sqs);
	json_decref(sns);
	json_decref(body);
	return out;
}

/* delete what was asked for, 10 at a time; an exit code on failure */
static int
delete_done(void)
{
	char err[1024], id[24];
	json_t *req, *ents, *resp, *f, *e;
	size_t i, j, n = json_array_size(dels);

	for (i = 0; i < n; i += 10) {
		ents = json_array();
		for (j = i; j < n && j < i + 10; j++) {
			snprintf(id, sizeof(id), "%zu", j - i);
			json_array_append_new(ents, json_pack("{s:s, s:O}",
			    "Id", id, "ReceiptHandle",
			    json_array_get(dels, j)));
		}
		req = json_pack("{s:s, s:o}", "QueueUrl", qurl, "Entries",
		    ents);
		if (sqs_call(&cl, "DeleteMessageBatch", req, &resp, 0, 0,
		    err, sizeof(err)) == -1) {
			json_decref(req);
			json_array_clear(dels);
			msg_err("cannot delete messages from %s: %s", qurl,
			    err);
			return sqs_fail_exit(&cl);
		}
		json_decref(req);
		f = json_object_get(resp, "Failed");
		json_array_foreach(f, j, e) {
			msg_err("cannot delete a message from %s: %s: %s",
			    qurl, json_string_value(json_object_get(e,
			    "Code")) ? json_string_value(json_object_get(e,
			    "Code")) : "?", json_string_value(
			    json_object_get(e, "Message")) ?
			    json_string_value(json_object_get(e,
			    "Message")) : "failed");
			status = status > EX_PARTIAL ? status : EX_PARTIAL;
		}
		json_decref(resp);
	}
	json_array_clear(dels);
	return 0;
}

static void
take_lock(const char *file)
{
	int fd = open(file, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		msg_die(EX_SYSTEM, "cannot open lock file %s: %s", file,
		    strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno == EWOULDBLOCK) {
			msg_err("%s is locked: another sqs-poll runs; "
			    "exiting", file);
			exit(EX_OK);
		}
		msg_die(EX_SYSTEM, "cannot lock %s: %s", file,
		    strerror(errno));
	}
	/* fd stays open: the lock lasts as long as the process */
}

/* the options as given that the set-up still needs */
struct args {
	const char *queue, *lock, *endpoint;
};

static void
parse_options(int argc, char *argv[], struct args *a)
{
	enum { O_WAIT = 256, O_IDLE, O_VIS, O_DELETE, O_LOCK, O_RAW, O_S3,
	    O_ENDPOINT, O_ONCE };
	static const struct option longopts[] = {
		{"queue", required_argument, NULL, 'q'},
		{"count", required_argument, NULL, 'n'},
		{"once", no_argument, NULL, O_ONCE},
		{"wait", required_argument, NULL, O_WAIT},
		{"idle-exit", required_argument, NULL, O_IDLE},
		{"visibility", required_argument, NULL, O_VIS},
		{"delete", no_argument, NULL, O_DELETE},
		{"lock", required_argument, NULL, O_LOCK},
		{"raw", no_argument, NULL, O_RAW},
		{"s3-records", no_argument, NULL, O_S3},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		ND_LONGOPTS_COMMON,
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	int c;

	while ((c = getopt_long(argc, argv, "hn:q:V", longopts, NULL)) != -1) {
		switch (c) {
		case 'q': a->queue = optarg; break;
		case 'n':
			maxn = arg_long("-n", optarg, 1, LONG_MAX, usage);
			break;
		case O_ONCE: once = 1; break;
		case O_WAIT:
			wait_s = arg_long("--wait", optarg, 0, 20, usage);
			break;
		case O_IDLE:
			idle_exit = arg_long("--idle-exit", optarg, 1,
			    LONG_MAX / 1000, usage);
			break;
		case O_VIS:
			visibility = arg_long("--visibility", optarg, 0,
			    43200, usage);
			break;
		case O_DELETE: dflag = 1; break;
		case O_LOCK: a->lock = optarg; break;
		case O_RAW: raw = 1; break;
		case O_S3: s3flag = 1; break;
		case O_ENDPOINT: a->endpoint = optarg; break;
		ND_CASES_COMMON
			nd_common_opt(c, optarg, usage);
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default: msg_usage(usage);
		}
	}
	if (optind != argc || a->queue == NULL)
		msg_usage(usage);
	if (wait_s < 0)
		wait_s = once ? 1 : 20;
}

/* the client and the queue's URL; 0, or -1 when a TERM came first */
static int
open_queue(const struct args *a)
{
	struct sqs_setup s = { .service = "sqs", .endpoint = a->endpoint,
	    .queue = a->queue, .url = &qurl, .on_retry = msg_retry,
	    .stop = &nd_stop };
	char err[1024];
	int code;

	/* from here on a TERM ends the run with 0, GetQueueUrl included */
	nd_signals();
	if (sqs_setup(&cl, &s, &code, err, sizeof(err)) == -1) {
		if (code == EX_OK)
			return -1;
		msg_die(code, "%s", err);
	}
	return 0;
}

/* one ReceiveMessage of at most want messages, waiting up to w
 * seconds; the records out, the deletes done.  The number received, or
 * -1 when the run ends (status set on failure) */
static long
receive(long want, long w)
{
	char err[1024];
	json_t *req, *resp, *msgs, *m;
	size_t i, n;
	int rc;

	req = json_pack("{s:s, s:I, s:I, s:[s], s:[s], s:[s]}",
	    "QueueUrl", qurl,
	    "MaxNumberOfMessages", (json_int_t)want,
	    "WaitTimeSeconds", (json_int_t)w,
	    "AttributeNames", "All",
	    "MessageSystemAttributeNames", "All",
	    "MessageAttributeNames", "All");
	if (visibility >= 0)
		json_object_set_new(req, "VisibilityTimeout",
		    json_integer(visibility));
	rc = sqs_call(&cl, "ReceiveMessage", req, &resp, w, 1, err,
	    sizeof(err));
	json_decref(req);
	if (rc == -1) {
		if (cl.fail == SQS_FAIL_CANCELED)
			return -1;
		msg_err("cannot receive from %s: %s", qurl, err);
		status = sqs_fail_exit(&cl);
		return -1;
	}
	msgs = json_object_get(resp, "Messages");
	n = json_array_size(msgs);
	json_array_foreach(msgs, i, m)
		emit(m);
	/* records out before deleting and before the next wait */
	nd_flush();
	json_decref(resp);
	if (json_array_size(dels) > 0 && (rc = delete_done()) != 0) {
		status = rc;
		return -1;
	}
	return (long)n;
}

/* receive until -n, --once, --idle-exit, a failure or a TERM ends it */
static void
poll_loop(void)
{
	int64_t last = sys_now_ms();
	long got = 0, w, left, n;

	while (!nd_stop) {
		w = wait_s;
		if (idle_exit > 0) {
			left = (idle_exit * 1000 - (sys_now_ms() - last) +
			    999) / 1000;
			if (left <= 0)
				break;
			if (left < w)
				w = left;
		}
		n = receive(maxn > 0 && maxn - got < 10 ? maxn - got : 10, w);
		if (n < 0)
			break;
		got += n;
		if (n > 0)
			last = sys_now_ms();
		if ((once && n == 0) || (maxn > 0 && got >= maxn))
			break;
	}
}

int
main(int argc, char *argv[])
{
	struct args a = {0};

	msg_prog = "sqs-poll";
	parse_options(argc, argv, &a);
	if (a.lock != NULL)
		take_lock(a.lock);
	if (open_queue(&a) < 0) {
		sqs_close(&cl);
		curl_global_cleanup();
		return nd_status();
	}
	dels = json_array();
	poll_loop();
	nd_flush();
	json_decref(dels);
	free(qurl);
	sqs_close(&cl);
	curl_global_cleanup();
	if (nd_status() > status)
		status = nd_status();
	return status;
}
