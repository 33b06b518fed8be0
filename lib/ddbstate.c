/* ddbstate: lib/state's store on an Amazon DynamoDB table */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "ddbint.h"
#include "ddbstate.h"
#include "sqs.h"
#include "sys.h"
#include "xmem.h"

#define TARGET		"DynamoDB_20120810."
#define ACTIVE_WAIT	120	/* half seconds for a new table to be ACTIVE */

int
ddb_call(struct ddbstate *d, const char *op, json_t *req, json_t **resp,
    char *err, size_t errlen)
{
	char target[64], why[1024];
	int rc;

	*resp = NULL;
	snprintf(target, sizeof(target), TARGET "%s", op);
	json_object_set_new(req, "TableName", json_string(d->table));
	pthread_mutex_lock(&d->mu);
	rc = aws_json_call(&d->c, target, req, resp, 0, 0, why, sizeof(why));
	if (rc == -1 && strcmp(d->c.code, CCF) == 0)
		rc = 1;
	pthread_mutex_unlock(&d->mu);
	json_decref(req);
	if (rc == -1)
		return sys_err(err, errlen, "state: DynamoDB table %s: %s: %s",
		    d->table, op, why);
	return rc;
}

json_t *
ddb_key(const char *k)
{
	return json_pack("{s:{s:s}}", "k", "S", k);
}

json_t *
ddb_num(long long n)
{
	char t[32];

	snprintf(t, sizeof(t), "%lld", n);
	return json_pack("{s:s}", "N", t);
}

const char *
ddb_attr(json_t *item, const char *a, const char *type)
{
	return json_string_value(json_object_get(json_object_get(item, a),
	    type));
}

/* the key schema must be k (S) alone */
static int
check_schema(struct ddbstate *d, json_t *table, char *err, size_t errlen)
{
	json_t *ks = json_object_get(table, "KeySchema");
	json_t *ad = json_object_get(table, "AttributeDefinitions"), *a;
	const char *kn = json_string_value(json_object_get(json_array_get(ks,
	    0), "AttributeName"));
	size_t i;

	if (json_array_size(ks) != 1 || kn == NULL || strcmp(kn, "k") != 0)
		goto bad;
	json_array_foreach(ad, i, a) {
		const char *n = json_string_value(json_object_get(a,
		    "AttributeName"));
		const char *t = json_string_value(json_object_get(a,
		    "AttributeType"));

		if (n != NULL && strcmp(n, "k") == 0)
			return t != NULL && strcmp(t, "S") == 0 ? 0 :
			    sys_err(err, errlen, "state: DynamoDB table %s: "
			    "its key k is not a string (S)", d->table);
	}
bad:
	return sys_err(err, errlen, "state: DynamoDB table %s exists with "
	    "another key schema: hookpipe's has one partition key, k (S)",
	    d->table);
}

/* DescribeTable until ACTIVE; the schema checked */
static int
describe(struct ddbstate *d, int *missing, char *err, size_t errlen)
{
	json_t *resp, *t;
	const char *st;
	int i, rc;

	*missing = 0;
	for (i = 0; i < ACTIVE_WAIT; i++) {
		rc = ddb_call(d, "DescribeTable", json_object(), &resp, err,
		    errlen);
		if (rc == -1 && strcmp(d->c.code,
		    "ResourceNotFoundException") == 0) {
			*missing = 1;
			return -1;
		}
		if (rc != 0)
			return -1;
		t = json_object_get(resp, "Table");
		if (check_schema(d, t, err, errlen) == -1) {
			json_decref(resp);
			return -1;
		}
		st = json_string_value(json_object_get(t, "TableStatus"));
		rc = st == NULL || strcmp(st, "ACTIVE") == 0 ||
		    strcmp(st, "UPDATING") == 0;
		json_decref(resp);
		if (rc)
			return 0;
		usleep(500000);
	}
	return sys_err(err, errlen, "state: DynamoDB table %s: not ACTIVE "
	    "after %d s", d->table, ACTIVE_WAIT / 2);
}

/* CreateTable (on demand) and its TTL on "ttl" */
static int
create(struct ddbstate *d, char *err, size_t errlen)
{
	json_t *resp;
	int rc, missing;

	rc = ddb_call(d, "CreateTable", json_pack("{s:[{s:s,s:s}],"
	    "s:[{s:s,s:s}],s:s}", "AttributeDefinitions", "AttributeName",
	    "k", "AttributeType", "S", "KeySchema", "AttributeName", "k",
	    "KeyType", "HASH", "BillingMode", "PAY_PER_REQUEST"), &resp, err,
	    errlen);
	json_decref(resp);
	if (rc == -1 && strcmp(d->c.code, "ResourceInUseException") != 0)
		return -1;
	if (describe(d, &missing, err, errlen) == -1)
		return -1;
	rc = ddb_call(d, "UpdateTimeToLive", json_pack("{s:{s:b,s:s}}",
	    "TimeToLiveSpecification", "Enabled", 1, "AttributeName", "ttl"),
	    &resp, err, errlen);
	json_decref(resp);
	/* on again: "TimeToLive is already enabled" */
	if (rc == -1 && strcmp(d->c.code, "ValidationException") != 0)
		return -1;
	return 0;
}

