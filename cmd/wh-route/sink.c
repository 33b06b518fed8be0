/* wh-route: the routes' files and children (sinks) */
#include "wh-route.h"

void
open_sinks(const char *file)
{
	size_t i;

	sinks = xcalloc(rules.n + 1, sizeof(*sinks));
	for (i = 0; i < rules.n; i++) {
		struct sink *s = &sinks[i];

		s->name = rules.route[i].name;
		s->target = rules.route[i].target;
		s->fd = -1;
		if (rules.route[i].dest != RULES_FILE)
			continue;
		/* record data: 0600, or less if the umask says so */
		s->fd = open(s->target, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0600);
		if (s->fd < 0)
			msg_die(EX_CONFIG, "%s:%d: route '%s': cannot open "
			    "%s: %s", file, rules.route[i].line, s->name,
			    s->target, strerror(errno));
	}
}

/* ---- children and files ---- */

static void *
relay(void *arg)
{
	struct sink *s = arg;
	struct nd_reader r;
	char *line;
	size_t len;
	int rc;

	/* the child's lines go to our stdout whole, never mixed */
	nd_reader_init(&r, s->outfd, s->name);
	r.flush = ND_FLUSH_STDOUT;	/* the sinks are the main thread's */
	while ((rc = nd_reader_next(&r, &line, &len)) > 0)
		if (rc == ND_LONG)
			msg_err("%s:%ld: line longer than %zu bytes from the "
			    "command, dropped", s->name, r.lineno, r.max);
		else
			nd_write_raw(line, len);
	nd_reader_free(&r);
	close(s->outfd);
	return NULL;
}

static void
start_child(struct sink *s)
{
	int in[2], out[2];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
		msg_die(EX_SYSTEM, "cannot make a pipe: %s", strerror(errno));
	s->pid = fork();
	if (s->pid < 0)
		msg_die(EX_SYSTEM, "cannot fork: %s", strerror(errno));
	if (s->pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		dup2(in[0], STDIN_FILENO);
		dup2(out[1], STDOUT_FILENO);
		execl("/bin/sh", "sh", "-c", s->target, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	s->fd = in[1];
	s->outfd = out[0];
	if (pthread_create(&s->relay, NULL, relay, s) != 0)
		msg_die(EX_SYSTEM, "cannot start a thread");
	s->started = 1;
}

/* wait for a child and say how it ended; nonzero if it failed */
static int
reap(struct sink *s)
{
	struct msg_fields f = {0};
	char m[2048];
	int st;

	if (s->pid <= 0)
		return 0;
	while (waitpid(s->pid, &st, 0) < 0)
		if (errno != EINTR)
			return 0;
	s->pid = 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st))
		snprintf(m, sizeof(m), "route %s: command exited with status "
		    "%d: %s", s->name, WEXITSTATUS(st), s->target);
	else
		snprintf(m, sizeof(m), "route %s: command killed by signal "
		    "%d: %s", s->name, WTERMSIG(st), s->target);
	f.route = s->name;
	msg_report("error", &f, m);
	return 1;
}

/* a line cut short by a full disk is taken back: the file keeps whole
 * lines only (unless someone appended after it) */
