/* s3-put: parts, read and hashed on worker threads */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "enc.h"
#include "s3-put.h"
#include "sys.h"

/*
 * Part buffers are kept for the next part: a fresh 8 MiB buffer costs
 * 2,048 page faults, and the pool never holds more than the slots use.
 */
static struct {
	char **p;
	size_t n;
} pool;

/* room for a buffer per slot; run.slots is set */
void
pool_init(void)
{
	pool.p = xcalloc((size_t)run.slots, sizeof(*pool.p));
}

void
pool_free(void)
{
	while (pool.n > 0)
		free(pool.p[--pool.n]);
	free(pool.p);
	pool.p = NULL;
}

/* n bytes; *pooled: the buffer goes back to the pool when done */
char *
pool_get(size_t n, int *pooled)
{
	*pooled = n == opt.psize && pool.n > 0;
	if (*pooled)
		return pool.p[--pool.n];
	*pooled = n == opt.psize;
	return xmalloc(n);
}

void
pool_put(char *p)
{
	if (pool.n < (size_t)run.slots) {
		pool.p[pool.n++] = p;
		return;
	}
	free(p);
}

/*
 * Preparing a big body (reading a part, SHA-256 and MD5 of it) takes
 * tens of milliseconds; on the loop thread it would stall every other
 * transfer.  Workers do it: the loop queues a request, a worker reads
 * it with pread(2) a chunk at a time, hashing each chunk while it is
 * still in the cache, and hands it back through prep.done and
 * http_pool_wakeup().  Workers touch only the request's own fields.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct req *head, *tail;	/* to prepare */
	struct req *done;		/* prepared, for the loop */
	int quit, nworkers;
	pthread_t workers[WORKERS_MAX];
} prep = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void
prep_body(struct req *q)
{
	struct sigv4_hash h;
	char err[256], c;
	size_t off = 0, n;
	ssize_t r;

	if (sigv4_hash_init(&h, SIGV4_SHA256 | SIGV4_MD5, err,
	    sizeof(err)) < 0) {
		q->perr = PERR_HASH;
		return;
	}
	while (off < q->len) {
		n = q->len - off < PREP_CHUNK ? q->len - off : PREP_CHUNK;
		if (q->rfd >= 0) {
			r = pread(q->rfd, q->body + off, n,
			    q->roff + (off_t)off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				q->perr = r < 0 ? errno : PERR_SIZE;
				break;
			}
			n = (size_t)r;
		}
		sigv4_hash_update(&h, q->body + off, n);
		off += n;
	}
	/* the last part must be the end of the file */
	if (q->perr == 0 && q->rfd >= 0 && q->rlast &&
	    pread(q->rfd, &c, 1, q->roff + (off_t)q->len) > 0)
		q->perr = PERR_SIZE;
	if (q->perr != 0) {
		sigv4_hash_free(&h);
		return;
	}
	sigv4_hash_final(&h);
	memcpy(q->sha, h.sha256_hex, sizeof(q->sha));
	memcpy(q->sha256, h.sha256_sum, sizeof(q->sha256));
	memcpy(q->md5, h.md5_sum, sizeof(q->md5));
}

static void *
worker(void *arg)
{
	struct req *q;

	(void)arg;
	pthread_mutex_lock(&prep.mu);
	for (;;) {
		while (prep.head == NULL && !prep.quit)
			pthread_cond_wait(&prep.cv, &prep.mu);
		if (prep.head == NULL)
			break;
		q = prep.head;
		if ((prep.head = q->pnext) == NULL)
			prep.tail = NULL;
		pthread_mutex_unlock(&prep.mu);
		prep_body(q);
		pthread_mutex_lock(&prep.mu);
		q->pnext = prep.done;
		prep.done = q;
		http_pool_wakeup(run.pool);
	}
	pthread_mutex_unlock(&prep.mu);
	return NULL;
}

/* queue q for a worker; the first call starts them */
void
prep_submit(struct req *q)
{
	long ncpu;
	int want;

	if (prep.nworkers == 0) {
		/* one per core, and no more than can be used at once */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		want = ncpu < 1 ? 1 : ncpu > WORKERS_MAX ? WORKERS_MAX :
		    (int)ncpu;
		if (want > run.slots)
			want = run.slots;
		while (prep.nworkers < want && pthread_create(
		    &prep.workers[prep.nworkers], NULL, worker, NULL) == 0)
			prep.nworkers++;
		if (prep.nworkers == 0)
			msg_die(EX_SYSTEM, "cannot start a thread");
	}
	q->pnext = NULL;
	pthread_mutex_lock(&prep.mu);
	if (prep.tail)
		prep.tail->pnext = q;
	else
		prep.head = q;
	prep.tail = q;
	pthread_cond_signal(&prep.cv);
	pthread_mutex_unlock(&prep.mu);
}

/* the workers end, once the loop has */
void
prep_stop(void)
{
	int i;

	pthread_mutex_lock(&prep.mu);
	prep.quit = 1;
	pthread_cond_broadcast(&prep.cv);
	pthread_mutex_unlock(&prep.mu);
	for (i = 0; i < prep.nworkers; i++)
		pthread_join(prep.workers[i], NULL);
	prep.nworkers = 0;
}

/* q's SHA-256 as base64, for x-amz-checksum-sha256 */
static void
sha_b64(struct req *q)
{
	struct buf b = {0};

	enc_base64(&b, q->sha256, sizeof(q->sha256), ENC_B64);
	snprintf(q->sha64, sizeof(q->sha64), "%s", b.p);
	buf_free(&b);
}

