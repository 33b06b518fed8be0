/* unit tests for lib/sys: slurp, write_all, read_full, the monotonic
 * clock, sys_err */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

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

/* a pipe gives what was written so far: read_full waits for the rest */
static void
test_read_full(void)
{
	char got[16];
	int p[2], fd;
	pid_t pid;

	if (pipe(p) < 0 || (pid = fork()) < 0) {
		ok(0, "pipe and fork");
		return;
	}
	if (pid == 0) {
		close(p[0]);
		sys_write_all(p[1], "abc", 3, NULL);
		usleep(20000);
		sys_write_all(p[1], "defgh", 5, NULL);
		_exit(0);
	}
	close(p[1]);
	ok(sys_read_full(p[0], got, 6) == 6 && memcmp(got, "abcdef", 6) == 0,
	    "read_full: two writes, one read");
	ok(sys_read_full(p[0], got, sizeof(got)) == 2 &&
	    memcmp(got, "gh", 2) == 0, "read_full: short only at end of file");
	ok(sys_read_full(p[0], got, sizeof(got)) == 0, "read_full: at end");
	close(p[0]);
	waitpid(pid, NULL, 0);
	fd = open("/dev/null", 0);
	close(fd);
	ok(sys_read_full(fd, got, 1) == -1, "read_full: a closed descriptor");
}

int
main(void)
{
	test_sys();
	test_read_full();
	return done_testing();
}
