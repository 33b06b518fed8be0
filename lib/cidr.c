/* cidr: address ranges and the client behind trusted proxies
 * (X-Forwarded-For, RFC 7239 Forwarded) */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "sys.h"

static const unsigned char v4mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

int
cidr_addr(const char *s, size_t len, unsigned char a[16])
{
	char buf[CIDR_STR_MAX];

	if (len == 0 || len >= sizeof(buf) || memchr(s, '\0', len) != NULL)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET, buf, a + 12) == 1) {
		memcpy(a, v4mapped, 12);
		return 0;
	}
	return inet_pton(AF_INET6, buf, a) == 1 ? 0 : -1;
}

int
cidr_parse(struct cidr *c, const char *s, char *err, size_t errlen)
{
	const char *slash = strchr(s, '/');
	size_t len = slash ? (size_t)(slash - s) : strlen(s);
	int v4, max, i, bits;
	char *end;
	long b;

	if (cidr_addr(s, len, c->a) < 0)
		return sys_err(err, errlen, "bad address range '%s': an IPv4 "
		    "or IPv6 address, /bits optional", s);
	v4 = memcmp(c->a, v4mapped, 12) == 0 && memchr(s, ':', len) == NULL;
	max = v4 ? 32 : 128;
	b = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9' ||
		    (b = strtol(slash + 1, &end, 10), *end != '\0') || b > max)
			return sys_err(err, errlen, "bad address range '%s': "
			    "bits from 0 to %d after the /", s, max);
	}
	bits = (int)b + (v4 ? 96 : 0);
	for (i = bits; i < 128; i++)
		if (c->a[i / 8] & (0x80 >> (i % 8)))
			return sys_err(err, errlen, "bad address range '%s': "
			    "bits set past the /%ld", s, b);
	c->bits = bits;
	return 0;
}

int
cidr_match(const struct cidr *set, size_t n, const unsigned char a[16])
{
	size_t k;
	int full, rest;

	for (k = 0; k < n; k++) {
		full = set[k].bits / 8;
		rest = set[k].bits % 8;
		if (memcmp(set[k].a, a, (size_t)full) == 0 && (rest == 0 ||
		    ((set[k].a[full] ^ a[full]) & (0xff00 >> rest)) == 0))
			return 1;
	}
	return 0;
}

void
cidr_format(const unsigned char a[16], char out[CIDR_STR_MAX])
{
	if (memcmp(a, v4mapped, 12) == 0)
		inet_ntop(AF_INET, a + 12, out, CIDR_STR_MAX);
	else
		inet_ntop(AF_INET6, a, out, CIDR_STR_MAX);
}

/* A hop of a header: an address, or ok 0 for what is none. */
struct hop {
	int ok;
	unsigned char a[16];
};

/* The hops, the right-most CIDR_HOPS_MAX in a ring. */
struct hops {
	struct hop h[CIDR_HOPS_MAX];
	size_t n;		/* seen in all */
};

/* A node ("1.2.3.4", "1.2.3.4:80", "[2001:db8::1]:80", "2001:db8::1")
 * as a hop. */
static void
hop_add(struct hops *hs, const char *s, size_t len)
{
	struct hop *h = &hs->h[hs->n++ % CIDR_HOPS_MAX];
	const char *e, *colon;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len > 0 && s[0] == '[') {
		if ((e = memchr(s, ']', len)) == NULL || (e + 1 < s + len &&
		    e[1] != ':')) {
			h->ok = 0;
			return;
		}
		s++;
		len = (size_t)(e - s);
	} else if ((colon = memchr(s, ':', len)) != NULL &&
	    memchr(colon + 1, ':', len - (size_t)(colon + 1 - s)) == NULL)
		len = (size_t)(colon - s);	/* IPv4 and a port */
	h->ok = cidr_addr(s, len, h->a) == 0;
}

/* X-Forwarded-For: nodes separated by commas. */
static void
xff_hops(struct hops *hs, const char *v, size_t len)
{
	const char *end = v + len, *c;

	for (;;) {
		if ((c = memchr(v, ',', (size_t)(end - v))) == NULL)
			c = end;
		if (c > v || c < end)	/* not the nothing after a last , */
			hop_add(hs, v, (size_t)(c - v));
		if (c == end)
			break;
		v = c + 1;
	}
}

/* A Forwarded value at *pp, a token or a quoted string (RFC 9110 5.6.4,
 * quoted pairs undone), into dst; its length, over n when it did not
 * fit. */
static size_t
fwd_value(const char **pp, const char *end, char *dst, size_t n)
{
	const char *p = *pp;
	size_t l = 0;

	if (p < end && *p == '"') {
		for (p++; p < end && *p != '"'; p++, l++) {
			if (*p == '\\' && p + 1 < end)
				p++;
			if (l < n)
				dst[l] = *p;
		}
		if (p < end)
			p++;
	} else
		for (; p < end && *p != ';' && *p != ','; p++, l++)
			if (l < n)
				dst[l] = *p;
	*pp = p;
	return l;
}

/*
 * Forwarded (RFC 7239 4): elements separated by commas, pairs by
 * semicolons, values tokens or quoted strings (a comma or semicolon in
 * quotes is text).  Each element's for= is its hop; an element without
 * one, or with two, is a hop that is no address.
 */
static void
fwd_hops(struct hops *hs, const char *v, size_t len)
{
	const char *end = v + len, *p = v, *name;
	char fv[CIDR_STR_MAX + 16], other[8];
	size_t nlen, fl = 0;
	int nfor = 0, pairs = 0, isfor;

	for (;;) {
		while (p < end && (*p == ' ' || *p == '\t' || *p == ';'))
			p++;
		if (p == end || *p == ',') {
			if (pairs > 0 || p < end)
				hop_add(hs, fv, nfor == 1 && fl <= sizeof(fv) ?
				    fl : 0);
			if (p == end)
				break;
			p++;
			nfor = pairs = 0;
			fl = 0;
			continue;
		}
		for (name = p; p < end && *p != '=' && *p != ';' && *p != ',';
		    p++)
			;
		nlen = (size_t)(p - name);
		while (nlen > 0 && (name[nlen - 1] == ' ' ||
		    name[nlen - 1] == '\t'))
			nlen--;
		pairs++;
		isfor = nlen == 3 && strncasecmp(name, "for", 3) == 0;
		nfor += isfor;
		if (p < end && *p == '=') {
			p++;
			if (isfor)
				fl = fwd_value(&p, end, fv, sizeof(fv));
			else
				(void)fwd_value(&p, end, other, sizeof(other));
		}
	}
}

void
cidr_client(int kind, const char *val, size_t len,
    const struct cidr *trusted, size_t ntrusted,
    const unsigned char peer[16], unsigned char out[16])
{
	struct hops hs;
	const struct hop *h;
	size_t i, first;

	memcpy(out, peer, 16);
	if (val == NULL || !cidr_match(trusted, ntrusted, peer))
		return;
	hs.n = 0;
	if (kind == CIDR_FORWARDED)
		fwd_hops(&hs, val, len);
	else
		xff_hops(&hs, val, len);
	first = hs.n > CIDR_HOPS_MAX ? hs.n - CIDR_HOPS_MAX : 0;
	for (i = hs.n; i-- > first; ) {
		h = &hs.h[i % CIDR_HOPS_MAX];
		if (!h->ok)
			return;	/* out: the proxy that reported it */
		memcpy(out, h->a, 16);
		if (!cidr_match(trusted, ntrusted, h->a))
			return;
	}
}
