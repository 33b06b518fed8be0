/* outq: records written whole, each within a deadline or not at all */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "outq.h"
#include "sys.h"

struct outq_line {
	char *p;
	size_t len, off;	/* off: bytes written; > 0: begun */
	double deadline;
	int state;
	int refs;		/* the queue's and the caller's */
	int asleep;
	int left;		/* outq_done was called */
	const struct outq_ops *ops;
	void *arg;
	struct outq_line *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct outq_line *head, **tail = &head;
static int busy;		/* a write is under way, lock dropped */
static int ofd = -1;
static int sock;		/* ofd is a socket: send with MSG_DONTWAIT */
static int atomic;		/* not a disk: one write holds whole lines */
static int fifo;		/* a pipe: a long line waits for room */
static double progress;		/* last byte written, or the queue filled */
static double blocked;		/* since the descriptor was full, or 0 */
static int dead;
static int deferred;		/* outq_defer: the callers flush */
static int busy_waits;		/* threads waiting for busy to clear */

static double
mono(void)
{
	return sys_now_ms() / 1e3;
}

static void
unref(struct outq_line *l)
{
	if (--l->refs == 0) {
		free(l->p);
		free(l);
	}
}

/* The line's fate is known (lock held); a line settled stays settled. */
static void
settle(struct outq_line *l, int state)
{
	if (l->state != OUTQ_QUEUED)
		return;
	/* read without the lock by outq_state */
	__atomic_store_n(&l->state, state, __ATOMIC_RELEASE);
	if (l->asleep && l->ops) {
		l->asleep = 0;
		l->ops->wake(l->arg);
	}
}

/* Take the head off the queue (lock held). */
static void
pop(void)
{
	struct outq_line *l = head;

	if ((head = l->next) == NULL)
		tail = &head;
	unref(l);
}

/*
 * Take out the lines not begun whose time is up, or whose caller left,
 * or all of them (give_up); a begun line past its deadline is settled
 * late but kept, to be finished (lock held, no write under way).
 */
static void
expire(double now, int all)
{
	struct outq_line **pp = &head, *l;

	while ((l = *pp) != NULL) {
		if (l->off > 0 || (!all && now <= l->deadline && !l->left)) {
			if (all || now > l->deadline)
				settle(l, OUTQ_LATE);
			pp = &l->next;
			continue;
		}
		settle(l, OUTQ_LATE);
		if ((*pp = l->next) == NULL)
			tail = pp;
		unref(l);
	}
}

/* Every line failed: the output is gone (lock held). */
static void
fail_all(int e)
{
	/* read without the lock by outq_dead */
	__atomic_store_n(&dead, e ? e : EIO, __ATOMIC_RELEASE);
	while (head) {
		settle(head, OUTQ_FAILED);
		pop();
	}
}

/*
 * 1 if the pipe has room for len bytes at once: a line longer than
 * PIPE_BUF cannot be written atomically, and one cut by a reader that
 * stops would have to be finished whatever its deadline.  An estimate
 * (the pipe counts pages, not bytes), with a page to spare.
 */
static int
room(size_t len)
{
	int unread = 0, size;

	if ((size = fcntl(ofd, F_GETPIPE_SZ)) <= 0 ||
	    ioctl(ofd, FIONREAD, &unread) < 0 || (size_t)size < len + 4096)
		return 1;	/* cannot tell, or never: go on */
	return (size_t)unread + len + 4096 <= (size_t)size;
}

/*
 * One write of what is queued, from the head (lock held, dropped during
 * the write): whole lines of PIPE_BUF bytes at most together where the
 * descriptor is not a disk, so that a line that fits is written whole
 * or not at all.  Returns 1 when something was written, 0 when the
 * descriptor would block, 2 when a long line waits for room, -1 when
 * the write failed.
 */
static int
flush_once(void)
{
	struct iovec iov[64];
	struct outq_line *l;
	struct msghdr mh;
	ssize_t w;
	size_t take, total = 0;
	int n = 0, e;

	for (l = head; l && n < 64; l = l->next, n++) {
		if (atomic && n > 0 && total + l->len > PIPE_BUF)
			break;
		iov[n].iov_base = l->p + l->off;
		iov[n].iov_len = l->len - l->off;
		total += iov[n].iov_len;
	}
	if (n == 0)
		return 1;
	if (fifo && head->off == 0 && total > PIPE_BUF && !room(total)) {
		if (blocked == 0)
			blocked = mono();
		return 2;
	}
	busy = 1;
	pthread_mutex_unlock(&mu);
	if (sock) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = n;
		w = sendmsg(ofd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	} else
		w = writev(ofd, iov, n);
	e = errno;
	pthread_mutex_lock(&mu);
	busy = 0;
	if (busy_waits > 0)
		pthread_cond_broadcast(&cv);
	if (w < 0) {
		if (e == EINTR)
			return 1;
		if (e == EAGAIN || e == EWOULDBLOCK) {
			if (blocked == 0)
				blocked = mono();
			return 0;
		}
		fail_all(e);
		return -1;
	}
	progress = mono();
	blocked = 0;
	while (w > 0 && head) {
		take = head->len - head->off;
		if ((size_t)w < take)
			take = w;
		head->off += take;
		w -= take;
		if (head->off == head->len) {
			settle(head, OUTQ_WRITTEN);
			pop();
		}
	}
	return 1;
}

static void *
writer(void *arg)
{
	struct pollfd pfd;
	struct timespec ts;
	int rc, wb;

	(void)arg;
	pthread_mutex_lock(&mu);
	for (;;) {
		if (!busy)
			expire(mono(), 0);
		if (head == NULL || busy || dead) {
			wb = busy;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 50 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000L)
				ts.tv_sec++, ts.tv_nsec -= 1000000000L;
			busy_waits += wb;
			pthread_cond_timedwait(&cv, &mu, &ts);
			busy_waits -= wb;
			continue;
		}
		if ((rc = flush_once()) == 0 || rc == 2) {
			/* full: wait for room, and wake to expire lines */
			pthread_mutex_unlock(&mu);
			pfd.fd = ofd;
			pfd.events = POLLOUT;
			if (rc == 0)
				poll(&pfd, 1, 50);
			else
				usleep(10000);
			pthread_mutex_lock(&mu);
		}
	}
	return NULL;
}

