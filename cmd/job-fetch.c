/* job-fetch: download each finished job's output into a directory */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "cdisp.h"
#include "http.h"
#include "msg.h"
#include "nd.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: job-fetch [-ehnqV] -o dir [--api url] [--token-file file] "
    "[--id id] [--url url] [--header-file file] [--name name] "
    "[--skip-existing] [-j jobs] [--timeout seconds] [--retries n] "
    "[--errors file] [--max-line bytes] [file ...]";

static const char *dir;
static int dirfd_ = -1;
static int anon_ok;	/* O_TMPFILE files, linked in by /proc/self/fd */
static const char *api;
static char *token;
static struct curl_slist *secret;	/* --header-file */
static struct tmpl *idt, *urlt, *namet;
static int skip_existing, nflag;
enum { KICK_BYTES = 8 << 20 };	/* writeback started every 8 MiB */

/*
 * Durability off the event loop: a finished download's file is synced
 * by one of a few syncer threads (concurrent fsyncs share the disk's
 * flushes), then the committer renames files into place in input order
 * and syncs the directory once per batch of renames.  Only then is the
 * transfer released to done(), which reports it: a file named in an
 * output record has its data and its name on disk.
 */
enum { F_RUN, F_SYNC, F_READY };	/* struct fetch's state */
enum { C_NONE, C_OK, C_SKIPPED, C_FAIL };	/* its commit's outcome */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t sync_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t commit_cv = PTHREAD_COND_INITIALIZER;
static struct fetch *sync_head, *sync_tail;	/* to fsync, as they end */
static struct fetch *order_head, *order_tail;	/* held, input order */
static int quitting;
static pthread_t threads[9];
static int nthreads;

/* one download */
struct fetch {
	char *id;
	char *name;		/* from --name, or NULL until the headers */
	char tmp[64];		/* the temporary file's name in dir, or ""
				 * for an O_TMPFILE file (no name yet) */
	int fd;
	EVP_MD_CTX *md;
	long long bytes;
	long long kicked;	/* writeback started up to here */
	int skipped;
	int norange;		/* the server ignored a Range: start over */
	int ioerr;		/* the transfer failed on a local file */
	/* the commit; under mu until released */
	struct http_xfer *x;
	struct fetch *snext, *onext, *oprev;
	int state;
	/* hashing: before async, as the bytes come; after, by the hasher */
	int async;		/* the hasher reads the file back */
	long long hashed;	/* bytes in md; the hasher's while hbusy */
	long long written;	/* bytes the hasher may read (under hmu) */
	int hqueued, hbusy;	/* under hmu */
	int herr;		/* errno of a read back, 0 */
	struct fetch *hnext;
	char *final;		/* the name to rename to; NULL: no file */
	int serr;		/* errno of fsync or close, 0 */
	int outcome;
	char cerr[600];
};

static void ended(struct http_xfer *x);
static int restart(struct fetch *f, struct http_xfer *x);

/*
 * SHA-256 off the event loop for big outputs.  The first HASH_INLINE
 * bytes of a download are hashed as they come; past that, the hasher
 * thread reads the file back from the page cache behind the writes, so
 * receiving and hashing use two cores (a 1 GiB output: 0.6 s of hashing
 * no longer adds to the download).  ended() finishes the digest before
 * the file goes to the syncers.
 */
enum { HASH_INLINE = 4 << 20, HASH_CHUNK = 1 << 20, HASH_TURN = 8 << 20 };
static pthread_mutex_t hmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hwork_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t hidle_cv = PTHREAD_COND_INITIALIZER;
static struct fetch *hq_head, *hq_tail;
static int hquit, hstarted;
static pthread_t hthread;

/* hash f's file from f->hashed up to upto; 0 or an errno */
static int
hash_upto(struct fetch *f, long long upto, unsigned char *buf)
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
		EVP_DigestUpdate(f->md, buf, (size_t)r);
		f->hashed += r;
	}
	return 0;
}

static void
hash_queue(struct fetch *f)	/* under hmu */
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
hash_post(struct fetch *f)
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
hash_quiesce(struct fetch *f)
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
	struct fetch *f;
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

/* finish f's digest on the loop thread: what the hasher has not read */
static int
hash_finish(struct fetch *f)
{
	static unsigned char *buf;

	if (!f->async)
		return 0;
	hash_quiesce(f);
	if (f->herr != 0)
		return f->herr;
	if (buf == NULL)
		buf = xmalloc(HASH_CHUNK);
	return f->herr = hash_upto(f, f->bytes, buf);
}

