/* nd: the NDJSON record loop: read lines, parse objects, write records */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bignum.h"
#include "enc.h"
#include "metrics.h"
#include "msg.h"
#include "nd.h"
#include "opt.h"
#include "sys.h"
#include "xmem.h"

#define READ_CHUNK	(64 * 1024)
#define OUT_HIGH	(64 * 1024)	/* write out when this much is buffered */

volatile int nd_stop;

static struct buf outb;
static pthread_mutex_t outmu = PTHREAD_MUTEX_INITIALIZER;
static int status;
static FILE *errf;
static struct {
	void (*fn)(void *);
	void *arg;
} hooks[16];
static int nhooks;

static size_t max_line;		/* 0: not yet known */

void
nd_max_line_opt(const char *arg, const char *usage)
{
	char err[256];

	if (opt_size("--max-line", arg, 1, SIZE_MAX / 2, &max_line, err,
	    sizeof(err)) < 0) {
		msg_err("%s", err);
		msg_usage(usage);
	}
}

/* a --metrics file that cannot be written: said, the run goes on */
static void
metrics_warn(const char *err)
{
	msg_warn("%s", err);
}

void
nd_common_opt(int c, const char *arg, const char *usage)
{
	char err[1024];
	long v;

	switch (c) {
	case ND_OPT_METRICS:
		if (metrics_start(arg, metrics_warn, err, sizeof(err)) == 0)
			return;
		msg_die(EX_SYSTEM, "%s", err);
	case ND_OPT_METRICS_INTERVAL:
		if (opt_long("--metrics-interval", arg, 0, 86400, &v, err,
		    sizeof(err)) < 0)
			break;
		metrics_interval(v);
		return;
	case ND_OPT_LOG_FORMAT:
		if (msg_log_format(arg) == 0)
			return;
		snprintf(err, sizeof(err), "bad --log-format '%s': text or "
		    "json", arg);
		break;
	}
	msg_err("%s", err);
	msg_usage(usage);
}

