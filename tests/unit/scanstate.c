/* scanstate unit test: the states and leases at chosen times (no
 * waiting), and s3list_parse on moto's ListObjectsV2/ListObjects pages */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "s3list.h"
#include "scanstate.h"
#include "sys.h"
#include "xmem.h"
#include "tap.h"

/* the keys fn was given, " "-separated */
static void
collect(void *arg, const struct scanstate_item *it)
{
	struct buf *b = arg;

	buf_adds(b, it->key);
	buf_adds(b, " ");
}

static const char *
take(struct scanstate *s, long lease, time_t now, long max, long *n)
{
	static struct buf b;
	char err[256];

	buf_free(&b);
	buf_adds(&b, "");
	*n = scanstate_take(s, "bkt", lease, now, max, collect, &b, err,
	    sizeof(err));
	return b.p;
}

static int
add(struct scanstate *s, const char *key, const char *etag, int state)
{
	struct scanstate_item it = { "bkt", key, etag, 3, NULL, NULL, 0 };
	char err[256];
	int added;

	if (scanstate_add(s, &it, state, &added, err, sizeof(err)) == -1)
		return -1;
	return added;
}

static void
states(void)
{
	char path[] = "/tmp/scanstate-unit-XXXXXX", err[256];
	long counts[SCAN_NSTATES], red, n;
	struct scanstate *s;
	int fd, found, seen;

	fd = mkstemp(path);
	close(fd);
	s = scanstate_open(path, 0, err, sizeof(err));
	ok(s != NULL, "open");
	ok(add(s, "a", "e1", SCAN_PENDING) == 1 &&
	    add(s, "b", "e1", SCAN_PENDING) == 1 &&
	    add(s, "c", "e1", SCAN_SKIPPED) == 1, "add three");
	ok(add(s, "a", "e1", SCAN_PENDING) == 0, "the same again: not new");
	ok(add(s, "a", "e2", SCAN_PENDING) == 1, "a new ETag: new");
	scanstate_seen(s, "bkt", "c", "e1", &seen, err, sizeof(err));
	ok(seen, "a skipped object is seen");
	is_str(take(s, 10, 1000, 2, &n), "a b ", "take 2 of 3, oldest first");
	is_str(take(s, 10, 1000, 0, &n), "a ", "then the third (a, e2)");
	is_str(take(s, 10, 1009, 0, &n), "", "within the lease: nothing");
	scanstate_settle(s, "bkt", "a", "e1", SCAN_DONE, &found, err,
	    sizeof(err));
	ok(found, "settle a/e1");
	scanstate_settle(s, "bkt", "b", "e1", SCAN_FAILED, &found, err,
	    sizeof(err));
	ok(found, "fail b/e1");
	scanstate_settle(s, "bkt", "zz", "e1", SCAN_DONE, &found, err,
	    sizeof(err));
	ok(!found, "settle an unknown object: not found");
	is_str(take(s, 10, 1010, 0, &n), "a ", "the lease ended: a/e2 again");
	scanstate_counts(s, counts, &red, err, sizeof(err));
	ok(counts[SCAN_PENDING] == 0 && counts[SCAN_PROCESSING] == 1 &&
	    counts[SCAN_DONE] == 1 && counts[SCAN_FAILED] == 1 &&
	    counts[SCAN_SKIPPED] == 1 && red == 1, "counts, one redelivery");
	scanstate_requeue(s, &n, err, sizeof(err));
	ok(n == 1, "requeue: one");
	is_str(take(s, 10, 1011, 0, &n), "a ", "requeued: taken at once");
	scanstate_close(s);
	s = scanstate_open(path, 0, err, sizeof(err));
	scanstate_counts(s, counts, &red, err, sizeof(err));
	ok(counts[SCAN_PROCESSING] == 1 && red == 2, "kept across a reopen");
	scanstate_close(s);
	unlink(path);
}

static void
parse(const char *file, int v1, size_t want, const char *first,
    const char *next)
{
	struct s3obj *o = NULL;
	char *body, *nx, err[256];
	size_t len, n = 0;
	int rc;

	body = sys_slurp(file, 1 << 20, &len, err, sizeof(err));
	rc = body ? s3list_parse(body, len, v1, &o, &n, &nx) : -1;
	ok(rc == 0 && n == want, "%s: %zu objects", file, want);
	if (want > 0)
		is_str(n > 0 ? o[0].key : NULL, first, "first key");
	is_str(rc == 0 ? nx : NULL, next, "next page");
	if (n > 0)
		ok(strcmp(o[0].etag, "050ac52b3bf9e7471864497648f9dd8a") == 0 &&
		    o[0].size == 7 && strcmp(o[0].last_modified,
		    "2026-12-02T18:28:25.000Z") == 0,
		    "ETag unquoted, size, time");
	s3list_free(o, n);
	free(o);
	free(nx);
	free(body);
}

int
main(void)
{
	states();
	parse("tests/data/aws/s3-list-v2.xml", 0, 2, "doc.txt",
	    "644fbb97801a31409a32dcea577fd13f");
	/* v1: the last key, not moto's NextMarker (an ETag) */
	parse("tests/data/aws/s3-list-v1.xml", 1, 2, "doc.txt", "raw.bin");
	parse("tests/data/aws/s3-list-empty.xml", 0, 0, NULL, NULL);
	{
		struct s3obj *o = NULL;
		size_t n = 0;
		char *nx;
		const char *bad = "<ListAllMyBucketsResult/>";

		ok(s3list_parse(bad, strlen(bad), 0, &o, &n, &nx) == -1,
		    "another document: refused");
	}
	return done_testing();
}
