/* Unit tests for lib/replay: expiry at the given time, scopes, peeking,
 * the ring's bound, and the SQLite file surviving a close */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "replay.h"
#include "tap.h"

static char err[256];

/* the same checks on the memory (path NULL) and on a file */
static void
test_window(const char *path, const char *what)
{
	struct replay *r = replay_open(path, err, sizeof(err));

	if (!ok(r != NULL, "%s: open (%s)", what, r ? "" : err))
		return;
	/* a delivery signed at 1004 with tolerance 5: until 1009 */
	ok(replay_check(r, "/a", "msg_1", 1009, 1000.5, err,
	    sizeof(err)) == 0, "%s: new id", what);
	ok(replay_check(r, "/a", "msg_1", 1009, 1006.5, err,
	    sizeof(err)) == 1, "%s: replay at +6.5 s, inside ts+tolerance",
	    what);
	ok(replay_check(r, "/a", "msg_1", 1009, 1009.0, err,
	    sizeof(err)) == 1, "%s: replay at the last moment", what);
	ok(replay_check(r, "/b", "msg_1", 1009, 1001, err,
	    sizeof(err)) == 0, "%s: same id, other path: new", what);
	ok(replay_check(r, "/a", "msg_1x", 1009, 1001, err,
	    sizeof(err)) == 0, "%s: other id: new", what);
	ok(replay_check(r, "/a", "msg_1", 1020, 1009.5, err,
	    sizeof(err)) == 0, "%s: after until: new again", what);
	ok(replay_peek(r, "/a", "msg_2", 1010, err, sizeof(err)) == 0 &&
	    replay_peek(r, "/a", "msg_2", 1010, err, sizeof(err)) == 0,
	    "%s: peek does not remember", what);
	ok(replay_check(r, "/a", "msg_2", 1100, 1010, err,
	    sizeof(err)) == 0 &&
	    replay_peek(r, "/a", "msg_2", 1011, err, sizeof(err)) == 1,
	    "%s: peek sees what check remembered", what);
	ok(replay_forget(r, "/a", "msg_2", err, sizeof(err)) == 0 &&
	    replay_check(r, "/a", "msg_2", 1100, 1012, err,
	    sizeof(err)) == 0, "%s: forgotten: new again", what);
	ok(replay_check(r, "/a", "msg_2", 1100, 1013, err,
	    sizeof(err)) == 1, "%s: and remembered again", what);
	ok(replay_forget(r, "/a", "never", err, sizeof(err)) == 0 &&
	    replay_forget(r, "/b", "msg_2", err, sizeof(err)) == 0 &&
	    replay_peek(r, "/a", "msg_2", 1014, err, sizeof(err)) == 1,
	    "%s: forgetting another id or path leaves it", what);
	replay_close(r);
}

static void
test_file(const char *path)
{
	struct replay *r;
	struct stat st;

	unlink(path);
	r = replay_open(path, err, sizeof(err));
	ok(r != NULL && replay_check(r, "/p", "evt_1", 2000, 1000, err,
	    sizeof(err)) == 0, "file: remembered");
	replay_close(r);
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "file: created 0600");
	r = replay_open(path, err, sizeof(err));
	ok(r != NULL && replay_check(r, "/p", "evt_1", 2000, 1500, err,
	    sizeof(err)) == 1, "file: remembered across a close");
	ok(r != NULL && replay_check(r, "/p", "evt_1", 3000, 2001, err,
	    sizeof(err)) == 0, "file: forgotten after until");
	replay_close(r);
	r = replay_open("/nonexistent-dir/replay.db", err, sizeof(err));
	ok(r == NULL && strstr(err, "/nonexistent-dir/replay.db") != NULL,
	    "file: a missing folder is an error naming it (%s)", err);
}

static void
test_ring(void)
{
	struct replay *r = replay_open(NULL, err, sizeof(err));
	char id[32];
	int i, bad = 0;

	/* 65536 kept: the first of 65537 is evicted, the second is not */
	for (i = 0; i <= 65536; i++) {
		snprintf(id, sizeof(id), "id-%d", i);
		bad += replay_check(r, "/r", id, 1e9, 1000, err,
		    sizeof(err)) != 0;
	}
	ok(bad == 0, "ring: 65537 new ids");
	ok(replay_peek(r, "/r", "id-0", 1000, err, sizeof(err)) == 0,
	    "ring: the oldest is evicted when full");
	ok(replay_peek(r, "/r", "id-1", 1000, err, sizeof(err)) == 1 &&
	    replay_peek(r, "/r", "id-65536", 1000, err, sizeof(err)) == 1,
	    "ring: the others are kept");
	replay_close(r);
}

int
main(void)
{
	char path[] = "/tmp/hookpipe-replay-XXXXXX";
	char db[64];
	int rc;

	if (mkdtemp(path) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/r.db", path);
	test_window(NULL, "memory");
	test_window(db, "file");
	snprintf(db, sizeof(db), "%s/r2.db", path);
	test_file(db);
	test_ring();
	/* leave nothing behind: the database and its WAL files */
	snprintf(db, sizeof(db), "rm -rf '%s'", path);
	if (system(db) != 0)
		return 1;
	rc = done_testing();
	fflush(stdout);
	return rc;
}
