/* cidr: address ranges (wh-listen --allow, --trusted-proxy) and the
 * client address a chain of proxies reports in X-Forwarded-For or
 * Forwarded (RFC 7239) */
#ifndef CIDR_H
#define CIDR_H

#include <stddef.h>

/* An address or range; IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d,
 * 96 bits more), so a dual-stack socket's peers match IPv4 ranges. */
struct cidr {
	unsigned char a[16];
	int bits;		/* 0..128 */
};

#define CIDR_HOPS_MAX 32	/* hops of a header considered, right-most */
#define CIDR_STR_MAX 46		/* INET6_ADDRSTRLEN */

enum cidr_header { CIDR_XFF, CIDR_FORWARDED };

/*
 * "203.0.113.0/24", "2001:db8::/32", or an address alone (all its bits).
 * Bits past the prefix must be zero ("10.1.2.3/8" is refused: a typo as
 * often as not).  Returns 0, or -1 with err.
 */
int cidr_parse(struct cidr *c, const char *s, char *err, size_t errlen);

/* The numeric IPv4 or IPv6 address s[0..len) into a; 0 or -1. */
int cidr_addr(const char *s, size_t len, unsigned char a[16]);

/* Is a within one of set[0..n)? */
int cidr_match(const struct cidr *set, size_t n, const unsigned char a[16]);

/* a as text, IPv4-mapped ones dotted, into out (CIDR_STR_MAX bytes). */
void cidr_format(const unsigned char a[16], char out[CIDR_STR_MAX]);

/*
 * The client behind peer, from the value of a header of kind kind (the
 * header's lines joined with commas): when peer is in trusted, the hops
 * are walked right to left, each trusted one passed, and the first that
 * is not is the client; a hop that is no address ("unknown", an
 * obfuscated name, garbage) ends the walk at the proxy that reported it;
 * all trusted, the left-most considered (CIDR_HOPS_MAX) is.  The result
 * in out; peer itself when it is not trusted or val is NULL.
 */
void cidr_client(int kind, const char *val, size_t len,
    const struct cidr *trusted, size_t ntrusted,
    const unsigned char peer[16], unsigned char out[16]);

#endif
