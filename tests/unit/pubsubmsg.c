/* unit tests for lib/pubsubmsg: the records of pulled messages and of
 * push bodies (Google's documented push and the emulator's, vendored in
 * tests/data/pubsub), each way the data is decoded, each refusal */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "pubsubmsg.h"
#include "sys.h"
#include "tap.h"

#define D "tests/data/pubsub/"

/* the record of push body s as compact JSON, or "ERR: why" */
static char *
push(const char *s, size_t n)
{
	char err[256], *out;
	json_t *rec;

	if ((rec = pubsubmsg_push(s, n, err, sizeof(err))) == NULL) {
		out = malloc(strlen(err) + 6);
		snprintf(out, strlen(err) + 6, "ERR: %s", err);
		return out;
	}
	out = bignum_dumps(rec, JSON_COMPACT);
	json_decref(rec);
	return out;
}

static void
is_push(const char *body, const char *want, const char *name)
{
	char *got = push(body, strlen(body));

	is_str(got, want, name);
	free(got);
}

/* the record of the push in file (tests/data/pubsub) is want */
static void
is_file(const char *file, const char *want, const char *name)
{
	char err[256], *p, *got;
	size_t n;

	if ((p = sys_slurp(file, 0, &n, err, sizeof(err))) == NULL) {
		ok(0, "read %s: %s", file, err);
		return;
	}
	got = push(p, n);
	is_str(got, want, name);
	free(got);
	free(p);
}

static void
test_vendored(void)
{
	is_file(D "push-google.json", "{\"pubsub\":{\"message_id\":"
	    "\"2070443601311540\",\"publish_time\":"
	    "\"2021-02-26T19:13:55.749Z\",\"attributes\":{\"key\":\"value\"},"
	    "\"subscription\":\"projects/myproject/subscriptions/"
	    "mysubscription\"},\"body\":\"Hello Cloud Pub/Sub! Here is my "
	    "message!\"}", "Google's documented push");
	is_file(D "push-emulator.json", "{\"pubsub\":{\"message_id\":\"6\","
	    "\"publish_time\":\"2026-12-03T06:29:15.797Z\",\"attributes\":"
	    "{\"only\":\"attr\"},\"subscription\":"
	    "\"projects/hookpipe-test/subscriptions/sub2\"},\"body\":\"\"}",
	    "the emulator's push, attributes only");
}

#define SUB "\"subscription\":\"projects/p/subscriptions/s\""
#define REC(body) "{\"pubsub\":{\"message_id\":\"1\",\"attributes\":{}," \
	"\"subscription\":\"projects/p/subscriptions/s\"}," body "}"

static void
test_bodies(void)
{
	/* {"n":123456789012345678901234567890} */
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":"
	    "\"eyJuIjoxMjM0NTY3ODkwMTIzNDU2Nzg5MDEyMzQ1Njc4OTB9\"}," SUB "}",
	    REC("\"body\":{\"n\":123456789012345678901234567890}"),
	    "an object, its big number kept");
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":\"WzEsMl0=\"},"
	    SUB "}", REC("\"body\":[1,2]"), "an array");
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":\"NDI=\"}," SUB
	    "}", REC("\"body\":\"42\""), "a bare number is text");
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":\"//4AYg==\"},"
	    SUB "}", REC("\"body_base64\":\"//4AYg==\""),
	    "bytes that are not UTF-8: body_base64");
	is_push("{\"message\":{\"messageId\":\"1\"}," SUB "}",
	    REC("\"body\":\"\""), "no data: an empty body");
	is_push("{\"message\":{\"messageId\":\"1\",\"orderingKey\":\"k\","
	    "\"data\":\"aGk=\"}," SUB ",\"deliveryAttempt\":3}",
	    "{\"pubsub\":{\"message_id\":\"1\",\"attributes\":{},"
	    "\"ordering_key\":\"k\",\"subscription\":"
	    "\"projects/p/subscriptions/s\",\"delivery_attempt\":3},"
	    "\"body\":\"hi\"}", "ordering key and delivery attempt");
}

static void
test_refused(void)
{
	char *got = push("hello", 5);

	is_str(got, "ERR: not a push: not JSON (at byte 5)", "not JSON");
	free(got);
	is_push("[1]", "ERR: not a push: not a JSON object", "an array");
	is_push("{" SUB "}", "ERR: not a push: no message object",
	    "no message");
	is_push("{\"message\":\"x\"," SUB "}",
	    "ERR: not a push: no message object", "message not an object");
	is_push("{\"message\":{\"messageId\":\"1\"}}",
	    "ERR: not a push: no subscription", "no subscription");
	is_push("{\"message\":{\"messageId\":\"1\"}," SUB
	    ",\"deliveryAttempt\":\"3\"}",
	    "ERR: not a push: deliveryAttempt is not a number",
	    "deliveryAttempt a string");
	is_push("{\"message\":{\"data\":\"aGk=\"}," SUB "}",
	    "ERR: the message has no messageId", "no messageId");
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":\"aGk\"}," SUB "}",
	    "ERR: the message's data is not base64", "unpadded base64");
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":\"a-k=\"}," SUB "}",
	    "ERR: the message's data is not base64", "base64url");
	is_push("{\"message\":{\"messageId\":\"1\",\"data\":7}," SUB "}",
	    "ERR: the message's data is not base64", "data a number");
	is_push("{\"message\":{\"messageId\":\"1\",\"attributes\":[]}," SUB
	    "}", "ERR: the message's attributes are not an object of strings",
	    "attributes an array");
	is_push("{\"message\":{\"messageId\":\"1\",\"attributes\":{\"a\":1}},"
	    SUB "}", "ERR: the message's attributes are not an object of "
	    "strings", "an attribute a number");
}

/* pubsub-pull's way in: the pull's ackId, its own subscription */
static void
test_pulled(void)
{
	json_t *m = json_pack("{s:s, s:s, s:{s:s}}", "messageId", "5",
	    "data", "eyJhIjoxfQ==", "attributes", "k", "v");
	json_t *da = json_integer(2), *rec;
	char err[256], *got;

	rec = pubsubmsg_record(m, "projects/p/subscriptions/s", "ACK-1", da,
	    err, sizeof(err));
	got = rec ? bignum_dumps(rec, JSON_COMPACT) : NULL;
	is_str(got, "{\"pubsub\":{\"message_id\":\"5\",\"attributes\":"
	    "{\"k\":\"v\"},\"ack_id\":\"ACK-1\",\"subscription\":"
	    "\"projects/p/subscriptions/s\",\"delivery_attempt\":2},"
	    "\"body\":{\"a\":1}}", "a pulled message: ack_id, its attempt");
	free(got);
	json_decref(rec);
	ok(pubsubmsg_record(NULL, "s", "a", NULL, err, sizeof(err)) == NULL &&
	    strcmp(err, "the message is not an object") == 0,
	    "no message: refused");
	json_decref(m);
	json_decref(da);
}

int
main(void)
{
	test_vendored();
	test_bodies();
	test_refused();
	test_pulled();
	return done_testing();
}
