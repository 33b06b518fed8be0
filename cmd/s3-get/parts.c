/* s3-get: big objects in ranged parts, -j of them at once, on a thread
 * with a pool of its own (lib/http's engine): each part's bytes go
 * straight to their place in the file, so memory stays at libcurl's
 * buffers whatever the object's size */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "s3-get.h"
#include "sys.h"

struct part {
	struct get *g;
	long long off, len, got;
	struct s3req rq;
};

static const char *const keep[] = { "ETag", "Date", NULL };

static pthread_mutex_t pmu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pcv = PTHREAD_COND_INITIALIZER;
static struct get *qhead, *qtail;
static int pquit, pstarted;
static pthread_t pthr;
static struct http_pool *loop_pool;	/* http_run's, to wake */
static struct http_opts popts;		/* the parts' pools' */

/* g goes to the parts thread.  Its record's transfer is added to
 * http_run's pool just after; if g fails before that, the transfer is
 * taken as soon as it is added (it is done and no longer held) */
void
parts_submit(struct get *g)
{
	pthread_mutex_lock(&pmu);
	g->pnext = NULL;
	if (qtail != NULL)
		qtail->pnext = g;
	else
		qhead = g;
	qtail = g;
	pthread_cond_signal(&pcv);
	pthread_mutex_unlock(&pmu);
}

static int
part_sign(struct http_xfer *x, char *err, size_t errlen)
{
	struct part *p = x->user;

	return get_sign(&p->rq, p->g, x, err, errlen);
}

static int
part_prepare_path(struct http_xfer *x, CURL *e)
{
	(void)x;
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	return 0;
}

/* the part's range, or after a cut the rest of it */
static int
part_prepare(struct http_xfer *x, CURL *e)
{
	struct part *p = x->user;
	char r[64];

	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	snprintf(r, sizeof(r), "%lld-%lld", p->off + p->got,
	    p->off + p->len - 1);
	curl_easy_setopt(e, CURLOPT_RANGE, r);
	return 0;
}

/* an attempt's first bytes: the range asked for, of the object listed */
static int
part_first(struct part *p, struct http_xfer *x)
{
	struct get *g = p->g;
	const char *v;
	long long start, total;

	if (x->status != 206 || x->crange == NULL || sscanf(x->crange,
	    "bytes %lld-", &start) != 1 || start != p->off + p->got ||
	    (v = strchr(x->crange, '/')) == NULL)
		return sys_err(x->err, sizeof(x->err), "the server did not "
		    "answer with the range asked for");
	total = strtoll(v + 1, NULL, 10);
	if (total != g->want_size)
		return sys_err(x->err, sizeof(x->err), "the object is %lld "
		    "bytes, not %lld as listed", total, g->want_size);
	note_etag(g, http_xfer_header(x, "ETag"));	/* parts to come */
	return 0;
}

static int
part_sink(struct http_xfer *x, const char *d, size_t n)
{
	struct part *p = x->user;

	if (x->sink_first && part_first(p, x) < 0)
		return -1;
	if (p->got + (long long)n > p->len)
		return sys_err(x->err, sizeof(x->err), "more bytes than the "
		    "range asked for");
	if (fetchfile_pwrite(&p->g->ff, d, n, p->off + p->got, x->err,
	    sizeof(x->err)) < 0) {
		p->g->ff.ioerr = 1;
		return -1;
	}
	p->got += (long long)n;
	return 0;
}

static struct http_xfer *
part_new(struct get *g, long long off, long long len)
{
	struct part *p = xcalloc(1, sizeof(*p));
	struct http_xfer *x;

	p->g = g;
	p->off = off;
	p->len = len;
	p->rq.c = &ctx;
	p->rq.method = "GET";
	p->rq.l = &g->loc;
	x = http_xfer_new();
	x->url = xstrdup(g->loc.url);
	x->sign = part_sign;
	x->judge = s3_judge;
	x->prepare = part_prepare;
	x->sink = part_sink;
	x->keep = keep;
	x->user = p;
	return x;
}

/* part i of g is in: the file is whole up to the first part missing */
static void
parts_in(struct get *g, long long i)
{
	long long n = (g->want_size + (long long)psize - 1) / (long long)psize;

	g->pdone[i] = 1;
	if (i != g->pin_n)
		return;
	while (g->pin_n < n && g->pdone[g->pin_n])
		g->pin_n++;
	fetchfile_prefix(&g->ff, g->pin_n == n ? g->want_size :
	    g->pin_n * (long long)psize);
}

/* a part ended: 0, or -1 with the failure on g and its record's
 * transfer (an answer's status, for done() to judge) */
