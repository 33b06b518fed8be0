/* wh-route: send each record to the routes whose rules match it */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conf.h"
#include "msg.h"
#include "nd.h"
#include "path.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: wh-route [-ehqVv] [--strict] [--errors file] [-c file] "
    "[-w cond]... [file ...]";

enum cop {
	C_EQ, C_NE, C_RE, C_NRE, C_LT, C_LE, C_GT, C_GE, C_EXISTS, C_MISSING,
	C_ALL, C_ANY, C_NOT, C_TRUE
};

/* a condition on a record; ALL/ANY/NOT have kids */
struct cond {
	enum cop op;
	struct path path;
	json_t *val;		/* the value compared with */
	char *text;		/* the value as typed, for = on strings */
	regex_t re;
	struct cond **kid;
	size_t n;
};

enum dest { D_STDOUT, D_FILE, D_RUN };

/* a child process or a file a route writes to */
struct sink {
	char *name;		/* route name */
	char *target;		/* file name or command */
	int fd;			/* file, or the child's stdin */
	struct buf out;
	int dead;
	pid_t pid;
	int outfd;		/* the child's stdout, relayed by a thread */
	pthread_t relay;
	int started;
};

struct route {
	char *name;
	struct cond *when;
	struct path *setp;
	struct jtmpl **setv;
	size_t nset;
	enum dest dest;
	struct sink *sink;
	int cont;
};

enum dflt { DF_STDOUT, DF_DROP, DF_ERROR };

static struct route *routes;
static size_t nroutes;
static enum dflt dflt = DF_STDOUT;
static struct cond **wconds;
static size_t nw;
static int vflag, strict;
static char **lits;		/* -w pre-check: literals every match has */
static size_t nlits;

