/* jscan: check a line is one valid JSON object and find the values at a
 * few field paths in one pass, without building a tree */
#include <errno.h>
#include <float.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "bignum.h"
#include "jscan.h"
#include "xmem.h"

/*
 * The paths form a trie: node 0 is the record, each other node one step
 * (a key, or an array index >= 0) below its parent.  A node holds where
 * its value was found in the current line; gen says which line.
 */
struct node {
	const char *key;	/* NULL: an array index */
	size_t keylen;
	long index;
	int kid, next;		/* first child, next sibling; -1 for none */
	unsigned long gen;	/* the line it was found in */
	size_t start, end;	/* its bytes in that line */
	json_t *val;		/* its value, made when asked for */
	unsigned long vgen;
};

struct slot {
	const struct path *p;
	int node;
	size_t k;		/* segments the trie took; the rest by path_get */
};

struct frame {
	int node;		/* the container's node, or -1 */
	int obj;
	long idx;		/* the element being read, in an array */
};

struct jscan {
	struct node *node;
	size_t nnode;
	struct slot *slot;
	size_t nslot;
	struct frame stack[JSCAN_MAX_DEPTH];
	unsigned long gen;
	const char *line;
	size_t len;
	struct buf tmp;		/* an escaped key, decoded */
	const char *why;	/* the error, for jscan_line */
	int nul;		/* the line had a \u0000 escape */
};

struct jscan *
jscan_new(void)
{
	struct jscan *s = xcalloc(1, sizeof(*s));

	s->node = xcalloc(1, sizeof(*s->node));
	s->node[0].kid = s->node[0].next = -1;
	s->nnode = 1;
	return s;
}

void
jscan_free(struct jscan *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nnode; i++)
		json_decref(s->node[i].val);
	free(s->node);
	free(s->slot);
	buf_free(&s->tmp);
	free(s);
}

/* the child of n for seg, made if there is none */
static int
child(struct jscan *s, int n, const struct path_seg *seg)
{
	struct node *k;
	int c;

	for (c = s->node[n].kid; c >= 0; c = s->node[c].next) {
		k = &s->node[c];
		if (seg->key == NULL ? k->key == NULL && k->index == seg->index
		    : k->key != NULL && strcmp(k->key, seg->key) == 0)
			return c;
	}
	s->node = xrealloc(s->node, (s->nnode + 1) * sizeof(*s->node));
	k = &s->node[s->nnode];
	memset(k, 0, sizeof(*k));
	k->key = seg->key;
	k->keylen = seg->key != NULL ? strlen(seg->key) : 0;
	k->index = seg->index;
	k->kid = -1;
	k->next = s->node[n].kid;
	s->node[n].kid = (int)s->nnode;
	return (int)s->nnode++;
}

int
jscan_add(struct jscan *s, const struct path *p)
{
	size_t i, k;
	int n = 0;

	for (i = 0; i < s->nslot; i++)
		if (s->slot[i].p == p)
			return (int)i;
	/* a negative index needs the array's length: jansson does the rest */
	for (k = 0; k < p->n; k++) {
		if (p->seg[k].key == NULL && p->seg[k].index < 0)
			break;
		n = child(s, n, &p->seg[k]);
	}
	s->slot = xrealloc(s->slot, (s->nslot + 1) * sizeof(*s->slot));
	s->slot[s->nslot].p = p;
	s->slot[s->nslot].node = n;
	s->slot[s->nslot].k = k;
	return (int)s->nslot++;
}

/* ---- the scan ---- */

/* a value starts at node n: a key seen twice drops what the first had */
static void
forget(struct jscan *s, int n)
{
	int c;

	for (c = s->node[n].kid; c >= 0; c = s->node[c].next) {
		s->node[c].gen = 0;
		forget(s, c);
	}
}

static void
begin(struct jscan *s, int n, const char *p)
{
	struct node *k = &s->node[n];

	if (k->gen == s->gen)
		forget(s, n);
	k->gen = s->gen;
	k->start = (size_t)(p - s->line);
}

static inline const char *
ws(const char *p, const char *end)
{
	if (p < end && (unsigned char)*p > ' ')
		return p;	/* compact JSON: the usual case */
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' ||
	    *p == '\n'))
		p++;
	return p;
}

/* skip the bytes a string holds as they are: not '"', '\\', < 0x20 or
 * >= 0x80 */
