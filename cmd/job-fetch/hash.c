/* job-fetch: SHA-256 of big outputs on the hasher thread */
#include "job-fetch.h"

static pthread_mutex_t hmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hwork_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t hidle_cv = PTHREAD_COND_INITIALIZER;
static struct fetch *hq_head, *hq_tail;
static int hquit;
int hstarted;
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
void
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
void
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
int
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

/* start the hasher (signals blocked by the caller) */
void
hash_start(void)
{
	int e;

	if ((e = pthread_create(&hthread, NULL, hasher, NULL)) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread: %s", strerror(e));
	hstarted = 1;
}

void
hash_stop(void)
{
	if (!hstarted)
		return;
	pthread_mutex_lock(&hmu);
	hquit = 1;
	pthread_cond_broadcast(&hwork_cv);
	pthread_mutex_unlock(&hmu);
	pthread_join(hthread, NULL);
	hstarted = 0;
}
