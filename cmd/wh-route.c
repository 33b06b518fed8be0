/* wh-route: send each record to the routes whose rules match it */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bignum.h"
#include "jcanon.h"
#include "jscan.h"
#include "msg.h"
#include "nd.h"
#include "path.h"
#include "rules.h"
#include "state.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: wh-route [-ehqVv] [--strict] [--errors file] "
    "[--max-line bytes] [--state file]\n"
    "                [--lease sec] [-c file] [-w cond]... [file ...]\n"
    "       wh-route --settle --state file [-ehqV] [--errors file] "
    "[--max-line bytes] [file ...]";

/* a record in a sink's buffer, reported if it does not get out whole */
struct pend {
	size_t end;		/* where its line ends in the buffer */
	json_t *rec;		/* the input record, for --errors */
	char *line;		/* or its line, when no tree was built */
	size_t len;
	const char *src;
	long lineno;
};

/* a child process or a file a route writes to */
struct sink {
	const char *name;	/* route name */
	const char *target;	/* file name or command */
	int fd;			/* file, or the child's stdin */
	struct buf out;
	struct pend *pend;	/* the records in out */
	size_t npend, cappend;
	int dead;
	int errnum;		/* why it is dead */
	pid_t pid;
	int outfd;		/* the child's stdout, relayed by a thread */
	pthread_t relay;
	int started;
};

static struct rules rules;
static struct state *state;	/* remember/recall */
static long lease = 300;	/* seconds a recall's claim holds */
static struct sink *sinks;	/* one per route */
static struct rules_cond **wconds;
static size_t nw;
static int vflag, strict;
static struct jscan *scan;	/* checks each line, finds the fields */
static struct jcanon *canon;	/* is a matched line compact already */