static _Noreturn void
config_error(const char *file, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
config_error(const char *file, const json_t *node, const char *fmt, ...)
{
	char m[1024];
	va_list ap;
	int line = node ? conf_line(node) : 0;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (line > 0)
		msg_die(EX_CONFIG, "%s:%d: %s", file, line, m);
	msg_die(EX_CONFIG, "%s: %s", file, m);
}

/* ---- conditions ---- */

/* the value text typed after an operator: JSON literal if it is one */
static json_t *
typed_value(const char *s)
{
	json_t *v;

	if (*s == '"') {
		v = json_loads(s, JSON_DECODE_ANY, NULL);
		if (v != NULL && json_is_string(v))
			return v;
		json_decref(v);
	}
	v = json_loads(s, JSON_DECODE_ANY, NULL);
	if (v != NULL && (json_is_number(v) || json_is_boolean(v) ||
	    json_is_null(v)))
		return v;
	json_decref(v);
	return json_string(s);
}

static int
num_eq_text(json_t *f, json_t *val)
{
	/* 123 matches "123": webhook senders disagree on ids' types */
	char *t;
	int r;

	if (!json_is_string(f) || !json_is_number(val))
		return 0;
	t = json_dumps(val, JSON_ENCODE_ANY);
	r = t != NULL && strcmp(t, json_string_value(f)) == 0;
	free(t);
	return r;
}

static int
equal(json_t *f, json_t *val)
{
	if (f == NULL)
		return 0;
	if (json_is_number(f) && json_is_number(val))
		return json_number_value(f) == json_number_value(val);
	return json_equal(f, val) || num_eq_text(f, val);
}

static int
compare(enum cop op, json_t *f, json_t *val)
{
	int c;

	if (f == NULL)
		return 0;
	if (json_is_number(val)) {
		double a, b;

		if (!json_is_number(f))
			return 0;
		a = json_number_value(f);
		b = json_number_value(val);
		c = a < b ? -1 : a > b;
	} else if (json_is_string(val)) {
		if (!json_is_string(f))
			return 0;
		c = strcmp(json_string_value(f), json_string_value(val));
	} else {
		return 0;
	}
	switch (op) {
	case C_LT: return c < 0;
	case C_LE: return c <= 0;
	case C_GT: return c > 0;
	default:   return c >= 0;
	}
}

static int
match(const struct cond *c, json_t *rec)
{
	json_t *f;
	size_t i;

	switch (c->op) {
	case C_TRUE:
		return 1;
	case C_ALL:
		for (i = 0; i < c->n; i++)
			if (!match(c->kid[i], rec))
				return 0;
		return 1;
	case C_ANY:
		for (i = 0; i < c->n; i++)
			if (match(c->kid[i], rec))
				return 1;
		return 0;
	case C_NOT:
		return !match(c->kid[0], rec);
	default:
		break;
	}
	f = path_get(&c->path, rec);
	switch (c->op) {
	case C_EXISTS:
		return f != NULL;
	case C_MISSING:
		return f == NULL;
	case C_EQ:
		return equal(f, c->val);
	case C_NE:
		return !equal(f, c->val);
	case C_RE:
	case C_NRE:
		i = f != NULL && json_is_string(f) &&
		    regexec(&c->re, json_string_value(f), 0, NULL, 0) == 0;
		return c->op == C_RE ? (int)i : !i;
	default:
		return compare(c->op, f, c->val);
	}
}

static struct cond *
new_cond(enum cop op)
{
	struct cond *c = xcalloc(1, sizeof(*c));

	c->op = op;
	return c;
}

static void
add_kid(struct cond *c, struct cond *k)
{
	c->kid = xrealloc(c->kid, (c->n + 1) * sizeof(*c->kid));
	c->kid[c->n++] = k;
}

static int
set_regex(struct cond *c, const char *re, char *err, size_t errlen)
{
	int e = regcomp(&c->re, re, REG_EXTENDED | REG_NOSUB);

	if (e != 0) {
		char m[256];

		regerror(e, &c->re, m, sizeof(m));
		snprintf(err, errlen, "bad regular expression '%s': %s", re,
		    m);
		return -1;
	}
	return 0;
}

/* -w 'path OP value' or -w 'path?' */
static struct cond *
parse_w(const char *s, char *err, size_t errlen)
{
	const char *p = s, *opend;
	char *pathtext;
	struct cond *c;
	enum cop op;
	int inq = 0;
	size_t n;

	for (; *p != '\0'; p++) {
		if (*p == '"')
			inq = !inq;
		else if (!inq && strchr("=!~<>", *p) != NULL)
			break;
	}
	if (*p == '\0') {
		n = strlen(s);
		if (n > 1 && s[n - 1] == '?') {
			c = new_cond(C_EXISTS);
			pathtext = xstrndup(s, n - 1);
			goto path;
		}
		snprintf(err, errlen, "condition '%s' has no operator "
		    "(= != ~ !~ < <= > >= or a trailing ?)", s);
		return NULL;
	}
	opend = p + 1;
	if (p[0] == '!' && p[1] == '=')
		op = C_NE, opend++;
	else if (p[0] == '!' && p[1] == '~')
		op = C_NRE, opend++;
	else if (p[0] == '<' && p[1] == '=')
		op = C_LE, opend++;
	else if (p[0] == '>' && p[1] == '=')
		op = C_GE, opend++;
	else if (p[0] == '=')
		op = C_EQ;
	else if (p[0] == '~')
		op = C_RE;
	else if (p[0] == '<')
		op = C_LT;
	else if (p[0] == '>')
		op = C_GT;
	else {
		snprintf(err, errlen, "condition '%s': '!' must be followed "
		    "by = or ~", s);
		return NULL;
	}
	c = new_cond(op);
	pathtext = xstrndup(s, (size_t)(p - s));
	c->text = xstrdup(opend);
	if (op == C_RE || op == C_NRE) {
		if (set_regex(c, opend, err, errlen) < 0)
			goto bad;
	} else {
		c->val = typed_value(opend);
		if (c->val == NULL) {
			snprintf(err, errlen, "condition '%s': value is not "
			    "valid UTF-8", s);
			goto bad;
		}
	}
path:
	if (path_compile(pathtext, &c->path, err, errlen) < 0)
		goto bad;
	free(pathtext);
	return c;
bad:
	free(pathtext);
	free(c->text);
	free(c);
	return NULL;
}

/* literal text a line must hold for c to match, or NULL */
static char *
needed_literal(const struct cond *c)
{
	const char *s, *key = NULL;
	size_t i;
	char *lit;

	if (c->op == C_EQ && c->val != NULL && json_is_string(c->val)) {
		s = json_string_value(c->val);
		for (i = 0; s[i] != '\0'; i++)
			if ((unsigned char)s[i] < 0x20 ||
			    (unsigned char)s[i] >= 0x7f || s[i] == '"' ||
			    s[i] == '\\' || s[i] == '/')
				return NULL;
		if (i == 0)
			return NULL;
		lit = xmalloc(i + 3);
		snprintf(lit, i + 3, "\"%s\"", s);
		return lit;
	}
	if (c->op == C_EQ && c->val != NULL && json_is_boolean(c->val))
		return xstrdup(json_is_true(c->val) ? "true" : "false");
	if (c->op == C_EQ || c->op == C_RE || c->op == C_EXISTS ||
	    c->op == C_LT || c->op == C_LE || c->op == C_GT ||
	    c->op == C_GE) {
		/* the last key name must be in the line */
		for (i = 0; i < c->path.n; i++)
			if (c->path.seg[i].key != NULL)
				key = c->path.seg[i].key;
		if (key == NULL || *key == '\0')
			return NULL;
		for (s = key; *s != '\0'; s++)
			if ((unsigned char)*s < 0x20 ||
			    (unsigned char)*s >= 0x7f || *s == '"' ||
			    *s == '\\' || *s == '/')
				return NULL;
		lit = xmalloc(strlen(key) + 3);
		snprintf(lit, strlen(key) + 3, "\"%s\"", key);
		return lit;
	}
	return NULL;
}

/* ---- the rules file ---- */

static const char *cfile;

static struct cond *compile_when(const json_t *w);

/* one "path: spec" of a when mapping */
static struct cond *
compile_field(const char *key, const json_t *spec)
{
	struct cond *c, *k;
	struct path p;
	char err[512];
	const char *op;
	json_t *v;
	size_t i;

	if (path_compile(key, &p, err, sizeof(err)) < 0)
		config_error(cfile, spec, "%s", err);
	if (json_is_array(spec)) {
		c = new_cond(C_ANY);
		json_array_foreach(spec, i, v) {
			k = compile_field(key, v);
			add_kid(c, k);
		}
		if (c->n == 0)
			config_error(cfile, spec, "'%s': empty list of "
			    "values", key);
		path_free(&p);
		return c;
	}
	if (!json_is_object(spec)) {
		c = new_cond(C_EQ);
		c->path = p;
		c->val = json_incref((json_t *)spec);
		return c;
	}
	c = new_cond(C_ALL);
	json_object_foreach((json_t *)spec, op, v) {
		enum cop o;

		if (strcmp(op, "regex") == 0 || strcmp(op, "eq") == 0 ||
		    strcmp(op, "ne") == 0 || strcmp(op, "gt") == 0 ||
		    strcmp(op, "ge") == 0 || strcmp(op, "lt") == 0 ||
		    strcmp(op, "le") == 0 || strcmp(op, "exists") == 0) {
			o = op[0] == 'r' ? C_RE : op[0] == 'x' ? C_EXISTS :
			    strcmp(op, "eq") == 0 ? C_EQ :
			    strcmp(op, "ne") == 0 ? C_NE :
			    strcmp(op, "gt") == 0 ? C_GT :
			    strcmp(op, "ge") == 0 ? C_GE :
			    strcmp(op, "lt") == 0 ? C_LT :
			    strcmp(op, "le") == 0 ? C_LE : C_EXISTS;
		} else {
			config_error(cfile, v, "'%s': unknown test '%s' "
			    "(regex, exists, eq, ne, gt, ge, lt, le)", key,
			    op);
		}
		k = new_cond(o);
		if (path_compile(key, &k->path, err, sizeof(err)) < 0)
			config_error(cfile, spec, "%s", err);
		if (o == C_RE) {
			if (!json_is_string(v))
				config_error(cfile, v, "'%s': regex must be "
				    "a string", key);
			if (set_regex(k, json_string_value(v), err,
			    sizeof(err)) < 0)
				config_error(cfile, v, "%s", err);
		} else if (o == C_EXISTS) {
			if (!json_is_boolean(v))
				config_error(cfile, v, "'%s': exists takes "
				    "true or false", key);
			if (json_is_false(v))
				k->op = C_MISSING;
		} else if ((o == C_GT || o == C_GE || o == C_LT ||
		    o == C_LE) && !json_is_number(v) && !json_is_string(v)) {
			config_error(cfile, v, "'%s': %s needs a number or "
			    "a string", key, op);
		} else {
			k->val = json_incref(v);
		}
		add_kid(c, k);
	}
	if (c->n == 0)
		config_error(cfile, spec, "'%s': empty test", key);
	path_free(&p);
	return c;
}

static struct cond *
compile_list(enum cop op, const json_t *list, const char *what)
{
	struct cond *c = new_cond(op);
	json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0)
		config_error(cfile, list, "'%s' takes a list of conditions",
		    what);
	json_array_foreach(list, i, v)
		add_kid(c, compile_when(v));
	return c;
}

