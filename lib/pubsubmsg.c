/* pubsubmsg: a Pub/Sub message as a record: the pubsub fields and the
 * data decoded, for pulled messages and push requests alike */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "enc.h"
#include "path.h"
#include "pubsubmsg.h"
#include "sys.h"
#include "xmem.h"

/* A message's attributes: an object of strings, or absent ({}). */
static int
attrs_ok(json_t *a)
{
	const char *k;
	json_t *v;

	if (a == NULL)
		return 1;
	if (!json_is_object(a))
		return 0;
	json_object_foreach(a, k, v)
		if (!json_is_string(v))
			return 0;
	return 1;
}

/* rec's "body" from the base64 data (NULL: none), or "body_base64" when
 * the bytes are not UTF-8; -1 when data is not base64. */
static int
set_body(json_t *rec, json_t *data)
{
	const char *s = json_string_value(data);
	size_t len = s != NULL ? json_string_length(data) : 0;
	unsigned char *p;
	json_t *v = NULL;
	long n;

	if (data == NULL || json_is_null(data) || (s != NULL && len == 0)) {
		json_object_set_new(rec, "body", json_string(""));
		return 0;
	}
	if (s == NULL)
		return -1;
	p = xmalloc(len / 4 * 3 + 3);
	n = enc_unbase64(s, len, p, len / 4 * 3 + 3, ENC_B64, 0);
	if (n >= 0)
		v = bignum_body((const char *)p, (size_t)n);
	free(p);
	if (n < 0)
		return -1;
	if (v != NULL)
		json_object_set_new(rec, "body", v);
	else
		json_object_set(rec, "body_base64", data);
	return 0;
}

json_t *
pubsubmsg_record(json_t *m, const char *sub, const char *ack_id,
    json_t *attempt, char *err, size_t errlen)
{
	json_t *ps, *rec, *a;

	if (!json_is_object(m)) {
		sys_err(err, errlen, "the message is not an object");
		return NULL;
	}
	if (json_string_length(json_object_get(m, "messageId")) == 0) {
		sys_err(err, errlen, "the message has no messageId");
		return NULL;
	}
	a = json_object_get(m, "attributes");
	if (!attrs_ok(a)) {
		sys_err(err, errlen, "the message's attributes are not an "
		    "object of strings");
		return NULL;
	}
	ps = json_object();
	path_copy_str(ps, "message_id", m, "messageId");
	path_copy_str(ps, "publish_time", m, "publishTime");
	json_object_set_new(ps, "attributes", a != NULL ? json_incref(a) :
	    json_object());
	if (json_string_length(json_object_get(m, "orderingKey")) > 0)
		path_copy_str(ps, "ordering_key", m, "orderingKey");
	if (ack_id != NULL)
		json_object_set_new(ps, "ack_id", json_string(ack_id));
	json_object_set_new(ps, "subscription", json_string(sub));
	if (json_is_integer(attempt))
		json_object_set(ps, "delivery_attempt", attempt);
	rec = json_object();
	json_object_set_new(rec, "pubsub", ps);
	if (set_body(rec, json_object_get(m, "data")) == -1) {
		json_decref(rec);
		sys_err(err, errlen, "the message's data is not base64");
		return NULL;
	}
	return rec;
}

json_t *
pubsubmsg_push(const char *p, size_t n, char *err, size_t errlen)
{
	json_error_t je;
	json_t *doc, *rec = NULL, *sub, *da;

	if ((doc = json_loadb(p, n, 0, &je)) == NULL) {
		/* not je.text: it quotes the sender's bytes */
		sys_err(err, errlen, "not a push: not JSON (at byte %d)",
		    je.position);
		return NULL;
	}
	sub = json_object_get(doc, "subscription");
	da = json_object_get(doc, "deliveryAttempt");
	if (!json_is_object(doc))
		sys_err(err, errlen, "not a push: not a JSON object");
	else if (!json_is_object(json_object_get(doc, "message")))
		sys_err(err, errlen, "not a push: no message object");
	else if (json_string_length(sub) == 0)
		sys_err(err, errlen, "not a push: no subscription");
	else if (da != NULL && !json_is_integer(da))
		sys_err(err, errlen, "not a push: deliveryAttempt is not a "
		    "number");
	else
		rec = pubsubmsg_record(json_object_get(doc, "message"),
		    json_string_value(sub), NULL, da, err, errlen);
	json_decref(doc);
	return rec;
}
