/* fuzz_httpxfer: a pool transfer's header callback (lib/httpxfer.c) on
 * an answer's header lines, with headers named to keep: every kept value
 * and ctype/cdisp/crange hold no LF (a bare CR or a NUL inside a line
 * stays or cuts it, as before), http_xfer_header finds what kept holds,
 * a new status line forgets them all */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "httpint.h"

static const char *const keep[] = { "ETag", "x-amz-version-id",
    "x-amz-checksum-sha256", "Date", "Content-Type", NULL };

static void
check(const char *v)
{
	if (v != NULL && strchr(v, '\n') != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_xfer *x = http_xfer_new();
	char *p = malloc(size + 1), *line, *nl;
	size_t i, left;

	memcpy(p, data, size);
	p[size] = '\0';
	x->keep = keep;
	/* one callback a line, as curl gives them (CRLF kept) */
	for (line = p, left = size; left > 0; ) {
		nl = memchr(line, '\n', left);
		i = nl != NULL ? (size_t)(nl - line) + 1 : left;
		if (http_xfer_on_header(line, 1, i, x) != i)
			abort();
		line += i;
		left -= i;
		if (i >= 5 && memcmp(line - i, "HTTP/", 5) == 0)
			for (size_t k = 0; keep[k] != NULL; k++)
				if (http_xfer_header(x, keep[k]) != NULL)
					abort();
	}
	for (i = 0; keep[i] != NULL; i++) {
		check(http_xfer_header(x, keep[i]));
		if (x->kept != NULL && http_xfer_header(x, keep[i]) !=
		    x->kept[i])
			abort();
	}
	check(x->ctype);
	check(x->cdisp);
	check(x->crange);
	if (http_xfer_header(x, "Server") != NULL)
		abort();
	http_xfer_free(x);
	free(p);
	return 0;
}
