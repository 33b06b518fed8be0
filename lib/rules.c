/* rules: record conditions (wh-route -w and "when:") and rules files */
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "conf.h"
#include "rules.h"
#include "xmem.h"

enum cop {
	C_EQ, C_NE, C_RE, C_NRE, C_LT, C_LE, C_GT, C_GE, C_EXISTS, C_MISSING,
	C_ALL, C_ANY, C_NOT, C_TRUE
};

struct rules_cond {
	enum cop op;
	struct path path;
	json_t *val;		/* the value compared with */
	regex_t re;
	int has_re;
	struct rules_cond **kid;
	size_t n;
};

/* compile-time context: the file and the first error */
struct rctx {
	const char *file;
	char *err;
	size_t errlen;
	json_t *names;		/* route names so far: a hash, not a scan */
};

static int
rerr(struct rctx *x, const json_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
rerr(struct rctx *x, const json_t *node, const char *fmt, ...)
{
	char m[1024];
	va_list ap;
	int line = node ? conf_line(node) : 0;

	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(x->err, x->errlen, "%s:%d: %s", x->file, line, m);
	else
		snprintf(x->err, x->errlen, "%s: %s", x->file, m);
	return -1;
}

static struct rules_cond *
new_cond(enum cop op)
{
	struct rules_cond *c = xcalloc(1, sizeof(*c));

	c->op = op;
	return c;
}

void
rules_cond_free(struct rules_cond *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		rules_cond_free(c->kid[i]);
	free(c->kid);
	path_free(&c->path);
	json_decref(c->val);
	if (c->has_re)
		regfree(&c->re);
	free(c);
}

static void
add_kid(struct rules_cond *c, struct rules_cond *k)
{
	c->kid = xrealloc(c->kid, (c->n + 1) * sizeof(*c->kid));
	c->kid[c->n++] = k;
}

/* ---- matching ---- */

/*
 * A number as JSON text in t[64]; 1, or 0 if it does not fit.  Into the
 * caller's buffer: wh-route gives jansson an arena, so what json_dumps
 * returns is no malloc()'s to free().
 */
static int
num_text(json_t *v, char *t)
{
	size_t n = json_dumpb(v, t, 63, JSON_ENCODE_ANY);

	if (n == 0 || n > 63)
		return 0;
	t[n] = '\0';
	return 1;
}

static int
num_eq_text(json_t *f, json_t *val)
{
	/* 123 matches "123": webhook senders disagree on ids' types */
	char t[64];

	if (!json_is_string(f) || !json_is_number(val))
		return 0;
	return num_text(val, t) && strcmp(t, json_string_value(f)) == 0;
}

/*
 * Numbers too big for jansson (bignum.h) are compared by their text:
 * v's text in *t (the digits, a string's value, a number as JSON in
 * num[64]), and whether it is a number.  -1 for other types.
 */
static int
big_text(json_t *v, const char **t, char *num)
{
	if ((*t = bignum_text(v, NULL)) != NULL)
		return 1;
	if (json_is_string(v)) {
		*t = json_string_value(v);
		return 0;
	}
	if (json_is_number(v) && num_text(v, num)) {
		*t = num;
		return 1;
	}
	return -1;
}

/* integers as text: exactly, by sign, length, digits */
static int
int_cmp(const char *a, const char *b)
{
	int na = *a == '-', nb = *b == '-', c;
	size_t la = strlen(a), lb = strlen(b);

	if (na != nb)
		return na ? -1 : 1;
	c = la != lb ? (la < lb ? -1 : 1) : strcmp(a, b);
	return na ? -c : c;
}

/* f against val when one is a big number: 0 with *c, or -1 (no order) */
static int
big_compare(json_t *f, json_t *val, int *c, int eq)
{
	const char *a, *b;
	char na[64], nb[64];
	int ka = big_text(f, &a, na), kb = big_text(val, &b, nb);

	if (ka < 0 || kb < 0 || (!eq && ka != kb))
		return -1;
	if (eq || !ka)
		*c = strcmp(a, b);
	else if (strpbrk(a, ".eE") == NULL && strpbrk(b, ".eE") == NULL)
		*c = int_cmp(a, b);
	else {
		double x = strtod(a, NULL), y = strtod(b, NULL);

		*c = x < y ? -1 : x > y;
	}
	return 0;
}

#define IS_BIG(f, val) \
	(bignum_text(f, NULL) != NULL || bignum_text(val, NULL) != NULL)

static int
equal(json_t *f, json_t *val)
{
	int c;

	if (f == NULL)
		return 0;
	if (IS_BIG(f, val))
		return big_compare(f, val, &c, 1) == 0 && c == 0;
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
	if (IS_BIG(f, val)) {
		if (big_compare(f, val, &c, 0) < 0)
			return 0;
	} else if (json_is_number(val)) {
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

static json_t *
get_tree(const struct path *p, void *rec)
{
	return path_get(p, rec);
}

int
rules_match(const struct rules_cond *c, json_t *rec)
{
	return rules_match_get(c, get_tree, rec);
}

void
rules_paths(const struct rules_cond *c,
    void (*fn)(const struct path *p, void *arg), void *arg)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < c->n; i++)
		rules_paths(c->kid[i], fn, arg);
	if (c->op != C_TRUE && c->op != C_ALL && c->op != C_ANY &&
	    c->op != C_NOT)
		fn(&c->path, arg);
}

int
rules_match_get(const struct rules_cond *c, rules_get_fn get, void *arg)
{
	json_t *f;
	size_t i;
	int m;

	switch (c->op) {
	case C_TRUE:
		return 1;
	case C_ALL:
		for (i = 0; i < c->n; i++)
			if (!rules_match_get(c->kid[i], get, arg))
				return 0;
		return 1;
	case C_ANY:
		for (i = 0; i < c->n; i++)
			if (rules_match_get(c->kid[i], get, arg))
				return 1;
		return 0;
	case C_NOT:
		return !rules_match_get(c->kid[0], get, arg);
	default:
		break;
	}
	f = get(&c->path, arg);
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
		m = f != NULL && json_is_string(f) &&
		    regexec(&c->re, bignum_text(f, NULL) ? bignum_text(f,
		    NULL) : json_string_value(f), 0, NULL, 0) == 0;
		return c->op == C_RE ? m : !m;
	default:
		return compare(c->op, f, c->val);
	}
}

