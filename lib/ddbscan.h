/* ddbscan: lib/scanstate on a DynamoDB table, so that several s3-scan
 * workers (and their s3-done) share one seen-set and its leases */
#ifndef DDBSCAN_H
#define DDBSCAN_H

#include <stddef.h>
#include <time.h>

#include "scanstate.h"

/*
 * The table is lib/ddbstate's (partition key k, a string), so one table
 * may serve wh-route and s3-scan.  An object's item: k is
 * ["bucket","key","etag"] as JSON text; attributes b, key, etag, size,
 * lm, ct (as listed), st (its SCAN_* state), lease (epoch seconds its
 * Processing lease ends), emits, seq (the order it was added in).
 *   add     PutItem on attribute_not_exists(k): a second worker's add of
 *           the same object is no error and adds nothing
 *   take    a consistent Scan of the bucket's Pending items and
 *           Processing ones whose lease ended, oldest first, then one
 *           UpdateItem each on the same condition: of two workers, one
 *           leases an object and the other skips it
 *   settle  UpdateItem of st (Done, Failed) on attribute_exists(k)
 *   requeue every Processing item Pending again, each conditionally
 * begin/commit are nothing here: every call is its own write.  Each
 * take and --status reads the whole table (a Scan), which suits up to
 * about a hundred thousand objects; 0 (take: the count), or -1 with err.
 */
struct ddbstate;

int ddbscan_seen(struct ddbstate *d, const char *bucket, const char *key,
    const char *etag, int *seen, char *err, size_t errlen);
int ddbscan_add(struct ddbstate *d, const struct scanstate_item *it,
    int state, int *added, char *err, size_t errlen);
long ddbscan_take(struct ddbstate *d, const char *bucket, long lease,
    time_t now, long max, scanstate_take_fn *fn, void *arg, char *err,
    size_t errlen);
int ddbscan_settle(struct ddbstate *d, const char *bucket, const char *key,
    const char *etag, int state, int *found, char *err, size_t errlen);
int ddbscan_requeue(struct ddbstate *d, long *n, char *err, size_t errlen);
int ddbscan_counts(struct ddbstate *d, long counts[SCAN_NSTATES],
    long *redelivered, char *err, size_t errlen);

#endif
