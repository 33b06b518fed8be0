/* fetchfile: durable downloads into a directory: the file, its digests
 * (a hasher thread for big ones), the syncers and the committer */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetchfile.h"
#include "fetchfileint.h"
#include "sys.h"
#include "xmem.h"

/*
 * SHA-256 (and MD5) off the event loop for big files.  The first
 * HASH_INLINE bytes of a download are hashed as they come; past that,
 * the hasher thread reads the file back from the page cache behind the
 * writes, so receiving and hashing use two cores (a 1 GiB output: 0.6 s
 * of hashing no longer adds to the download).  fetchfile_ended finishes
 * the digests before the file goes to the syncers.
 *
 * Durability off the event loop: a finished download's file is synced
 * by one of a few syncer threads (concurrent fsyncs share the disk's
 * flushes), then the committer renames files into place in input order
 * and syncs the directory once per batch of renames.  Only then is the
 * transfer released to the tool's done callback: a file named in an
 * output record has its data and its name on disk.
 */
enum { HASH_INLINE = 4 << 20, HASH_CHUNK = 1 << 20, HASH_TURN = 8 << 20 };
enum { KICK_BYTES = 8 << 20 };	/* writeback started every 8 MiB */

static pthread_mutex_t hmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hwork_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t hidle_cv = PTHREAD_COND_INITIALIZER;
static struct fetchfile *hq_head, *hq_tail;
static int hquit, hstarted;

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t commit_cv = PTHREAD_COND_INITIALIZER;
static struct fetchfile *sync_head, *sync_tail;	/* to fsync, as they end */
static struct fetchfile *order_head, *order_tail; /* held, input order */
static int quitting;
static pthread_t threads[10];
static int nthreads;

/* hash f's file from f->hashed up to upto; 0 or an errno */
static int
hash_upto(struct fetchfile *f, long long upto, unsigned char *buf)
{
	ssize_t r;
	size_t n;

	while (f->hashed < upto) {
		n = upto - f->hashed < HASH_CHUNK ?
		    (size_t)(upto - f->hashed) : HASH_CHUNK;
		r = pread(f->fd, buf, n, f->hashed);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : EIO;
		fetchfile_digest(f, buf, (size_t)r);
		f->hashed += r;
	}
	return 0;
}

static void
hash_queue(struct fetchfile *f)	/* under hmu */
{
	f->hnext = NULL;
	if (hq_tail != NULL)
		hq_tail->hnext = f;
	else
		hq_head = f;
	hq_tail = f;
	f->hqueued = 1;
	pthread_cond_signal(&hwork_cv);
}

/* the loop thread wrote more of f: let the hasher know */
static void
hash_post(struct fetchfile *f)
{
	pthread_mutex_lock(&hmu);
	f->written = f->bytes;
	if (!f->hqueued && !f->hbusy)
		hash_queue(f);
	pthread_mutex_unlock(&hmu);
}

/* wait until the hasher has let go of f; then f->md and f->hashed are
 * the caller's */
static void
hash_quiesce(struct fetchfile *f)
{
	pthread_mutex_lock(&hmu);
	while (f->hqueued || f->hbusy)
		pthread_cond_wait(&hidle_cv, &hmu);
	pthread_mutex_unlock(&hmu);
}

/* hasher thread: a turn of up to HASH_TURN bytes per file, round robin */
static void *
hasher(void *arg)
{
	unsigned char *buf = xmalloc(HASH_CHUNK);
	struct fetchfile *f;
	long long upto;
	int e;

	(void)arg;
	pthread_mutex_lock(&hmu);
	for (;;) {
		while (hq_head == NULL && !hquit)
			pthread_cond_wait(&hwork_cv, &hmu);
		if ((f = hq_head) == NULL)
			break;
		if ((hq_head = f->hnext) == NULL)
			hq_tail = NULL;
		f->hqueued = 0;
		f->hbusy = 1;
		upto = f->written;
		pthread_mutex_unlock(&hmu);
		if (upto - f->hashed > HASH_TURN)
			upto = f->hashed + HASH_TURN;
		e = f->herr == 0 ? hash_upto(f, upto, buf) : 0;
		pthread_mutex_lock(&hmu);
		if (e != 0)
			f->herr = e;
		f->hbusy = 0;
		if (f->herr == 0 && f->hashed < f->written)
			hash_queue(f);
		else
			pthread_cond_broadcast(&hidle_cv);
	}
	pthread_mutex_unlock(&hmu);
	free(buf);
	return NULL;
}

