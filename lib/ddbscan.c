/* ddbscan: lib/scanstate's objects and leases on a DynamoDB table
 * (lib/ddbstate's table and client), for several s3-scan workers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "ddbint.h"
#include "ddbscan.h"
#include "sys.h"
#include "xmem.h"

/* an object's partition key: ["bucket","key","etag"] as JSON text, one
 * string for any bytes a key may hold */
static json_t *
obj_key(const char *bucket, const char *key, const char *etag)
{
	json_t *a = json_pack("[s,s,s]", bucket, key, etag);
	char *t = json_dumps(a, JSON_COMPACT);
	json_t *k = ddb_key(t);

	free(t);
	json_decref(a);
	return k;
}

int
ddbscan_seen(struct ddbstate *d, const char *bucket, const char *key,
    const char *etag, int *seen, char *err, size_t errlen)
{
	json_t *resp;
	int rc;

	rc = ddb_call(d, "GetItem", json_pack("{s:o,s:b,s:s}", "Key",
	    obj_key(bucket, key, etag), "ConsistentRead", 1,
	    "ProjectionExpression", "k"), &resp, err, errlen);
	*seen = rc == 0 && json_object_get(resp, "Item") != NULL;
	json_decref(resp);
	return rc == 0 ? 0 : -1;
}

static void
set_s(json_t *item, const char *name, const char *v)
{
	if (v != NULL)
		json_object_set_new(item, name, json_pack("{s:s}", "S", v));
}

int
ddbscan_add(struct ddbstate *d, const struct scanstate_item *it, int state,
    int *added, char *err, size_t errlen)
{
	static unsigned n;	/* orders the adds of one millisecond */
	json_t *item = obj_key(it->bucket, it->key, it->etag), *resp;
	long long seq = (long long)sys_now_ms() * 1000 + n++ % 1000;
	int rc;

	set_s(item, "b", it->bucket);
	set_s(item, "key", it->key);
	set_s(item, "etag", it->etag);
	set_s(item, "lm", it->last_modified);
	set_s(item, "ct", it->ctype);
	json_object_set_new(item, "size", ddb_num(it->size));
	json_object_set_new(item, "st", ddb_num(state));
	json_object_set_new(item, "lease", ddb_num(0));
	json_object_set_new(item, "emits", ddb_num(0));
	json_object_set_new(item, "seq", ddb_num(seq));
	rc = ddb_call(d, "PutItem", json_pack("{s:o,s:s}", "Item", item,
	    "ConditionExpression", "attribute_not_exists(k)"), &resp, err,
	    errlen);
	json_decref(resp);
	*added = rc == 0;
	return rc == -1 ? -1 : 0;
}

/* every item of a Scan with filter, its attribute names and values
 * (both taken; DynamoDB refuses names a filter does not use), page by
 * page, into *items (a new array); 0, or -1 with err */
static int
scan_all(struct ddbstate *d, const char *filter, json_t *names,
    json_t *values, json_t **items, char *err, size_t errlen)
{
	json_t *resp = NULL, *start = NULL, *req, *page;
	int rc = 0;

	*items = json_array();
	do {
		req = json_pack("{s:b}", "ConsistentRead", 1);
		json_object_set_new(req, "FilterExpression",
		    json_string(filter));
		json_object_set(req, "ExpressionAttributeNames", names);
		json_object_set(req, "ExpressionAttributeValues", values);
		if (start != NULL)
			json_object_set(req, "ExclusiveStartKey", start);
		json_decref(resp);
		if ((rc = ddb_call(d, "Scan", req, &resp, err, errlen)) != 0)
			break;
		page = json_object_get(resp, "Items");
		json_array_extend(*items, page);
		start = json_object_get(resp, "LastEvaluatedKey");
	} while (start != NULL);
	json_decref(resp);
	json_decref(names);
	json_decref(values);
	if (rc != 0) {
		json_decref(*items);
		*items = NULL;
		return -1;
	}
	return 0;
}

static long long
nattr(json_t *item, const char *a)
{
	const char *v = ddb_attr(item, a, "N");

	return v != NULL ? strtoll(v, NULL, 10) : 0;
}

static int
by_seq(const void *a, const void *b)
{
	long long x = nattr(*(json_t *const *)a, "seq");
	long long y = nattr(*(json_t *const *)b, "seq");

	return x < y ? -1 : x > y;
}

#define TAKEABLE "(#s = :p OR (#s = :r AND #l <= :now))"

/* the conditional lease of one item; 0 taken (*taken its new self),
 * 1 another worker had it first, -1 */
static int
lease_one(struct ddbstate *d, json_t *item, long lease, time_t now,
    json_t **taken, char *err, size_t errlen)
{
	json_t *resp;
	int rc;

	rc = ddb_call(d, "UpdateItem", json_pack("{s:{s:O},s:s,s:s,"
	    "s:{s:s,s:s,s:s},s:{s:o,s:o,s:o,s:o,s:o},s:s}",
	    "Key", "k", json_object_get(item, "k"),
	    "UpdateExpression", "SET #s = :r, #l = :l, #e = #e + :one",
	    "ConditionExpression", "attribute_exists(k) AND " TAKEABLE,
	    "ExpressionAttributeNames", "#s", "st", "#l", "lease", "#e",
	    "emits",
	    "ExpressionAttributeValues", ":p", ddb_num(SCAN_PENDING),
	    ":r", ddb_num(SCAN_PROCESSING), ":now", ddb_num((long long)now),
	    ":l", ddb_num((long long)now + lease), ":one", ddb_num(1),
	    "ReturnValues", "ALL_NEW"), &resp, err, errlen);
	*taken = rc == 0 ? json_incref(json_object_get(resp, "Attributes")) :
	    NULL;
	json_decref(resp);
	return rc;
}

