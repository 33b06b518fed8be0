/* wh-listen: GET /metrics, the Prometheus text format: requests by path
 * and status, refusals and verification failures by reason, replays,
 * bytes in, a request-duration histogram, output stalls, records
 * written.  The counters are atomic, with no lock on a request's way,
 * and sharded: each server thread adds to a shard of its own (its own
 * cache lines), the page sums them; a path's slot is claimed once by
 * compare-and-swap, then only added to. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "outq.h"
#include "wh-listen.h"

#define NPATHS		32	/* distinct path labels; later ones: "other" */
#define NSTATUS		600
#define NSHARD		16	/* threads beyond share shards */
#define NREFUSED	32	/* room for more enum refusal values */

/* one path's answers by status, a row per shard (calloc'd: pages never
 * touched cost no memory) */
struct pslot {
	_Atomic(char *) path;
	atomic_long (*n)[NSTATUS];
};

/* the duration's upper bounds, in seconds */
static const double bounds[] = { .0005, .001, .0025, .005, .01, .025,
    .05, .1, .25, .5, 1, 2.5, 5, 10 };
#define NB	(sizeof(bounds) / sizeof(bounds[0]))

struct shard {
	_Alignas(64) atomic_long refused[NREFUSED];	/* by enum refusal */
	atomic_long replays, bytes_in, stalls, written;
	atomic_long hist[NB + 1];	/* counts per bucket */
	atomic_long hist_sum_ns;
};

static struct pslot *slots[NPATHS + 1];	/* [NPATHS]: "other" */
static struct shard shards[NSHARD];
static atomic_int nshards;		/* handed out so far */
static _Thread_local int myshard = -1;

/* the label of each refusal (a verification failure or not) */
static const struct {
	const char *reason;
	int verify;
} why[] = {
	[NO_FRAMING] = { "framing", 0 }, [NO_CODING] = { "coding", 0 },
	[NO_PATH] = { "path", 0 }, [NO_METHOD] = { "method", 0 },
	[NO_HEALTH_METHOD] = { "health_method", 0 },
	[NO_TOO_BIG] = { "too_big", 0 }, [NO_TOKEN] = { "token", 1 },
	[NO_SIGNATURE] = { "signature", 1 }, [NO_OBJECT] = { "object", 0 },
	[NO_PUSH] = { "push", 0 }, [NO_STORE] = { "store", 0 },
	[NO_CONFIRM] = { "confirm", 0 }, [NO_ACK] = { "ack", 0 },
	[NO_HEADER_BIG] = { "header_too_big", 0 },
};
#define NWHY	(sizeof(why) / sizeof(why[0]))

#define ADD(c, v)	atomic_fetch_add_explicit(&(c), (v), \
			    memory_order_relaxed)
#define GET(c)		atomic_load_explicit(&(c), memory_order_relaxed)
/* the calling thread's shard */
static int pick(void);
#define ME()		(&shards[myshard >= 0 ? myshard : pick()])
/* a field summed over the shards */
#define SUM(field)	sum(&shards[0].field)

static int
pick(void)
{
	myshard = atomic_fetch_add(&nshards, 1) % NSHARD;
	return myshard;
}

/* f0 is a field of shards[0]: the same field of each shard, added up */
static long
sum(atomic_long *f0)
{
	size_t off = (size_t)((char *)f0 - (char *)&shards[0]);
	long s = 0;
	int i;

	for (i = 0; i < NSHARD; i++)
		s += GET(*(atomic_long *)((char *)&shards[i] + off));
	return s;
}

void
wm_start(void)
{
	size_t i;

	for (i = 0; i <= NPATHS; i++) {
		slots[i] = xcalloc(1, sizeof(*slots[i]));
		slots[i]->n = xcalloc(NSHARD, sizeof(*slots[i]->n));
	}
}

long long
wm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
wm_bytes(size_t n)
{
	ADD(ME()->bytes_in, (long)n);
}

void
wm_replay(void)
{
	ADD(ME()->replays, 1);
}

void
wm_refused(int r)
{
	if (r >= 0 && r < NREFUSED)
		ADD(ME()->refused[r], 1);
}

/* the slot of path: found, or claimed, or "other" when all are taken */
static struct pslot *
slot(const char *path)
{
	char *p, *mine = NULL;
	size_t i;

	for (i = 0; i < NPATHS; i++) {
		p = atomic_load_explicit(&slots[i]->path,
		    memory_order_acquire);
		if (p == NULL) {
			if (mine == NULL)
				mine = xstrdup(path);
			if (atomic_compare_exchange_strong(&slots[i]->path,
			    &p, mine))
				return slots[i];
			/* another thread took it: p is its path */
		}
		if (strcmp(p, path) == 0) {
			free(mine);
			return slots[i];
		}
	}
	free(mine);
	return slots[NPATHS];
}

