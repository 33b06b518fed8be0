/* rulesmatch: whether a record satisfies a condition, and what a
 * condition tells about the lines it can match */
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "rules_impl.h"

/* ---- matching ---- */

/*
 * A number as JSON text in t[64]; 1, or 0 if it does not fit.  Into the
 * caller's buffer: wh-route gives jansson an arena, so what json_dumps
 * returns is no malloc()'s to free().
 */
static int
num_text(json_t *v, char *t)
{
	size_t n;

	if (json_is_real(v))
		return bignum_real_text(json_real_value(v), t, 64) > 0;
	n = json_dumpb(v, t, 63, JSON_ENCODE_ANY);
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

/* ---- what a matching line contains ---- */

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
