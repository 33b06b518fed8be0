/* jcanon: whether a JSON line is already what jansson's compact dump of
 * it would be, so a field can be added to it as text */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jcanon.h"
#include "jscan.h"
#include "xmem.h"

struct jcanon {
	size_t kbase[JSCAN_MAX_DEPTH];	/* each open level's first key, */
	size_t (*keys)[2];	/* in keys[]: offset and length */
	size_t kcap;
};


/* whether the real [p, p+n) is as jansson's "%.17g" writes it */
static int
real_compact(const char *p, size_t n)
{
	char in[64], out[64], *e;
	size_t i, j;

	if (n >= sizeof(in))
		return 0;
	memcpy(in, p, n);
	in[n] = '\0';
	snprintf(out, sizeof(out), "%.17g", strtod(in, NULL));
	if (strchr(out, '.') == NULL && strchr(out, 'e') == NULL)
		memcpy(out + strlen(out), ".0", 3);	/* fits: %.17g < 30 */
	if ((e = strchr(out, 'e')) != NULL) {
		/* jansson drops an exponent's '+' and leading zeros */
		i = j = (size_t)(e - out) + 1;
		if (out[i] == '-')
			out[j++] = out[i++];
		else if (out[i] == '+')
			i++;
		while (out[i] == '0' && out[i + 1] != '\0')
			i++;
		memmove(out + j, out + i, strlen(out + i) + 1);
	}
	return strcmp(in, out) == 0;
}

/* whether the key [k, k+n) is among the keys of the object open since
 * keys[base] */
static int
dup_key(const size_t (*keys)[2], size_t base, size_t nk, const char *line,
    const char *k, size_t n)
{
	size_t i;

	for (i = base; i < nk; i++)
		if (keys[i][1] == n && memcmp(line + keys[i][0], k, n) == 0)
			return 1;
	return 0;
}

struct jcanon *
jcanon_new(void)
{
	return xcalloc(1, sizeof(struct jcanon));
}

void
jcanon_free(struct jcanon *s)
{
	if (s == NULL)
		return;
	free(s->keys);
	free(s);
}

int
jcanon_compact(struct jcanon *s, const char *line, size_t len,
    const char *key)
{
	const char *p = line, *end = line + len, *q;
	size_t nk = 0, depth = 0, *base = s->kbase;
	int inobj = 0, wantkey = 0, real;

	while (p < end) {
		switch (*p) {
		case '{':
			base[depth++] = nk;
			inobj = wantkey = 1;
			p++;
			continue;
		case '[':
			base[depth++] = (size_t)-1;	/* an array */
			inobj = wantkey = 0;
			p++;
			continue;
		case '}': case ']':
			if (base[--depth] != (size_t)-1)
				nk = base[depth];
			inobj = depth > 0 && base[depth - 1] != (size_t)-1;
			wantkey = 0;
			p++;
			continue;
		case ',':
			wantkey = inobj;
			p++;
			continue;
		case ':':
			p++;
			continue;
		case '"':
			for (q = jscan_plain(p + 1, end); *q != '"';
			    q = jscan_plain(q, end))
				if (*q != '\\')
					q++;	/* UTF-8, checked already */
				else if (strchr("\"\\bfnrt", *++q) == NULL)
					return 0;	/* \u, \/ */
				else
					q++;
			if (wantkey) {
				if (dup_key((const size_t (*)[2])s->keys,
				    base[depth - 1], nk, line, p + 1,
				    (size_t)(q - p - 1)) ||
				    (depth == 1 && strlen(key) ==
				    (size_t)(q - p - 1) && memcmp(key, p + 1,
				    (size_t)(q - p - 1)) == 0))
					return 0;
				if (nk == s->kcap) {
					s->kcap = s->kcap ? s->kcap * 2 : 64;
					s->keys = xrealloc(s->keys, s->kcap *
					    sizeof(*s->keys));
				}
				s->keys[nk][0] = (size_t)(p + 1 - line);
				s->keys[nk++][1] = (size_t)(q - p - 1);
				wantkey = 0;
			}
			p = q + 1;
			continue;
		case 't': p += 4; continue;
		case 'f': p += 5; continue;
		case 'n': p += 4; continue;
		default:
			break;
		}
		if (*p != '-' && (*p < '0' || *p > '9'))
			return 0;	/* white space */
		real = 0;
		for (q = p; q < end && (*q == '-' || *q == '+' || *q == '.' ||
		    *q == 'e' || *q == 'E' || (*q >= '0' && *q <= '9')); q++)
			real |= *q == '.' || *q == 'e' || *q == 'E';
		if ((size_t)(q - p) == 2 && p[0] == '-' && p[1] == '0')
			return 0;	/* jansson writes 0 */
		if (real && !real_compact(p, (size_t)(q - p)))
			return 0;
		p = q;
	}
	return 1;
}
