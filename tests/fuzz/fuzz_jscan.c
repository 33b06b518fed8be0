/* fuzz_jscan: lib/jscan against jansson as nd_parse calls it, on every
 * input: the same accept/reject, the same value at every path.
 *
 * The oracle is json_loadb(JSON_DECODE_ANY | JSON_ALLOW_NUL), nd_parse's
 * call, where jscan must accept exactly the objects jansson accepts.
 * Where RFC 8259 and jansson part, jscan follows the RFC and the oracle
 * says so: an integer beyond int64 ("too big integer") is judged by
 * jansson again with JSON_DECODE_INT_AS_REAL (accept/reject only, no
 * values); a real beyond the double range ("real number overflow") is
 * not judged.  A raw NUL byte is refused: jansson takes one straight
 * after a number or literal (its reader drops a NUL it ungets), the RFC
 * nowhere.  \u0000 is accepted in strings (JSON_ALLOW_NUL) and refused
 * in keys, as jansson does.  A line jcanon_compact calls compact must be
 * byte for byte jansson's JSON_COMPACT dump of it.
 *
 * Input: optional lines "#PATH\n" (field paths to look up, besides the
 * fixed ones below), then the JSON text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jcanon.h"
#include "jscan.h"
#include "path.h"

static const char *const fixed[] = {
	".", "a", "b", "a.b", "a.b.c", "a[0]", "a[1]", "a[-1]", "a[0].b",
	"a[1][0]", "a[-2].b", "\"\"", "\"a b\"", "é", "b[0]", "x", "a.a",
};
#define NFIXED (sizeof(fixed) / sizeof(fixed[0]))
#define MAXP (NFIXED + 4)

static struct jcanon *canon;

static int
size_error(const json_error_t *je)
{
	return strstr(je->text, "too big") != NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct path p[MAXP];
	struct jscan *s = jscan_new();
	const char *in = (const char *)data, *nl;
	char err[512], *t;
	size_t np = 0, i, len = size;
	json_error_t je;
	json_t *v, *a, *b;
	int rc, slot[MAXP];

	if (canon == NULL)
		canon = jcanon_new();
	for (i = 0; i < NFIXED; i++)
		if (path_compile(fixed[i], &p[np], err, sizeof(err)) == 0)
			np++;
	while (len > 0 && *in == '#' && np < MAXP &&
	    (nl = memchr(in, '\n', len)) != NULL) {
		t = strndup(in + 1, (size_t)(nl - in - 1));
		if (t != NULL && strlen(t) == (size_t)(nl - in - 1) &&
		    path_compile(t, &p[np], err, sizeof(err)) == 0)
			np++;
		free(t);
		len -= (size_t)(nl - in) + 1;
		in = nl + 1;
	}
	for (i = 0; i < np; i++)
		slot[i] = jscan_add(s, &p[i]);
	rc = jscan_line(s, in, len, err, sizeof(err));
	if (rc < 0 && err[0] == '\0')
		abort();
	v = json_loadb(in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (v == NULL && size_error(&je)) {
		v = json_loadb(in, len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
		    JSON_DECODE_INT_AS_REAL, &je);
		if (v != NULL) {
			/* accept/reject only: the values differ in type;
			 * a raw NUL is refused whatever jansson says */
			if (memchr(in, '\0', len) != NULL ? rc == 0 :
			    (rc == 0) != json_is_object(v))
				abort();
			json_decref(v);
			goto out;
		}
	}
	if (v == NULL && strstr(je.text, "real number overflow") != NULL)
		goto out;
	if (v != NULL && memchr(in, '\0', len) != NULL) {
		/* jansson skips a NUL byte it ungets (after a number or a
		 * literal); RFC 8259 has none outside strings, nor in them */
		if (rc == 0)
			abort();
		json_decref(v);
		goto out;
	}
	if ((rc == 0) != (v != NULL && json_is_object(v))) {
		fprintf(stderr, "jscan %s, jansson %s\n", rc == 0 ? "accepts" :
		    err, v != NULL ? "accepts" : je.text);
		abort();
	}
	for (i = 0; rc == 0 && i < np; i++) {
		a = path_get(&p[i], v);
		b = jscan_get(s, slot[i]);
		if ((a == NULL) != (b == NULL) ||
		    (a != NULL && !json_equal(a, b))) {
			fprintf(stderr, "path %s differs\n", p[i].text);
			abort();
		}
	}
	/* a line jscan calls compact is jansson's own dump of it */
	if (rc == 0 && jcanon_compact(canon, in, len, "route")) {
		t = json_dumps(v, JSON_COMPACT);
		if (t == NULL || strlen(t) != len || memcmp(t, in, len) != 0 ||
		    json_object_get(v, "route") != NULL) {
			fprintf(stderr, "not compact: %s\n", t ? t : "?");
			abort();
		}
		free(t);
	}
	json_decref(v);
out:
	for (i = 0; i < np; i++)
		path_free(&p[i]);
	jscan_free(s);
	return 0;
}