void
wm_output(int outq_st)
{
	if (outq_st == OUTQ_WRITTEN) {
		ADD(ME()->written, 1);
		metrics_add(METRICS_WRITTEN, 1);
	} else if (outq_st == OUTQ_LATE)
		ADD(ME()->stalls, 1);
}

void
wm_done(const char *path, int status, long long t0_ns)
{
	long long d = wm_now_ns() - t0_ns;
	struct shard *sh = ME();
	size_t b;

	if (status > 0 && status < NSTATUS && slots[0] != NULL)
		ADD(slot(path)->n[sh - shards][status], 1);
	for (b = 0; b < NB && d > bounds[b] * 1e9; b++)
		;
	ADD(sh->hist[b], 1);
	ADD(sh->hist_sum_ns, d);
	if (strcmp(path, "/metrics") != 0 && strcmp(path, "/healthz") != 0)
		metrics_add(METRICS_READ, 1);
	if (status >= 400)
		metrics_add(METRICS_FAILED, 1);
}

static void
one(struct buf *b, const char *name, const char *type, const char *help,
    double v)
{
	metrics_head(b, name, type, help);
	buf_addf(b, "%s %.17g\n", name, v);
}

static void
by_reason(struct buf *b, int verify)
{
	size_t i;

	long n;

	for (i = 0; i < NWHY && i < NREFUSED; i++)
		if (why[i].reason != NULL && why[i].verify == verify &&
		    (n = SUM(refused[i])) > 0)
			buf_addf(b, "%s{reason=\"%s\"} %ld\n", verify ?
			    "wh_listen_verify_failures_total" :
			    "wh_listen_refused_total", why[i].reason, n);
}

static void
requests(struct buf *b)
{
	const char *p;
	size_t i;
	long n;
	int s, k;

	metrics_head(b, "wh_listen_requests_total", "counter",
	    "Requests answered, by path and status.");
	for (i = 0; i <= NPATHS; i++) {
		p = i < NPATHS ? atomic_load(&slots[i]->path) : "other";
		for (s = 0; p != NULL && s < NSTATUS; s++) {
			for (n = 0, k = 0; k < NSHARD; k++)
				n += GET(slots[i]->n[k][s]);
			if (n == 0)
				continue;
			buf_adds(b, "wh_listen_requests_total{path=\"");
			metrics_label(b, p);
			buf_addf(b, "\",status=\"%d\"} %ld\n", s, n);
		}
	}
}

static void
histogram(struct buf *b)
{
	const char *n = "wh_listen_request_duration_seconds";
	long cum = 0;
	size_t i;

	metrics_head(b, n, "histogram", "Time from a request's headers to "
	    "its end.");
	for (i = 0; i <= NB; i++) {
		cum += SUM(hist[i]);
		if (i < NB)
			buf_addf(b, "%s_bucket{le=\"%g\"} %ld\n", n,
			    bounds[i], cum);
		else
			buf_addf(b, "%s_bucket{le=\"+Inf\"} %ld\n", n, cum);
	}
	buf_addf(b, "%s_sum %.9f\n%s_count %ld\n", n,
	    SUM(hist_sum_ns) / 1e9, n, cum);
}

void
wm_text(struct buf *b)
{
	requests(b);
	metrics_head(b, "wh_listen_verify_failures_total", "counter",
	    "Requests refused for a signature or bearer token that did not "
	    "verify, by reason.");
	by_reason(b, 1);
	metrics_head(b, "wh_listen_refused_total", "counter",
	    "Requests refused for other reasons, by reason.");
	by_reason(b, 0);
	one(b, "wh_listen_replays_total", "counter", "Deliveries seen "
	    "before: answered, not written again.", SUM(replays));
	one(b, "wh_listen_received_bytes_total", "counter", "Request body "
	    "bytes received.", SUM(bytes_in));
	histogram(b);
	one(b, "wh_listen_output_stalls_total", "counter", "Records not "
	    "written in time (--write-timeout): the reader stalled.",
	    SUM(stalls));
	one(b, "wh_listen_output_stalled_seconds", "gauge", "How long the "
	    "oldest waiting record has gone without a byte written.",
	    outq_stalled());
	one(b, "wh_listen_records_written_total", "counter",
	    "Records written to standard output.", SUM(written));
}