/* finish f's digests on the loop thread: what the hasher has not read */
static int
hash_finish(struct fetchfile *f)
{
	unsigned char *buf;

	if (!f->async)
		return 0;
	hash_quiesce(f);
	if (f->herr != 0)
		return f->herr;
	buf = xmalloc(HASH_CHUNK);	/* loop and part threads alike */
	f->herr = hash_upto(f, f->bytes, buf);
	free(buf);
	return f->herr;
}

/* ---- the file ---- */

int
fetchfile_init(struct fetchfile *f, struct fetchfile_dir *d, int md5,
    char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->d = d;
	f->fd = -1;
	if ((f->md = EVP_MD_CTX_new()) == NULL ||
	    (md5 && (f->md5 = EVP_MD_CTX_new()) == NULL) ||
	    fetchfile_digest_reset(f) < 0) {
		EVP_MD_CTX_free(f->md);
		EVP_MD_CTX_free(f->md5);
		f->md = f->md5 = NULL;
		return sys_err(err, errlen, "cannot start SHA-256");
	}
	return 0;
}

int
fetchfile_open(struct fetchfile *f, char *err, size_t errlen)
{
	static unsigned long n;
	struct fetchfile_dir *d = f->d;
	int tries = 0;

	if (f->fd < 0 && d->stream) {
		f->fd = STDOUT_FILENO;
		return 0;
	}
	/* a file with no name until it is complete (O_TMPFILE): nothing is
	 * left behind by a crash, and the directory changes once per file
	 * (the link), not twice (create, rename) */
	if (f->fd < 0 && d->anon_ok) {
		f->fd = openat(d->fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0666);
		if (f->fd >= 0)
			f->tmp[0] = '\0';
		else if (errno == EOPNOTSUPP || errno == EISDIR ||
		    errno == EINVAL)
			d->anon_ok = 0;	/* not here: named files */
	}
	/* else a name of our own, O_EXCL: no mkostemp path building and no
	 * fchmod (the mode is 0666 less the umask, as for any new file) */
	while (f->fd < 0) {
		snprintf(f->tmp, sizeof(f->tmp), "%s.%ld.%lu", d->prefix,
		    (long)getpid(), n++);
		f->fd = openat(d->fd, f->tmp, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0666);
		if (f->fd < 0 && (errno != EEXIST || ++tries > 100))
			return sys_err(err, errlen, "cannot create a file in "
			    "%s: %s", d->dir, strerror(errno));
	}
	return 0;
}

int
fetchfile_restart(struct fetchfile *f, char *err, size_t errlen)
{
	if (f->async) {
		hash_quiesce(f);
		f->async = 0;
		f->herr = 0;
	}
	if (f->d->stream && f->bytes > 0)
		return sys_err(err, errlen, "the server ignored the Range: "
		    "cannot start a stream over");
	if (!f->d->stream && (ftruncate(f->fd, 0) < 0 ||
	    lseek(f->fd, 0, SEEK_SET) < 0))
		return sys_err(err, errlen, "cannot truncate a file in %s: %s",
		    f->d->dir, strerror(errno));
	f->bytes = f->kicked = f->hashed = 0;
	fetchfile_digest_reset(f);
	return 0;
}

int
fetchfile_resume(struct fetchfile *f, struct http_xfer *x, CURL *e)
{
	if (fetchfile_open(f, x->err, sizeof(x->err)) < 0) {
		f->ioerr = 1;
		return -1;
	}
	/* after a cut: ask for the rest, unless the server said 200 to
	 * that before (libcurl then refuses the body: CURLE_RANGE_ERROR);
	 * then the file starts over */
	if (x->prev_code == CURLE_RANGE_ERROR)
		f->norange = 1;
	if (f->norange && f->bytes > 0 &&
	    fetchfile_restart(f, x->err, sizeof(x->err)) < 0) {
		f->ioerr = 1;
		return -1;
	}
	curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
	    (curl_off_t)(f->norange ? 0 : f->bytes));
	return 0;
}