static struct cond *
compile_when(const json_t *w)
{
	struct cond *c;
	const char *key;
	json_t *v;

	if (!json_is_object(w))
		config_error(cfile, w, "a condition must be a mapping of "
		    "field paths to values");
	c = new_cond(C_ALL);
	json_object_foreach((json_t *)w, key, v) {
		if (strcmp(key, "any") == 0)
			add_kid(c, compile_list(C_ANY, v, key));
		else if (strcmp(key, "all") == 0)
			add_kid(c, compile_list(C_ALL, v, key));
		else if (strcmp(key, "not") == 0) {
			struct cond *n = new_cond(C_NOT);

			add_kid(n, compile_when(v));
			add_kid(c, n);
		} else
			add_kid(c, compile_field(key, v));
	}
	return c;
}

static void
open_file_sink(struct sink *s, const json_t *node)
{
	s->fd = open(s->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0666);
	if (s->fd < 0)
		config_error(cfile, node, "route '%s': cannot open %s: %s",
		    s->name, s->target, strerror(errno));
}

static void
load_routes(const char *file)
{
	json_t *doc, *list, *r, *v;
	const char *k;
	char err[1024];
	size_t i, j;

	cfile = file;
	if (conf_load(file, &doc, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "cannot load rules: %s", err);
	list = doc;
	if (json_is_object(doc)) {
		json_object_foreach(doc, k, v)
			if (strcmp(k, "routes") != 0 &&
			    strcmp(k, "default") != 0)
				config_error(file, v, "unknown key '%s' "
				    "(routes, default)", k);
		list = json_object_get(doc, "routes");
		v = json_object_get(doc, "default");
		if (v != NULL) {
			if (json_is_string(v) &&
			    strcmp(json_string_value(v), "drop") == 0)
				dflt = DF_DROP;
			else if (json_is_string(v) &&
			    strcmp(json_string_value(v), "stdout") == 0)
				dflt = DF_STDOUT;
			else if (json_is_string(v) &&
			    strcmp(json_string_value(v), "error") == 0)
				dflt = DF_ERROR;
			else
				config_error(file, v, "default must be drop, "
				    "stdout or error");
		}
	}
	if (!json_is_array(list))
		config_error(file, list ? list : doc, "expected a list of "
		    "routes (or a mapping with 'routes:')");
	routes = xcalloc(json_array_size(list), sizeof(*routes));
	json_array_foreach(list, i, r) {
		struct route *rt = &routes[nroutes];

		if (!json_is_object(r))
			config_error(file, r, "a route must be a mapping");
		json_object_foreach(r, k, v) {
			if (strcmp(k, "name") && strcmp(k, "when") &&
			    strcmp(k, "set") && strcmp(k, "to") &&
			    strcmp(k, "run") && strcmp(k, "continue"))
				config_error(file, v, "unknown key '%s' (name,"
				    " when, set, to, run, continue)", k);
		}
		v = json_object_get(r, "name");
		if (!json_is_string(v) || json_string_length(v) == 0)
			config_error(file, r, "route %zu has no name", i + 1);
		rt->name = xstrdup(json_string_value(v));
		for (j = 0; j < nroutes; j++)
			if (strcmp(routes[j].name, rt->name) == 0)
				config_error(file, v, "route name '%s' used "
				    "twice", rt->name);
		v = json_object_get(r, "when");
		rt->when = v ? compile_when(v) : new_cond(C_TRUE);
		v = json_object_get(r, "set");
		if (v != NULL) {
			json_t *sv;

			if (!json_is_object(v))
				config_error(file, v, "route '%s': set takes "
				    "a mapping of field paths to templates",
				    rt->name);
			rt->setp = xcalloc(json_object_size(v) + 1,
			    sizeof(*rt->setp));
			rt->setv = xcalloc(json_object_size(v) + 1,
			    sizeof(*rt->setv));
			json_object_foreach(v, k, sv) {
				if (path_compile(k, &rt->setp[rt->nset], err,
				    sizeof(err)) < 0 ||
				    (rt->setv[rt->nset] = jtmpl_compile(sv,
				    err, sizeof(err))) == NULL)
					config_error(file, sv, "route '%s': %s",
					    rt->name, err);
				if (rt->setp[rt->nset].n == 0)
					config_error(file, sv, "route '%s': "
					    "cannot set the whole record",
					    rt->name);
				rt->nset++;
			}
		}
		v = json_object_get(r, "continue");
		if (v != NULL && !json_is_boolean(v))
			config_error(file, v, "continue takes true or false");
		rt->cont = json_is_true(v);
		if (json_object_get(r, "to") && json_object_get(r, "run"))
			config_error(file, r, "route '%s' has both to and "
			    "run", rt->name);
		rt->dest = D_STDOUT;
		if ((v = json_object_get(r, "to")) != NULL ||
		    (v = json_object_get(r, "run")) != NULL) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				config_error(file, v, "route '%s': to/run "
				    "takes a file name or a command",
				    rt->name);
			rt->sink = xcalloc(1, sizeof(*rt->sink));
			rt->sink->name = rt->name;
			rt->sink->target = xstrdup(json_string_value(v));
			rt->sink->fd = -1;
			rt->dest = json_object_get(r, "to") ? D_FILE : D_RUN;
			if (rt->dest == D_FILE)
				open_file_sink(rt->sink, v);
		}
		nroutes++;
	}
	json_decref(doc);
}