/* ---- -w conditions ---- */

/*
 * POSIX leaves adjacent repetition operators ("a+*", "a{2}{3}")
 * undefined, and glibc's regcomp takes memory exponential in them:
 * refuse them, and very long expressions.
 */
static const char *
regex_problem(const char *re)
{
	int inbr = 0, prevq = 0, q;
	const char *s;

	if (strlen(re) > 4096)
		return "longer than 4096 bytes";
	for (s = re; *s != '\0'; s++) {
		q = 0;
		if (inbr) {
			if (*s == ']' && inbr > 1)
				inbr = 0;
			else
				inbr++;
		} else if (*s == '\\' && s[1] != '\0') {
			s++;
		} else if (*s == '[') {
			inbr = 1;
			if (s[1] == '^')
				s++;
		} else if (*s == '*' || *s == '+' || *s == '?') {
			q = 1;
		} else if (*s == '{') {
			if (prevq)
				return "repetition of a repetition";
			s += strcspn(s, "}");
			if (*s == '\0')
				break;
			q = 1;
		}
		if (q && prevq)
			return "repetition of a repetition";
		prevq = q;
	}
	return NULL;
}

static int
set_regex(struct rules_cond *c, const char *re, char *err, size_t errlen)
{
	const char *why = regex_problem(re);
	int e;

	if (why != NULL) {
		snprintf(err, errlen, "bad regular expression '%s': %s", re,
		    why);
		return -1;
	}
	e = regcomp(&c->re, re, REG_EXTENDED | REG_NOSUB);

	if (e != 0) {
		char m[256];

		regerror(e, &c->re, m, sizeof(m));
		snprintf(err, errlen, "bad regular expression '%s': %s", re,
		    m);
		return -1;
	}
	c->has_re = 1;
	return 0;
}

/* the value typed after an operator: a JSON scalar if it is one */
static json_t *
typed_value(const char *s)
{
	json_t *v;

	v = bignum_loads(s, JSON_DECODE_ANY, NULL);
	if (bignum_text(v, NULL) != NULL)
		return v;
	if (v != NULL && (json_is_number(v) || json_is_boolean(v) ||
	    json_is_null(v) || (json_is_string(v) && *s == '"')))
		return v;
	json_decref(v);
	return json_string(s);
}