static inline const char *
plain(const char *p, const char *end)
{
#ifdef __SSE2__
	const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\');
	const __m128i sp = _mm_set1_epi8(' ');
	__m128i v, m;
	int mask;

	while (end - p >= 16) {
		v = _mm_loadu_si128((const __m128i *)(const void *)p);
		/* signed: bytes >= 0x80 are below ' ' too */
		m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, q),
		    _mm_cmpeq_epi8(v, bs)), _mm_cmplt_epi8(v, sp));
		if ((mask = _mm_movemask_epi8(m)) != 0)
			return p + __builtin_ctz((unsigned)mask);
		p += 16;
	}
#endif
	while (p < end && (unsigned char)*p >= 0x20 && *p != '"' &&
	    *p != '\\' && (unsigned char)*p < 0x80)
		p++;
	return p;
}

const char *
jscan_plain(const char *p, const char *end)
{
	return plain(p, end);
}

/* the length of the UTF-8 sequence at p (RFC 3629: no overlong form, no
 * surrogate, nothing past U+10FFFF), or 0 */
static size_t
utf8(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0], lo, hi;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
	hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xBF)
			return 0;
	return n;
}

static long
hex4(const char *p, const char *end)
{
	long v = 0;
	int i, d;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			d = p[i] - '0';
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			d = (p[i] | 0x20) - 'a' + 10;
		else
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* a \u escape at p (after "\u"): its end, or NULL; *cp the code point */
static const char *
uescape(struct jscan *s, const char *p, const char *end, long *cp)
{
	long v = hex4(p, end), w;

	if (v < 0) {
		s->why = "invalid escape";
		return NULL;
	}
	p += 4;
	if (v >= 0xDC00 && v <= 0xDFFF) {
		s->why = "invalid Unicode escape (lone low surrogate)";
		return NULL;
	}
	if (v >= 0xD800 && v <= 0xDBFF) {
		if (end - p < 2 || p[0] != '\\' || p[1] != 'u' ||
		    (w = hex4(p + 2, end)) < 0xDC00 || w > 0xDFFF) {
			s->why = "invalid Unicode escape (lone high surrogate)";
			return NULL;
		}
		v = ((v - 0xD800) << 10) + (w - 0xDC00) + 0x10000;
		p += 6;
	}
	*cp = v;
	return p;
}

/* the rest of a string from p, at its first escape or non-ASCII byte */
static const char *
string_slow(struct jscan *s, const char *p, const char *end, int *esc,
    int *nul)
{
	size_t n;
	long cp;

	for (;;) {
		p = plain(p, end);
		if (p == end || (*p == '\\' && end - p < 2)) {
			s->why = "premature end of input";
			return NULL;
		}
		if (*p == '"')
			return p + 1;
		if (*p == '\\') {
			*esc = 1;
			if (*++p == 'u') {
				if ((p = uescape(s, p + 1, end, &cp)) == NULL)
					return NULL;
				if (cp == 0)
					*nul = s->nul = 1;
				continue;
			}
			if (*p == '\0' || strchr("\"\\/bfnrt", *p) == NULL) {
				s->why = "invalid escape";
				return NULL;
			}
			p++;
			continue;
		}
		if ((unsigned char)*p < 0x20) {
			s->why = "control character in a string";
			return NULL;
		}
		if ((n = utf8((const unsigned char *)p,
		    (const unsigned char *)end)) == 0) {
			s->why = "invalid UTF-8";
			return NULL;
		}
		p += n;
	}
}

/* a string at p (after its '"'): its end (after the closing '"'), or
 * NULL; *esc whether it had escapes, *nul whether one was \u0000 */
static inline const char *
string(struct jscan *s, const char *p, const char *end, int *esc, int *nul)
{
	*esc = *nul = 0;
	p = plain(p, end);
	if (p < end && *p == '"')
		return p + 1;
	return string_slow(s, p, end, esc, nul);
}

static const char *
digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

/* a number (RFC 8259 6: no leading zero, digits after '.' and 'e') */
static const char *
number(struct jscan *s, const char *p, const char *end)
{
	const char *d;

	s->why = "invalid number";
	if (*p == '-')
		p++;
	if (p < end && *p == '0')
		p++;
	else if ((d = digits(p, end)) == p)
		return NULL;
	else
		p = d;
	if (p < end && *p >= '0' && *p <= '9')
		return NULL;	/* a leading zero */
	if (p < end && *p == '.') {
		if ((d = digits(p + 1, end)) == p + 1)
			return NULL;
		p = d;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if ((d = digits(p, end)) == p)
			return NULL;
		p = d;
	}
	return p;
}

/* true, false or null */
static const char *
literal(struct jscan *s, const char *p, const char *end)
{
	size_t n = (size_t)(end - p);

	if ((n >= 4 && (memcmp(p, "true", 4) == 0 ||
	    memcmp(p, "null", 4) == 0)))
		return p + 4;
	if (n >= 5 && memcmp(p, "false", 5) == 0)
		return p + 5;
	s->why = "invalid token";
	return NULL;
}

/* decode a JSON string's inside (validated) into b */
static void
unescape(struct buf *b, const char *p, const char *end)
{
	const char *q;
	long cp;
	char u[4];
	size_t n, i;

	buf_reset(b);
	while (p < end) {
		for (q = p; q < end && *q != '\\'; q++)
			;
		buf_add(b, p, (size_t)(q - p));
		if ((p = q) == end)
			break;
		switch (p[1]) {
		case 'b': buf_addc(b, '\b'); p += 2; continue;
		case 'f': buf_addc(b, '\f'); p += 2; continue;
		case 'n': buf_addc(b, '\n'); p += 2; continue;
		case 'r': buf_addc(b, '\r'); p += 2; continue;
		case 't': buf_addc(b, '\t'); p += 2; continue;
		case 'u': break;
		default: buf_addc(b, p[1]); p += 2; continue;
		}
		cp = hex4(p + 2, end);
		p += 6;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			cp = ((cp - 0xD800) << 10) + (hex4(p + 2, end) -
			    0xDC00) + 0x10000;
			p += 6;
		}
		n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
		for (i = n - 1; i > 0; i--, cp >>= 6)
			u[i] = (char)(0x80 | (cp & 0x3F));
		u[0] = (char)(n == 1 ? cp : (0xFF00 >> n & 0xFF) | cp);
		buf_add(b, u, n);
	}
}