static void
pct(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char c;

	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (isalnum(c) || strchr("-_.~", c) != NULL) {
			buf_addc(b, c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hex[c >> 4]);
			buf_addc(b, hex[c & 15]);
		}
	}
}

static int
exists(const char *name)
{
	struct stat st;

	return fstatat(dirfd_, name, &st, 0) == 0;
}

/* the final name: --name, the server's, else the id */
static char *
final_name(struct fetch *f, struct http_xfer *x)
{
	char *n = NULL, *d, err[128];

	if (f->name != NULL)
		return xstrdup(f->name);
	if (x->cdisp != NULL &&
	    cdisp_filename(x->cdisp, &d, err, sizeof(err)) == 0) {
		(void)cdisp_safe_name(d, &n, err, sizeof(err));
		free(d);
	}
	if (n == NULL)
		(void)cdisp_safe_name(f->id, &n, err, sizeof(err));
	return n ? n : xstrdup("output");
}

static void
drop(struct http_xfer *x, void *arg)
{
	struct fetch *f = x->user;

	(void)arg;
	if (f == NULL)
		return;
	if (f->async)
		hash_quiesce(f);
	if (f->fd >= 0) {
		close(f->fd);
		if (f->tmp[0] != '\0')
			unlinkat(dirfd_, f->tmp, 0);
	}
	EVP_MD_CTX_free(f->md);
	free(f->id);
	free(f->name);
	free(f->final);
	free(f);
}

static int
prepare(struct http_xfer *x, CURL *e)
{
	static unsigned long n;
	struct fetch *f = x->user;
	int tries = 0;

	/* a file with no name until it is complete (O_TMPFILE): nothing is
	 * left behind by a crash, and the directory changes once per file
	 * (the link), not twice (create, rename) */
	if (f->fd < 0 && anon_ok) {
		f->fd = openat(dirfd_, ".", O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0666);
		if (f->fd >= 0)
			f->tmp[0] = '\0';
		else if (errno == EOPNOTSUPP || errno == EISDIR ||
		    errno == EINVAL)
			anon_ok = 0;	/* not here: named files */
	}
	/* else a name of our own, O_EXCL: no mkostemp path building and no
	 * fchmod (the mode is 0666 less the umask, as for any new file) */
	while (f->fd < 0) {
		snprintf(f->tmp, sizeof(f->tmp), ".job-fetch.%ld.%lu",
		    (long)getpid(), n++);
		f->fd = openat(dirfd_, f->tmp, O_RDWR | O_CREAT | O_EXCL |
		    O_CLOEXEC, 0666);
		if (f->fd < 0 && (errno != EEXIST || ++tries > 100)) {
			snprintf(x->err, sizeof(x->err), "cannot create a "
			    "file in %s: %s", dir, strerror(errno));
			f->ioerr = 1;
			return -1;
		}
	}
	/* after a cut: ask for the rest, unless the server said 200 to
	 * that before (libcurl then refuses the body: CURLE_RANGE_ERROR);
	 * then the file starts over */
	if (x->prev_code == CURLE_RANGE_ERROR)
		f->norange = 1;
	if (f->norange && f->bytes > 0 && restart(f, x) < 0)
		return -1;
	curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE,
	    (curl_off_t)(f->norange ? 0 : f->bytes));
	return 0;
}

static int
restart(struct fetch *f, struct http_xfer *x)
{
	if (f->async) {
		hash_quiesce(f);
		f->async = 0;
		f->herr = 0;
	}
	if (ftruncate(f->fd, 0) < 0 || lseek(f->fd, 0, SEEK_SET) < 0) {
		snprintf(x->err, sizeof(x->err), "cannot truncate a file in "
		    "%s: %s", dir, strerror(errno));
		f->ioerr = 1;
		return -1;
	}
	f->bytes = f->kicked = f->hashed = 0;
	EVP_DigestInit_ex(f->md, EVP_sha256(), NULL);
	return 0;
}

