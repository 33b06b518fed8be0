/* ddbstate: lib/state's store on an Amazon DynamoDB table, so that
 * several machines share remember/recall and its claims */
#ifndef DDBSTATE_H
#define DDBSTATE_H

#include <stddef.h>
#include <time.h>

#define DDBSTATE_SCHEME "dynamodb://"

/*
 * The table (hookpipe(5) documents it): partition key "k" (S), and
 * attributes "v" (S, the value), "ttl" (N, epoch seconds when it
 * expires: the table's TTL attribute, and checked on every read since
 * DynamoDB deletes expired items late), "claim" (S) and "claim_expires"
 * (N) while a recall holds it.  Every call is one request:
 *   put    PutItem (a new value drops any claim, as SQLite's REPLACE)
 *   get    GetItem, ConsistentRead
 *   claim  UpdateItem with the condition attribute_exists(k) AND
 *          ttl > :now AND (attribute_not_exists(claim) OR
 *          claim_expires <= :now): one caller wins; the loser's
 *          ConditionalCheckFailedException is "nothing to claim"
 *   settle DeleteItem on the condition claim = :claim
 * Requests are signed (SigV4, service "dynamodb"), retried and throttled
 * on lib/sqs's client (AWS JSON 1.0, the one retry policy:
 * ProvisionedThroughputExceededException and ThrottlingException are
 * temporary).  Region, endpoint (AWS_ENDPOINT_URL_DYNAMODB,
 * AWS_ENDPOINT_URL) and credentials as for every AWS tool.  Calls are
 * serialised (one connection); 0, or -1 with err.
 */
struct ddbstate;

/* "dynamodb://TABLE": open it; with create, make the table first if it
 * is missing (on-demand billing, TTL on "ttl"), and refuse one whose key
 * schema is not k (S) either way. */
struct ddbstate *ddbstate_open(const char *uri, int create, char *err,
    size_t errlen);
void ddbstate_close(struct ddbstate *d);
int ddbstate_put(struct ddbstate *d, const char *key, const char *value,
    long ttl, time_t now, char *err, size_t errlen);
int ddbstate_get(struct ddbstate *d, const char *key, time_t now,
    char **value, char *err, size_t errlen);
int ddbstate_claim(struct ddbstate *d, const char *key, long lease,
    time_t now, const char *claim, char **value, char *err, size_t errlen);
int ddbstate_settle(struct ddbstate *d, const char *key, const char *claim,
    int *settled, char *err, size_t errlen);

#endif
