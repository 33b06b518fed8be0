/* bignum: numbers jansson cannot hold (beyond 64 bits, past a double's
 * range) kept as their exact text through parse, use and dump */
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "xmem.h"

#define MARK_ESC	"\\u0000"	/* a marker's NUL as jansson dumps it */
#define MARK_ADDED	8		/* "\u0000 and " around a token */

/* whether this process made a marker: until then dumps need no pass */
static atomic_int seen;

static int
isdig(char c)
{
	return c >= '0' && c <= '9';
}

/* the length of the JSON number that starts s, or 0 */
static size_t
numlen(const char *s, size_t n)
{
	size_t i = 0, d;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i < n && s[i] >= '1' && s[i] <= '9')
		while (i < n && isdig(s[i]))
			i++;
	else
		return 0;
	if (i + 1 < n && s[i] == '.' && isdig(s[i + 1]))
		for (i += 2; i < n && isdig(s[i]); i++)
			;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		d = i + 1;
		if (d < n && (s[d] == '+' || s[d] == '-'))
			d++;
		if (d < n && isdig(s[d]))
			for (i = d + 1; i < n && isdig(s[i]); i++)
				;
	}
	return i;
}

const char *
bignum_text(const json_t *v, size_t *len)
{
	const char *s;
	size_t n;

	if (!json_is_string(v) || (n = json_string_length(v)) < 2)
		return NULL;
	s = json_string_value(v);
	if (s[0] != '\0' || numlen(s + 1, n - 1) != n - 1)
		return NULL;
	if (len != NULL)
		*len = n - 1;
	return s + 1;
}

/* whether jansson refuses the number token t as too big (as it checks) */
static int
too_big(const char *t, size_t n)
{
	char small[64], *s = n < sizeof(small) ? small : xmalloc(n + 1);
	int big;

	memcpy(s, t, n);
	s[n] = '\0';
	errno = 0;
	if (strpbrk(s, ".eE") != NULL) {
		double d = strtod(s, NULL);

		big = errno == ERANGE && isinf(d);
	} else {
		(void)strtoll(s, NULL, 10);
		big = errno == ERANGE;
	}
	if (s != small)
		free(s);
	return big;
}

/*
 * p with each too-big number token turned into a marker string, in out
 * (or into 0 when zero is set); where[] gets each marker's offset in out.
 * Returns the marker count.
 */
static size_t
rewrite(const char *p, size_t n, struct buf *out, size_t **where, int zero)
{
	size_t i = 0, run = 0, k, nw = 0;

	while (i < n) {
		if (p[i] == '"') {
			for (i++; i < n && p[i] != '"'; i += p[i] == '\\' ? 2 : 1)
				;
			i++;
			continue;
		}
		if ((p[i] != '-' && !isdig(p[i])) ||
		    (k = numlen(p + i, n - i)) == 0) {
			i++;
			continue;
		}
		if (too_big(p + i, k)) {
			buf_add(out, p + run, i - run);
			*where = xrealloc(*where, (nw + 1) * sizeof(**where));
			(*where)[nw++] = out->len;
			if (zero)
				buf_addc(out, '0');
			else {
				buf_adds(out, "\"" MARK_ESC);
				buf_add(out, p + i, k);
				buf_addc(out, '"');
			}
			run = i + k;
		}
		i += k;
	}
	if (run < n)
		buf_add(out, p + run, n - run);
	return nw;
}

/* an error in the rewritten text, placed back in the caller's text */
static void
unplace(json_error_t *je, const struct buf *b, const size_t *where, size_t nw)
{
	size_t i, pos = je->position > 0 ? (size_t)je->position : 0, sol;
	int before = 0, online = 0;

	for (sol = pos < b->len ? pos : b->len; sol > 0 && b->p[sol - 1] !=
	    '\n'; sol--)
		;
	for (i = 0; i < nw && where[i] < pos; i++) {
		before++;
		online += where[i] >= sol;
	}
	je->position -= MARK_ADDED * before;
	if (je->column > 0)
		je->column -= MARK_ADDED * online;
}

static size_t
count_markers(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i, n = 0;

	if (json_is_object(v))
		json_object_foreach(v, k, x)
			n += count_markers(x);
	else if (json_is_array(v))
		json_array_foreach(v, i, x)
			n += count_markers(x);
	else
		n = bignum_text(v, NULL) != NULL;
	return n;
}

/*
 * How many strings of p that look like markers are in v, the tree made of
 * p with nw markers.  Counted in p parsed with each big number as 0, the
 * same tree but for those numbers: a duplicate key that replaces a marker
 * with such a string cannot pass for the marker it replaced.
 */
static size_t
fake_markers(const char *p, size_t n, json_t *v, size_t nw, size_t flags)
{
	struct buf z = {0};
	size_t *where = NULL, fake = 1;
	json_t *zv;

	if (nw == 0)
		return count_markers(v);
	rewrite(p, n, &z, &where, 1);
	if ((zv = json_loadb(z.p, z.len, flags, NULL)) != NULL) {
		fake = count_markers(zv);
		json_decref(zv);
	}
	buf_free(&z);
	free(where);
	return fake;
}