static int
sink(struct http_xfer *x, const char *p, size_t n)
{
	struct fetch *f = x->user;
	long long start;
	ssize_t w;
	char *name;

	if (x->sink_first) {
		if (skip_existing && f->name == NULL) {
			name = final_name(f, x);
			if (exists(name)) {
				f->skipped = 1;
				f->name = name;
				return 1;
			}
			free(name);
		}
		if (x->status == 206) {
			if (x->crange == NULL || sscanf(x->crange,
			    "bytes %lld-", &start) != 1 || start != f->bytes) {
				snprintf(x->err, sizeof(x->err), "the server "
				    "resumed at the wrong place");
				return -1;
			}
		} else if (f->bytes > 0 && restart(f, x) < 0) {
			return -1;	/* a 200: it all comes again */
		}
	}
	if (!f->async && hstarted && f->bytes + (long long)n > HASH_INLINE) {
		f->async = 1;	/* from here on the hasher reads it back */
		f->hashed = f->bytes;
	}
	if (!f->async)
		EVP_DigestUpdate(f->md, p, n);
	while (n > 0) {
		w = write(f->fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			snprintf(x->err, sizeof(x->err), "cannot write to %s: "
			    "%s", dir, strerror(errno));
			f->ioerr = 1;
			return -1;
		}
		p += w;
		n -= (size_t)w;
		f->bytes += w;
	}
	/* start writeback while the bytes come (no wait): the fsync at the
	 * end then has little left, a big file streams to the disk */
	if (f->bytes - f->kicked >= KICK_BYTES) {
		sync_file_range(f->fd, f->kicked, f->bytes - f->kicked,
		    SYNC_FILE_RANGE_WRITE);
		f->kicked = f->bytes;
	}
	if (f->async)
		hash_post(f);
	return 0;
}