size_t
nd_max_line(void)
{
	const char *e;
	char err[256];

	if (max_line != 0)
		return max_line;
	max_line = ND_MAX_LINE;
	if ((e = getenv(ND_MAX_LINE_ENV)) != NULL && *e != '\0' &&
	    opt_size(ND_MAX_LINE_ENV, e, 1, SIZE_MAX / 2, &max_line, err,
	    sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	return max_line;
}

void
nd_too_long(char *err, size_t errlen)
{
	snprintf(err, errlen, "line longer than %zu bytes, skipped (see "
	    "--max-line)", nd_max_line());
}

void
nd_reader_init(struct nd_reader *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->max = nd_max_line();
}

void
nd_reader_free(struct nd_reader *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* an over-long line ends at nl (NULL: at end of input): drop it */
static int
long_line(struct nd_reader *r, const char *nl, char **line, size_t *len)
{
	r->start = nl != NULL ? (size_t)(nl - r->buf) + 1 : r->end;
	r->scanned = 0;
	r->skip = 0;
	r->lineno++;
	*line = (char *)"";
	*len = 0;
	return ND_LONG;
}

/* room for a read: the partial line to the front, the buffer grown to
 * at most the limit and two chunks */
static void
make_room(struct nd_reader *r)
{
	size_t cap;

	if (r->skip) {
		/* nothing of an over-long line is kept */
		r->start = r->end = r->scanned = 0;
	} else if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < READ_CHUNK) {
		cap = r->cap ? r->cap * 2 : 2 * READ_CHUNK;
		if (cap > r->max + 2 * READ_CHUNK)
			cap = r->max + 2 * READ_CHUNK;
		if (cap > r->cap) {
			r->buf = xrealloc(r->buf, cap);
			r->cap = cap;
		}
	}
}

int
nd_reader_next(struct nd_reader *r, char **line, size_t *len)
{
	char *nl;
	ssize_t n;
	size_t l;

	for (;;) {
		if (r->end - r->start > r->scanned &&
		    (nl = memchr(r->buf + r->start + r->scanned, '\n',
		    r->end - r->start - r->scanned)) != NULL) {
			*line = r->buf + r->start;
			l = (size_t)(nl - *line);
			/* the limit counts the bytes before "\r\n" or "\n" */
			if (r->skip || l > r->max + (l > 0 && nl[-1] == '\r'))
				return long_line(r, nl, line, len);
			r->start += l + 1;
			r->scanned = 0;
			goto found;
		}
		r->scanned = r->end - r->start;
		if (r->eof) {
			if (r->end == r->start && !r->skip)
				return 0;
			l = r->end - r->start;
			if (r->skip || l > r->max + (r->buf[r->end - 1] == '\r'))
				return long_line(r, NULL, line, len);
			/* a last line without "\n" */
			*line = r->buf + r->start;
			if (r->end == r->cap) {
				r->buf = xrealloc(r->buf, r->cap + 1);
				r->cap++;
				*line = r->buf + r->start;
			}
			r->start = r->end;
			r->scanned = 0;
			goto found;
		}
		if (r->end - r->start > r->max + 1)	/* + 1: a "\r" */
			r->skip = 1;
		make_room(r);
		/* the read may block: nothing may wait in a buffer meanwhile */
		if (r->flush == ND_FLUSH_STDOUT)
			nd_flush_stdout();
		else
			nd_flush();
		n = read(r->fd, r->buf + r->end, r->cap - r->end);
		if (n < 0) {
			if (errno == EINTR) {
				if (nd_stop)
					return 0;
				continue;
			}
			return -1;
		}
		if (n == 0)
			r->eof = 1;
		r->end += (size_t)n;
	}
found:
	r->lineno++;
	if (l > 0 && (*line)[l - 1] == '\r')
		l--;
	(*line)[l] = '\0';
	*len = l;
	return 1;
}

json_t *
nd_parse(const char *line, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *v;

	v = bignum_loadb(line, len, JSON_DECODE_ANY, &je);
	if (v == NULL && je.line < 0) {
		sys_err(err, errlen, "invalid record: %s", je.text);
		return NULL;
	}
	if (v == NULL) {
		/* je.text quotes the line: sys_err keeps it one line */
		sys_err(err, errlen, "invalid JSON at column %d: %s",
		    je.column > 0 ? je.column : je.position + 1, je.text);
		return NULL;
	}
	if (!json_is_object(v)) {
		snprintf(err, errlen, "not a JSON object but %s",
		    json_is_array(v) ? "an array" : json_is_string(v) ?
		    "a string" : json_is_number(v) ? "a number" :
		    "a literal");
		json_decref(v);
		return NULL;
	}
	return v;
}

void
nd_lock(void)
{
	pthread_mutex_lock(&outmu);
}

void
nd_unlock(void)
{
	pthread_mutex_unlock(&outmu);
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

/* write out outb; the caller holds the lock */
static void
flush_locked(void)
{
	if (sys_write_all(STDOUT_FILENO, outb.p, outb.len, NULL) < 0) {
		if (errno == EPIPE) {
			/* the reader went away: end quietly */
			metrics_exit(status);
			_exit(status);
		}
		msg_err("cannot write to stdout: %s", strerror(errno));
		metrics_exit(EX_SYSTEM);
		_exit(EX_SYSTEM);
	}
	buf_reset(&outb);
}

void
nd_flush_stdout(void)
{
	nd_lock();
	flush_locked();
	nd_unlock();
}

void
nd_flush(void)
{
	int i;

	nd_flush_stdout();
	for (i = 0; i < nhooks; i++)
		hooks[i].fn(hooks[i].arg);
}

void
nd_on_flush(void (*fn)(void *), void *arg)
{
	if (nhooks < (int)(sizeof(hooks) / sizeof(hooks[0]))) {
		hooks[nhooks].fn = fn;
		hooks[nhooks].arg = arg;
		nhooks++;
	}
}

void
nd_write(const json_t *rec)
{
	nd_lock();
	bignum_dump(rec, JSON_COMPACT, dump_cb, &outb);
	buf_addc(&outb, '\n');
	metrics_add(METRICS_WRITTEN, 1);
	if (outb.len >= OUT_HIGH)
		flush_locked();
	nd_unlock();
}

void
nd_write_raw(const char *line, size_t len)
{
	nd_lock();
	buf_grow(&outb, len + 1);
	memcpy(outb.p + outb.len, line, len);
	outb.len += len;
	outb.p[outb.len++] = '\n';
	outb.p[outb.len] = '\0';
	metrics_add(METRICS_WRITTEN, 1);
	if (outb.len >= OUT_HIGH)
		flush_locked();
	nd_unlock();
}

int
nd_errors_open(const char *path, char *err, size_t errlen)
{
	int fd;

	/* failed records hold what the records hold: for the owner only */
	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0600)) < 0 || (errf = fdopen(fd, "a")) == NULL) {
		snprintf(err, errlen, "cannot open %s: %s", path,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return 0;
}

void
nd_set_status(int code)
{
	if (code > status)
		status = code;
}

int
nd_status(void)
{
	return status;
}

/* the record as it goes to --errors: itself plus "error", or the raw line */
static void
write_error_record(const struct nd_rec *r, const char *message)
{
	json_t *rec, *e;
	struct buf b = {0};

	rec = r->obj ? json_copy(r->obj) : json_object();
	if (r->obj == NULL && r->line != NULL && r->len > 0) {
		json_t *s = json_stringn(r->line, r->len);

		if (s != NULL) {
			json_object_set_new(rec, "raw", s);
		} else {
			/* not UTF-8: keep the bytes anyway */
			struct buf b64 = {0};

			enc_base64(&b64, r->line, r->len, ENC_B64);
			json_object_set_new(rec, "raw_base64",
			    json_string(b64.p));
			buf_free(&b64);
		}
	}
	e = json_pack("{s:s, s:s?, s:s, s:I}", "tool", msg_prog, "message",
	    message, "source", r->src ? r->src : "stdin", "line",
	    (json_int_t)r->lineno);
	if (e == NULL)	/* message not UTF-8 */
		e = json_pack("{s:s}", "tool", msg_prog);
	json_object_set_new(rec, "error", e);
	bignum_dump(rec, JSON_COMPACT, dump_cb, &b);
	buf_addc(&b, '\n');
	if (fwrite(b.p, 1, b.len, errf) != b.len || fflush(errf) != 0)
		msg_err("cannot write to the errors file: %s",
		    strerror(errno));
	buf_free(&b);
	json_decref(rec);
}

void
nd_fail(const struct nd_rec *r, const char *fmt, ...)
{
	struct msg_fields f = {0};
	json_t *id = r->obj ? json_object_get(r->obj, "id") : NULL;
	char m[2048], idb[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	f.source = r->src ? r->src : "stdin";
	f.line = r->lineno;
	f.route = r->route;
	f.status = r->status;
	if (json_is_string(id))
		f.record_id = json_string_value(id);
	else if (json_is_integer(id) && snprintf(idb, sizeof(idb), "%"
	    JSON_INTEGER_FORMAT, json_integer_value(id)) > 0)
		f.record_id = idb;
	msg_report("error", &f, m);
	metrics_add(METRICS_FAILED, 1);
	if (errf != NULL)
		write_error_record(r, m);
	nd_set_status(EX_PARTIAL);
}

void
nd_hold(struct nd_held *h, const struct nd_rec *r)
{
	h->obj = json_incref(r->obj);
	h->src = xstrdup(r->src ? r->src : "stdin");
	h->lineno = r->lineno;
}

void
nd_held_fail(const struct nd_held *h, const char *fmt, ...)
{
	struct nd_rec r = {0};
	char m[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	r.obj = h->obj;
	r.src = h->src;
	r.lineno = h->lineno;
	nd_fail(&r, "%s", m);
}

void
nd_held_free(struct nd_held *h)
{
	json_decref(h->obj);
	free(h->src);
	memset(h, 0, sizeof(*h));
}

void
nd_held_free_all(struct nd_held *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		nd_held_free(&h[i]);
	free(h);
}

static void
on_signal(int sig)
{
	(void)sig;
	nd_stop = 1;
}

void
nd_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: read() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
nd_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

int
nd_reader_ready(const struct nd_reader *r)
{
	return r->eof || (r->end > r->start &&
	    memchr(r->buf + r->start, '\n', r->end - r->start) != NULL);
}

/* o->idle, with err printed; 0 to go on, or the exit code to stop with */
static int
call_idle(void *arg, const struct nd_opts *o)
{
	char err[2048];
	int rc;

	err[0] = '\0';
	rc = o->idle(arg, err, sizeof(err));
	if (rc != 0 && err[0] != '\0')
		msg_err("%s", err);
	return rc;
}

/* before a read: when input pauses for o->idle_ms, call o->idle */
static int
wait_input(struct nd_reader *r, void *arg, const struct nd_opts *o)
{
	struct pollfd pfd;
	int pr;

	pfd.fd = r->fd;
	pfd.events = POLLIN;
	pr = poll(&pfd, 1, o->idle_ms);
	if (pr == 0 || (pr < 0 && errno == EINTR))
		return call_idle(arg, o);
	return 0;
}

/* one input file; returns 0 to go on, or an exit code to stop with */
static int
run_fd(int fd, const char *name, nd_fn fn, void *arg, const struct nd_opts *o)
{
	struct nd_reader r;
	struct nd_rec rec;
	char err[2048], *line;
	size_t len;
	int rc = 0, stop = 0;

	nd_reader_init(&r, fd, name);
	while (!nd_stop) {
		if (o->idle != NULL && !nd_reader_ready(&r) &&
		    (rc = wait_input(&r, arg, o)) != 0) {
			stop = rc;
			break;
		}
		if (nd_stop || (rc = nd_reader_next(&r, &line, &len)) <= 0)
			break;
		if (rc != ND_LONG && nd_blank(line, len))
			continue;
		metrics_add(METRICS_READ, 1);
		memset(&rec, 0, sizeof(rec));
		rec.line = line;
		rec.len = len;
		rec.src = name;
		rec.lineno = r.lineno;
		err[0] = '\0';
		if (rc == ND_LONG) {
			nd_too_long(err, sizeof(err));
			rc = ND_FAIL;
		} else if (!o->raw &&
		    (rec.obj = nd_parse(line, len, err, sizeof(err))) == NULL)
			rc = ND_FAIL;
		else
			rc = fn(&rec, arg, err, sizeof(err));
		if (rc != 0)
			nd_fail(&rec, "%s", err[0] ? err : "record failed");
		json_decref(rec.obj);
		if (rc == ND_FAIL && o->eflag)
			rc = EX_DATA;
		if (rc > ND_FAIL) {
			stop = rc;
			break;
		}
	}
	if (rc < 0 && !stop) {
		msg_err("cannot read %s: %s", name, strerror(errno));
		stop = EX_SYSTEM;
	}
	nd_reader_free(&r);
	return stop;
}

int
nd_files(char **files, int nfiles, int (*each)(int fd, const char *name,
    void *ctx), void *ctx)
{
	int i, fd, rc = 0;

	if (nfiles == 0)
		rc = each(STDIN_FILENO, "stdin", ctx);
	for (i = 0; i < nfiles && rc == 0 && !nd_stop; i++) {
		if (strcmp(files[i], "-") == 0) {
			rc = each(STDIN_FILENO, "stdin", ctx);
			continue;
		}
		if ((fd = open(files[i], O_RDONLY | O_CLOEXEC)) < 0) {
			msg_err("cannot open %s: %s", files[i],
			    strerror(errno));
			nd_set_status(EX_PARTIAL);
			continue;
		}
		rc = each(fd, files[i], ctx);
		close(fd);
	}
	return rc;
}

struct run_ctx {
	nd_fn fn;
	void *arg;
	const struct nd_opts *o;
};

static int
run_each(int fd, const char *name, void *ctx)
{
	struct run_ctx *c = ctx;

	return run_fd(fd, name, c->fn, c->arg, c->o);
}

int
nd_run(char **files, int nfiles, nd_fn fn, void *arg, const struct nd_opts *o)
{
	struct run_ctx c = { fn, arg, o };
	int rc;

	nd_signals();
	rc = nd_files(files, nfiles, run_each, &c);
	if (o->idle != NULL) {
		/* what is batched goes out, even when stopping */
		int irc = call_idle(arg, o);

		if (rc == 0)
			rc = irc;
	}
	nd_flush();
	if (rc != 0)
		nd_set_status(rc);
	return rc != 0 ? rc : nd_status();
}