static int
table_name_ok(const char *t)
{
	size_t n = strlen(t);

	return n >= 3 && n <= 255 && strspn(t, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

struct ddbstate *
ddbstate_open(const char *uri, int create_it, char *err, size_t errlen)
{
	struct ddbstate *d;
	int missing;

	if (strncmp(uri, DDBSTATE_SCHEME, strlen(DDBSTATE_SCHEME)) != 0 ||
	    !table_name_ok(uri + strlen(DDBSTATE_SCHEME))) {
		sys_err(err, errlen, "state: bad '%s': dynamodb://TABLE with "
		    "TABLE 3 to 255 letters, digits and _ . -", uri);
		return NULL;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		sys_err(err, errlen, "state: cannot start libcurl");
		return NULL;
	}
	d = xcalloc(1, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	d->table = xstrdup(uri + strlen(DDBSTATE_SCHEME));
	if (sqs_open(&d->c, "dynamodb", NULL, err, errlen) == -1)
		goto bad;
	if (create_it ? create(d, err, errlen) :
	    describe(d, &missing, err, errlen)) {
		if (!create_it && missing)
			sys_err(err, errlen, "state: DynamoDB table %s does "
			    "not exist (--create-table makes it)", d->table);
		goto bad;
	}
	return d;
bad:
	ddbstate_close(d);
	return NULL;
}

void
ddbstate_close(struct ddbstate *d)
{
	if (d == NULL)
		return;
	sqs_close(&d->c);
	pthread_mutex_destroy(&d->mu);
	free(d->table);
	free(d);
}

int
ddbstate_put(struct ddbstate *d, const char *k, const char *value,
    long ttl, time_t now, char *err, size_t errlen)
{
	json_t *item = ddb_key(k), *resp;
	int rc;

	json_object_set_new(item, "v", json_pack("{s:s}", "S", value));
	json_object_set_new(item, "ttl", ddb_num((long long)now + ttl));
	rc = ddb_call(d, "PutItem", json_pack("{s:o}", "Item", item), &resp,
	    err, errlen);
	json_decref(resp);
	return rc == 0 ? 0 : -1;
}

/* the value of item if it has not expired, else NULL */
static char *
live_value(json_t *item, time_t now)
{
	const char *v = ddb_attr(item, "v", "S");
	const char *t = ddb_attr(item, "ttl", "N");

	if (v == NULL || t == NULL || strtoll(t, NULL, 10) <= (long long)now)
		return NULL;
	return xstrdup(v);
}

int
ddbstate_get(struct ddbstate *d, const char *k, time_t now, char **value,
    char *err, size_t errlen)
{
	json_t *resp;
	int rc;

	*value = NULL;
	rc = ddb_call(d, "GetItem", json_pack("{s:o,s:b}", "Key", ddb_key(k),
	    "ConsistentRead", 1), &resp, err, errlen);
	if (rc == 0)
		*value = live_value(json_object_get(resp, "Item"), now);
	json_decref(resp);
	return rc == 0 ? 0 : -1;
}

int
ddbstate_claim(struct ddbstate *d, const char *k, long lease, time_t now,
    const char *claim, char **value, char *err, size_t errlen)
{
	json_t *resp;
	int rc;

	*value = NULL;
	rc = ddb_call(d, "UpdateItem", json_pack("{s:o,s:s,s:s,"
	    "s:{s:s,s:s,s:s,s:s},s:{s:{s:s},s:o,s:o},s:s}",
	    "Key", ddb_key(k),
	    "UpdateExpression", "SET #c = :c, #l = :l",
	    "ConditionExpression", "attribute_exists(#k) AND #t > :now AND "
	    "(attribute_not_exists(#c) OR #l <= :now)",
	    "ExpressionAttributeNames", "#k", "k", "#t", "ttl", "#c", "claim",
	    "#l", "claim_expires",
	    "ExpressionAttributeValues", ":c", "S", claim,
	    ":l", ddb_num((long long)now + lease),
	    ":now", ddb_num((long long)now),
	    "ReturnValues", "ALL_NEW"), &resp, err, errlen);
	if (rc == 0)
		*value = live_value(json_object_get(resp, "Attributes"), now);
	json_decref(resp);
	return rc == -1 ? -1 : 0;	/* 1: another caller holds it */
}

int
ddbstate_settle(struct ddbstate *d, const char *k, const char *claim,
    int *settled, char *err, size_t errlen)
{
	json_t *resp;
	int rc;

	rc = ddb_call(d, "DeleteItem",
	    json_pack("{s:o,s:s,s:{s:s},s:{s:{s:s}}}",
	    "Key", ddb_key(k), "ConditionExpression", "#c = :c",
	    "ExpressionAttributeNames", "#c", "claim",
	    "ExpressionAttributeValues", ":c", "S", claim), &resp, err,
	    errlen);
	json_decref(resp);
	*settled = rc == 0;
	return rc == -1 ? -1 : 0;
}
