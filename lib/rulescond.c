/* rulescond: condition trees: making and freeing them, regular
 * expressions, and wh-route's -w text form */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "rules_impl.h"
#include "xmem.h"

struct rules_cond *
rules_new_cond(enum cop op)
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

void
rules_add_kid(struct rules_cond *c, struct rules_cond *k)
{
	c->kid = xrealloc(c->kid, (c->n + 1) * sizeof(*c->kid));
	c->kid[c->n++] = k;
}

/* ---- regular expressions ---- */

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

int
rules_set_regex(struct rules_cond *c, const char *re, char *err,
    size_t errlen)
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

/* ---- -w conditions ---- */

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
			c = rules_new_cond(C_EXISTS);
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
	c = rules_new_cond(op);
	pathtext = xstrndup(s, (size_t)(p - s));
	if (op == C_RE || op == C_NRE) {
		if (rules_set_regex(c, opend, err, errlen) < 0)
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
