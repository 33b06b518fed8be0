/*
 * timeshim.c: LD_PRELOAD library that sets the wall clock to
 * $HOOKPIPE_FAKE_TIME (epoch seconds) for time(2), gettimeofday(2) and
 * clock_gettime(CLOCK_REALTIME), for tests only: it lets a real,
 * since-expired certificate be checked as of the day it signed.
 * Built by the test that uses it: cc -shared -fPIC -o timeshim.so timeshim.c
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long
offset(void)
{
	static int done;
	static long off;
	const char *s;

	if (!done) {
		int (*real)(clockid_t, struct timespec *) =
		    (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
		    "clock_gettime");
		struct timespec now;

		if ((s = getenv("HOOKPIPE_FAKE_TIME")) != NULL && real != NULL &&
		    real(CLOCK_REALTIME, &now) == 0)
			off = atol(s) - (long)now.tv_sec;
		done = 1;
	}
	return off;
}

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	int (*real)(clockid_t, struct timespec *) =
	    (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
	    "clock_gettime");
	int rc = real(id, ts);

	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += offset();
	return rc;
}

int
gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;

	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

time_t
time(time_t *t)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (t != NULL)
		*t = ts.tv_sec;
	return ts.tv_sec;
}
