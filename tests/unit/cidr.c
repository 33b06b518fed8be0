/* unit tests for lib/cidr: ranges, and the client behind proxies from
 * X-Forwarded-For and RFC 7239 Forwarded (section 4's and 7's examples) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "tap.h"

static struct cidr trusted[2];

/* the client cidr_client finds behind peer for a header value */
static void
client_is(int kind, const char *peer, const char *v, const char *want,
    const char *name)
{
	unsigned char p[16], out[16];
	char got[CIDR_STR_MAX];

	if (cidr_addr(peer, strlen(peer), p) < 0)
		abort();
	cidr_client(kind, v, v ? strlen(v) : 0, trusted, 2, p, out);
	cidr_format(out, got);
	is_str(got, want, name);
}

static int
in(const char *range, const char *addr)
{
	struct cidr c;
	unsigned char a[16];
	char err[128];

	if (cidr_parse(&c, range, err, sizeof(err)) < 0 ||
	    cidr_addr(addr, strlen(addr), a) < 0)
		return -1;
	return cidr_match(&c, 1, a);
}

static void
test_ranges(void)
{
	struct cidr c;
	char err[128];

	ok(in("192.30.252.0/22", "192.30.255.255") == 1 &&
	    in("192.30.252.0/22", "192.31.0.0") == 0,
	    "IPv4 /22: last address in, next out (GitHub's hooks range)");
	ok(in("2a0a:a440::/29", "2a0a:a447:ffff::1") == 1 &&
	    in("2a0a:a440::/29", "2a0a:a448::") == 0,
	    "IPv6 /29: in and out (GitHub's hooks range)");
	ok(in("10.0.0.1", "10.0.0.1") == 1 && in("10.0.0.1", "10.0.0.2") == 0,
	    "an address alone is all its bits");
	ok(in("127.0.0.0/8", "::ffff:127.0.0.1") == 1,
	    "an IPv4 range matches the IPv4-mapped peer of a dual-stack "
	    "socket");
	ok(in("0.0.0.0/0", "8.8.8.8") == 1 && in("0.0.0.0/0", "::1") == 0,
	    "0.0.0.0/0 is IPv4 only");
	ok(in("::/0", "::1") == 1 && in("::/0", "8.8.8.8") == 1,
	    "::/0 is every address");
	ok(cidr_parse(&c, "10.1.2.3/8", err, sizeof(err)) == -1 &&
	    strstr(err, "bits set past") != NULL,
	    "bits past the prefix refused");
	ok(cidr_parse(&c, "10.0.0.0/33", err, sizeof(err)) == -1 &&
	    cidr_parse(&c, "::/129", err, sizeof(err)) == -1 &&
	    cidr_parse(&c, "10.0.0.0/", err, sizeof(err)) == -1 &&
	    cidr_parse(&c, "10.0.0.0/-1", err, sizeof(err)) == -1 &&
	    cidr_parse(&c, "10.0.0.0/8x", err, sizeof(err)) == -1,
	    "bad prefix lengths refused");
	ok(cidr_parse(&c, "example.com", err, sizeof(err)) == -1 &&
	    cidr_parse(&c, "", err, sizeof(err)) == -1 &&
	    cidr_parse(&c, "1.2.3", err, sizeof(err)) == -1,
	    "names and partial addresses refused");
}

