/* progress: one status line on a terminal for long transfers */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "progress.h"
#include "sys.h"

static struct progress *current;	/* the one msg erases */

/* n bytes as "12.3 MiB" */
static void
human(long long n, char *t, size_t tn)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(t, tn, "%lld B", n);
	else
		snprintf(t, tn, "%.1f %s", v, unit[u]);
}

void
progress_text(struct progress *p, int64_t now_ms, char *t, size_t tn)
{
	long long done = atomic_load(&p->done);
	long long exp = atomic_load(&p->expected);
	int64_t ms = now_ms - p->start_ms;
	char d[32], e[32], r[32];
	double rate;
	long eta;
	int n;

	human(done, d, sizeof(d));
	rate = ms > 0 ? (double)done * 1000 / (double)ms : 0;
	human((long long)rate, r, sizeof(r));
	n = snprintf(t, tn, "%s: %d done, %s", msg_prog,
	    atomic_load(&p->files), d);
	if (n < 0 || (size_t)n >= tn)
		return;
	if (exp > done) {
		human(exp, e, sizeof(e));
		n += snprintf(t + n, tn - n, " of %s", e);
	}
	if ((size_t)n < tn)
		n += snprintf(t + n, tn - n, ", %s/s", r);
	if (exp > done && rate > 0 && (size_t)n < tn) {
		eta = (long)((double)(exp - done) / rate + 0.5);
		snprintf(t + n, tn - n, ", ETA %ld:%02ld", eta / 60, eta % 60);
	}
}

/* the line again, if PROGRESS_EVERY_MS have passed (or force) */
static void
draw(struct progress *p, int force)
{
	int64_t now = sys_now_ms();
	char line[256], out[300];
	int n;

	if (!force && now - atomic_load(&p->last_ms) < PROGRESS_EVERY_MS)
		return;
	if (atomic_flag_test_and_set(&p->drawing))
		return;		/* another thread is at it */
	atomic_store(&p->last_ms, now);
	progress_text(p, now, line, sizeof(line));
	n = snprintf(out, sizeof(out), "\r%s\033[K", line);
	if (n > 0 && write(2, out, (size_t)n) == n)
		p->shown = 1;
	atomic_flag_clear(&p->drawing);
}

static void
erase(void)
{
	struct progress *p = current;

	if (p == NULL || !p->shown)
		return;
	while (atomic_flag_test_and_set(&p->drawing))
		;
	if (write(2, "\r\033[K", 4) == 4)
		p->shown = 0;
	atomic_flag_clear(&p->drawing);
	/* drawn again with the next bytes, under the message */
	atomic_store(&p->last_ms, 0);
}

void
progress_start(struct progress *p)
{
	const char *term = getenv("TERM"), *env = getenv("HOOKPIPE_PROGRESS");

	memset(p, 0, sizeof(*p));
	atomic_flag_clear(&p->drawing);
	p->on = isatty(2) && (term == NULL || strcmp(term, "dumb") != 0) &&
	    (env == NULL || strcmp(env, "0") != 0);
	p->start_ms = sys_now_ms();
	if (p->on) {
		current = p;
		msg_erase_status = erase;
	}
}

void
progress_expect(struct progress *p, long long bytes)
{
	if (p->on && bytes > 0)
		atomic_fetch_add(&p->expected, bytes);
}

void
progress_add(struct progress *p, long long bytes)
{
	if (!p->on)
		return;
	atomic_fetch_add(&p->done, bytes);
	draw(p, 0);
}

void
progress_file_done(struct progress *p)
{
	if (!p->on)
		return;
	atomic_fetch_add(&p->files, 1);
	draw(p, 0);
}

void
progress_end(struct progress *p)
{
	if (!p->on)
		return;
	erase();
	msg_erase_status = NULL;
	current = NULL;
	p->on = 0;
}
