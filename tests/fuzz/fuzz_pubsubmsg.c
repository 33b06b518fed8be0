/* fuzz_pubsubmsg: bytes as the body of a Pub/Sub push (wh-listen
 * --pubsub) through pubsubmsg_push; a record made must hold what
 * lib/pubsubmsg.h promises (a message_id, the subscription, attributes of
 * strings, exactly one of body and body_base64, no ack_id) and dump as one
 * line of JSON that reads back the same */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "pubsubmsg.h"

static void
check(json_t *rec)
{
	json_t *ps = json_object_get(rec, "pubsub"), *a, *v, *back;
	const char *k;
	char *s;

	a = json_object_get(ps, "attributes");
	if (json_string_length(json_object_get(ps, "message_id")) == 0 ||
	    json_string_length(json_object_get(ps, "subscription")) == 0 ||
	    !json_is_object(a) || json_object_get(ps, "ack_id") != NULL ||
	    (json_object_get(rec, "body") == NULL) ==
	    (json_object_get(rec, "body_base64") == NULL))
		abort();
	json_object_foreach(a, k, v)
		if (!json_is_string(v))
			abort();
	if ((s = bignum_dumps(rec, JSON_COMPACT)) == NULL ||
	    strchr(s, '\n') != NULL)
		abort();
	back = bignum_loads(s, 0, NULL);
	if (back == NULL || !json_equal(back, rec))
		abort();
	json_decref(back);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *rec;

	err[0] = '\0';
	rec = pubsubmsg_push((const char *)data, size, err, sizeof(err));
	if (rec == NULL) {
		/* a refusal says why, on one line */
		if (err[0] == '\0' || strchr(err, '\n') != NULL)
			abort();
		return 0;
	}
	check(rec);
	json_decref(rec);
	return 0;
}
