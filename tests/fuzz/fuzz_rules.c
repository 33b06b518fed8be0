/* fuzz_rules: the wh-route rules loader and -w conditions on any bytes */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "xmem.h"

static const char rec_text[] =
    "{\"id\":\"e1\",\"body\":{\"event_type\":\"assets\","
    "\"realm\":\"proxies\",\"data\":"
    "{\"status\":\"CLOSED\"},\"size\":1500,\"Records\":[{\"s3\":{\"key\":"
    "\"a b\"}}]},\"headers\":{\"x-hub-signature\":\"sha256=00\"}}";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rules r;
	struct rules_cond *c;
	char err[1024], *s, *lit;
	json_t *rec, *out;
	size_t i, n;

	/* nested intervals ((a{99}){99}){99} make glibc's regcomp take
	 * gigabytes: a property of the regex library, not of the loader */
	for (i = 0, n = 0; i < size; i++)
		n += data[i] == '{';
	if (n > 3)
		return 0;
	rec = json_loads(rec_text, 0, NULL);
	if (rules_loads((const char *)data, size, "fuzz.yaml", &r, err,
	    sizeof(err)) == 0) {
		for (i = 0; i < r.n; i++) {
			if (!rules_match(r.route[i].when, rec))
				continue;
			out = json_copy(rec);
			rules_set(&r.route[i], rec, out, err, sizeof(err));
			json_decref(out);
		}
		rules_free(&r);
	}
	/* the same bytes as a -w condition */
	s = xstrndup((const char *)data, size);
	if ((c = rules_where(s, err, sizeof(err))) != NULL) {
		rules_match(c, rec);
		lit = rules_literal(c);
		free(lit);
		rules_cond_free(c);
	}
	free(s);
	json_decref(rec);
	return 0;
}