struct rules_cond *
rules_where(const char *s, char *err, size_t errlen)
{
	const char *p = s, *opend;
	char *pathtext;
	struct rules_cond *c;
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
	if (op == C_RE || op == C_NRE) {
		if (set_regex(c, opend, err, errlen) < 0)
			goto bad;
	} else if ((c->val = typed_value(opend)) == NULL) {
		snprintf(err, errlen, "condition '%s': value is not valid "
		    "UTF-8", s);
		goto bad;
	}
path:
	if (path_compile(pathtext, &c->path, err, errlen) < 0)
		goto bad;
	free(pathtext);
	return c;
bad:
	free(pathtext);
	rules_cond_free(c);
	return NULL;
}

/* s has no character JSON could write in more than one way */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    *s == '"' || *s == '\\' || *s == '/')
			return 0;
	return 1;
}

static char *
quoted(const char *s)
{
	size_t n = strlen(s) + 3;
	char *q = xmalloc(n);

	snprintf(q, n, "\"%s\"", s);
	return q;
}

char *
rules_literal(const struct rules_cond *c)
{
	const char *key = NULL;
	size_t i;

	if (c->op == C_EQ && bignum_text(c->val, NULL) != NULL)
		return xstrdup(bignum_text(c->val, NULL));
	if (c->op == C_EQ && json_is_string(c->val)) {
		if (json_string_length(c->val) == 0 ||
		    !plain_ascii(json_string_value(c->val)))
			return NULL;
		return quoted(json_string_value(c->val));
	}
	if (c->op == C_EQ && json_is_boolean(c->val))
		return xstrdup(json_is_true(c->val) ? "true" : "false");
	if (c->op != C_EQ && c->op != C_RE && c->op != C_EXISTS &&
	    c->op != C_LT && c->op != C_LE && c->op != C_GT && c->op != C_GE)
		return NULL;
	/* the field's last key name must be in the line */
	for (i = 0; i < c->path.n; i++)
		if (c->path.seg[i].key != NULL)
			key = c->path.seg[i].key;
	if (key == NULL || *key == '\0' || !plain_ascii(key))
		return NULL;
	return quoted(key);
}

/* ---- rules files ---- */

static struct rules_cond *compile_when(struct rctx *x, const json_t *w);

static const struct {
	const char *name;
	enum cop op;
} tests[] = {
	{"regex", C_RE}, {"exists", C_EXISTS}, {"eq", C_EQ}, {"ne", C_NE},
	{"gt", C_GT}, {"ge", C_GE}, {"lt", C_LT}, {"le", C_LE}
};

static struct rules_cond *
compile_test(struct rctx *x, const char *key, const char *name,
    const json_t *v)
{
	struct rules_cond *k;
	char err[512];
	size_t i;

	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		if (strcmp(name, tests[i].name) == 0)
			break;
	if (i == sizeof(tests) / sizeof(tests[0])) {
		rerr(x, v, "'%s': unknown test '%s' (regex, exists, eq, ne, "
		    "gt, ge, lt, le)", key, name);
		return NULL;
	}
	k = new_cond(tests[i].op);
	if (path_compile(key, &k->path, err, sizeof(err)) < 0) {
		rerr(x, v, "%s", err);
		goto bad;
	}
	switch (k->op) {
	case C_RE:
		if (!json_is_string(v)) {
			rerr(x, v, "'%s': regex must be a string", key);
			goto bad;
		}
		if (set_regex(k, json_string_value(v), err, sizeof(err)) < 0) {
			rerr(x, v, "%s", err);
			goto bad;
		}
		break;
	case C_EXISTS:
		if (!json_is_boolean(v)) {
			rerr(x, v, "'%s': exists takes true or false", key);
			goto bad;
		}
		if (json_is_false(v))
			k->op = C_MISSING;
		break;
	case C_GT: case C_GE: case C_LT: case C_LE:
		if (!json_is_number(v) && !json_is_string(v)) {
			rerr(x, v, "'%s': %s needs a number or a string", key,
			    name);
			goto bad;
		}
		/* FALLTHROUGH */
	default:
		k->val = json_incref((json_t *)v);
	}
	return k;
bad:
	rules_cond_free(k);
	return NULL;
}

