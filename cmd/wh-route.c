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
#include <sys/wait.h>
#include <unistd.h>

#include "bignum.h"
#include "msg.h"
#include "nd.h"
#include "path.h"
#include "rules.h"
#include "state.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: wh-route [-ehqVv] [--strict] [--errors file] "
    "[--max-line bytes] [--state file] "
    "[-c file] [-w cond]... [file ...]";

/* a child process or a file a route writes to */
struct sink {
	const char *name;	/* route name */
	const char *target;	/* file name or command */
	int fd;			/* file, or the child's stdin */
	struct buf out;
	int dead;
	pid_t pid;
	int outfd;		/* the child's stdout, relayed by a thread */
	pthread_t relay;
	int started;
};

static struct rules rules;
static struct state *state;	/* remember/recall */
static struct sink *sinks;	/* one per route */
static struct rules_cond **wconds;
static size_t nw;
static int vflag, strict;
/* -w pre-check: strings every matching line has */
struct lit {
	char *s;
	size_t n;
	size_t k;		/* the byte searched for first: the rarest */
};
static struct lit *lits;
static size_t nlits;
static unsigned long freq[256];	/* byte counts of the first lines */
static long sampled;

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
		s->fd = open(s->target, O_WRONLY | O_APPEND | O_CREAT |
		    O_CLOEXEC, 0666);
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

static int
sink_flush(struct sink *s)
{
	size_t off = 0;
	ssize_t n;

	while (off < s->out.len && !s->dead) {
		n = write(s->fd, s->out.p + off, s->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (s->fd >= 0 && s->pid > 0) {
				close(s->fd);
				s->fd = -1;
				reap(s);
				msg_err("route %s: command stopped reading; "
				    "its records are not delivered", s->name);
			} else {
				msg_err("route %s: cannot write %s: %s",
				    s->name, s->target, strerror(errno));
			}
			s->dead = 1;
			nd_set_status(EX_PARTIAL);
		} else {
			off += (size_t)n;
		}
	}
	buf_reset(&s->out);
	return s->dead ? -1 : 0;
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

static int
deliver(const struct rules_route *rt, struct sink *s, json_t *rec, char *err,
    size_t errlen)
{
	if (rt->dest == RULES_STDOUT) {
		nd_write(rec);
		return 0;
	}
	if (s->dead) {
		snprintf(err, errlen, "route %s: %s is gone, record not "
		    "delivered", rt->name, rt->dest == RULES_RUN ? "command" :
		    "file");
		return ND_FAIL;
	}
	if (rt->dest == RULES_RUN && !s->started)
		start_child(s);
	bignum_dump(rec, JSON_COMPACT, dump_cb, &s->out);
	buf_addc(&s->out, '\n');
	if (s->out.len >= 64 * 1024 && sink_flush(s) < 0) {
		snprintf(err, errlen, "route %s: record not delivered",
		    rt->name);
		return ND_FAIL;
	}
	return 0;
}

/* ---- per record ---- */

/* recall: the stored value for the route's key, or NULL (no match) */
static int
recall(const struct rules_route *rt, json_t *rec, json_t **val, char *err,
    size_t errlen)
{
	struct buf key = {0};
	char *v;
	int rc;

	*val = NULL;
	if (tmpl_render(rt->recall, rec, &key, err, errlen) < 0) {
		buf_free(&key);
		return -1;
	}
	rc = state_get(state, key.p, rt->forget, time(NULL), &v, err,
	    errlen);
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

static int
route_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	size_t i;
	int matched = 0, rc;
	json_t *out, *got;

	(void)arg;
	for (i = 0; i < rules.n; i++) {
		const struct rules_route *rt = &rules.route[i];

		if (!rules_match(rt->when, r->obj))
			continue;
		got = NULL;
		if (rt->recall != NULL) {
			if (recall(rt, r->obj, &got, err, errlen) < 0)
				return ND_FAIL;
			if (got == NULL)
				continue;	/* nothing remembered */
		}
		matched = 1;
		out = json_copy(r->obj);
		json_object_set_new(out, "route", json_string(rt->name));
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
		rc = deliver(rt, &sinks[i], out, err, errlen);
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
		snprintf(err, errlen, "no route matched");
		return ND_FAIL;
	}
}

/* whether line holds l: memchr (vectorised) for its rarest byte, then
 * memcmp; glibc's memmem is a byte-at-a-time loop */
static int
has_lit(const char *line, size_t len, const struct lit *l)
{
	const char *p, *end;

	if (len < l->n)
		return 0;
	p = line + l->k;
	end = line + len - (l->n - l->k) + 1;
	while (p < end && (p = memchr(p, l->s[l->k], (size_t)(end - p))) !=
	    NULL) {
		if (memcmp(p - l->k, l->s, l->n) == 0)
			return 1;
		p++;
	}
	return 0;
}

/* whether a JSON escape "\u" could hide a literal */
static int
has_u_escape(const char *line, size_t len)
{
	const char *p = line, *end = line + len;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL &&
	    p + 1 < end) {
		if (p[1] == 'u')
			return 1;
		p += 2;		/* skip the escaped byte, even a backslash */
	}
	return 0;
}