/* the state file, when a route remembers or recalls */
static void
open_state(const char *file, const char *path)
{
	char err[1024];
	size_t i;
	int need = 0;

	for (i = 0; i < rules.n; i++)
		if (rules.route[i].remember || rules.route[i].recall)
			need = 1;
	if (!need)
		return;
	if (path == NULL)
		path = rules.state;
	if (path == NULL)
		msg_die(EX_CONFIG, "%s: routes remember or recall, but no "
		    "state file is given (state: or --state)", file);
	if ((state = state_open(path, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "cannot open state file %s: %s", path,
		    err);
}

static void
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
		msg_err("route %s: command exited with status %d: %s",
		    s->name, WEXITSTATUS(st), s->target);
	else
		msg_err("route %s: command killed by signal %d: %s", s->name,
		    WTERMSIG(st), s->target);
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
	size_t off = 0, k;
	ssize_t n;
	char m[512];

	while (off < s->out.len) {
		n = write(s->fd, s->out.p + off, s->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		off += (size_t)n;
	}
	if (off == s->out.len) {
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

static void
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
static int
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

/* ---- per record ---- */

/*
 * recall: the stored value for the route's key, or NULL (no match).  With
 * forget, the entry is claimed, not deleted: *claim is {"key", "id"} for
 * the record to carry to wh-route --settle at the end of the pipeline.
 */
static int
recall(const struct rules_route *rt, json_t *rec, json_t **val,
    json_t **claim, char *err, size_t errlen)
{
	struct buf key = {0};
	char *v, id[STATE_CLAIM_LEN];
	int rc;

	*val = *claim = NULL;
	if (tmpl_render(rt->recall, rec, &key, err, errlen) < 0) {
		buf_free(&key);
		return -1;
	}
	if (rt->forget)
		rc = state_claim(state, key.p, lease, time(NULL), &v, id, err,
		    errlen);
	else
		rc = state_get(state, key.p, time(NULL), &v, err, errlen);
	if (rc == 0 && v != NULL && rt->forget)
		*claim = json_pack("{s:s, s:s}", "key", key.p, "id", id);
	buf_free(&key);
	if (rc < 0)
		return -1;
	if (v != NULL) {
		*val = bignum_loads(v, JSON_DECODE_ANY, NULL);
		if (*val == NULL)
			*val = json_string(v);
		free(v);
	}
	return 0;
}

/* --settle: a record that made it to the end of the pipeline settles
 * its claim; every record is passed on */
static int
settle_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	json_t *c = json_object_get(r->obj, "claim");
	json_t *k = json_object_get(c, "key"), *id = json_object_get(c, "id");
	int settled;

	(void)arg;
	if (c != NULL && (!json_is_string(k) || !json_is_string(id))) {
		snprintf(err, errlen, "claim is not {\"key\": ..., \"id\": "
		    "...}");
		return ND_FAIL;
	}
	if (c != NULL && state_settle(state, json_string_value(k),
	    json_string_value(id), &settled, err, errlen) < 0)
		return ND_FAIL;
	nd_write_raw(r->line, r->len);
	return 0;
}

static int
remember(const struct rules_route *rt, json_t *rec, char *err, size_t errlen)
{
	struct buf key = {0};
	json_t *v;
	char *text;
	int rc = -1;

	if (tmpl_render(rt->remember, rec, &key, err, errlen) < 0)
		goto out;
	if ((v = jtmpl_render(rt->rvalue, rec, err, errlen)) == NULL)
		goto out;
	text = bignum_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	rc = state_put(state, key.p, text, rt->ttl, time(NULL), err, errlen);
	free(text);
out:
	buf_free(&key);
	return rc;
}

/* ---- checking and matching a line ---- */

/* a line jscan refused: in nd_parse's words, as other tools say it */
static int
bad_line(const struct nd_rec *r, char *err, size_t errlen)
{
	char why[1024];
	json_t *v;

	if ((v = nd_parse(r->line, r->len, why, sizeof(why))) != NULL)
		json_decref(v);		/* jansson takes it: jscan's words */
	else
		snprintf(err, errlen, "%s", why);
	return ND_FAIL;
}

/* check the line (unless jansson parsed it already); -1 if it is bad */
static int
check(struct nd_rec *r, char *err, size_t errlen)
{
	if (r->obj != NULL)
		return 0;
	if (jscan_line(scan, r->line, r->len, err, errlen) < 0) {
		bad_line(r, err, errlen);
		return -1;
	}
	/* an escaped NUL may spell what stands for a big number (bignum.h):
	 * such a line is judged by the parser that knows the rule */
	if (jscan_nul(scan) &&
	    (r->obj = nd_parse(r->line, r->len, err, errlen)) == NULL) {
		bad_line(r, err, errlen);
		return -1;
	}
	return 0;
}

/* whether the record satisfies c: from its tree if it has one, else
 * from what jscan found in the line */
static int
matches(const struct rules_cond *c, const struct nd_rec *r)
{
	if (r->obj != NULL)
		return rules_match(c, r->obj);
	return rules_match_get(c, jscan_path, scan);
}

static void
scan_path(const struct path *p, void *arg)
{
	jscan_add(arg, p);
}

/*
 * A route that only adds "route" to a line already as jansson writes it
 * (lib/jcanon) adds it as text: the same bytes as the
 * tree would give, without building one.  Returns 1 if it did.
 */
static int
as_text(const struct rules_route *rt, size_t i, const struct nd_rec *r,
    struct buf *text)
{
	static char **tail;	/* per route: "\"route\":NAME}" */
	json_t *name;
	char *s;

	if (r->obj != NULL || rt->nset > 0 || rt->recall != NULL ||
	    rt->remember != NULL || !jcanon_compact(canon, r->line, r->len,
	    "route"))
		return 0;
	if (tail == NULL)
		tail = xcalloc(rules.n, sizeof(*tail));
	if (tail[i] == NULL) {
		name = json_string(rt->name);
		s = json_dumps(name, JSON_ENCODE_ANY);
		json_decref(name);
		if (s == NULL)
			return 0;
		tail[i] = xstrdup("\"route\":");
		tail[i] = xrealloc(tail[i], strlen(tail[i]) + strlen(s) + 2);
		snprintf(tail[i] + 8, strlen(s) + 2, "%s}", s);
		free(s);
	}
	buf_reset(text);
	buf_add(text, r->line, r->len - 1);	/* all but its '}' */
	if (r->len > 2)
		buf_addc(text, ',');
	buf_adds(text, tail[i]);
	return 1;
}

static int
route_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	static struct buf text;
	size_t i;
	int matched = 0, rc;
	json_t *out, *got, *claim;

	(void)arg;
	if (check(r, err, errlen) < 0)
		return ND_FAIL;
	for (i = 0; i < rules.n; i++) {
		const struct rules_route *rt = &rules.route[i];

		if (!matches(rt->when, r))
			continue;
		if (as_text(rt, i, r, &text)) {
			matched = 1;
			if ((rc = deliver(rt, &sinks[i], r, NULL, &text, err,
			    errlen)) != 0)
				return rc;
			if (!rt->cont)
				break;
			continue;
		}
		/* a match is rewritten: only now is the tree built */
		if (r->obj == NULL &&
		    (r->obj = nd_parse(r->line, r->len, err, errlen)) == NULL)
			return ND_FAIL;
		got = claim = NULL;
		if (rt->recall != NULL) {
			if (recall(rt, r->obj, &got, &claim, err, errlen) < 0)
				return ND_FAIL;
			if (got == NULL)
				continue;	/* nothing remembered */
		}
		matched = 1;
		out = json_copy(r->obj);
		json_object_set_new(out, "route", json_string(rt->name));
		if (claim != NULL)
			json_object_set_new(out, "claim", claim);
		if (got != NULL && path_set(&rt->recall_as, out, got) < 0) {
			snprintf(err, errlen, "route %s: cannot set %s",
			    rt->name, rt->recall_as.text);
			json_decref(out);
			return ND_FAIL;
		}
		if (rules_set(rt, r->obj, out, err, errlen) < 0 ||
		    (rt->remember != NULL &&
		    remember(rt, r->obj, err, errlen) < 0)) {
			json_decref(out);
			return ND_FAIL;
		}
		rc = deliver(rt, &sinks[i], r, out, NULL, err, errlen);
		json_decref(out);
		if (rc != 0)
			return rc;
		if (!rt->cont)
			break;
	}
	if (matched)
		return 0;
	switch (rules.dflt) {
	case RULES_DEF_STDOUT:
		nd_write_raw(r->line, r->len);
		return 0;
	case RULES_DEF_DROP:
		return 0;
	default:
		/* --errors keeps the record's fields, not the raw line */
		if (r->obj == NULL)
			r->obj = nd_parse(r->line, r->len, err, errlen);
		snprintf(err, errlen, "no route matched");
		return ND_FAIL;
	}
}

/*
 * -w --strict parses a record, tests it and drops it: jansson's many
 * small allocations then come from an arena emptied after each record.
 */
struct block {
	struct block *next;
	size_t len, cap;
	max_align_t data[];
};
static struct block *arena;

static void *
arena_alloc(size_t n)
{
	struct block *b = arena;
	size_t cap;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (b == NULL || b->cap - b->len < n) {
		cap = 64 * 1024;
		while (cap < n)
			cap *= 2;
		b = xmalloc(sizeof(*b) + cap);
		b->len = 0;
		b->cap = cap;
		b->next = arena;
		arena = b;
	}
	p = (char *)b->data + b->len;
	b->len += n;
	return p;
}

static void
arena_free(void *p)
{
	(void)p;	/* all of it goes at arena_reset() */
}

/* empty the arena, keeping one block as large as this record needed */
static void
arena_reset(void)
{
	struct block *b, *next;
	size_t used = 0;

	if (arena == NULL)
		return;
	if (arena->next == NULL) {
		arena->len = 0;
		return;
	}
	for (b = arena; b != NULL; b = next) {
		next = b->next;
		used += b->cap;
		free(b);
	}
	arena = xmalloc(sizeof(*arena) + used);
	arena->len = 0;
	arena->cap = used;
	arena->next = NULL;
}

static int
filter_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	size_t i;
	int m = 1;

	(void)arg;
	if (strict && (r->obj = nd_parse(r->line, r->len, err, errlen)) ==
	    NULL)
		return ND_FAIL;
	if (check(r, err, errlen) < 0)
		return ND_FAIL;
	for (i = 0; i < nw && m; i++)
		m = matches(wconds[i], r);
	if (strict) {
		json_decref(r->obj);
		r->obj = NULL;	/* it lived in the arena */
		arena_reset();
	}
	if (m != vflag)
		nd_write_raw(r->line, r->len);
	return 0;
}

static void
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

/* wh-route --settle --state file */
static int
settle_main(const char *statefile, int routing, const char *errors,
    char **files, int nfiles, struct nd_opts *o)
{
	char err[1024];
	int rc;

	if (routing) {
		msg_err("--settle goes without -c and -w");
		msg_usage(usage);
	}
	if (statefile == NULL) {
		msg_err("--settle needs the --state file");
		msg_usage(usage);
	}
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	if ((state = state_open(statefile, err, sizeof(err))) == NULL)
		msg_die(EX_CONFIG, "cannot open state file %s: %s", statefile,
		    err);
	rc = nd_run(files, nfiles, settle_one, NULL, o);
	state_close(state);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"where", required_argument, NULL, 'w'},
		{"invert", no_argument, NULL, 'v'},
		{"errors", required_argument, NULL, 'E'},
		ND_LONGOPT_MAX_LINE,
		{"strict", no_argument, NULL, 'S'},
		{"state", required_argument, NULL, 's'},
		{"lease", required_argument, NULL, 'L'},
		{"settle", no_argument, NULL, 'T'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct nd_opts o = {0};
	const char *conf = NULL, *errors = NULL, *statefile = NULL;
	char err[1024], *end;
	struct rules_cond *c;
	int ch, rc, settle = 0;
	size_t i;

	msg_prog = "wh-route";
	while ((ch = getopt_long(argc, argv, "c:ehqVvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'e': o.eflag = 1; break;
		case 'E': errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case 'S': strict = 1; break;
		case 's': statefile = optarg; break;
		case 'L':
			errno = 0;
			lease = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    lease < 1 || lease > 30 * 86400) {
				msg_err("--lease: '%s' is not a number from 1 "
				    "to 2592000", optarg);
				msg_usage(usage);
			}
			break;
		case 'T': settle = 1; break;
		case 'q': msg_quiet = 1; break;
		case 'v': vflag = 1; break;
		case 'w':
			if ((c = rules_where(optarg, err, sizeof(err))) == NULL) {
				msg_err("%s", err);
				msg_usage(usage);
			}
			wconds = xrealloc(wconds, (nw + 1) * sizeof(*wconds));
			wconds[nw++] = c;
			break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	if (settle)
		return settle_main(statefile, conf != NULL || nw > 0, errors,
		    argv + optind, argc - optind, &o);
	if (conf != NULL && nw > 0) {
		msg_err("-c and -w do not go together");
		msg_usage(usage);
	}
	if (conf == NULL && nw == 0) {
		msg_err("give a rules file (-c) or conditions (-w)");
		msg_usage(usage);
	}
	if (vflag && nw == 0) {
		msg_err("-v inverts -w conditions");
		msg_usage(usage);
	}
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	nd_signals();
	scan = jscan_new();
	/* jscan checks each line; --strict has jansson parse it too */
	o.raw = 1;
	if (nw > 0) {
		for (i = 0; i < nw; i++)
			rules_paths(wconds[i], scan_path, scan);
		/* from here on jansson only parses and tests records */
		if (strict)
			json_set_alloc_funcs(arena_alloc, arena_free);
		return nd_run(argv + optind, argc - optind, filter_one, NULL,
		    &o);
	}
	if (rules_load(conf, &rules, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "cannot load rules: %s", err);
	for (i = 0; i < rules.n; i++)
		rules_paths(rules.route[i].when, scan_path, scan);
	canon = jcanon_new();
	o.raw = !strict;
	open_sinks(conf);
	open_state(conf, statefile);
	nd_on_flush(flush_sinks, NULL);
	rc = nd_run(argv + optind, argc - optind, route_one, NULL, &o);
	finish_children();
	nd_flush();
	state_close(state);
	return rc != 0 && rc != EX_PARTIAL ? rc : nd_status();
}