static struct http_xfer *
build(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	struct http_xfer *x;
	struct fetch *f;
	struct buf b = {0}, u = {0};
	const struct curl_slist *l;

	(void)arg;
	f = xcalloc(1, sizeof(*f));
	f->fd = -1;
	if (tmpl_render(idt, r->obj, &b, err, errlen) < 0) {
		if (urlt != NULL) {	/* the id only names the file */
			buf_reset(&b);
			buf_adds(&b, "output");
		}
		else
			goto bad;
	}
	f->id = b.p ? b.p : xstrdup("");
	memset(&b, 0, sizeof(b));
	if (urlt != NULL) {
		if (tmpl_render(urlt, r->obj, &u, err, errlen) < 0)
			goto bad;
	} else {
		if (f->id[0] == '\0') {
			snprintf(err, errlen, "empty job id");
			goto bad;
		}
		buf_addf(&u, "%s/v1/jobs/", api);
		pct(&u, f->id);
		buf_adds(&u, "/output");
	}
	if (http_url_check(u.p ? u.p : "", err, errlen) < 0)
		goto bad;
	if (namet != NULL) {
		if (tmpl_render(namet, r->obj, &b, err, errlen) < 0)
			goto bad;
		if (cdisp_safe_name(b.p ? b.p : "", &f->name, err,
		    errlen) < 0) {
			snprintf(err, errlen, "name template '%s' gave no "
			    "usable name", tmpl_text(namet));
			goto bad;
		}
		buf_free(&b);
	}
	x = http_xfer_new();
	x->url = u.p;
	x->follow = 1;
	x->user = f;
	x->sink = sink;
	x->prepare = prepare;
	if ((f->md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(f->md, EVP_sha256(), NULL) != 1) {
		snprintf(err, errlen, "cannot start SHA-256");
		drop(x, NULL);
		x->user = NULL;
		http_xfer_free(x);
		return NULL;
	}
	if (token != NULL) {
		buf_addf(&b, "Authorization: Bearer %s", token);
		x->secret = curl_slist_append(x->secret, b.p);
		memset(b.p, 0, b.len);
		buf_free(&b);
	}
	for (l = secret; l != NULL; l = l->next)
		x->secret = curl_slist_append(x->secret, l->data);
	if (nflag) {
		x->done = 1;
		x->result = HTTP_SKIPPED;
	} else if (skip_existing && f->name != NULL && exists(f->name)) {
		f->skipped = 1;
		x->done = 1;
		x->result = HTTP_SKIPPED;
	} else {
		/* held until the committer has had its turn on it */
		f->x = x;
		x->ended = ended;
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
	return x;
bad:
	buf_free(&b);
	buf_free(&u);
	free(f->id);
	free(f->name);
	free(f);
	return NULL;
}

/* the transfer of f ended (loop thread, as transfers end): a file to
 * keep goes to the syncers; anything else leaves the committer's list
 * and is released at once (a 401 must stop the run before more starts) */
static void
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
static void
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
	if ((e = pthread_create(&hthread, NULL, hasher, NULL)) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread: %s", strerror(e));
	hstarted = 1;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
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
	if (hstarted) {
		pthread_mutex_lock(&hmu);
		hquit = 1;
		pthread_cond_broadcast(&hwork_cv);
		pthread_mutex_unlock(&hmu);
		pthread_join(hthread, NULL);
		hstarted = 0;
	}
}

static int
done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen)
{
	struct fetch *f = x->user;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	char hex[2 * EVP_MAX_MD_SIZE + 1], why[512], *show, *name = NULL;
	char path[4096];
	json_t *out, *fe;
	int rc = 0;

	(void)arg;
	show = http_url_show(x->final_url ? x->final_url : x->url, 0);
	out = json_copy(r->obj);
	if (nflag) {
		json_t *req = json_object(), *h = json_array();
		const struct curl_slist *l;
		char *c;

		json_object_set_new(req, "method", json_string("GET"));
		json_object_set_new(req, "url", json_string(x->url));
		for (l = x->secret; l != NULL; l = l->next) {
			c = strchr(l->data, ':');
			json_array_append_new(h, json_sprintf("%.*s: ***",
			    (int)(c - l->data), l->data));
		}
		json_object_set_new(req, "headers", h);
		json_object_set_new(out, "request", req);
		nd_write(out);
		goto out;
	}
	if (f->skipped) {
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		json_object_set_new(out, "fetch", json_pack("{s:s, s:b}",
		    "path", path, "skipped", 1));
		nd_write(out);
		goto out;
	}
	if (x->result != HTTP_OK && f->ioerr) {
		snprintf(err, errlen, "job %s: %s", f->id, x->err);
		nd_set_status(EX_SYSTEM);
		rc = ND_FAIL;
		goto out;
	}
	if (x->result != HTTP_OK) {
		snprintf(err, errlen, "cannot fetch job %s from %s: %s",
		    f->id, show, http_reason(x, why, sizeof(why)));
		if (x->result == HTTP_FAIL_TEMP)
			nd_set_status(EX_TEMPFAIL);
		rc = ND_FAIL;
		goto out;
	}
	if (x->status < 200 || x->status > 299) {
		if (x->status == 404 || x->status == 410)
			snprintf(err, errlen, "job %s is expired or missing "
			    "(HTTP %ld from %s)", f->id, x->status, show);
		else
			snprintf(err, errlen, "cannot fetch job %s: HTTP %ld "
			    "from %s", f->id, x->status, show);
		if (http_status_temp(x->status))
			nd_set_status(EX_TEMPFAIL);
		rc = x->status == 401 || x->status == 403 ? EX_REMOTE :
		    ND_FAIL;
		goto out;
	}
	name = f->final;	/* the committer has been */
	if (f->outcome == C_SKIPPED) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		json_object_set_new(out, "fetch", json_pack("{s:s, s:b}",
		    "path", path, "skipped", 1));
		nd_write(out);
		goto out;
	}
	if (f->outcome != C_OK) {
		snprintf(err, errlen, "%s", f->cerr[0] != '\0' ? f->cerr :
		    "the file was not committed");
		nd_set_status(EX_SYSTEM);
		rc = ND_FAIL;
		goto out;
	}
	EVP_DigestFinal_ex(f->md, md, &mdlen);
	for (i = 0; i < mdlen; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * mdlen] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fe = json_pack("{s:s, s:I, s:s, s:s?, s:s}", "path", path, "bytes",
	    (json_int_t)f->bytes, "sha256", hex, "content_type", x->ctype,
	    "url", show);
	if (fe == NULL)	/* a name that is not UTF-8 */
		fe = json_pack("{s:s, s:I, s:s}", "path", "(not UTF-8)",
		    "bytes", (json_int_t)f->bytes, "sha256", hex);
	json_object_set_new(out, "fetch", fe);
	nd_write(out);
out:
	free(show);
	json_decref(out);
	return rc;
}

static long
number(const char *s, const char *what, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		msg_err("%s must be a number from %ld to %ld", what, lo, hi);
		msg_usage(usage);
	}
	return v;
}

static struct tmpl *
compile(const char *t)
{
	char err[1024];
	struct tmpl *r = tmpl_compile(t, err, sizeof(err));

	if (r == NULL) {
		msg_err("%s", err);
		msg_usage(usage);
	}
	return r;
}