int
fetchfile_answer(struct fetchfile *f, struct http_xfer *x)
{
	long long start;

	if (x->status == 206) {
		if (x->crange == NULL || sscanf(x->crange, "bytes %lld-",
		    &start) != 1 || start != f->bytes)
			return sys_err(x->err, sizeof(x->err), "the server "
			    "resumed at the wrong place");
	} else if (f->bytes > 0 &&
	    fetchfile_restart(f, x->err, sizeof(x->err)) < 0) {
		f->ioerr = 1;	/* a 200: it all comes again */
		return -1;
	}
	return 0;
}

/* start writeback while the bytes come (no wait): the fsync at the end
 * then has little left, a big file streams to the disk */
static void
kick(struct fetchfile *f, long long upto)
{
	if (upto - f->kicked >= KICK_BYTES) {
		sync_file_range(f->fd, f->kicked, upto - f->kicked,
		    SYNC_FILE_RANGE_WRITE);
		f->kicked = upto;
	}
}

int
fetchfile_write(struct fetchfile *f, const char *p, size_t n, char *err,
    size_t errlen)
{
	size_t done;

	if (!f->async && hstarted && !f->d->stream &&
	    f->bytes + (long long)n > HASH_INLINE) {
		f->async = 1;	/* from here on the hasher reads it back */
		f->hashed = f->bytes;
	}
	if (!f->async)
		fetchfile_digest(f, p, n);
	if (sys_write_all(f->fd, p, n, &done) < 0) {
		f->bytes += (long long)done;
		return sys_err(err, errlen, "cannot write to %s: %s",
		    f->d->stream ? "stdout" : f->d->dir, strerror(errno));
	}
	f->bytes += (long long)n;
	if (!f->d->stream)
		kick(f, f->bytes);
	if (f->async)
		hash_post(f);
	return 0;
}