/* one "path: spec" of a when mapping */
static struct rules_cond *
compile_field(struct rctx *x, const char *key, const json_t *spec)
{
	struct rules_cond *c, *k;
	char err[512];
	const char *name;
	json_t *v;
	size_t i;

	if (json_is_array(spec)) {
		c = new_cond(C_ANY);
		json_array_foreach(spec, i, v) {
			if ((k = compile_field(x, key, v)) == NULL)
				goto bad;
			add_kid(c, k);
		}
		if (c->n == 0) {
			rerr(x, spec, "'%s': empty list of values", key);
			goto bad;
		}
		return c;
	}
	if (!json_is_object(spec)) {
		c = new_cond(C_EQ);
		if (path_compile(key, &c->path, err, sizeof(err)) < 0) {
			rerr(x, spec, "%s", err);
			goto bad;
		}
		c->val = json_incref((json_t *)spec);
		return c;
	}
	c = new_cond(C_ALL);
	json_object_foreach((json_t *)spec, name, v) {
		if ((k = compile_test(x, key, name, v)) == NULL)
			goto bad;
		add_kid(c, k);
	}
	if (c->n == 0) {
		rerr(x, spec, "'%s': empty test", key);
		goto bad;
	}
	return c;
bad:
	rules_cond_free(c);
	return NULL;
}

static struct rules_cond *
compile_list(struct rctx *x, enum cop op, const json_t *list,
    const char *what)
{
	struct rules_cond *c, *k;
	json_t *v;
	size_t i;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		rerr(x, list, "'%s' takes a list of conditions", what);
		return NULL;
	}
	c = new_cond(op);
	json_array_foreach(list, i, v) {
		if ((k = compile_when(x, v)) == NULL) {
			rules_cond_free(c);
			return NULL;
		}
		add_kid(c, k);
	}
	return c;
}

static struct rules_cond *
compile_when(struct rctx *x, const json_t *w)
{
	struct rules_cond *c, *k;
	const char *key;
	json_t *v;

	if (!json_is_object(w)) {
		rerr(x, w, "a condition must be a mapping of field paths to "
		    "values");
		return NULL;
	}
	c = new_cond(C_ALL);
	json_object_foreach((json_t *)w, key, v) {
		if (strcmp(key, "any") == 0)
			k = compile_list(x, C_ANY, v, key);
		else if (strcmp(key, "all") == 0)
			k = compile_list(x, C_ALL, v, key);
		else if (strcmp(key, "not") == 0) {
			struct rules_cond *n = compile_when(x, v);

			k = NULL;
			if (n != NULL) {
				k = new_cond(C_NOT);
				add_kid(k, n);
			}
		} else
			k = compile_field(x, key, v);
		if (k == NULL) {
			rules_cond_free(c);
			return NULL;
		}
		add_kid(c, k);
	}
	return c;
}

static void
free_route(struct rules_route *rt)
{
	size_t i;

	free(rt->name);
	rules_cond_free(rt->when);
	for (i = 0; i < rt->nset; i++) {
		path_free(&rt->setp[i]);
		jtmpl_free(rt->setv[i]);
	}
	free(rt->setp);
	free(rt->setv);
	free(rt->target);
	tmpl_free(rt->remember);
	jtmpl_free(rt->rvalue);
	tmpl_free(rt->recall);
	path_free(&rt->recall_as);
}

void
rules_free(struct rules *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free_route(&r->route[i]);
	free(r->route);
	free(r->state);
	memset(r, 0, sizeof(*r));
}

static int
load_set(struct rctx *x, struct rules_route *rt, const json_t *v)
{
	const char *k;
	json_t *sv;
	char err[1024];

	if (!json_is_object(v))
		return rerr(x, v, "route '%s': set takes a mapping of field "
		    "paths to templates", rt->name);
	rt->setp = xcalloc(json_object_size(v) + 1, sizeof(*rt->setp));
	rt->setv = xcalloc(json_object_size(v) + 1, sizeof(*rt->setv));
	json_object_foreach((json_t *)v, k, sv) {
		if (path_compile(k, &rt->setp[rt->nset], err,
		    sizeof(err)) < 0)
			return rerr(x, sv, "route '%s': %s", rt->name, err);
		if ((rt->setv[rt->nset] = jtmpl_compile(sv, err,
		    sizeof(err))) == NULL) {
			path_free(&rt->setp[rt->nset]);
			return rerr(x, sv, "route '%s': %s", rt->name, err);
		}
		rt->nset++;
		if (rt->setp[rt->nset - 1].n == 0)
			return rerr(x, sv, "route '%s': cannot set the whole "
			    "record", rt->name);
	}
	return 0;
}

/* a key template from a mapping's "key" */
static struct tmpl *
key_tmpl(struct rctx *x, struct rules_route *rt, const json_t *v,
    const char *what)
{
	json_t *k = json_object_get(v, "key");
	struct tmpl *t;
	char err[1024];

	if (!json_is_string(k) || json_string_length(k) == 0) {
		rerr(x, v, "route '%s': %s needs a key template", rt->name,
		    what);
		return NULL;
	}
	if ((t = tmpl_compile(json_string_value(k), err, sizeof(err))) ==
	    NULL)
		rerr(x, k, "route '%s': %s", rt->name, err);
	return t;
}