static void
test_xff(void)
{
	client_is(CIDR_XFF, "10.0.0.5", "203.0.113.7", "203.0.113.7",
	    "XFF: the trusted proxy's client");
	client_is(CIDR_XFF, "198.51.100.9", "203.0.113.7", "198.51.100.9",
	    "XFF: an untrusted peer's header is ignored");
	client_is(CIDR_XFF, "10.0.0.5", NULL, "10.0.0.5",
	    "XFF: no header: the peer");
	client_is(CIDR_XFF, "10.0.0.5", "1.1.1.1, 203.0.113.7, 10.0.0.9",
	    "203.0.113.7", "XFF: right-most untrusted, a forged left part "
	    "ignored");
	client_is(CIDR_XFF, "10.0.0.5", "10.0.0.8 , 10.0.0.9", "10.0.0.8",
	    "XFF: all trusted: the left-most");
	client_is(CIDR_XFF, "10.0.0.5", "203.0.113.7:4711", "203.0.113.7",
	    "XFF: IPv4 with a port");
	client_is(CIDR_XFF, "10.0.0.5", "[2001:db8::7]:4711, 2001:db8::8",
	    "2001:db8::8", "XFF: IPv6 bare and bracketed with a port");
	client_is(CIDR_XFF, "10.0.0.5", "203.0.113.7, garbage, 10.0.0.9",
	    "10.0.0.9", "XFF: a hop that is no address stops at its "
	    "reporter");
	client_is(CIDR_XFF, "10.0.0.5", "203.0.113.7,", "203.0.113.7",
	    "XFF: a trailing comma");
}

static void
test_forwarded(void)
{
	char big[4096];
	size_t i;
	int n;

	/* RFC 7239 section 4's examples */
	client_is(CIDR_FORWARDED, "10.0.0.5", "for=\"_gazonk\"", "10.0.0.5",
	    "Forwarded: an obfuscated node is no address: the proxy");
	client_is(CIDR_FORWARDED, "10.0.0.5",
	    "For=\"[2001:db8:cafe::17]:4711\"", "2001:db8:cafe::17",
	    "Forwarded: For=\"[IPv6]:port\", the name in any case");
	client_is(CIDR_FORWARDED, "10.0.0.5",
	    "for=192.0.2.60;proto=http;by=203.0.113.43", "192.0.2.60",
	    "Forwarded: for with proto and by");
	client_is(CIDR_FORWARDED, "10.0.0.5", "for=192.0.2.43, for=198.51.100.17",
	    "198.51.100.17", "Forwarded: two elements, the right-most");
	/* section 7.4's: a chain through trusted proxies */
	client_is(CIDR_FORWARDED, "10.0.0.5",
	    "for=192.0.2.43, for=\"[2001:db8:cafe::17]\", for=10.0.0.9",
	    "2001:db8:cafe::17", "Forwarded: trusted hop passed");
	client_is(CIDR_FORWARDED, "10.0.0.5",
	    "for=unknown, for=10.0.0.9", "10.0.0.9",
	    "Forwarded: unknown stops at its reporter");
	client_is(CIDR_FORWARDED, "10.0.0.5",
	    "proto=https;host=\"a,b;c\", for=203.0.113.7", "203.0.113.7",
	    "Forwarded: commas and semicolons in quotes are text");
	client_is(CIDR_FORWARDED, "10.0.0.5", "proto=https, for=10.0.0.9",
	    "10.0.0.9", "Forwarded: an element without for= is no address");
	client_is(CIDR_FORWARDED, "10.0.0.5", "for=1.2.3.4;for=5.6.7.8",
	    "10.0.0.5", "Forwarded: two for= in one element: no address");
	/* more hops than considered: the right-most CIDR_HOPS_MAX */
	n = snprintf(big, sizeof(big), "203.0.113.7");
	for (i = 0; i < 39; i++)
		n += snprintf(big + n, sizeof(big) - (size_t)n, ",10.0.0.9");
	client_is(CIDR_XFF, "10.0.0.5", big, "10.0.0.9",
	    "XFF: past 32 trusted hops the left-most considered");
}

int
main(void)
{
	char err[128];

	if (cidr_parse(&trusted[0], "10.0.0.0/8", err, sizeof(err)) < 0 ||
	    cidr_parse(&trusted[1], "fd00::/8", err, sizeof(err)) < 0)
		abort();
	test_ranges();
	test_xff();
	test_forwarded();
	return done_testing();
}