static int
part_end(struct http_xfer *x)
{
	struct part *p = x->user;
	struct get *g = p->g;
	struct http_xfer *rx = g->ff.x;
	int rc = 0;

	if (g->pfail != 0 || rx->status / 100 != 2)
		rc = -1;	/* failed already: the first one says */
	else if (x->result == HTTP_OK && x->status / 100 != 2) {
		rx->status = x->status;
		rx->verdict = -1;
		http_reason(x, rx->err, sizeof(rx->err));
		rc = -1;
	} else if (x->result != HTTP_OK || p->got != p->len) {
		g->pfail = g->ff.ioerr ? EX_SYSTEM : x->result ==
		    HTTP_FAIL_LOCAL || x->result == HTTP_OK ? EX_REMOTE :
		    EX_TEMPFAIL;
		http_reason(x, g->perr, sizeof(g->perr));
		if (x->result == HTTP_OK)
			snprintf(g->perr, sizeof(g->perr), "a part ended "
			    "after %lld bytes of %lld", p->got, p->len);
		rc = -1;
	} else		/* the whole prefix of parts in goes to be hashed */
		parts_in(g, p->off / (long long)psize);
	s3req_free(&p->rq);
	free(p);
	x->user = NULL;
	http_xfer_free(x);
	return rc;
}

/* every part of g in flight or waiting: they end, unread */
static void
drain(struct http_pool *pool)
{
	struct http_xfer *x;
	char scratch[256];

	http_pool_cancel_waits(pool);
	while (http_pool_len(pool) > 0) {
		while ((x = http_pool_take(pool)) != NULL)
			(void)part_end(x);
		if (http_pool_len(pool) > 0 && http_pool_run(pool, 1000, -1,
		    scratch, sizeof(scratch)) == -1)
			break;
	}
}

/* the parts of g, jobs at once; 0 when all are in */
static int
fetch_parts(struct http_pool *pool, struct get *g)
{
	struct http_xfer *x;
	long long size = g->want_size, next = 0, len;
	int rc = 0;

	if (fetchfile_open(&g->ff, g->perr, sizeof(g->perr)) < 0 ||
	    ftruncate(g->ff.fd, (off_t)size) < 0) {
		if (g->perr[0] == '\0')
			snprintf(g->perr, sizeof(g->perr), "cannot size a "
			    "file in %s: %s", fdir.dir, strerror(errno));
		g->pfail = EX_SYSTEM;
		return -1;
	}
	g->pdone = xcalloc((size_t)((size + (long long)psize - 1) /
	    (long long)psize), 1);
	g->pin_n = 0;
	while (rc == 0 && (next < size || http_pool_len(pool) > 0)) {
		while (next < size && http_pool_room(pool) && !nd_stop) {
			len = size - next < (long long)psize ? size - next :
			    (long long)psize;
			http_pool_add(pool, part_new(g, next, len));
			next += len;
		}
		while (rc == 0 && (x = http_pool_take(pool)) != NULL)
			rc = part_end(x);
		if (rc == 0 && nd_stop && next < size) {
			snprintf(g->perr, sizeof(g->perr), "stopped by a "
			    "signal");
			g->pfail = EX_TEMPFAIL;
			rc = -1;
		}
		if (rc == 0 && http_pool_len(pool) > 0 && http_pool_run(pool,
		    1000, -1, g->perr, sizeof(g->perr)) == -1) {
			g->pfail = EX_SYSTEM;
			rc = -1;
		}
	}
	if (rc != 0)
		drain(pool);
	free(g->pdone);
	g->pdone = NULL;
	return rc;
}

/* ---- a multipart ETag's part size: HeadObject ?partNumber=1 ---- */

static const char *const mpkeep[] = { "Content-Length",
    "x-amz-mp-parts-count", NULL };

struct mphead {
	struct get *g;
	struct s3req rq;
};

/* signed without If-Match: moto compares it with part 1's own ETag
 * (S3, with the object's); the parts that follow carry it */
static int
mp_sign(struct http_xfer *x, char *err, size_t errlen)
{
	struct mphead *m = x->user;
	char c = m->g->pin[0];
	int rc;

	m->g->pin[0] = '\0';
	rc = get_sign(&m->rq, m->g, x, err, errlen);
	m->g->pin[0] = c;
	return rc;
}

/* no body to judge; any answer ends the attempt */
static int
mp_judge(struct http_xfer *x, char *why, size_t whylen)
{
	if (x->status / 100 == 2)
		return 0;
	snprintf(why, whylen, "HTTP %ld", x->status);
	return http_status_temp(x->status) ? 1 : -1;
}

/* g's listed ETag is a multipart one of n parts: ask part 1's size, and
 * when every part but the last is that size (n of them make the object)
 * hash g's MD5 the way S3 made the ETag; else (a store that does not
 * answer, parts of several sizes) only the size is checked, no MD5 */