int
fetchfile_pwrite(struct fetchfile *f, const char *p, size_t n, long long off,
    char *err, size_t errlen)
{
	ssize_t w;

	while (n > 0) {
		if ((w = pwrite(f->fd, p, n, (off_t)off)) < 0) {
			if (errno == EINTR)
				continue;
			return sys_err(err, errlen, "cannot write to %s: %s",
			    f->d->dir, strerror(errno));
		}
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

void
fetchfile_prefix(struct fetchfile *f, long long upto)
{
	if (!hstarted || f->d->stream)
		return;		/* fetchfile_rehash reads it all back */
	if (!f->prefixed) {
		f->prefixed = f->async = 1;
		f->hashed = 0;
		fetchfile_digest_reset(f);
	}
	kick(f, upto);
	pthread_mutex_lock(&hmu);
	f->written = upto;
	if (!f->hqueued && !f->hbusy)
		hash_queue(f);
	pthread_mutex_unlock(&hmu);
}

void
fetchfile_rehash(struct fetchfile *f, long long size)
{
	f->bytes = size;
	if (!f->prefixed) {	/* else the hasher is on its way */
		f->hashed = 0;
		fetchfile_digest_reset(f);
	}
	sync_file_range(f->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	f->kicked = size;
	f->async = 1;	/* fetchfile_finish reads it back */
}

int
fetchfile_finish(struct fetchfile *f)
{
	int e;

	if (f->finished)
		return f->herr;
	f->finished = 1;
	if ((e = f->fd >= 0 ? hash_finish(f) : 0) != 0)
		return e;
	fetchfile_digest_end(f);
	return 0;
}

void
fetchfile_drop(struct fetchfile *f)
{
	if (f->async)
		hash_quiesce(f);
	if (f->fd >= 0 && !f->d->stream) {
		close(f->fd);
		if (f->tmp[0] != '\0')
			unlinkat(f->d->fd, f->tmp, 0);
	}
	f->fd = -1;
	EVP_MD_CTX_free(f->md);
	EVP_MD_CTX_free(f->md5);
	EVP_MD_CTX_free(f->mpmd);
	f->md = f->md5 = f->mpmd = NULL;
	free(f->final);
	f->final = NULL;
}

/* ---- the commit ---- */

void
fetchfile_hold(struct fetchfile *f, struct http_xfer *x)
{
	f->x = x;
	atomic_store(&x->held, 1);
	pthread_mutex_lock(&mu);
	f->oprev = order_tail;
	if (order_tail != NULL)
		order_tail->onext = f;
	else
		order_head = f;
	order_tail = f;
	pthread_mutex_unlock(&mu);
}

/* take f out of the input order and release it (under mu) */
static void
unhold(struct fetchfile *f)
{
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
	atomic_store(&f->x->held, 0);
}

/* a file to keep goes to the syncers; anything else leaves the
 * committer's list and is released at once (a 401 must stop the run
 * before more starts) */
void
fetchfile_ended(struct fetchfile *f, int keep)
{
	int e;

	e = fetchfile_finish(f);
	if (f->x == NULL) {	/* not held: a stream, a dry run */
		f->outcome = keep && e == 0 ? FETCHFILE_OK : FETCHFILE_NONE;
		if (e != 0)
			snprintf(f->cerr, sizeof(f->cerr), "cannot read back "
			    "a file: %s", strerror(e));
		return;
	}
	pthread_mutex_lock(&mu);
	if (e != 0 && f->serr == 0)
		f->serr = e;	/* place() fails it, and says why */
	if (keep && f->fd >= 0 && f->final != NULL) {
		f->state = FETCHFILE_SYNC;
		if (sync_tail != NULL)
			sync_tail->snext = f;
		else
			sync_head = f;
		sync_tail = f;
		pthread_cond_signal(&sync_cv);
	} else
		unhold(f);
	pthread_mutex_unlock(&mu);
}

/* syncer thread: fsync and close the files handed over, in any order */
static void *
syncer(void *arg)
{
	struct fetchfile *f;
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
		f->state = FETCHFILE_READY;
		if (f == order_head)
			pthread_cond_signal(&commit_cv);
		pthread_mutex_unlock(&mu);
	}
}

/* link f's synced nameless file in as f->final: over an existing file
 * by way of a temporary name and a rename; closes it */
static int
link_in(struct fetchfile *f)
{
	static unsigned long n;
	struct fetchfile_dir *d = f->d;
	char fdp[64];
	int e = 0, tries = 0;

	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", f->fd);
	if (linkat(AT_FDCWD, fdp, d->fd, f->final, AT_SYMLINK_FOLLOW) == 0)
		goto out;
	if (errno != EEXIST) {
		e = errno;
		snprintf(f->cerr, sizeof(f->cerr), "cannot link %s/%s: %s",
		    d->dir, f->final, strerror(e));
		goto out;
	}
	for (;;) {
		snprintf(f->tmp, sizeof(f->tmp), "%s.%ld.c%lu", d->prefix,
		    (long)getpid(), n++);
		if (linkat(AT_FDCWD, fdp, d->fd, f->tmp,
		    AT_SYMLINK_FOLLOW) == 0)
			break;
		if (errno != EEXIST || ++tries > 100) {
			e = errno;
			snprintf(f->cerr, sizeof(f->cerr), "cannot link a "
			    "file in %s: %s", d->dir, strerror(e));
			f->tmp[0] = '\0';
			goto out;
		}
	}
	if (renameat(d->fd, f->tmp, d->fd, f->final) < 0) {
		e = errno;
		snprintf(f->cerr, sizeof(f->cerr), "cannot rename to %s/%s: "
		    "%s", d->dir, f->final, strerror(e));
		unlinkat(d->fd, f->tmp, 0);
	}
	f->tmp[0] = '\0';
out:
	close(f->fd);
	f->fd = -1;
	return e == 0 ? FETCHFILE_OK : FETCHFILE_FAIL;
}

/* rename (or link) f's synced file into place (committer thread) */
static int
place(struct fetchfile *f)
{
	struct fetchfile_dir *d = f->d;
	struct stat st;
	int exists;

	exists = d->skip_existing && fstatat(d->fd, f->final, &st, 0) == 0;
	if (f->fd >= 0 && (f->serr != 0 || exists)) {
		close(f->fd);	/* nameless: nothing to remove */
		f->fd = -1;
	}
	if (f->serr != 0 || exists) {
		if (f->serr != 0)
			snprintf(f->cerr, sizeof(f->cerr), "cannot write "
			    "%s/%s: %s", d->dir, f->final,
			    strerror(f->serr));
		if (f->tmp[0] != '\0')
			unlinkat(d->fd, f->tmp, 0);
		f->tmp[0] = '\0';
		return f->serr != 0 ? FETCHFILE_FAIL : FETCHFILE_SKIPPED;
	}
	if (f->fd >= 0)
		return link_in(f);
	if (renameat(d->fd, f->tmp, d->fd, f->final) < 0) {
		snprintf(f->cerr, sizeof(f->cerr), "cannot rename to %s/%s: "
		    "%s", d->dir, f->final, strerror(errno));
		unlinkat(d->fd, f->tmp, 0);
		f->tmp[0] = '\0';
		return FETCHFILE_FAIL;
	}
	f->tmp[0] = '\0';
	return FETCHFILE_OK;
}

/* committer thread: in input order, take the run of ready transfers,
 * rename their files, sync the directory once, release them */
static void *
committer(void *arg)
{
	struct fetchfile *batch, *last, *f, *next;
	int renamed, e, dfd = -1;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&mu);
		while ((order_head == NULL && !quitting) ||
		    (order_head != NULL &&
		    order_head->state != FETCHFILE_READY))
			pthread_cond_wait(&commit_cv, &mu);
		if ((batch = order_head) == NULL) {
			pthread_mutex_unlock(&mu);
			return NULL;
		}
		for (last = batch; last->onext != NULL &&
		    last->onext->state == FETCHFILE_READY; last = last->onext)
			;
		if ((order_head = last->onext) == NULL)
			order_tail = NULL;
		else
			order_head->oprev = NULL;
		last->onext = NULL;
		pthread_mutex_unlock(&mu);
		renamed = 0;
		for (f = batch; f != NULL; f = f->onext)
			if ((f->outcome = place(f)) == FETCHFILE_OK) {
				renamed++;
				dfd = f->d->fd;
			}
		e = renamed > 0 && fsync(dfd) < 0 ? errno : 0;
		for (f = batch; f != NULL; f = next) {
			next = f->onext;
			if (e != 0 && f->outcome == FETCHFILE_OK) {
				snprintf(f->cerr, sizeof(f->cerr), "cannot "
				    "sync directory %s after renaming to %s: "
				    "%s", f->d->dir, f->final, strerror(e));
				f->outcome = FETCHFILE_FAIL;
			}
			http_xfer_release(f->x);	/* f is done()'s now */
		}
	}
}

int
fetchfile_start(int jobs, char *err, size_t errlen)
{
	sigset_t all, old;
	int i, n = jobs < 2 ? 2 : jobs > 8 ? 8 : jobs, e = 0;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (i = 0; i <= n + 1 && e == 0; i++) {
		e = pthread_create(&threads[i], NULL, i == 0 ? committer :
		    i == 1 ? hasher : syncer, NULL);
		if (e == 0)
			nthreads++;
		if (e == 0 && i == 1)
			hstarted = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		fetchfile_stop();
		return sys_err(err, errlen, "cannot start a thread: %s",
		    strerror(e));
	}
	return 0;
}

void
fetchfile_stop(void)
{
	int i;

	pthread_mutex_lock(&mu);
	quitting = 1;
	pthread_cond_broadcast(&sync_cv);
	pthread_cond_broadcast(&commit_cv);
	pthread_mutex_unlock(&mu);
	pthread_mutex_lock(&hmu);
	hquit = 1;
	pthread_cond_broadcast(&hwork_cv);
	pthread_mutex_unlock(&hmu);
	for (i = 0; i < nthreads; i++)
		pthread_join(threads[i], NULL);
	nthreads = 0;
	hstarted = 0;
}
