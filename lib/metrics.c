/* metrics: the run's counters and the --metrics textfile */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"
#include "msg.h"
#include "sys.h"

static atomic_long counters[METRICS_NCOUNTERS];
static atomic_long interval = METRICS_INTERVAL;
static pthread_mutex_t wmu = PTHREAD_MUTEX_INITIALIZER;
static char *path;		/* NULL: no --metrics */
static void (*on_err)(const char *);
static pid_t pid;		/* a forked child writes nothing */
static mode_t mode;
static double t0;		/* start, seconds since the epoch */
static double last_ok;		/* the last run that exited 0; 0: none */
static int done;		/* the final write happened */

#define LAST_OK	"hookpipe_last_success_timestamp_seconds"

void
metrics_add(enum metrics_counter which, long n)
{
	if (path == NULL)	/* no --metrics: no cache line to share */
		return;
	atomic_fetch_add_explicit(&counters[which], n, memory_order_relaxed);
}

long
metrics_get(enum metrics_counter which)
{
	return atomic_load_explicit(&counters[which], memory_order_relaxed);
}

void
metrics_interval(long seconds)
{
	atomic_store(&interval, seconds);
}

void
metrics_head(struct buf *b, const char *name, const char *type,
    const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void
metrics_label(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n')
			buf_adds(b, "\\n");
		else
			buf_addc(b, *s);
	}
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* one sample: name{tool="prog"} value */
static void
sample(struct buf *b, const char *name, const char *type, const char *help,
    double v)
{
	metrics_head(b, name, type, help);
	buf_addf(b, "%s{tool=\"", name);
	metrics_label(b, msg_prog);
	buf_addf(b, "\"} %.17g\n", v);
}

/* the textfile; status -1 while the tool runs, -2 after an exit whose
 * status is not known */
static void
text(struct buf *b, int status)
{
	static const struct {
		const char *name, *help;
	} c[METRICS_NCOUNTERS] = {
		{ "hookpipe_records_read_total", "Records read." },
		{ "hookpipe_records_written_total", "Records written." },
		{ "hookpipe_records_failed_total",
		    "Records that failed, each reported on stderr." },
	};
	double t = now();
	int i;

	for (i = 0; i < METRICS_NCOUNTERS; i++)
		sample(b, c[i].name, "counter", c[i].help,
		    (double)metrics_get(i));
	sample(b, "hookpipe_start_time_seconds", "gauge",
	    "When the run started, in seconds since the epoch.", t0);
	sample(b, "hookpipe_duration_seconds", "gauge",
	    "How long the run took, or has taken so far.", t - t0);
	sample(b, "hookpipe_running", "gauge",
	    "1 while the tool runs, 0 once it has exited.", status == -1);
	if (status >= 0)
		sample(b, "hookpipe_exit_status", "gauge",
		    "The exit status of the run (hookpipe(7)).", status);
	if (status == 0)
		last_ok = t;
	sample(b, LAST_OK, "gauge", "When a run last exited 0, in seconds "
	    "since the epoch; 0: never.", last_ok);
}

/* the file's text, whole or not at all */
static void
write_file(int status)
{
	struct buf b = {0};
	char err[1024];

	if (path == NULL || getpid() != pid)
		return;
	pthread_mutex_lock(&wmu);
	if (!done) {
		done = status != -1;
		text(&b, status);
		if (sys_write_atomic(path, b.p, b.len, mode, err,
		    sizeof(err)) < 0 && on_err != NULL)
			on_err(err);
	}
	pthread_mutex_unlock(&wmu);
	buf_free(&b);
}

void
metrics_exit(int status)
{
	write_file(status);
}

#ifdef __GLIBC__
static void
at_exit(int status, void *arg)
{
	(void)arg;
	write_file(status);
}
#else
static void
at_exit(void)
{
	write_file(-2);		/* atexit does not tell the status */
}
#endif

/* every interval seconds (looked at each second: a later
 * --metrics-interval applies) */
static void *
ticker(void *arg)
{
	struct timespec one = { 1, 0 };
	long waited = 0, iv;

	(void)arg;
	for (;;) {
		nanosleep(&one, NULL);
		iv = atomic_load(&interval);
		if (iv > 0 && ++waited >= iv) {
			write_file(-1);
			waited = 0;
		}
	}
	return NULL;
}

/* the last success in the file's previous version */
static void
read_last_ok(void)
{
	char err[256], *s, *p, *end;
	size_t n;
	double v;

	if ((s = sys_slurp(path, 1 << 20, &n, err, sizeof(err))) == NULL)
		return;
	for (p = s; (p = strstr(p, LAST_OK "{")) != NULL; p++)
		if ((p == s || p[-1] == '\n') && (p = strchr(p, '}')) != NULL) {
			v = strtod(p + 1, &end);
			if (end != p + 1 && v > 0)
				last_ok = v;
			break;
		}
	free(s);
}

int
metrics_start(const char *file, void (*on_error)(const char *msg),
    char *err, size_t errlen)
{
	sigset_t all, old;
	pthread_t t;
	mode_t um;
	int rc;

	if (path != NULL)
		return 0;
	path = xstrdup(file);
	on_err = on_error;
	pid = getpid();
	t0 = now();
	um = umask(0);
	umask(um);
	mode = 0644 & ~um;	/* node_exporter reads it: not a secret */
	read_last_ok();
#ifdef __GLIBC__
	on_exit(at_exit, NULL);
#else
	atexit(at_exit);
#endif
	/* the signals stay with the thread that waits for them */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&t, NULL, ticker, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0)
		return sys_err(err, errlen, "cannot start the metrics "
		    "thread: %s", strerror(rc));
	pthread_detach(t);
	return 0;
}
