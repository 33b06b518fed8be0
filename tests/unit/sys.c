/* unit tests for lib/sys: slurp, write_all, the monotonic clock, sys_err */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sys.h"
#include "tap.h"

static void
test_sys(void)
{
	char path[] = "/tmp/unit-sys-XXXXXX", err[512], *s;
	size_t len, done;
	int64_t t0, t1;
	int fd = mkstemp(path);

	ok(fd >= 0 && sys_write_all(fd, "hello\n", 6, &done) == 0 &&
	    done == 6, "write_all");
	close(fd);
	s = sys_slurp(path, 0, &len, err, sizeof(err));
	ok(s != NULL && len == 6 && strcmp(s, "hello\n") == 0, "slurp");
	free(s);
	ok(sys_slurp(path, 5, &len, err, sizeof(err)) == NULL &&
	    strstr(err, ": over 5 bytes") != NULL, "slurp over its limit");
	s = sys_slurp(path, 6, &len, err, sizeof(err));
	ok(s != NULL && len == 6, "slurp at its limit");
	free(s);
	unlink(path);
	ok(sys_slurp(path, 0, &len, err, sizeof(err)) == NULL &&
	    strncmp(err, "cannot open ", 12) == 0, "slurp: no file");
	fd = open("/dev/null", 0);
	close(fd);
	ok(sys_write_all(fd, "x", 1, &done) == -1 && done == 0,
	    "write_all: a closed descriptor");
	t0 = sys_now_ms();
	usleep(20000);
	t1 = sys_now_ms();
	ok(t1 - t0 >= 19 && t1 - t0 < 5000, "monotonic ms");
	ok(sys_err(err, sizeof(err), "%s: %d", "x", 7) == -1 &&
	    strcmp(err, "x: 7") == 0, "err: the message, and -1");
	ok(sys_err(err, 3, "%s", "abcdef") == -1 && strcmp(err, "ab") == 0,
	    "err: cut to its buffer");
	ok(sys_err(NULL, 10, "%s", "x") == -1 && sys_err(err, 0, "y") == -1 &&
	    strcmp(err, "ab") == 0, "err: no buffer, nothing written");
}

int
main(void)
{
	test_sys();
	return done_testing();
}
