/* fuzz_whbody: bytes as a webhook body through whbody_decode; the text
 * made must be one JSON value on one line, starting with the byte said,
 * that the tools downstream read: jansson, or nd_parse's jansson with
 * numbers of any size (lib/bignum), as lib/jscan checks objects */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bignum.h"
#include "whbody.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const types[] = {
		NULL, "application/json",
		"application/x-www-form-urlencoded",
		" application/x-www-form-urlencoded; charset=utf-8"
	};
	struct buf out = {0};
	json_t *form = NULL, *v;
	json_error_t je;
	int t;

	if (size == 0)
		return 0;
	/* the first byte picks the Content-Type */
	t = whbody_decode((const char *)data + 1, size - 1, types[data[0] & 3],
	    &out, &form);
	if (t == 0) {
		if (out.len != 0 || form != NULL)
			abort();
	} else {
		if (out.len == 0 || (unsigned char)out.p[0] != t ||
		    memchr(out.p, '\n', out.len) != NULL)
			abort();
		v = json_loadb(out.p, out.len, JSON_DECODE_ANY |
		    JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
		if (v == NULL)
			v = bignum_loadb(out.p, out.len, JSON_DECODE_ANY, &je);
		if (v == NULL)
			abort();
		json_decref(v);
	}
	json_decref(form);
	buf_free(&out);
	return 0;
}