/* the child of object node n whose key is the string [k, e) */
static int
keyed(struct jscan *s, int n, const char *k, const char *e, int esc)
{
	int c;
	size_t len = (size_t)(e - k);

	if (s->node[n].kid < 0)
		return -1;
	if (esc) {
		unescape(&s->tmp, k, e);
		k = s->tmp.p ? s->tmp.p : "";
		len = s->tmp.len;
	}
	for (c = s->node[n].kid; c >= 0; c = s->node[c].next)
		if (s->node[c].key != NULL && s->node[c].keylen == len &&
		    memcmp(s->node[c].key, k, len) == 0)
			return c;
	return -1;
}

/* the child of array node n for element i */
static int
indexed(struct jscan *s, int n, long i)
{
	int c;

	for (c = s->node[n].kid; c >= 0; c = s->node[c].next)
		if (s->node[c].key == NULL && s->node[c].index == i)
			return c;
	return -1;
}

/* an object's key and its ':' at p; *n the node of its value, or -1 */
static const char *
key(struct jscan *s, const struct frame *f, const char *p, const char *end,
    int *n)
{
	const char *k;
	int esc, nul;

	if (p == end || *p != '"') {
		s->why = "string or '}' expected";
		return NULL;
	}
	k = p + 1;
	if ((p = string(s, k, end, &esc, &nul)) == NULL)
		return NULL;
	if (nul) {
		s->why = "NUL byte in object key not supported";
		return NULL;
	}
	*n = f->node >= 0 ? keyed(s, f->node, k, p - 1, esc) : -1;
	p = ws(p, end);
	if (p == end || *p != ':') {
		s->why = "':' expected";
		return NULL;
	}
	return p + 1;
}

/* the frame of a container opened at depth d, at node n */
static inline struct frame *
open_frame(struct jscan *s, size_t d, int n, int obj)
{
	struct frame *f = &s->stack[d];

	f->node = n;
	f->obj = obj;
	f->idx = 0;
	return f;
}

/* a state machine over the line: at value, n is the value's node (or
 * -1 when no path goes there); stack[] the open containers */
