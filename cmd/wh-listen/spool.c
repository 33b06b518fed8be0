/* wh-listen: records out (lib/outq writes them whole, a group at a time
 * when they queue), the replay memory (lib/replay) and --ack-fifo */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bignum.h"
#include "replay.h"
#include "sys.h"
#include "wh-listen.h"

/*
 * Delivery ids already written, each remembered for as long as its
 * signature could still verify (lib/replay; --replay-db keeps them in a
 * file across restarts).
 */
static struct replay *replay;

/* A response held until its id comes back on the FIFO. */
struct waiter {
	char *id;
	double until;		/* remembered as a replay until then */
	void *conn;
	int state;		/* W_WAIT, W_ACKED, W_LATE */
	int suspended;
	double deadline;
	struct waiter *prev, *next;
};

static pthread_mutex_t ack_mu = PTHREAD_MUTEX_INITIALIZER;
static struct waiter waiters = { NULL, 0, NULL, 0, 0, 0, &waiters,
    &waiters };
static int ack_fd = -1;		/* the FIFO, read by the watcher */

/* Wall-clock seconds: signed timestamps are on this clock */
static double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The ack FIFO and the replay memory, before any server thread. */
void
spool_open(void)
{
	char err[1024];

	if (ack_fifo) {
		struct stat st;

		if (stat(ack_fifo, &st) < 0 || !S_ISFIFO(st.st_mode))
			msg_die(EX_CONFIG, "cannot use %s as the ack FIFO: %s",
			    ack_fifo, errno ? strerror(errno) :
			    "not a FIFO");
		/* O_RDWR: the FIFO never reports end of file between
		 * writers */
		ack_fd = open(ack_fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (ack_fd < 0)
			msg_die(EX_SYSTEM, "cannot open %s: %s", ack_fifo,
			    strerror(errno));
	}
	if ((replay = replay_open(replay_db, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "cannot open the replay file %s", err);
	if (fcntl(STDOUT_FILENO, F_GETFL) < 0)
		msg_die(EX_SYSTEM, "cannot write records: stdout is closed");
}

/* The writer of records to stdout. */
void
spool_start(void)
{
	char err[1024];

	if (outq_start(STDOUT_FILENO, err, sizeof(err)) < 0)
		msg_die(EX_SYSTEM, "cannot write records: %s", err);
}

void
spool_close(void)
{
	replay_close(replay);
}

/*
 * Lines go out through lib/outq: written at once when the way is free,
 * else queued, and never written once --write-timeout has passed for
 * one not begun.  A request waits for its line suspended, so a reader
 * that stops reading holds no server thread: /healthz and the other
 * requests are still answered.
 */
static void
out_sleep(void *arg)
{
	srv_sleep(arg);
}

static void
out_wake(void *arg)
{
	srv_wake(arg);
}

static const struct outq_ops out_ops = { out_sleep, out_wake };

/* Queue q's record line (now the queue's); NULL if out of memory. */
struct outq_line *
spool_add(struct req *q, struct buf *line)
{
	struct outq_line *o;

	o = outq_add(line->p, line->len, write_timeout, &out_ops, q->conn);
	*line = (struct buf){0};
	return o;
}

/*
 * Until when a replay of a delivery signed at ts (-1: none) could pass:
 * the check takes whole seconds, so ts + tolerance passes for all of
 * that second.
 */
double
replay_until(const struct route *rt, long long ts)
{
	if (ts < 0)
		return now_wall() + (double)rt->tolerance;
	return (double)ts + (double)rt->tolerance + 1;
}

/*
 * 1 if path+id is a replay, 0 if new, -1 on error.  A new id is
 * remembered at once, or with --ack-fifo only once acknowledged (keep
 * 0 then): one whose record was lost must be written again.
 */
int
replay_seen(const char *path, const char *id, double until, int keep)
{
	char err[256];
	int rc;

	rc = keep ? replay_check(replay, path, id, until, now_wall(), err,
	    sizeof(err)) : replay_peek(replay, path, id, now_wall(), err,
	    sizeof(err));
	if (rc < 0)
		msg_warn("cannot check for a replay: %s", err);
	return rc;
}

/* path+id was not written after all: the sender's retry is new. */
void
replay_unsee(const char *path, const char *id)
{
	char err[256];

	if (replay_forget(replay, path, id, err, sizeof(err)) < 0)
		msg_warn("cannot forget a delivery id: %s", err);
}

/* ---- --ack-fifo -------------------------------------------------------- */

struct waiter *
ack_add(void *conn, const char *id, double until)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->id = xstrdup(id);
	w->until = until;
	w->conn = conn;
	w->deadline = sys_now_ms() / 1e3 + ack_timeout;
	pthread_mutex_lock(&ack_mu);
	w->next = waiters.next;
	w->prev = &waiters;
	waiters.next->prev = w;
	waiters.next = w;
	pthread_mutex_unlock(&ack_mu);
	return w;
}

void
ack_free(struct waiter *w)
{
	pthread_mutex_lock(&ack_mu);
	w->prev->next = w->next;
	w->next->prev = w->prev;
	pthread_mutex_unlock(&ack_mu);
	free(w->id);
	free(w);
}

/* W_WAIT, W_ACKED or W_LATE */
int
ack_state(struct waiter *w)
{
	int state;

	pthread_mutex_lock(&ack_mu);
	state = w->state;
	pthread_mutex_unlock(&ack_mu);
	return state;
}

/* 1 if w is still waiting: its connection sleeps until it is settled. */
int
ack_hold(struct waiter *w)
{
	pthread_mutex_lock(&ack_mu);
	if (w->state != W_WAIT) {
		pthread_mutex_unlock(&ack_mu);
		return 0;
	}
	srv_sleep(w->conn);
	w->suspended = 1;
	pthread_mutex_unlock(&ack_mu);
	return 1;
}

/* The acknowledged id is remembered as a replay from now on. */
void
ack_remember(struct waiter *w, const char *path)
{
	(void)replay_seen(path, w->id, w->until, 1);
}

/* Settle waiter w (ack_mu held), waking its connection if it sleeps. */
static void
ack_settle(struct waiter *w, int state)
{
	if (w->state != W_WAIT)
		return;
	w->state = state;
	if (w->suspended) {
		w->suspended = 0;
		srv_wake(w->conn);
	}
}

static void
ack_line(const char *line, size_t len)
{
	json_error_t je;
	json_t *o, *id;
	struct waiter *w;

	if ((o = bignum_loadb(line, len, 0, &je)) == NULL)
		return;
	id = json_object_get(o, "id");
	if (json_is_string(id)) {
		pthread_mutex_lock(&ack_mu);
		for (w = waiters.next; w != &waiters; w = w->next)
			if (strcmp(w->id, json_string_value(id)) == 0)
				ack_settle(w, W_ACKED);
		pthread_mutex_unlock(&ack_mu);
	}
	json_decref(o);
}

/* The ids that came back on the FIFO, then those waiting too long. */
static void
ack_read(void)
{
	static struct buf in;
	char tmp[65536];
	ssize_t n;
	size_t i, start;

	while ((n = read(ack_fd, tmp, sizeof(tmp))) > 0)
		buf_add(&in, tmp, n);
	for (start = 0, i = 0; i < in.len; i++)
		if (in.p[i] == '\n') {
			ack_line(in.p + start, i - start);
			start = i + 1;
		}
	if (start > 0) {
		memmove(in.p, in.p + start, in.len - start);
		in.len -= start;
	}
}

/* The watcher's turn: up to ms waiting for acks, then the timeouts. */
void
ack_poll(int ms)
{
	struct pollfd pfd = { ack_fd, POLLIN, 0 };
	struct waiter *w;
	double now;

	if (ack_fd < 0) {
		usleep(ms * 1000);
		return;
	}
	poll(&pfd, 1, ms);
	if (pfd.revents & POLLIN)
		ack_read();
	now = sys_now_ms() / 1e3;
	pthread_mutex_lock(&ack_mu);
	for (w = waiters.next; w != &waiters; w = w->next)
		if (now > w->deadline)
			ack_settle(w, W_LATE);
	pthread_mutex_unlock(&ack_mu);
}

/* At the end of a drain: whatever still waits for an ack is late. */
void
ack_give_up(void)
{
	struct waiter *w;

	pthread_mutex_lock(&ack_mu);
	for (w = waiters.next; w != &waiters; w = w->next)
		ack_settle(w, W_LATE);
	pthread_mutex_unlock(&ack_mu);
}
