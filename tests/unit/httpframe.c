/* unit tests for lib/httpframe: framing checks and hidden bytes */
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
	/* as libmicrohttpd 0.9 leaves a block: NULs over ':' and CR LF */
	static const char good[] = "POST\0/h\0HTTP/1.1\0\0A\0x\0\0B\0yy\0\0\0";
	static const char nul[] = "POST\0/h\0HTTP/1.1\0\0A\0x\0z\0\0B\0yy\0\0\0";
	static const char nul_last[] = "POST\0/h\0HTTP/1.1\0\0A\0x\0\0B\0y\0y\0\0\0";
	static const char lead[] = "POST\0/h\0HTTP/1.1\0\0\0B: y\0\0\0\0";
	struct httpframe_field f[2];
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

	f[0] = (struct httpframe_field){ good + 18, good + 20, 1, 1 };
	f[1] = (struct httpframe_field){ good + 23, good + 25, 1, 2 };
	ok(httpframe_hidden(f, 2, good, sizeof(good) - 1, good + 16) == 0,
	    "values ending at their line ends hide nothing");
	f[0] = (struct httpframe_field){ nul + 18, nul + 20, 1, 1 };
	f[1] = (struct httpframe_field){ nul + 25, nul + 27, 1, 2 };
	ok(httpframe_hidden(f, 2, nul, sizeof(nul) - 1, nul + 16) == 1,
	    "a value cut at a NUL: the rest is seen");
	f[0] = (struct httpframe_field){ nul_last + 18, nul_last + 20, 1, 1 };
	f[1] = (struct httpframe_field){ nul_last + 23, nul_last + 25, 1, 1 };
	ok(httpframe_hidden(f, 2, nul_last, sizeof(nul_last) - 1,
	    nul_last + 16) == 1,
	    "the last value cut at a NUL");
	ok(httpframe_hidden(f, 0, lead, sizeof(lead) - 1, lead + 16) == 1,
	    "a line beginning with a NUL, ending the header early");
	f[0] = (struct httpframe_field){ "A", "x", 1, 1 };
	f[1] = (struct httpframe_field){ "B", "yy", 1, 2 };
	ok(httpframe_hidden(f, 2, good, sizeof(good) - 1, good + 16) == 0,
	    "fields kept elsewhere: nothing judged");
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
