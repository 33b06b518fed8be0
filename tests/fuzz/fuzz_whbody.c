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
	const char *tp = NULL, *in = (const char *)data + 1;
	size_t tn = 0;
	int t;

	if (size == 0)
		return 0;
	/* the first byte picks the Content-Type */
	t = whbody_decode(in, size - 1, types[data[0] & 3], &out, &tp, &tn,
	    &form);
	/* the text is the body's own bytes, or out's */
	if (tp == NULL || (tn > 0 && !(tp >= in && tp + tn <= in + size - 1) &&
	    !(tp == out.p && tn == out.len)))
		abort();
	if (t == 0) {
		if (tn != 0 || form != NULL)
			abort();
	} else {
		if (tn == 0 || (unsigned char)tp[0] != t ||
		    memchr(tp, '\n', tn) != NULL || memchr(tp, '\r', tn) != NULL)
			abort();
		v = json_loadb(tp, tn, JSON_DECODE_ANY |
		    JSON_ALLOW_NUL | JSON_DECODE_INT_AS_REAL, &je);
		if (v == NULL)
			v = bignum_loadb(tp, tn, JSON_DECODE_ANY, &je);
		if (v == NULL)
			abort();
		json_decref(v);
	}
	json_decref(form);
	buf_free(&out);
	return 0;
}