long
ddbscan_take(struct ddbstate *d, const char *bucket, long lease,
    time_t now, long max, scanstate_take_fn *fn, void *arg, char *err,
    size_t errlen)
{
	struct scanstate_item it;
	json_t *items, *t;
	json_t **v;
	size_t i, n;
	long got = 0;
	int rc = 0;

	if (scan_all(d, "b = :b AND " TAKEABLE, json_pack("{s:s,s:s}", "#s",
	    "st", "#l", "lease"), json_pack("{s:{s:s},s:o,"
	    "s:o,s:o}", ":b", "S", bucket, ":p", ddb_num(SCAN_PENDING),
	    ":r", ddb_num(SCAN_PROCESSING), ":now", ddb_num((long long)now)),
	    &items, err, errlen) == -1)
		return -1;
	n = json_array_size(items);
	v = xcalloc(n + 1, sizeof(*v));
	for (i = 0; i < n; i++)
		v[i] = json_array_get(items, i);
	qsort(v, n, sizeof(*v), by_seq);	/* oldest first */
	for (i = 0; i < n && (max <= 0 || got < max); i++) {
		/* each lease from its own write: the requests of a big take
		 * may last longer than the lease itself */
		if ((rc = lease_one(d, v[i], lease, time(NULL), &t, err,
		    errlen)) == -1)
			break;
		if (rc == 1)
			continue;	/* another worker leased it */
		memset(&it, 0, sizeof(it));
		it.bucket = bucket;
		it.key = ddb_attr(t, "key", "S");
		it.etag = ddb_attr(t, "etag", "S");
		it.size = nattr(t, "size");
		it.last_modified = ddb_attr(t, "lm", "S");
		it.ctype = ddb_attr(t, "ct", "S");
		it.emits = (long)nattr(t, "emits");
		if (it.key != NULL && it.etag != NULL) {
			fn(arg, &it);
			got++;
		}
		json_decref(t);
	}
	free(v);
	json_decref(items);
	return rc == -1 ? -1 : got;
}

int
ddbscan_settle(struct ddbstate *d, const char *bucket, const char *key,
    const char *etag, int state, int *found, char *err, size_t errlen)
{
	json_t *resp;
	int rc;

	rc = ddb_call(d, "UpdateItem", json_pack("{s:o,s:s,s:s,s:{s:s,s:s},"
	    "s:{s:o,s:o}}", "Key", obj_key(bucket, key, etag),
	    "UpdateExpression", "SET #s = :s, #l = :z",
	    "ConditionExpression", "attribute_exists(k)",
	    "ExpressionAttributeNames", "#s", "st", "#l", "lease",
	    "ExpressionAttributeValues", ":s", ddb_num(state), ":z",
	    ddb_num(0)), &resp, err, errlen);
	json_decref(resp);
	*found = rc == 0;
	return rc == -1 ? -1 : 0;
}

int
ddbscan_requeue(struct ddbstate *d, long *n, char *err, size_t errlen)
{
	json_t *items, *item, *resp;
	size_t i;
	int rc = 0;

	*n = 0;
	if (scan_all(d, "#s = :r", json_pack("{s:s}", "#s", "st"),
	    json_pack("{s:o}", ":r",
	    ddb_num(SCAN_PROCESSING)), &items, err, errlen) == -1)
		return -1;
	json_array_foreach(items, i, item) {
		rc = ddb_call(d, "UpdateItem", json_pack("{s:{s:O},s:s,s:s,"
		    "s:{s:s,s:s},s:{s:o,s:o,s:o}}",
		    "Key", "k", json_object_get(item, "k"),
		    "UpdateExpression", "SET #s = :p, #l = :z",
		    "ConditionExpression", "#s = :r",
		    "ExpressionAttributeNames", "#s", "st", "#l", "lease",
		    "ExpressionAttributeValues", ":p", ddb_num(SCAN_PENDING),
		    ":r", ddb_num(SCAN_PROCESSING), ":z", ddb_num(0)), &resp,
		    err, errlen);
		json_decref(resp);
		if (rc == -1)
			break;
		*n += rc == 0;
	}
	json_decref(items);
	return rc == -1 ? -1 : 0;
}

int
ddbscan_counts(struct ddbstate *d, long counts[SCAN_NSTATES],
    long *redelivered, char *err, size_t errlen)
{
	json_t *items, *item;
	long long st, e;
	size_t i;

	memset(counts, 0, SCAN_NSTATES * sizeof(*counts));
	*redelivered = 0;
	/* every item with a state is an object (wh-route's have none) */
	if (scan_all(d, "attribute_exists(#s)", json_pack("{s:s}", "#s",
	    "st"), NULL, &items, err, errlen) == -1)
		return -1;
	json_array_foreach(items, i, item) {
		st = nattr(item, "st");
		e = nattr(item, "emits");
		if (st >= 0 && st < SCAN_NSTATES)
			counts[st]++;
		if (e > 1)
			*redelivered += (long)(e - 1);
	}
	json_decref(items);
	return 0;
}