json_t *
bignum_loadb(const char *p, size_t n, size_t flags, json_error_t *je)
{
	struct buf b = {0};
	size_t *where = NULL, nw = 0;
	json_error_t mine;
	json_t *v;

	if (je == NULL)
		je = &mine;
	flags |= JSON_ALLOW_NUL;
	v = json_loadb(p, n, flags, je);
	if (v == NULL && json_error_code(je) == json_error_numeric_overflow &&
	    (nw = rewrite(p, n, &b, &where, 0)) > 0) {
		if ((v = json_loadb(b.p, b.len, flags, je)) == NULL)
			unplace(je, &b, where, nw);
		else
			atomic_store(&seen, 1);
	}
	/* only an escaped NUL can make a string that looks like a marker */
	if (v != NULL && memmem(p, n, MARK_ESC, 6) != NULL &&
	    fake_markers(p, n, v, nw, flags) != 0) {
		json_decref(v);
		v = NULL;
		memset(je, 0, sizeof(*je));
		je->line = -1;
		snprintf(je->text, sizeof(je->text), "a string of \\u0000 "
		    "and a number, which stands for a big number here");
	}
	buf_free(&b);
	free(where);
	return v;
}

json_t *
bignum_loads(const char *s, size_t flags, json_error_t *je)
{
	return bignum_loadb(s, strlen(s), flags, je);
}

json_t *
bignum_body(const char *p, size_t n)
{
	json_t *v = bignum_loadb(p, n, 0, NULL);

	return v != NULL ? v : json_stringn(p, n);
}

/* whether the string that ends before s[i] is an object's key */
static int
is_key(const char *s, size_t n, size_t i)
{
	while (i < n && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	return i < n && s[i] == ':';
}

/* s as dumped by jansson, each marker value written as its bare number */
static int
unmark(const char *s, size_t n, json_dump_callback_t cb, void *arg)
{
	size_t i = 0, run = 0, j, k;

	while (i < n) {
		if (s[i] != '"') {
			i++;
			continue;
		}
		/* outside strings, a quote opens one */
		if (n - i > 8 && memcmp(s + i + 1, MARK_ESC, 6) == 0 &&
		    (k = numlen(s + i + 7, n - i - 7)) > 0 &&
		    i + 7 + k < n && s[i + 7 + k] == '"' &&
		    !is_key(s, n, i + 8 + k)) {
			if (cb(s + run, i - run, arg) < 0 ||
			    cb(s + i + 7, k, arg) < 0)
				return -1;
			i += 8 + k;
			run = i;
			continue;
		}
		for (j = i + 1; j < n && s[j] != '"'; j += s[j] == '\\' ? 2 : 1)
			;
		i = j + 1;
	}
	return run < n ? cb(s + run, n - run, arg) : 0;
}

static int
to_buf(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

int
bignum_real_text(double d, char *t, size_t tn)
{
	char *e;
	int n = 0, prec;
	size_t i, j;

	/* the first of 15, 16, 17 digits that reads back as d (15 give
	 * the shortest form of a normal double that has one) */
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(t, tn, "%.*g", prec, d);
		if (n < 0 || (size_t)n >= tn)
			return -1;
		if (strtod(t, NULL) == d)
			break;
	}
	/* as jansson writes reals: "1e300" not "1e+300", "-0.0" not "-0" */
	if ((e = strchr(t, 'e')) != NULL) {
		j = e - t + 1;
		i = j;
		if (t[i] == '-')
			t[j++] = t[i++];
		else if (t[i] == '+')
			i++;
		while (t[i] == '0' && t[i + 1] != '\0')
			i++;
		memmove(t + j, t + i, strlen(t + i) + 1);
		n = strlen(t);
	} else if (strchr(t, '.') == NULL) {
		if ((size_t)n + 2 >= tn)
			return -1;
		memcpy(t + n, ".0", 3);
		n += 2;
	}
	return n;
}

/*
 * Between jansson and the caller: jansson writes a real with 17 digits
 * (21.7 as 21.699999999999999); this writes the shortest text that
 * reads back as the same double, as the input most likely had it.
 * jansson hands each real over as one piece, and a string's quotes as
 * pieces of their own ("\"" inside one is two characters).
 */
struct realfix {
	json_dump_callback_t cb;
	void *arg;
	int in_string;
};

static int
real_cb(const char *p, size_t n, void *arg)
{
	struct realfix *f = arg;
	char t[40], *end;
	double d;
	int tn;

	if (n == 1 && p[0] == '"')
		f->in_string = !f->in_string;
	else if (!f->in_string && n < sizeof(t) && n > 0 &&
	    (p[0] == '-' || isdig(p[0])) &&
	    (memchr(p, '.', n) != NULL || memchr(p, 'e', n) != NULL)) {
		memcpy(t, p, n);
		t[n] = '\0';
		d = strtod(t, &end);
		if (end == t + n && (tn = bignum_real_text(d, t,
		    sizeof(t))) > 0)
			return f->cb(t, tn, f->arg);
	}
	return f->cb(p, n, f->arg);
}

int
bignum_dump(const json_t *v, size_t flags, json_dump_callback_t cb,
    void *arg)
{
	struct buf b = {0};
	struct realfix f = { cb, arg, 0 };
	int rc;

	if (!atomic_load(&seen))
		return json_dump_callback(v, real_cb, &f, flags);
	f.cb = to_buf;
	f.arg = &b;
	if ((rc = json_dump_callback(v, real_cb, &f, flags)) == 0)
		rc = unmark(b.p ? b.p : "", b.len, cb, arg);
	buf_free(&b);
	return rc;
}

char *
bignum_dumps(const json_t *v, size_t flags)
{
	struct buf b = {0};

	if (bignum_dump(v, flags, to_buf, &b) < 0) {
		buf_free(&b);
		return NULL;
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return b.p;
}
