/* pubsubmsg: a Pub/Sub message as a record, its pubsub fields and its
 * data decoded: pubsub-pull's received messages and the bodies of push
 * subscriptions (wh-listen --pubsub) */
#ifndef PUBSUBMSG_H
#define PUBSUBMSG_H

#include <stddef.h>
#include <jansson.h>

/*
 * The record of m, a PubsubMessage (data, attributes, messageId,
 * publishTime, orderingKey), delivered by subscription sub:
 *   {"pubsub":{"message_id","publish_time","attributes","ordering_key"?,
 *    "ack_id"?,"subscription","delivery_attempt"?},"body":...}
 * ack_id is the pull's (NULL for a push: its ack is the HTTP answer),
 * attempt the deliveryAttempt (NULL when there is none).  body is the
 * data decoded: a JSON object or array when it parses as one (numbers of
 * any size kept, lib/bignum), else the text as a string, else (bytes
 * that are not UTF-8) "body_base64", the data as it came; "" without
 * data.  Returns a new object, or NULL with err when m is not a message:
 * not an object, no messageId, data not base64, attributes not an
 * object of strings.
 */
json_t *pubsubmsg_record(json_t *m, const char *sub, const char *ack_id,
    json_t *attempt, char *err, size_t errlen);

/*
 * The record (as pubsubmsg_record, no ack_id) of a push subscription's
 * request body p[0..n):
 *   {"message":{...},"subscription":"projects/P/subscriptions/S",
 *    "deliveryAttempt":N?}
 * NULL with err when it is not that.
 */
json_t *pubsubmsg_push(const char *p, size_t n, char *err, size_t errlen);

#endif