/* ---- children and files ---- */

static void *
relay(void *arg)
{
	struct sink *s = arg;
	struct nd_reader r;
	char *line;
	size_t len;

	/* the child's lines go to our stdout whole, never mixed */
	nd_reader_init(&r, s->outfd, s->name);
	r.flush = ND_FLUSH_STDOUT;	/* the sinks are the main thread's */
	while (nd_reader_next(&r, &line, &len) > 0)
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
	for (i = 0; i < nroutes; i++)
		if (routes[i].sink != NULL && routes[i].sink->out.len > 0)
			sink_flush(routes[i].sink);
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

static int
deliver(struct route *rt, json_t *rec, char *err, size_t errlen)
{
	struct sink *s = rt->sink;

	if (rt->dest == D_STDOUT) {
		nd_write(rec);
		return 0;
	}
	if (s->dead) {
		snprintf(err, errlen, "route %s: %s is gone, record not "
		    "delivered", rt->name, rt->dest == D_RUN ? "command" :
		    "file");
		return ND_FAIL;
	}
	if (rt->dest == D_RUN && !s->started)
		start_child(s);
	json_dump_callback(rec, dump_cb, &s->out, JSON_COMPACT);
	buf_addc(&s->out, '\n');
	if (s->out.len >= 64 * 1024 && sink_flush(s) < 0) {
		snprintf(err, errlen, "route %s: record not delivered",
		    rt->name);
		return ND_FAIL;
	}
	return 0;
}

/* ---- per record ---- */

static int
route_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	size_t i, j;
	int matched = 0, rc;
	json_t *out, *v;

	(void)arg;
	for (i = 0; i < nroutes; i++) {
		struct route *rt = &routes[i];

		if (!match(rt->when, r->obj))
			continue;
		matched = 1;
		out = json_copy(r->obj);
		json_object_set_new(out, "route", json_string(rt->name));
		for (j = 0; j < rt->nset; j++) {
			v = jtmpl_render(rt->setv[j], r->obj, err, errlen);
			if (v == NULL || path_set(&rt->setp[j], out, v) < 0) {
				if (v != NULL)
					snprintf(err, errlen, "route %s: "
					    "cannot set %s: a step on the way "
					    "is not an object", rt->name,
					    rt->setp[j].text);
				json_decref(out);
				return ND_FAIL;
			}
		}
		rc = deliver(rt, out, err, errlen);
		json_decref(out);
		if (rc != 0)
			return rc;
		if (!rt->cont)
			break;
	}
	if (matched)
		return 0;
	switch (dflt) {
	case DF_STDOUT:
		nd_write_raw(r->line, r->len);
		return 0;
	case DF_DROP:
		return 0;
	default:
		snprintf(err, errlen, "no route matched");
		return ND_FAIL;
	}
}