static void
mp_size(struct get *g)
{
	static const struct sigv4_kv q[] = { { "partNumber", "1" } };
	struct mphead m = { 0 };
	struct http_pool *pool;
	struct http_xfer *x;
	const char *v, *c;
	long long psz = 0;
	char scratch[256];
	int n;

	/* a pool of its own: freed with whatever a failure left in it */
	if ((n = mp_etag(g->want_etag)) == 0)
		return;
	if ((pool = http_pool_new(&popts, scratch, sizeof(scratch))) == NULL) {
		fetchfile_no_md5(&g->ff);
		return;
	}
	m.g = g;
	m.rq.c = &ctx;
	m.rq.method = "HEAD";
	m.rq.l = &g->loc;
	m.rq.q = q;
	m.rq.nq = 1;
	x = http_xfer_new();
	x->method = xstrdup("HEAD");
	x->url = xstrdup(g->loc.url);
	x->sign = mp_sign;
	x->judge = mp_judge;
	x->prepare = part_prepare_path;
	x->keep = mpkeep;
	x->user = &m;
	http_pool_add(pool, x);
	while (http_pool_len(pool) > 0 && (x = http_pool_take(pool)) == NULL)
		if (http_pool_run(pool, 1000, -1, scratch,
		    sizeof(scratch)) == -1)
			break;
	if (x != NULL && x->result == HTTP_OK && x->status / 100 == 2 &&
	    (v = http_xfer_header(x, "Content-Length")) != NULL &&
	    (c = http_xfer_header(x, "x-amz-mp-parts-count")) != NULL &&
	    atoi(c) == n)
		psz = strtoll(v, NULL, 10);
	if (x != NULL)
		http_xfer_free(x);
	http_pool_free(pool);
	s3req_free(&m.rq);
	/* else the MD5 (a core's second of 1 GiB) would check nothing */
	if (psz <= 0 || (g->want_size + psz - 1) / psz != n ||
	    fetchfile_md5_parts(&g->ff, psz) < 0)
		fetchfile_no_md5(&g->ff);
}

/* one big object: its parts, its digests read back, its check; then
 * to the syncers and the committer, or out of the input order */
static void
run_one(struct http_pool *pool, struct get *g)
{
	int keep = 0, e;

	mp_size(g);
	if (fetch_parts(pool, g) == 0) {
		g->total = g->want_size;
		fetchfile_rehash(&g->ff, g->want_size);
		if ((e = fetchfile_finish(&g->ff)) != 0) {
			snprintf(g->perr, sizeof(g->perr), "cannot read back "
			    "the file: %s", strerror(e));
			g->pfail = EX_SYSTEM;
		} else if (verify(g, g->perr, sizeof(g->perr)) < 0)
			g->pfail = EX_TEMPFAIL;
		else
			keep = 1;
	}
	if (keep)
		g->ff.final = xstrdup(g->name);
	fetchfile_ended(&g->ff, keep);
	if (!keep)	/* released now, from this thread: tell the loop */
		http_pool_wakeup(loop_pool);
}

static void *
parts_main(void *arg)
{
	struct http_pool *pool = arg;
	struct get *g;

	for (;;) {
		pthread_mutex_lock(&pmu);
		while (qhead == NULL && !pquit)
			pthread_cond_wait(&pcv, &pmu);
		if ((g = qhead) == NULL) {
			pthread_mutex_unlock(&pmu);
			break;
		}
		if ((qhead = g->pnext) == NULL)
			qtail = NULL;
		pthread_mutex_unlock(&pmu);
		run_one(pool, g);
	}
	http_pool_free(pool);
	return NULL;
}

int
parts_start(struct http_pool *loop, char *err, size_t errlen)
{
	struct http_opts o = hopts;
	struct http_pool *pool;
	sigset_t all, old;
	int e;

	loop_pool = loop;
	o.unordered = 1;
	o.stop = &nd_stop;	/* no retry once a signal came */
	popts = o;
	if ((pool = http_pool_new(&o, err, errlen)) == NULL)
		return -1;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	e = pthread_create(&pthr, NULL, parts_main, pool);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0) {
		http_pool_free(pool);
		return sys_err(err, errlen, "cannot start a thread: %s",
		    strerror(e));
	}
	pstarted = 1;
	return 0;
}

void
parts_stop(void)
{
	if (!pstarted)
		return;
	pthread_mutex_lock(&pmu);
	pquit = 1;
	pthread_cond_broadcast(&pcv);
	pthread_mutex_unlock(&pmu);
	pthread_join(pthr, NULL);
	pstarted = 0;
}
