/* fuzz_cidr: the X-Forwarded-For and Forwarded parsers, which meet the
 * bytes a client sends, and cidr_parse: no crash, and the client found
 * is the peer or an address the header holds (formatted, it parses
 * back to itself) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned char peer[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff, 10, 0, 0, 5 };
	struct cidr t[2], c;
	unsigned char out[16], back[16];
	char s[CIDR_STR_MAX], err[128], *v;
	int kind;

	if (size == 0)
		return 0;
	kind = data[0] & 1 ? CIDR_FORWARDED : CIDR_XFF;
	if (cidr_parse(&t[0], "10.0.0.0/8", err, sizeof(err)) < 0 ||
	    cidr_parse(&t[1], "fd00::/8", err, sizeof(err)) < 0)
		abort();
	/* unterminated, as a header value may sit in a larger buffer */
	v = malloc(size - 1 ? size - 1 : 1);
	memcpy(v, data + 1, size - 1);
	cidr_client(kind, v, size - 1, t, 2, peer, out);
	cidr_format(out, s);
	if (cidr_addr(s, strlen(s), back) < 0 || memcmp(back, out, 16) != 0)
		abort();
	free(v);
	/* the same bytes as a range */
	v = malloc(size);
	memcpy(v, data + 1, size - 1);
	v[size - 1] = '\0';
	if (cidr_parse(&c, v, err, sizeof(err)) == 0 &&
	    (c.bits < 0 || c.bits > 128))
		abort();
	free(v);
	return 0;
}
