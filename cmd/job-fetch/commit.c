/* job-fetch: durability and input order: syncer threads, the committer */
#include "job-fetch.h"

/*
 * Durability off the event loop: a finished download's file is synced
 * by one of a few syncer threads (concurrent fsyncs share the disk's
 * flushes), then the committer renames files into place in input order
 * and syncs the directory once per batch of renames.  Only then is the
 * transfer released to done(), which reports it: a file named in an
 * output record has its data and its name on disk.
 */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t commit_cv = PTHREAD_COND_INITIALIZER;
static struct fetch *sync_head, *sync_tail;	/* to fsync, as they end */
static struct fetch *order_head, *order_tail;	/* held, input order */
static int quitting;
static pthread_t threads[9];
static int nthreads;

/* f's transfer is held until the committer has had its turn on it:
 * f joins the input order */
void
commit_hold(struct fetch *f)
{
	pthread_mutex_lock(&mu);
	f->oprev = order_tail;
	if (order_tail != NULL)
		order_tail->onext = f;
	else
		order_head = f;
	order_tail = f;
	pthread_mutex_unlock(&mu);
}

/* the transfer of f ended (loop thread, as transfers end): a file to
 * keep goes to the syncers; anything else leaves the committer's list
 * and is released at once (a 401 must stop the run before more starts) */
void
ended(struct http_xfer *x)
{
	struct fetch *f = x->user;
	int e;

	e = f->fd >= 0 ? hash_finish(f) : 0;
	pthread_mutex_lock(&mu);
	if (e != 0 && f->serr == 0)
		f->serr = e;	/* place() fails it, and says why */
	if (x->result == HTTP_OK && x->status >= 200 && x->status <= 299 &&
	    f->fd >= 0) {
		f->final = final_name(f, x);
		f->state = F_SYNC;
		if (sync_tail != NULL)
			sync_tail->snext = f;
		else
			sync_head = f;
		sync_tail = f;
		pthread_cond_signal(&sync_cv);
	} else {
		if (f->oprev != NULL)
			f->oprev->onext = f->onext;
		else
			order_head = f->onext;
		if (f->onext != NULL)
			f->onext->oprev = f->oprev;
		else
			order_tail = f->oprev;
		f->onext = f->oprev = NULL;
		pthread_cond_signal(&commit_cv);	/* a new head */
		atomic_store(&x->held, 0);
	}
	pthread_mutex_unlock(&mu);
}

/* syncer thread: fsync and close the files handed over, in any order */
static void *
syncer(void *arg)
{
	struct fetch *f;
	int e;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while (sync_head == NULL && !quitting)
			pthread_cond_wait(&sync_cv, &mu);
		if ((f = sync_head) == NULL) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		if ((sync_head = f->snext) == NULL)
			sync_tail = NULL;
		pthread_mutex_unlock(&mu);
		e = 0;
		if (fsync(f->fd) < 0)
			e = errno;
		/* a file with no name stays open for the link */
		if (f->tmp[0] != '\0' && close(f->fd) < 0 && e == 0)
			e = errno;
		pthread_mutex_lock(&mu);
		if (f->tmp[0] != '\0')
			f->fd = -1;
		if (f->serr == 0)	/* a read back may have failed */
			f->serr = e;
		f->state = F_READY;
		if (f == order_head)
			pthread_cond_signal(&commit_cv);
		pthread_mutex_unlock(&mu);
	}
}

/* link f's synced nameless file in as f->final: over an existing file
 * by way of a temporary name and a rename; closes it */