/* pick each literal's rarest byte from the first lines' byte counts */
static void
sample(const char *line, size_t len)
{
	size_t i, j;

	for (i = 0; i < len; i++)
		freq[(unsigned char)line[i]]++;
	if (++sampled != 64)
		return;
	for (i = 0; i < nlits; i++)
		for (j = 0; j < lits[i].n; j++)
			if (freq[(unsigned char)lits[i].s[j]] <
			    freq[(unsigned char)lits[i].s[lits[i].k]])
				lits[i].k = j;
}

/* cheap test: a line that looks like an object and cannot match */
static int
cannot_match(const char *line, size_t len)
{
	struct lit t;
	size_t i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || line[i] != '{')
		return 0;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (line[len - 1] != '}')
		return 0;
	if (sampled < 64)
		sample(line, len);
	for (i = 0; i < nlits; i++) {
		if (has_lit(line, len, &lits[i]))
			continue;
		/* the literal that rules lines out is tried first next time */
		if (i > 0) {
			t = lits[i];
			lits[i] = lits[i - 1];
			lits[i - 1] = t;
		}
		/* unless an escape could hide the literal */
		return !has_u_escape(line, len);
	}
	return 0;
}

/*
 * -w parses a record, tests it and drops it: jansson's many small
 * allocations then come from an arena emptied after each record.
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
	if (!strict && cannot_match(r->line, r->len)) {
		m = 0;
	} else {
		r->obj = nd_parse(r->line, r->len, err, errlen);
		for (i = 0; i < nw && m && r->obj != NULL; i++)
			m = rules_match(wconds[i], r->obj);
		json_decref(r->obj);
		r->obj = NULL;	/* it lived in the arena */
		arena_reset();
		if (i == 0 && m)	/* did not parse */
			return ND_FAIL;
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
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct nd_opts o = {0};
	const char *conf = NULL, *errors = NULL, *statefile = NULL;
	char err[1024], *lit;
	struct rules_cond *c;
	int ch, rc;
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
	if (nw > 0) {
		for (i = 0; i < nw; i++)
			if ((lit = rules_literal(wconds[i])) != NULL) {
				lits = xrealloc(lits, (nlits + 1) *
				    sizeof(*lits));
				lits[nlits].s = lit;
				lits[nlits].n = strlen(lit);
				/* until sampled: the middle, not a quote */
				lits[nlits].k = lits[nlits].n / 2;
				nlits++;
			}
		o.raw = 1;
		/* from here on jansson only parses and tests records */
		json_set_alloc_funcs(arena_alloc, arena_free);
		return nd_run(argv + optind, argc - optind, filter_one, NULL,
		    &o);
	}
	if (rules_load(conf, &rules, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "cannot load rules: %s", err);
	open_sinks(conf);
	open_state(conf, statefile);
	nd_on_flush(flush_sinks, NULL);
	rc = nd_run(argv + optind, argc - optind, route_one, NULL, &o);
	finish_children();
	nd_flush();
	state_close(state);
	return rc != 0 && rc != EX_PARTIAL ? rc : nd_status();
}
