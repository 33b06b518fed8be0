/*
 * scanstate: what a bucket scan has seen and where each object stands,
 * the seed system's Pending / Processing / done, with leases:
 *
 *	add	a listed object not seen before (bucket, key, ETag) is
 *		Pending (or Skipped: not a wanted media type)
 *	take	Pending objects, and Processing ones whose lease has run
 *		out, become Processing until now + lease: the scan emits
 *		them; a scan within the lease takes nothing
 *	settle	Processing (or Pending again) to Done, or Failed
 *	requeue	every Processing object Pending at once (a restart)
 *
 * On SQLite (WAL, busy timeout): s3-scan and s3-done may have the file
 * open at once.  On DynamoDB (lib/ddbscan): any number of workers on
 * any machines.
 */
#ifndef SCANSTATE_H
#define SCANSTATE_H

#include <stddef.h>
#include <time.h>

enum {
	SCAN_PENDING, SCAN_PROCESSING, SCAN_DONE, SCAN_FAILED, SCAN_SKIPPED,
	SCAN_NSTATES
};

/* the states' names, for --status: "pending", "processing", ... */
extern const char *const scanstate_names[SCAN_NSTATES];

struct scanstate;	/* opaque */

/* One object as the scan keeps it. */
struct scanstate_item {
	const char *bucket, *key, *etag;
	long long size;
	const char *last_modified;	/* NULL: unknown */
	const char *ctype;		/* NULL: unknown */
	long emits;			/* take: times emitted, this one too */
};

/* Open (creating) the store at path (mode 0600), or "dynamodb://TABLE"
 * (lib/ddbscan; flags STATE_CREATE_TABLE as lib/state's).  NULL with
 * err. */
struct scanstate *scanstate_open(const char *path, int flags, char *err,
    size_t errlen);
void scanstate_close(struct scanstate *s);

/* A transaction around many adds or settles (one commit, one fsync);
 * begin takes the write lock at once.  0, or -1 with err. */
int scanstate_begin(struct scanstate *s, char *err, size_t errlen);
int scanstate_commit(struct scanstate *s, char *err, size_t errlen);
void scanstate_rollback(struct scanstate *s);

/* Whether bucket/key/etag is known, in any state: *seen 1 or 0. */
int scanstate_seen(struct scanstate *s, const char *bucket, const char *key,
    const char *etag, int *seen, char *err, size_t errlen);

/* Remember it as state (SCAN_PENDING or SCAN_SKIPPED) unless known;
 * *added 1 if it was new.  0, or -1 with err. */
int scanstate_add(struct scanstate *s, const struct scanstate_item *it,
    int state, int *added, char *err, size_t errlen);

/*
 * Take up to max (0: no limit) of bucket's Pending objects and
 * Processing ones whose lease ended by now, oldest first: each becomes
 * Processing until now + lease, committed before fn sees it (so a crash
 * after the commit loses nothing: the lease runs out and the object
 * comes again).  fn's item is valid during the call.  Returns how many
 * were taken, or -1 with err.
 */
typedef void scanstate_take_fn(void *arg, const struct scanstate_item *it);
long scanstate_take(struct scanstate *s, const char *bucket, long lease,
    time_t now, long max, scanstate_take_fn *fn, void *arg, char *err,
    size_t errlen);

/* Settle bucket/key/etag as SCAN_DONE or SCAN_FAILED, whatever its
 * state; *found 0 if the store does not know it.  0, or -1 with err. */
int scanstate_settle(struct scanstate *s, const char *bucket,
    const char *key, const char *etag, int state, int *found, char *err,
    size_t errlen);

/* Every Processing object Pending again; *n how many.  0, or -1. */
int scanstate_requeue(struct scanstate *s, long *n, char *err,
    size_t errlen);

/* Objects per state, and redeliveries (emits beyond the first, summed).
 * 0, or -1 with err. */
int scanstate_counts(struct scanstate *s, long counts[SCAN_NSTATES],
    long *redelivered, char *err, size_t errlen);

#endif