static int
link_in(struct fetch *f)
{
	static unsigned long n;
	char fdp[64];
	int e = 0, tries = 0;

	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", f->fd);
	if (linkat(AT_FDCWD, fdp, dirfd_, f->final, AT_SYMLINK_FOLLOW) == 0)
		goto out;
	if (errno != EEXIST) {
		e = errno;
		snprintf(f->cerr, sizeof(f->cerr), "cannot link %s/%s: %s",
		    dir, f->final, strerror(e));
		goto out;
	}
	for (;;) {
		snprintf(f->tmp, sizeof(f->tmp), ".job-fetch.%ld.c%lu",
		    (long)getpid(), n++);
		if (linkat(AT_FDCWD, fdp, dirfd_, f->tmp,
		    AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || ++tries > 100) {
			e = errno;
			snprintf(f->cerr, sizeof(f->cerr), "cannot link a "
			    "file in %s: %s", dir, strerror(e));
			f->tmp[0] = '\0';
			goto out;
		}
	}
	if (renameat(dirfd_, f->tmp, dirfd_, f->final) < 0) {
		e = errno;
		snprintf(f->cerr, sizeof(f->cerr), "cannot rename to %s/%s: "
		    "%s", dir, f->final, strerror(e));
		unlinkat(dirfd_, f->tmp, 0);
	}
out:
	close(f->fd);
	f->fd = -1;
	return e == 0 ? C_OK : C_FAIL;
}

/* rename (or link) f's synced file into place (committer thread) */
static int
place(struct fetch *f)
{
	struct stat st;

	if (f->fd >= 0 && (f->serr != 0 || (skip_existing &&
	    fstatat(dirfd_, f->final, &st, 0) == 0))) {
		close(f->fd);	/* nameless: nothing to remove */
		f->fd = -1;
	}
	if (f->serr != 0) {
		snprintf(f->cerr, sizeof(f->cerr), "cannot write %s/%s: %s",
		    dir, f->final, strerror(f->serr));
		if (f->tmp[0] != '\0')
			unlinkat(dirfd_, f->tmp, 0);
		return C_FAIL;
	}
	if (skip_existing && fstatat(dirfd_, f->final, &st, 0) == 0) {
		if (f->tmp[0] != '\0')
			unlinkat(dirfd_, f->tmp, 0);
		return C_SKIPPED;
	}
	if (f->fd >= 0)
		return link_in(f);
	if (renameat(dirfd_, f->tmp, dirfd_, f->final) < 0) {
		snprintf(f->cerr, sizeof(f->cerr), "cannot rename to %s/%s: "
		    "%s", dir, f->final, strerror(errno));
		unlinkat(dirfd_, f->tmp, 0);
		return C_FAIL;
	}
	return C_OK;
}

/* committer thread: in input order, take the run of ready transfers,
 * rename their files, sync the directory once, release them */
static void *
committer(void *arg)
{
	struct fetch *batch, *last, *f, *next;
	int renamed, e;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while ((order_head == NULL && !quitting) ||
		    (order_head != NULL && order_head->state != F_READY))
			pthread_cond_wait(&commit_cv, &mu);
		if ((batch = order_head) == NULL) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		for (last = batch; last->onext != NULL &&
		    last->onext->state == F_READY; last = last->onext)
			;
		if ((order_head = last->onext) == NULL)
			order_tail = NULL;
		else
			order_head->oprev = NULL;
		last->onext = NULL;
		pthread_mutex_unlock(&mu);
		renamed = 0;
		for (f = batch; f != NULL; f = f->onext)
			if ((f->outcome = place(f)) == C_OK)
				renamed++;
		e = renamed > 0 && fsync(dirfd_) < 0 ? errno : 0;
		for (f = batch; f != NULL; f = next) {
			next = f->onext;
			if (e != 0 && f->outcome == C_OK) {
				snprintf(f->cerr, sizeof(f->cerr), "cannot "
				    "sync directory %s after renaming to %s: "
				    "%s", dir, f->final, strerror(e));
				f->outcome = C_FAIL;
			}
			http_xfer_release(f->x);	/* f is done()'s now */
		}
	}
}

/* start the syncers and the committer, signals left to the main thread */
void
threads_start(int jobs)
{
	sigset_t all, old;
	int i, n = jobs < 2 ? 2 : jobs > 8 ? 8 : jobs, e;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i <= n; i++) {
		e = pthread_create(&threads[i], NULL, i == 0 ? committer :
		    syncer, NULL);
		if (e != 0)
			msg_die(EX_SYSTEM, "cannot start a thread: %s",
			    strerror(e));
		nthreads++;
	}
	hash_start();
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

void
threads_stop(void)
{
	int i;

	pthread_mutex_lock(&mu);
	quitting = 1;
	pthread_cond_broadcast(&sync_cv);
	pthread_cond_broadcast(&commit_cv);
	pthread_mutex_unlock(&mu);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	hash_stop();
}