/* hashes of a body: hex SHA-256 to sign, MD5 for Content-MD5 and ETags */
void
hash_body(struct req *q, unsigned char md5[16])
{
	struct sigv4_hash h;
	struct buf b = {0};
	char err[256];

	if (sigv4_hash_init(&h, SIGV4_SHA256 | SIGV4_MD5, err,
	    sizeof(err)) < 0)
		msg_die(EX_SYSTEM, "%s", err);
	sigv4_hash_update(&h, q->body, q->len);
	sigv4_hash_final(&h);
	memcpy(q->sha, h.sha256_hex, sizeof(q->sha));
	memcpy(q->sha256, h.sha256_sum, sizeof(q->sha256));
	memcpy(md5, h.md5_sum, 16);
	enc_base64(&b, md5, 16, ENC_B64);
	snprintf(q->md5b64, sizeof(q->md5b64), "%s", b.p);
	buf_free(&b);
	sha_b64(q);
}

/* ---- parts ---- */

/* a part of n bytes; fd >= 0: still to be read at off (see req_new_at) */
static void
add_part(struct upload *u, char *buf, size_t n, int pooled, int fd,
    off_t off, int last)
{
	if (u->nparts == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		u->parts = xrealloc(u->parts, u->cap * sizeof(*u->parts));
	}
	memset(&u->parts[u->nparts], 0, sizeof(u->parts[0]));
	u->nparts++;
	u->bytes += n;
	req_new_at(u, R_PART, (int)u->nparts, buf, n, pooled, fd, off, last);
}

/* read the next part of u and send it; sets u->eof at the end */
void
next_part(struct upload *u)
{
	char *buf;
	ssize_t n;

	if (u->pend != NULL) {
		buf = u->pend;
		u->pend = NULL;
		add_part(u, buf, u->pendlen, 0, -1, 0, 0);
		return;
	}
	if (u->size > 0) {
		/*
		 * A regular file: each part is read by a worker at its
		 * own offset, so parts are read and hashed in parallel.
		 */
		off_t off = (off_t)u->nparts * (off_t)u->psize;
		size_t len = u->size - off < (off_t)u->psize ?
		    (size_t)(u->size - off) : u->psize;
		int pooled, last = off + (off_t)len >= u->size;

		buf = pool_get(len, &pooled);
		if (last)
			u->eof = 1;
		add_part(u, buf, len, pooled, u->fd, off, last);
		return;
	}
	if (u->nparts >= PARTS_MAX) {
		/* only an error if more data follows */
		char c;

		n = sys_read_full(u->fd, &c, 1);
		if (n == 0)
			u->eof = 1;
		else
			ufail(u, EX_PARTIAL, "cannot put %s: more than %d "
			    "parts of %zu bytes; raise --part-size",
			    u->s3url, PARTS_MAX, u->psize);
		return;
	}
	buf = xmalloc(u->psize);
	n = sys_read_full(u->fd, buf, u->psize);
	if (n < 0) {
		ufail(u, EX_PARTIAL, "cannot read %s: %s", u->file,
		    strerror(errno));
		free(buf);
		return;
	}
	if (n == 0) {
		free(buf);
		u->eof = 1;
		if (u->size >= 0 && (off_t)u->bytes != u->size)
			ufail(u, EX_PARTIAL, "cannot put %s: %s changed size "
			    "while read", u->s3url, u->file);
		return;
	}
	if ((size_t)n < u->psize)
		buf = xrealloc(buf, (size_t)n);
	add_part(u, buf, (size_t)n, 0, -1, 0, 0);
	if ((size_t)n < u->psize) {
		u->eof = 1;
		if (u->size >= 0 && (off_t)u->bytes != u->size)
			ufail(u, EX_PARTIAL, "cannot put %s: %s changed size "
			    "while read", u->s3url, u->file);
	}
}

/* q will not be sent: uncount it and move its upload on */
static void
prep_drop(struct req *q)
{
	struct upload *u = q->u;

	inflight(u, -1);
	if (q->kind == R_PUT)
		upload_enter(u, U_DONE, NULL, 0);
	step(u);
	req_free(q);
}

/* a worker has prepared q: send it, or give up on it */
static void
prep_finish(struct req *q)
{
	struct upload *u = q->u;
	struct buf b = {0};

	if (q->perr == PERR_SIZE)
		ufail(u, EX_PARTIAL, "cannot put %s: %s changed size while "
		    "read", u->s3url, u->file);
	else if (q->perr == PERR_HASH)
		ufail(u, EX_SYSTEM, "cannot put %s: cannot start the "
		    "digests", u->s3url);
	else if (q->perr != 0)
		ufail(u, EX_PARTIAL, "cannot read %s: %s", u->file,
		    strerror(q->perr));
	if (u->failed) {
		/* this or another part failed: nothing more is sent */
		prep_drop(q);
		return;
	}
	memcpy(q->kind == R_PUT ? u->md5 : u->parts[q->partno - 1].md5,
	    q->md5, 16);
	enc_base64(&b, q->md5, 16, ENC_B64);
	snprintf(q->md5b64, sizeof(q->md5b64), "%s", b.p);
	buf_free(&b);
	sha_b64(q);
	req_start(q);
}

/* start the requests the prep.workers have finished */
void
prep_collect(void)
{
	struct req *q, *next;

	pthread_mutex_lock(&prep.mu);
	q = prep.done;
	prep.done = NULL;
	pthread_mutex_unlock(&prep.mu);
	for (; q != NULL; q = next) {
		next = q->pnext;
		q->pnext = NULL;
		prep_finish(q);
	}
}