static void
untear(struct sink *s, size_t torn)
{
	struct stat st;
	off_t pos;

	if (torn == 0 || fstat(s->fd, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	pos = lseek(s->fd, 0, SEEK_CUR);
	if (pos < (off_t)torn || st.st_size != pos ||
	    ftruncate(s->fd, pos - (off_t)torn) < 0)
		msg_err("route %s: cannot take back a partial line at the "
		    "end of %s", s->name, s->target);
}

/* the records from pend[k] on did not get out: each is reported */
static void
fail_pending(struct sink *s, size_t k, const char *why)
{
	struct nd_rec r;
	char m[256];

	for (; k < s->npend; k++) {
		memset(&r, 0, sizeof(r));
		r.obj = s->pend[k].rec;
		r.line = s->pend[k].line;
		r.len = s->pend[k].len;
		r.src = s->pend[k].src;
		r.lineno = s->pend[k].lineno;
		r.route = s->name;
		/* a line the scanner passed parses: --errors gets the record */
		if (r.obj == NULL && r.line != NULL)
			r.obj = nd_parse(r.line, r.len, m, sizeof(m));
		nd_fail(&r, "route %s: %s, record not delivered", s->name,
		    why);
		if (s->pend[k].rec == NULL)
			json_decref(r.obj);
	}
}

static void
drop_pending(struct sink *s)
{
	size_t k;

	for (k = 0; k < s->npend; k++) {
		json_decref(s->pend[k].rec);
		free(s->pend[k].line);
	}
	s->npend = 0;
	buf_reset(&s->out);
}

/* why a sink's records do not get out */
static const char *
sink_why(const struct sink *s, char *m, size_t mlen)
{
	if (s->pid > 0 || s->started)
		return "command stopped reading";
	snprintf(m, mlen, "cannot write %s: %s", s->target,
	    strerror(s->errnum));
	return m;
}

/*
 * Write the buffer out; on failure every record not written whole is
 * reported on its own line.  A full disk (ENOSPC, EDQUOT) fails what was
 * buffered and the next flush tries again; other errors end the sink.
 */
static int
sink_flush(struct sink *s)
{
	size_t off, k;
	char m[512];

	if (sys_write_all(s->fd, s->out.p, s->out.len, &off) == 0) {
		drop_pending(s);
		return 0;
	}
	s->errnum = errno;
	for (k = 0; k < s->npend && s->pend[k].end <= off; k++)
		;
	if (s->pid > 0) {
		close(s->fd);
		s->fd = -1;
		reap(s);
	} else {
		untear(s, off - (k > 0 ? s->pend[k - 1].end : 0));
	}
	fail_pending(s, k, sink_why(s, m, sizeof(m)));
	drop_pending(s);
	if (s->pid > 0 || s->started || (s->errnum != ENOSPC &&
	    s->errnum != EDQUOT))
		s->dead = 1;
	return -1;
}

void
flush_sinks(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < rules.n; i++)
		if (sinks[i].out.len > 0)
			sink_flush(&sinks[i]);
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

/* rec, or when it is NULL the record as text (without "\n") */
int
deliver(const struct rules_route *rt, struct sink *s, struct nd_rec *r,
    json_t *rec, const struct buf *text, char *err, size_t errlen)
{
	struct pend *p;
	char m[512];

	if (rt->dest == RULES_STDOUT) {
		if (rec != NULL)
			nd_write(rec);
		else
			nd_write_raw(text->p, text->len);
		return 0;
	}
	if (s->dead) {
		snprintf(err, errlen, "route %s: %s, record not delivered",
		    rt->name, sink_why(s, m, sizeof(m)));
		return ND_FAIL;
	}
	if (rt->dest == RULES_RUN && !s->started)
		start_child(s);
	if (rec != NULL)
		bignum_dump(rec, JSON_COMPACT, dump_cb, &s->out);
	else
		buf_add(&s->out, text->p, text->len);
	buf_addc(&s->out, '\n');
	if (s->npend == s->cappend) {
		s->cappend = s->cappend ? 2 * s->cappend : 64;
		s->pend = xrealloc(s->pend, s->cappend * sizeof(*s->pend));
	}
	p = &s->pend[s->npend++];
	p->end = s->out.len;
	p->rec = json_incref(r->obj);
	/* a line matched as text is kept as text: no tree on the fast path */
	p->line = r->obj == NULL ? xstrndup(r->line, r->len) : NULL;
	p->len = r->len;
	p->src = r->src;
	p->lineno = r->lineno;
	/* a failed flush has reported this record with the others */
	if (s->out.len >= 64 * 1024)
		sink_flush(s);
	return 0;
}

void
finish_children(void)
{
	size_t i;
	struct sink *s;

	for (i = 0; i < rules.n; i++) {
		s = &sinks[i];
		if (s->out.len > 0)
			sink_flush(s);
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		if (rules.route[i].dest != RULES_RUN || !s->started)
			continue;
		/* EOF to the child; its last lines still come through */
		pthread_join(s->relay, NULL);
		if (reap(s))
			nd_set_status(EX_PARTIAL);
	}
}
