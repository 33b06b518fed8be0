/*
 * httprun: the record loop of the network tools (http_run) on an
 * http_pool.  It is the ONE lib code allowed to write diagnostics for
 * records (nd_fail, msg_warn, msg_err): the documented exception to
 * "lib/ never prints", so that every network tool reports failed
 * records, retries and read errors in the same words.  Nothing else in
 * lib/ may print.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arg.h"
#include "httprun.h"
#include "metrics.h"
#include "msg.h"
#include "nd.h"
#include "xmem.h"

struct item {
	struct nd_rec rec;
	char *line;
	int failed;		/* build failed: err says why */
	char err[2048];
};

static void
warn_retry(struct http_xfer *x, const char *why, int n, int of, long wait)
{
	struct item *it = x->arg;
	char *o = x->hop ? http_url_origin(x->hop) : NULL;
	const char *host = o ? strstr(o, "://") : NULL;
	struct msg_fields f = {0};
	char m[2048];

	host = host ? host + 3 : "server";
	if (it != NULL) {
		f.source = it->rec.src;
		f.line = it->rec.lineno;
		f.status = x->code == CURLE_OK ? x->status : 0;
		if (x->code == CURLE_OK)
			snprintf(m, sizeof(m), "%s from %s, retry %d of %d "
			    "in %.1f s", why, host, n, of, wait / 1000.0);
		else
			snprintf(m, sizeof(m), "%s, retry %d of %d in %.1f s",
			    why, n, of, wait / 1000.0);
		msg_report("warning", &f, m);
	}
	free(o);
}

static int
fd_readable(int fd)
{
	struct pollfd pf;

	pf.fd = fd;
	pf.events = POLLIN;
	pf.revents = 0;
	return poll(&pf, 1, 0) > 0;
}

/* report x, which is the oldest; returns 0 or an exit code to stop */
static int
emit(struct http_xfer *x, const struct http_tool *t, void *arg,
    const struct nd_opts *o)
{
	struct item *it = x->arg;
	char err[2048];
	int rc;

	err[0] = '\0';
	it->rec.status = x->status;
	if (it->failed) {
		nd_fail(&it->rec, "%s", it->err);
		rc = ND_FAIL;
	} else {
		rc = t->done(&it->rec, x, arg, err, sizeof(err));
		if (rc != 0)
			nd_fail(&it->rec, "%s", err[0] ? err :
			    "record failed");
	}
	if (t->drop != NULL)
		t->drop(x, arg);
	json_decref(it->rec.obj);
	free(it->line);
	free(it);
	http_xfer_free(x);
	if (rc == ND_FAIL && o->eflag)
		rc = EX_DATA;
	return rc > ND_FAIL ? rc : 0;
}

static int
run_one(int fd, const char *name, struct http_pool *p,
    const struct http_tool *t, void *arg, const struct nd_opts *o)
{
	struct nd_reader r;
	struct http_xfer *x;
	struct item *it;
	char *line, err[2048];
	size_t len;
	int rc, eof = 0, stop = 0, canceled = 0;

	nd_reader_init(&r, fd, name);
	for (;;) {
		while (!eof && !stop && !nd_stop && http_pool_room(p)) {
			/* with transfers to drive, read only what is there */
			if (http_pool_len(p) > 0 && !nd_reader_ready(&r) &&
			    !fd_readable(fd))
				break;
			rc = nd_reader_next(&r, &line, &len);
			if (rc == 0) {
				eof = 1;
				break;
			}
			if (rc < 0) {
				msg_err("cannot read %s: %s", name,
				    strerror(errno));
				stop = EX_SYSTEM;
				break;
			}
			if (rc != ND_LONG && nd_blank(line, len))
				continue;
			metrics_add(METRICS_READ, 1);
			it = xcalloc(1, sizeof(*it));
			it->line = xstrndup(line, len);
			it->rec.line = it->line;
			it->rec.len = len;
			it->rec.src = name;
			it->rec.lineno = r.lineno;
			if (rc == ND_LONG)
				nd_too_long(it->err, sizeof(it->err));
			else
				it->rec.obj = nd_parse(line, len, it->err,
				    sizeof(it->err));
			x = NULL;
			if (it->rec.obj != NULL)
				x = t->build(&it->rec, arg, it->err,
				    sizeof(it->err));
			if (x == NULL) {
				x = http_xfer_new();
				x->done = 1;
				x->result = HTTP_FAIL_LOCAL;
				it->failed = 1;
			}
			x->arg = it;
			http_pool_add(p, x);
		}
		while ((x = http_pool_take(p)) != NULL)
			if ((rc = emit(x, t, arg, o)) != 0 && !stop)
				stop = rc;
		if (http_pool_len(p) == 0 && (eof || stop || nd_stop))
			break;
		if ((nd_stop || stop) && !canceled) {
			/* finish what is in flight, send nothing new */
			http_pool_cancel_waits(p);
			canceled = 1;
			continue;
		}
		nd_flush();
		if (http_pool_run(p, 1000, !eof && !stop && !nd_stop &&
		    http_pool_room(p) ? fd : -1, err, sizeof(err)) < 0) {
			msg_err("%s", err);
			stop = EX_SYSTEM;
			http_pool_cancel_waits(p);
		}
	}
	nd_reader_free(&r);
	return stop;
}

struct run_ctx {
	struct http_pool *p;
	const struct http_tool *t;
	void *arg;
	const struct nd_opts *o;
};

static int
run_each(int fd, const char *name, void *ctx)
{
	struct run_ctx *c = ctx;

	return run_one(fd, name, c->p, c->t, c->arg, c->o);
}

int
http_run(char **files, int nfiles, struct http_pool *p,
    const struct http_tool *t, void *arg, const struct nd_opts *o)
{
	struct run_ctx c = { p, t, arg, o };
	int rc;

	nd_signals();
	http_pool_default_on_retry(p, warn_retry);
	rc = nd_files(files, nfiles, run_each, &c);
	nd_flush();
	if (rc != 0)
		nd_set_status(rc);
	return nd_status();
}

int
http_record_fail(enum http_result result, int temp, int fatal)
{
	if (result == HTTP_FAIL_TEMP || temp)
		nd_set_status(EX_TEMPFAIL);
	return fatal ? EX_REMOTE : ND_FAIL;
}

int
http_status_fail(long status)
{
	return http_record_fail(HTTP_OK, http_status_temp(status),
	    status == 401 || status == 403);
}

int
http_run_opt(struct http_opts *ho, int ch, const char *val,
    const char *usage)
{
	switch (ch) {
	case 'j':
		ho->jobs = (int)arg_long("-j", val, 1, 256, usage);
		return 1;
	case HTTP_OPT_TIMEOUT:
		ho->timeout = arg_long("--timeout", val, 1, 86400, usage);
		return 1;
	case HTTP_OPT_RETRIES:
		ho->retry.retries = (int)arg_long("--retries", val, 0, 100,
		    usage);
		return 1;
	}
	return 0;
}
