/* fuzz_httpframe: a request's header block as wh-listen's server reads
 * it again (picohttpparser, libh2o's parser), then httpframe_check: a
 * block it lets through has one framing at most (no two lengths, no
 * length with chunked) */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpframe.h"
#include "phr.h"

#define MAXF 100

static int
is(const struct phr_header *h, const char *name)
{
	return h->name_len == strlen(name) &&
	    strncasecmp(h->name, name, h->name_len) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct phr_header h[MAXF];
	struct httpframe_field f[MAXF];
	const char *m, *p;
	size_t ml, pl, n = MAXF, i, cl = 0, te = 0;
	char why[256];
	int minor, r;

	r = phr_parse_request((const char *)data, size, &m, &ml, &p, &pl,
	    &minor, h, &n, 0);
	if (r < 0)
		return 0;
	if ((size_t)r > size || n > MAXF)
		abort();
	for (i = 0; i < n; i++) {
		if (h[i].name_len == 0)
			return 0;	/* folded: the server refuses it */
		f[i] = (struct httpframe_field){ h[i].name, h[i].value,
		    h[i].name_len, h[i].value_len };
		cl += is(&h[i], "content-length");
		te += is(&h[i], "transfer-encoding");
	}
	if (httpframe_check(f, n, minor ? "HTTP/1.1" : "HTTP/1.0", why,
	    sizeof(why)) == 0 && (cl > 1 || (cl && te) || (te && !minor)))
		abort();	/* ambiguous framing let through */
	return 0;
}