static int
only_keys(struct rctx *x, const json_t *v, const char *what,
    const char *const *keys)
{
	const char *k;
	json_t *kv;
	size_t i;

	if (!json_is_object(v))
		return rerr(x, v, "%s takes a mapping", what);
	json_object_foreach((json_t *)v, k, kv) {
		for (i = 0; keys[i] != NULL; i++)
			if (strcmp(k, keys[i]) == 0)
				break;
		if (keys[i] == NULL)
			return rerr(x, kv, "%s: unknown key '%s'", what, k);
	}
	return 0;
}

static int
load_remember(struct rctx *x, struct rules_route *rt, const json_t *v)
{
	static const char *const keys[] = { "key", "value", "ttl", NULL };
	char err[1024];
	json_t *t;

	if (only_keys(x, v, "remember", keys) < 0)
		return -1;
	if ((rt->remember = key_tmpl(x, rt, v, "remember")) == NULL)
		return -1;
	t = json_object_get(v, "value");
	if (t == NULL)
		t = json_string("{.}");
	else
		json_incref(t);
	rt->rvalue = jtmpl_compile(t, err, sizeof(err));
	json_decref(t);
	if (rt->rvalue == NULL)
		return rerr(x, v, "route '%s': %s", rt->name, err);
	rt->ttl = RULES_TTL;
	if ((t = json_object_get(v, "ttl")) != NULL) {
		if (!json_is_integer(t) || json_integer_value(t) <= 0)
			return rerr(x, t, "route '%s': ttl takes a number of "
			    "seconds", rt->name);
		rt->ttl = (long)json_integer_value(t);
	}
	return 0;
}

static int
load_recall(struct rctx *x, struct rules_route *rt, const json_t *v)
{
	static const char *const keys[] = { "key", "as", "forget", NULL };
	char err[1024];
	json_t *t;

	if (only_keys(x, v, "recall", keys) < 0)
		return -1;
	if ((rt->recall = key_tmpl(x, rt, v, "recall")) == NULL)
		return -1;
	t = json_object_get(v, "as");
	if (t != NULL && !json_is_string(t))
		return rerr(x, t, "route '%s': as takes a field path",
		    rt->name);
	if (path_compile(t ? json_string_value(t) : "recalled",
	    &rt->recall_as, err, sizeof(err)) < 0)
		return rerr(x, t, "route '%s': as: %s", rt->name, err);
	if (rt->recall_as.n == 0)
		return rerr(x, t, "route '%s': as: cannot replace the whole "
		    "record", rt->name);
	t = json_object_get(v, "forget");
	if (t != NULL && !json_is_boolean(t))
		return rerr(x, t, "route '%s': forget takes true or false",
		    rt->name);
	rt->forget = json_is_true(t);
	return 0;
}

static int
load_route(struct rctx *x, struct rules *r, size_t i, const json_t *j)
{
	struct rules_route *rt = &r->route[r->n];
	static const char *const keys[] = {
		"name", "when", "set", "to", "run", "continue", "remember",
		"recall"
	};
	const char *k;
	json_t *v;
	size_t n;

	if (!json_is_object(j))
		return rerr(x, j, "a route must be a mapping");
	rt->line = conf_line(j);
	json_object_foreach((json_t *)j, k, v) {
		for (n = 0; n < sizeof(keys) / sizeof(keys[0]); n++)
			if (strcmp(k, keys[n]) == 0)
				break;
		if (n == sizeof(keys) / sizeof(keys[0]))
			return rerr(x, v, "unknown key '%s' (name, when, set, "
			    "to, run, continue, remember, recall)", k);
	}
	v = json_object_get(j, "name");
	if (!json_is_string(v) || json_string_length(v) == 0)
		return rerr(x, j, "route %zu has no name", i + 1);
	if (json_object_get(x->names, json_string_value(v)) != NULL)
		return rerr(x, v, "route name '%s' used twice",
		    json_string_value(v));
	json_object_set_new(x->names, json_string_value(v), json_true());
	/* counted from here on, so rules_free() frees what follows */
	rt->name = xstrdup(json_string_value(v));
	r->n++;
	v = json_object_get(j, "when");
	if (v == NULL)
		rt->when = new_cond(C_TRUE);
	else if ((rt->when = compile_when(x, v)) == NULL)
		return -1;
	if ((v = json_object_get(j, "set")) != NULL && load_set(x, rt, v) < 0)
		return -1;
	if ((v = json_object_get(j, "remember")) != NULL &&
	    load_remember(x, rt, v) < 0)
		return -1;
	if ((v = json_object_get(j, "recall")) != NULL &&
	    load_recall(x, rt, v) < 0)
		return -1;
	v = json_object_get(j, "continue");
	if (v != NULL && !json_is_boolean(v))
		return rerr(x, v, "continue takes true or false");
	rt->cont = json_is_true(v);
	if (json_object_get(j, "to") && json_object_get(j, "run"))
		return rerr(x, j, "route '%s' has both to and run", rt->name);
	rt->dest = RULES_STDOUT;
	if ((v = json_object_get(j, "to")) != NULL ||
	    (v = json_object_get(j, "run")) != NULL) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return rerr(x, v, "route '%s': to/run takes a file "
			    "name or a command", rt->name);
		rt->target = xstrdup(json_string_value(v));
		rt->dest = json_object_get(j, "to") ? RULES_FILE : RULES_RUN;
	}
	return 0;
}

