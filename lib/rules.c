/* rules: rules files (hookpipe(5)): routes and their "when:" conditions */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "rules_impl.h"
#include "xmem.h"

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

/* ---- when: conditions ---- */

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
	k = rules_new_cond(tests[i].op);
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
		if (rules_set_regex(k, json_string_value(v), err,
		    sizeof(err)) < 0) {
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
		c = rules_new_cond(C_ANY);
		json_array_foreach(spec, i, v) {
			if ((k = compile_field(x, key, v)) == NULL)
				goto bad;
			rules_add_kid(c, k);
		}
		if (c->n == 0) {
			rerr(x, spec, "'%s': empty list of values", key);
			goto bad;
		}
		return c;
	}
	if (!json_is_object(spec)) {
		c = rules_new_cond(C_EQ);
		if (path_compile(key, &c->path, err, sizeof(err)) < 0) {
			rerr(x, spec, "%s", err);
			goto bad;
		}
		c->val = json_incref((json_t *)spec);
		return c;
	}
	c = rules_new_cond(C_ALL);
	json_object_foreach((json_t *)spec, name, v) {
		if ((k = compile_test(x, key, name, v)) == NULL)
			goto bad;
		rules_add_kid(c, k);
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
	c = rules_new_cond(op);
	json_array_foreach(list, i, v) {
		if ((k = compile_when(x, v)) == NULL) {
			rules_cond_free(c);
			return NULL;
		}
		rules_add_kid(c, k);
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
	c = rules_new_cond(C_ALL);
	json_object_foreach((json_t *)w, key, v) {
		if (strcmp(key, "any") == 0)
			k = compile_list(x, C_ANY, v, key);
		else if (strcmp(key, "all") == 0)
			k = compile_list(x, C_ALL, v, key);
		else if (strcmp(key, "not") == 0) {
			struct rules_cond *n = compile_when(x, v);

			k = NULL;
			if (n != NULL) {
				k = rules_new_cond(C_NOT);
				rules_add_kid(k, n);
			}
		} else
			k = compile_field(x, key, v);
		if (k == NULL) {
			rules_cond_free(c);
			return NULL;
		}
		rules_add_kid(c, k);
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

/* what (remember, recall): a mapping of keys only, and the key template
 * from its "key" */
static struct tmpl *
key_tmpl(struct rctx *x, struct rules_route *rt, const json_t *v,
    const char *what, const char *const *keys)
{
	json_t *k;
	struct tmpl *t;
	char err[1024];

	if (only_keys(x, v, what, keys) < 0)
		return NULL;
	k = json_object_get(v, "key");
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
load_remember(struct rctx *x, struct rules_route *rt, const json_t *v)
{
	static const char *const keys[] = { "key", "value", "ttl", NULL };
	char err[1024];
	json_t *t;

	if ((rt->remember = key_tmpl(x, rt, v, "remember", keys)) == NULL)
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

	if ((rt->recall = key_tmpl(x, rt, v, "recall", keys)) == NULL)
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
		rt->when = rules_new_cond(C_TRUE);
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
