/* fuzz_tmpl: bytes as a text template rendered against a record, and, when
 * they parse as JSON, as a JSON template */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tmpl.h"

static const char rec_text[] =
    "{\"s\":\"Hello World\",\"u\":\"a b/c?d=\\u00e9&x\",\"n\":42,\"r\":1.5,"
    "\"t\":true,\"z\":null,\"o\":{\"k\":\"v\",\"l\":[1,\"x\",null]},"
    "\"html\":\"a & b < c > d\",\"p\":\"dir/sub/file.txt\",\"e\":\"\","
    "\"t1\":\"2024-03-05T14:07:09.123+02:00\",\"t2\":\"2024-03-05\","
    "\"ep\":1709647629,\"big\":1e18,\"huge\":1e300,\"neg\":-1e300,"
    "\"nul\":\"a\\u0000b\",\"uni\":\"\\u20ac\\u00fc\","
    "\"headers\":{\"x-hub-signature\":\"sha1=ab\"},"
    "\"s3\":{\"bucket\":\"b\",\"key\":\"dir/a b.txt\"}}";
static json_t *rec;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl *t;
	struct jtmpl *j;
	struct buf out = {0};
	char err[1024], *text;
	json_t *v, *tv;
	int missing;

	if (rec == NULL && (rec = json_loads(rec_text, JSON_ALLOW_NUL,
	    NULL)) == NULL)
		abort();
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	err[0] = '\0';
	if ((t = tmpl_compile(text, err, sizeof(err))) != NULL) {
		if (strcmp(tmpl_text(t), text) != 0)
			abort();
		err[0] = '\0';
		if (tmpl_render(t, rec, &out, err, sizeof(err)) < 0 &&
		    err[0] == '\0')
			abort();
		v = tmpl_value(t, rec, &missing);
		json_decref(v);
		tmpl_free(t);
	} else if (err[0] == '\0') {
		abort();
	}
	buf_free(&out);
	free(text);

	if ((tv = json_loadb((const char *)data, size, JSON_DECODE_ANY,
	    NULL)) != NULL) {
		err[0] = '\0';
		if ((j = jtmpl_compile(tv, err, sizeof(err))) != NULL) {
			err[0] = '\0';
			v = jtmpl_render(j, rec, err, sizeof(err));
			if (v == NULL && err[0] == '\0')
				abort();
			json_decref(v);
			jtmpl_free(j);
		} else if (err[0] == '\0') {
			abort();
		}
		json_decref(tv);
	}
	return 0;
}