enum {
	O_API = 256, O_TOKENFILE, O_ID, O_URL, O_HEADERFILE, O_NAME,
	O_SKIP, O_TIMEOUT, O_RETRIES, O_ERRORS
};

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"output", required_argument, NULL, 'o'},
		{"api", required_argument, NULL, O_API},
		{"token-file", required_argument, NULL, O_TOKENFILE},
		{"id", required_argument, NULL, O_ID},
		{"url", required_argument, NULL, O_URL},
		{"header-file", required_argument, NULL, O_HEADERFILE},
		{"name", required_argument, NULL, O_NAME},
		{"skip-existing", no_argument, NULL, O_SKIP},
		{"jobs", required_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, O_TIMEOUT},
		{"retries", required_argument, NULL, O_RETRIES},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct http_opts ho;
	struct http_pool *pool;
	struct http_tool tool = { build, done, drop };
	struct nd_opts o = {0};
	const char *tokfile = NULL, *errors = NULL, *e;
	char err[1024];
	int ch, rc;

	msg_prog = "job-fetch";
	http_opts_init(&ho, msg_prog);
	ho.idle_timeout = 1;	/* a big output may take long; a stall not */
	/* fewer, bigger reads, writes and hash updates: about half the
	 * system time on a 1 GiB output (1.5-2.2 s to 0.8-0.9 s); 8 x
	 * 256 KiB at -j 8 */
	ho.recv_buffer = 256 * 1024;
	if ((e = getenv("JOB_API_URL")) != NULL && *e != '\0')
		api = e;
	while ((ch = getopt_long(argc, argv, "ehj:no:qV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'o': dir = optarg; break;
		case O_API: api = optarg; break;
		case O_TOKENFILE: tokfile = optarg; break;
		case O_ID: idt = compile(optarg); break;
		case O_URL: urlt = compile(optarg); break;
		case O_NAME: namet = compile(optarg); break;
		case O_HEADERFILE:
			if (http_header_file(optarg, &secret, err,
			    sizeof(err)) < 0)
				msg_die(EX_CONFIG, "%s", err);
			break;
		case O_SKIP: skip_existing = 1; break;
		case 'j': ho.jobs = (int)number(optarg, "-j", 1, 256); break;
		case O_TIMEOUT:
			ho.timeout = number(optarg, "--timeout", 1, 86400);
			break;
		case O_RETRIES:
			ho.retries = (int)number(optarg, "--retries", 0, 100);
			break;
		case O_ERRORS: errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case 'e': o.eflag = 1; break;
		case 'n': nflag = 1; break;
		case 'q': msg_quiet = 1; break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	if (dir == NULL) {
		msg_err("give the output directory (-o)");
		msg_usage(usage);
	}
	if (idt == NULL)
		idt = compile("{body.id}");
	if (urlt == NULL && api == NULL) {
		msg_err("give --api (or JOB_API_URL) or --url");
		msg_usage(usage);
	}
	if (api != NULL && urlt == NULL &&
	    http_url_check(api, err, sizeof(err)) < 0) {
		msg_err("--api: %s", err);
		msg_usage(usage);
	}
	if (tokfile != NULL) {
		if ((token = http_secret_file(tokfile, err, sizeof(err))) ==
		    NULL)
			msg_die(EX_CONFIG, "cannot read the token: %s", err);
	} else if ((e = getenv("JOB_API_TOKEN")) != NULL && *e != '\0') {
		token = xstrdup(e);
	}
	/* HOOKPIPE_NAMED_TEMP=1: named temporaries, as where there is no
	 * O_TMPFILE (for the tests) */
	e = getenv("HOOKPIPE_NAMED_TEMP");
	anon_ok = access("/proc/self/fd", X_OK) == 0 &&
	    (e == NULL || *e == '\0');
	if ((dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		msg_die(EX_CONFIG, "cannot open directory %s: %s", dir,
		    strerror(errno));
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot start libcurl");
	if ((pool = http_pool_new(&ho, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
	if (!nflag)
		threads_start(ho.jobs);
	rc = http_run(argv + optind, argc - optind, pool, &tool, NULL, &o);
	threads_stop();	/* every transfer was released: they are idle */
	http_pool_free(pool);
	tmpl_free(idt);
	tmpl_free(urlt);
	tmpl_free(namet);
	curl_slist_free_all(secret);
	if (token != NULL)
		memset(token, 0, strlen(token));
	free(token);
	close(dirfd_);
	curl_global_cleanup();
	return rc;
}
