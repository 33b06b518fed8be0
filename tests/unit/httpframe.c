/* unit tests for lib/httpframe: framing checks */
#include <stdio.h>
#include <string.h>

#include "httpframe.h"
#include "tap.h"

/* fields from "Name: value" strings */
static size_t
fields(struct httpframe_field *f, const char *const *h)
{
	size_t n;
	const char *c;

	for (n = 0; h[n]; n++) {
		c = strchr(h[n], ':');
		f[n].name = h[n];
		f[n].nlen = c - h[n];
		f[n].value = c + 1 + (c[1] == ' ');
		f[n].vlen = strlen(f[n].value);
	}
	return n;
}

static int
check(const char *version, const char *const *h, char *why)
{
	struct httpframe_field f[8];

	return httpframe_check(f, fields(f, h), version, why, 128);
}

int
main(void)
{
	static const struct {
		const char *name, *version;
		const char *h[4];
		int want;
	} t[] = {
		{ "plain", "HTTP/1.1", { "Host: x", "Content-Length: 2" }, 0 },
		{ "chunked", "HTTP/1.1", { "Transfer-Encoding: chunked" }, 0 },
		{ "Chunked", "HTTP/1.1", { "Transfer-Encoding: CHUNKED" }, 0 },
		{ "two lengths", "HTTP/1.1", { "Content-Length: 2",
		    "content-length: 40" }, 400 },
		{ "length and chunked", "HTTP/1.1", { "Content-Length: 2",
		    "Transfer-Encoding: chunked" }, 400 },
		{ "xchunked", "HTTP/1.1", { "Transfer-Encoding: xchunked" },
		    400 },
		{ "chunked, gzip", "HTTP/1.1",
		    { "Transfer-Encoding: chunked, gzip" }, 400 },
		{ "gzip, chunked", "HTTP/1.1",
		    { "Transfer-Encoding: gzip, chunked" }, 501 },
		{ "chunked twice", "HTTP/1.1", { "Transfer-Encoding: chunked",
		    "Transfer-Encoding: chunked" }, 400 },
		{ "chunked in 1.0", "HTTP/1.0",
		    { "Transfer-Encoding: chunked" }, 400 },
		{ "space in a name", "HTTP/1.1", { "Content-Length : 2" }, 400 },
		{ "CR in a value", "HTTP/1.1", { "X-A: a\rb" }, 400 },
		{ "empty name", "HTTP/1.1", { ": a" }, 400 },
	};
	char why[128];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int got = check(t[i].version, t[i].h, why);

		ok(got == t[i].want, "%s: %d", t[i].name, t[i].want);
		if (got != t[i].want)
			printf("#   got %d (%s)\n", got, why);
	}
	check("HTTP/1.1", (const char *const[]){ "Transfer-Encoding: gzip, "
	    "chunked", NULL }, why);
	is_str(why, "transfer coding gzip not implemented", "501 names the coding");

	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