int
jscan_line(struct jscan *s, const char *line, size_t len, char *err,
    size_t errlen)
{
	const char *p = line, *end = line + len;
	struct frame *f = NULL;
	size_t depth = 0;
	const char *tok = line;
	int n = 0, esc, nul, top = 0;

	s->gen++;
	s->line = line;
	s->len = len;
	s->why = NULL;
	s->nul = 0;
value:
	p = ws(p, end);
	if (p == end) {
		s->why = "premature end of input";
		goto bad;
	}
	if (depth >= JSCAN_MAX_DEPTH) {
		s->why = "maximum parsing depth reached";
		goto bad;
	}
	if (n >= 0)
		begin(s, n, p);
	if (depth == 0)
		top = *p;
	tok = p;
	switch (*p) {
	case '{': case '[':
		f = open_frame(s, depth++, n, *p == '{');
		p = ws(p + 1, end);
		if (p < end && *p == (f->obj ? '}' : ']')) {
			p++;
			goto close;
		}
		if (f->obj)
			goto key;
		n = f->node >= 0 ? indexed(s, f->node, 0) : -1;
		goto value;
	case '"':
		p = string(s, p + 1, end, &esc, &nul);
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		p = number(s, p, end);
		break;
	default:
		p = literal(s, p, end);
		break;
	}
	if (p == NULL)
		goto bad;
	if (n >= 0)
		s->node[n].end = (size_t)(p - line);
next:
	if (depth == 0) {
		if ((p = ws(p, end)) != end) {
			s->why = "end of file expected";
			goto bad;
		}
		if (top != '{') {
			snprintf(err, errlen, "not a JSON object");
			return -1;
		}
		return 0;
	}
	f = &s->stack[depth - 1];
	p = ws(p, end);
	if (p < end && *p == ',') {
		p++;
		if (f->obj)
			goto key;
		f->idx++;
		n = f->node >= 0 ? indexed(s, f->node, f->idx) : -1;
		goto value;
	}
	if (p < end && *p == (f->obj ? '}' : ']')) {
		p++;
		goto close;
	}
	s->why = f->obj ? "'}' expected" : "']' expected";
	goto bad;
close:
	f = &s->stack[--depth];
	if (f->node >= 0)
		s->node[f->node].end = (size_t)(p - line);
	goto next;
key:
	tok = p = ws(p, end);
	if ((p = key(s, f, p, end, &n)) == NULL)
		goto bad;
	goto value;
bad:
	snprintf(err, errlen, "invalid JSON at column %zu: %s",
	    (size_t)((p != NULL ? p : tok) - line) + 1, s->why);
	return -1;
}

/* a number's value: an integer if jansson would make one */
static json_t *
num_value(const char *p, size_t n)
{
	char tmp[64], *big = NULL, *t = tmp;
	json_error_t je;
	json_t *v;
	long long i;
	double d;

	if (n >= sizeof(tmp))
		t = big = xmalloc(n + 1);
	memcpy(t, p, n);
	t[n] = '\0';
	errno = 0;
	if (strcspn(t, ".eE") == n) {
		i = strtoll(t, NULL, 10);
		if (errno == 0) {
			free(big);
			return json_integer((json_int_t)i);
		}
		errno = 0;
	}
	d = strtod(t, NULL);
	if (errno == ERANGE || strcspn(t, ".eE") == n) {
		/* beyond int64 or a double: the exact text, as nd_parse
		 * keeps it (bignum.h), so both compare it alike */
		v = bignum_loadb(t, n, JSON_DECODE_ANY, &je);
		free(big);
		return v;
	}
	free(big);
	return json_real(d);
}

/* make node n's value from its bytes */
static json_t *
make(struct jscan *s, struct node *k)
{
	const char *p = s->line + k->start;
	size_t n = k->end - k->start;

	switch (*p) {
	case '"':
		unescape(&s->tmp, p + 1, p + n - 1);
		return json_stringn_nocheck(s->tmp.p ? s->tmp.p : "",
		    s->tmp.len);
	case 't': return json_true();
	case 'f': return json_false();
	case 'n': return json_null();
	case '{': case '[':
		return json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL,
		    NULL);
	default:
		return num_value(p, n);
	}
}

int
jscan_nul(const struct jscan *s)
{
	return s->nul;
}

json_t *
jscan_get(struct jscan *s, int slot)
{
	const struct slot *sl = &s->slot[slot];
	struct node *k = &s->node[sl->node];
	struct path rest;

	if (k->gen != s->gen || s->gen == 0)
		return NULL;
	if (k->vgen != s->gen) {
		json_decref(k->val);
		k->val = make(s, k);
		k->vgen = s->gen;
	}
	if (sl->k == sl->p->n || k->val == NULL)
		return k->val;
	rest.seg = sl->p->seg + sl->k;
	rest.n = sl->p->n - sl->k;
	rest.text = sl->p->text;
	return path_get(&rest, k->val);
}

json_t *
jscan_path(const struct path *p, void *arg)
{
	struct jscan *s = arg;
	size_t i;

	for (i = 0; i < s->nslot; i++)
		if (s->slot[i].p == p)
			return jscan_get(s, (int)i);
	return NULL;
}