/* cheap test: a line that looks like an object and cannot match */
static int
cannot_match(const char *line, size_t len)
{
	size_t i;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len || line[i] != '{')
		return 0;
	while (len > i && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (line[len - 1] != '}')
		return 0;
	for (i = 0; i < nlits; i++)
		if (memmem(line, len, lits[i], strlen(lits[i])) == NULL)
			/* unless an escape could hide the literal */
			return memmem(line, len, "\\u", 2) == NULL;
	return 0;
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
		if ((r->obj = nd_parse(r->line, r->len, err, errlen)) == NULL)
			return ND_FAIL;
		for (i = 0; i < nw && m; i++)
			m = match(wconds[i], r->obj);
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

	for (i = 0; i < nroutes; i++) {
		if ((s = routes[i].sink) == NULL)
			continue;
		if (s->out.len > 0)
			sink_flush(s);
		if (s->fd >= 0)
			close(s->fd);
		s->fd = -1;
		if (routes[i].dest != D_RUN || !s->started)
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
		{"strict", no_argument, NULL, 'S'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	struct nd_opts o = {0};
	const char *conf = NULL, *errors = NULL;
	char err[1024], *lit;
	struct cond *c;
	int ch, rc;
	size_t i;

	msg_prog = "wh-route";
	while ((ch = getopt_long(argc, argv, "c:ehqVvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': conf = optarg; break;
		case 'e': o.eflag = 1; break;
		case 'E': errors = optarg; break;
		case 'S': strict = 1; break;
		case 'q': msg_quiet = 1; break;
		case 'v': vflag = 1; break;
		case 'w':
			if ((c = parse_w(optarg, err, sizeof(err))) == NULL) {
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
			if ((lit = needed_literal(wconds[i])) != NULL) {
				lits = xrealloc(lits, (nlits + 1) *
				    sizeof(*lits));
				lits[nlits++] = lit;
			}
		o.raw = 1;
		return nd_run(argv + optind, argc - optind, filter_one, NULL,
		    &o);
	}
	load_routes(conf);
	nd_on_flush(flush_sinks, NULL);
	rc = nd_run(argv + optind, argc - optind, route_one, NULL, &o);
	finish_children();
	nd_flush();
	return rc != 0 && rc != EX_PARTIAL ? rc : nd_status();
}
