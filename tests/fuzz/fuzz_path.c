/* fuzz_path: path_compile on bytes, then path_get and path_set on a record */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"

static const char rec_text[] =
    "{\"body\":{\"data\":{\"status\":\"CLOSED\",\"size\":1200}},"
    "\"Records\":[{\"s3\":{\"bucket\":{\"name\":\"b\"},\"key\":\"k\"}},[1,2]],"
    "\"headers\":{\"x-hub-signature\":\"sha1=ab\",\"a.b\":1},"
    "\"a\":{\"b\":null,\"l\":[]},\"s\":\"str\",\"n\":5}";
static json_t *rec;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct path p;
	char err[256], *text;
	json_t *copy, *val, *got;
	int rc;

	if (rec == NULL && (rec = json_loads(rec_text, 0, NULL)) == NULL)
		abort();
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (path_compile(text, &p, err, sizeof(err)) < 0) {
		if (err[0] == '\0' || p.seg != NULL || p.text != NULL)
			abort();
		free(text);
		return 0;
	}
	if (strcmp(p.text, text) != 0)
		abort();
	(void)path_get(&p, rec);

	/* a set that succeeds is seen by a get of the same path */
	copy = json_deep_copy(rec);
	val = json_integer(42);
	json_incref(val);
	rc = path_set(&p, copy, val);
	got = path_get(&p, copy);
	if (rc == 0 && got != val)
		abort();
	json_decref(val);
	json_decref(copy);

	copy = json_object();
	if (path_set(&p, copy, json_string("x")) == 0 &&
	    path_get(&p, copy) == NULL)
		abort();
	json_decref(copy);
	path_free(&p);
	free(text);
	return 0;
}