int
outq_start(int fd, char *err, size_t errlen)
{
	struct stat st, st2;
	char path[64];
	pthread_t t;
	int nfd, fl;

	if (ofd >= 0) {
		snprintf(err, errlen, "started already");
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	ofd = fd;
	/* a disk: a write ends, or fails; a socket: MSG_DONTWAIT */
	atomic = !S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode);
	fifo = S_ISFIFO(st.st_mode);
	if (S_ISSOCK(st.st_mode))
		sock = 1;
	else if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		/*
		 * A pipe, FIFO or terminal: open it again, for a file
		 * description of our own that never blocks, leaving the
		 * one shared with other processes as it is.
		 */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		nfd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (nfd >= 0 && fstat(nfd, &st2) == 0 &&
		    st2.st_dev == st.st_dev && st2.st_ino == st.st_ino) {
			ofd = nfd;
		} else {
			/* no /proc: make the shared one non-blocking */
			if (nfd >= 0)
				close(nfd);
			if ((fl = fcntl(fd, F_GETFL)) < 0 ||
			    fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
				snprintf(err, errlen, "%s", strerror(errno));
				return -1;
			}
		}
	}
	if ((errno = pthread_create(&t, NULL, writer, NULL)) != 0) {
		snprintf(err, errlen, "cannot start a thread: %s",
		    strerror(errno));
		return -1;
	}
	pthread_detach(t);
	return 0;
}

struct outq_line *
outq_add(char *p, size_t len, double timeout, const struct outq_ops *ops,
    void *arg)
{
	struct outq_line *l = calloc(1, sizeof(*l));

	if (l == NULL) {
		free(p);
		return NULL;
	}
	l->p = p;
	l->len = len;
	l->refs = 2;
	l->ops = ops;
	l->arg = arg;
	pthread_mutex_lock(&mu);
	l->deadline = mono() + timeout;
	if (dead) {
		l->state = OUTQ_FAILED;
		l->refs = 1;
		pthread_mutex_unlock(&mu);
		return l;
	}
	if (head == NULL)
		progress = mono();
	*tail = l;
	tail = &l->next;
	/* alone and the way is free: write it now, no thread switch */
	if (!deferred && !busy && head == l)
		(void)flush_once();
	if (l->state == OUTQ_QUEUED) {
		l->asleep = 1;
		if (ops)
			ops->sleep(arg);
		if (!deferred)
			pthread_cond_broadcast(&cv);
	}
	pthread_mutex_unlock(&mu);
	return l;
}

void
outq_defer(void)
{
	pthread_mutex_lock(&mu);
	deferred = 1;
	pthread_mutex_unlock(&mu);
}

/*
 * Write what is queued (a few writes of up to 64 lines at most); what
 * would block, or waits behind a write under way in another thread, is
 * left to the writer, woken for it.
 */
void
outq_flush(void)
{
	int i;

	pthread_mutex_lock(&mu);
	for (i = 0; i < 4 && head != NULL && !busy && !dead; i++)
		if (flush_once() != 1)
			break;
	if (head != NULL)
		pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

/* A line's state changes once, under the lock, and is only read here:
 * no lock (five a request on one lock shared by every loop cost 1.6% of
 * wh-listen's CPU, perf, issue 18). */
int
outq_state(struct outq_line *l)
{
	return __atomic_load_n(&l->state, __ATOMIC_ACQUIRE);
}

void
outq_done(struct outq_line *l)
{
	if (l == NULL)
		return;
	pthread_mutex_lock(&mu);
	l->ops = NULL;
	l->asleep = 0;
	l->left = 1;
	unref(l);
	pthread_mutex_unlock(&mu);
}

void
outq_give_up(void)
{
	pthread_mutex_lock(&mu);
	busy_waits++;
	while (busy)
		pthread_cond_wait(&cv, &mu);
	busy_waits--;
	expire(mono(), 1);
	pthread_mutex_unlock(&mu);
}

double
outq_stalled(void)
{
	struct pollfd pfd = { ofd, POLLOUT, 0 };
	double s = 0;

	pthread_mutex_lock(&mu);
	if (dead)
		;
	else if (head != NULL)
		s = mono() - progress;
	else if (blocked != 0) {
		/* nothing waits: is there room again? */
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT))
			blocked = 0;
		else
			s = mono() - blocked;
	}
	pthread_mutex_unlock(&mu);
	return s;
}

int
outq_dead(void)
{
	return __atomic_load_n(&dead, __ATOMIC_ACQUIRE);
}