static int
load_doc(struct rctx *x, const json_t *doc, struct rules *r)
{
	const json_t *list = doc;
	const char *k, *d;
	json_t *v;
	size_t i;

	if (json_is_object(doc)) {
		json_object_foreach((json_t *)doc, k, v)
			if (strcmp(k, "routes") != 0 &&
			    strcmp(k, "default") != 0 &&
			    strcmp(k, "state") != 0)
				return rerr(x, v, "unknown key '%s' (routes, "
				    "default, state)", k);
		if ((v = json_object_get(doc, "state")) != NULL) {
			if (!json_is_string(v) || json_string_length(v) == 0)
				return rerr(x, v, "state takes a file name");
			r->state = xstrdup(json_string_value(v));
		}
		list = json_object_get(doc, "routes");
		if ((v = json_object_get(doc, "default")) != NULL) {
			d = json_is_string(v) ? json_string_value(v) : "";
			if (strcmp(d, "drop") == 0)
				r->dflt = RULES_DEF_DROP;
			else if (strcmp(d, "stdout") == 0)
				r->dflt = RULES_DEF_STDOUT;
			else if (strcmp(d, "error") == 0)
				r->dflt = RULES_DEF_ERROR;
			else
				return rerr(x, v, "default must be drop, "
				    "stdout or error");
		}
	}
	if (!json_is_array(list))
		return rerr(x, list ? list : doc, "expected a list of routes "
		    "(or a mapping with 'routes:')");
	r->route = xcalloc(json_array_size(list) + 1, sizeof(*r->route));
	x->names = json_object();
	json_array_foreach(list, i, v)
		if (load_route(x, r, i, v) < 0)
			break;
	json_decref(x->names);
	x->names = NULL;
	return i < json_array_size(list) ? -1 : 0;
}

int
rules_loads(const char *text, size_t len, const char *name, struct rules *r,
    char *err, size_t errlen)
{
	struct rctx x = { name, err, errlen, NULL };
	json_t *doc;
	int rc;

	memset(r, 0, sizeof(*r));
	if (conf_loads(text, len, name, &doc, err, errlen) < 0)
		return -1;
	rc = load_doc(&x, doc, r);
	json_decref(doc);
	if (rc < 0)
		rules_free(r);
	return rc;
}

int
rules_load(const char *file, struct rules *r, char *err, size_t errlen)
{
	struct rctx x = { file, err, errlen, NULL };
	json_t *doc;
	int rc;

	memset(r, 0, sizeof(*r));
	if (conf_load(file, &doc, err, errlen) < 0)
		return -1;
	rc = load_doc(&x, doc, r);
	json_decref(doc);
	if (rc < 0)
		rules_free(r);
	return rc;
}

int
rules_set(const struct rules_route *rt, json_t *in, json_t *out, char *err,
    size_t errlen)
{
	size_t j;
	json_t *v;

	for (j = 0; j < rt->nset; j++) {
		if ((v = jtmpl_render(rt->setv[j], in, err, errlen)) == NULL)
			return -1;
		if (path_set(&rt->setp[j], out, v) < 0) {
			snprintf(err, errlen, "route %s: cannot set %s: a step "
			    "on the way is not an object", rt->name,
			    rt->setp[j].text);
			return -1;
		}
	}
	return 0;
}
