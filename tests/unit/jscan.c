/* unit tests for lib/jscan (what a line must be, the values it finds)
 * and lib/jcanon (when a line is already jansson's compact form) */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "jcanon.h"
#include "jscan.h"
#include "path.h"
#include "tap.h"

/* jscan's verdict on text: "ok" or its message */
static const char *
verdict(const char *text, size_t len)
{
	static char err[512];
	struct jscan *s = jscan_new();
	int rc = jscan_line(s, text, len, err, sizeof(err));

	jscan_free(s);
	return rc == 0 ? "ok" : err;
}

static void
good(const char *text, const char *name)
{
	is_str(verdict(text, strlen(text)), "ok", name);
}

/* refused, with why in the message */
static void
bad(const char *text, size_t len, const char *why, const char *name)
{
	const char *v = verdict(text, len);

	if (!ok(strstr(v, why) != NULL, "refused: %s", name))
		printf("#   got: '%s', want '%s'\n", v, why);
}

/* the compact JSON at path in text, or "(missing)" */
static const char *
value(const char *text, const char *ptext)
{
	static char out[1024];
	struct jscan *s = jscan_new();
	struct path p;
	char err[512], *d;
	json_t *v;
	int slot;

	if (path_compile(ptext, &p, err, sizeof(err)) < 0)
		return "(bad path)";
	slot = jscan_add(s, &p);
	if (jscan_line(s, text, strlen(text), err, sizeof(err)) < 0) {
		snprintf(out, sizeof(out), "%s", err);
	} else if ((v = jscan_get(s, slot)) == NULL) {
		snprintf(out, sizeof(out), "(missing)");
	} else {
		d = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		snprintf(out, sizeof(out), "%s%s", json_is_real(v) ?
		    "real " : "", d);
		free(d);
	}
	jscan_free(s);
	path_free(&p);
	return out;
}

static int
compact(const char *text)
{
	struct jscan *s = jscan_new();
	struct jcanon *k = jcanon_new();
	char err[512];
	int c = jscan_line(s, text, strlen(text), err, sizeof(err)) == 0 &&
	    jcanon_compact(k, text, strlen(text), "route");

	jscan_free(s);
	jcanon_free(k);
	return c;
}

/* n nested arrays around a 1 (or empty at the core) */
static char *
nest(size_t n, int core)
{
	char *t = malloc(2 * n + 8), *p = t;
	size_t i;

	*p++ = '{';
	memcpy(p, "\"a\":", 4);
	p += 4;
	for (i = 0; i < n; i++)
		*p++ = '[';
	if (core)
		*p++ = '1';
	for (i = 0; i < n; i++)
		*p++ = ']';
	*p++ = '}';
	*p = '\0';
	return t;
}

/* jscan and jansson agree on t */
static void
same_as_jansson(const char *t, const char *name)
{
	json_t *v = json_loadb(t, strlen(t), JSON_DECODE_ANY |
	    JSON_ALLOW_NUL, NULL);

	ok((strcmp(verdict(t, strlen(t)), "ok") == 0) == (v != NULL),
	    "as jansson: %s", name);
	json_decref(v);
}

int
main(void)
{
	char *t;

	good("{}", "empty object");
	good(" {\"a\" : [ 1 , -0.5e+3 , true , false , null ] }\r\t",
	    "white space everywhere");
	good("{\"a\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
	    "every escape and a surrogate pair");
	good("{\"a\":\"\\u0000\"}", "\\u0000 in a string (as JSON_ALLOW_NUL)");
	good("{\"a\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"}",
	    "2, 3 and 4 byte UTF-8, U+10FFFF");
	good("{\"a\":123456789012345678901234567890}",
	    "an integer beyond int64 (RFC 8259; jansson refuses)");
	good("{\"a\":-1e400}", "a real beyond double (RFC 8259)");
	good("{\"a\":1,\"a\":2}", "a duplicate key (the last wins)");

	bad("{\"a\":01}", 8, "invalid number", "leading zero");
	bad("{\"a\":-01}", 9, "invalid number", "negative leading zero");
	bad("{\"a\":1.}", 8, "invalid number", "1.");
	bad("{\"a\":.5}", 8, "invalid token", ".5");
	bad("{\"a\":1e}", 8, "invalid number", "1e");
	bad("{\"a\":+1}", 8, "invalid token", "+1");
	bad("{\"a\":\"\x01\"}", 8, "control character", "bare control char");
	bad("{\"a\":\"\t\"}", 8, "control character", "bare tab");
	bad("{\"a\":\"\\x\"}", 9, "invalid escape", "bad escape \\x");
	bad("{\"a\":\"\\u12G4\"}", 13, "invalid escape", "bad \\u digits");
	bad("{\"a\":\"\xc0\xaf\"}", 9, "invalid UTF-8", "overlong 2 bytes");
	bad("{\"a\":\"\xe0\x80\xaf\"}", 10, "invalid UTF-8", "overlong 3 bytes");
	bad("{\"a\":\"\xf0\x80\x80\xaf\"}", 11, "invalid UTF-8",
	    "overlong 4 bytes");
	bad("{\"a\":\"\xed\xa0\x80\"}", 10, "invalid UTF-8",
	    "UTF-8 surrogate");
	bad("{\"a\":\"\xf4\x90\x80\x80\"}", 11, "invalid UTF-8",
	    "past U+10FFFF");
	bad("{\"a\":\"\xff\"}", 8, "invalid UTF-8", "byte 0xff");
	bad("{\"a\":\"\xc3\"}", 8, "invalid UTF-8", "truncated sequence");
	bad("{\"a\":\"\\ud800\"}", 13, "lone high surrogate",
	    "lone high surrogate");
	bad("{\"a\":\"\\ud800\\u0041\"}", 19, "lone high surrogate",
	    "high surrogate with a non-low after it");
	bad("{\"a\":\"\\udc00\"}", 13, "lone low surrogate",
	    "lone low surrogate");
	bad("{\"a\":1}{\"b\":2}", 14, "end of file expected", "two values");
	bad("{\"a\":1} 2", 9, "end of file expected", "an object and more");
	bad("[1]", 3, "not a JSON object", "an array");
	bad("\"s\"", 3, "not a JSON object", "a string");
	bad("12", 2, "not a JSON object", "a number");
	bad("{\"a\": broken}", 13, "invalid token", "a bare word");
	bad("{\"a\":1,,}", 9, "string or '}' expected", "two commas");
	bad("{\"a\":1,}", 8, "string or '}' expected", "trailing comma");
	bad("{\"a\":[1,]}", 10, "invalid token", "trailing comma in array");
	bad("{\"a\" 1}", 7, "':' expected", "no colon");
	bad("{\"a\":1", 6, "'}' expected", "unclosed object");
	bad("{\"a\":\"x", 7, "premature end", "unclosed string");
	bad("{\"a\":tru}", 9, "invalid token", "tru");
	bad("{\"\\u0000\":1}", 12, "NUL byte in object key", "\\u0000 in a key");
	bad("{\"a\":1}\0", 8, "end of file expected", "a NUL after the object");
	bad("", 0, "premature end", "nothing");
	/* jansson takes these (its reader drops a NUL it ungets) */
	bad("{\"a\":1\0}", 8, "'}' expected", "a NUL after a number");
	bad("{\"a\":true\0}", 11, "'}' expected", "a NUL after a literal");

	t = nest(JSCAN_MAX_DEPTH - 2, 1);
	good(t, "a value at depth 2048 (jansson's limit)");
	same_as_jansson(t, "depth 2048");
	free(t);
	t = nest(JSCAN_MAX_DEPTH - 1, 1);
	bad(t, strlen(t), "maximum parsing depth", "a value at depth 2049");
	same_as_jansson(t, "depth 2049");
	free(t);
	t = nest(JSCAN_MAX_DEPTH - 1, 0);
	good(t, "an empty array at depth 2048");
	same_as_jansson(t, "empty array at depth 2048");
	free(t);

	is_str(value("{\"a\":{\"b\":\"x\"}}", "a.b"), "\"x\"", "nested key");
	is_str(value("{\"a\":{\"b\":\"x\"}}", "a"), "{\"b\":\"x\"}",
	    "an object value");
	is_str(value("{\"a\":{\"b\":\"x\"}}", "."), "{\"a\":{\"b\":\"x\"}}",
	    "the root");
	is_str(value("{\"a\":{\"b\":\"x\"}}", "a.c"), "(missing)",
	    "missing key");
	is_str(value("{\"a\":\"s\"}", "a.b"), "(missing)", "key of a string");
	is_str(value("{\"a\":[1,2,3]}", "a[1]"), "2", "array index");
	is_str(value("{\"a\":[1,2,3]}", "a[-1]"), "3", "negative index");
	is_str(value("{\"a\":[1,2,3]}", "a[3]"), "(missing)", "past the end");
	is_str(value("{\"a\":[{\"b\":1},{\"b\":2}]}", "a[-2].b"), "1",
	    "negative index then key");
	is_str(value("{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "a.b"), "(missing)",
	    "duplicate key: the first's fields are gone");
	is_str(value("{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "a.c"), "2",
	    "duplicate key: the last wins");
	is_str(value("{\"\\u0061\":\"\\u00e9\\n\"}", "a"), "\"é\\n\"",
	    "escaped key and value");
	is_str(value("{\"a b\":1}", "\"a b\""), "1", "quoted path key");
	is_str(value("{\"a\":-0}", "a"), "0", "-0 is the integer 0");
	is_str(value("{\"a\":1.5e2}", "a"), "real 150.0", "a real");
	/* as nd_parse keeps them: bignum.h's marker, the number's text */
	is_str(value("{\"a\":12345678901234567890}", "a"),
	    "\"\\u000012345678901234567890\"",
	    "a big integer is its exact text");
	is_str(value("{\"a\":1e400}", "a"), "\"\\u00001e400\"",
	    "a huge real is its exact text");
	is_str(value("{\"a\":[true,false,null]}", "a[2]"), "null", "null");

	ok(compact("{\"a\":1,\"b\":[\"x\",{\"c\":null}],\"d\":{}}"),
	    "compact: jansson's own form");
	ok(compact("{\"a\":1.5,\"b\":1e20,\"c\":\"\\\"\\n\"}"),
	    "compact: reals as %%.17g writes them, short escapes");
	ok(!compact("{\"a\": 1}"), "not compact: a space");
	ok(!compact("{\"a\":0.1}"), "not compact: 0.1 (jansson writes "
	    "0.10000000000000001)");
	ok(!compact("{\"a\":1E2}"), "not compact: 1E2");
	ok(!compact("{\"a\":-0}"), "not compact: -0");
	ok(!compact("{\"a\":\"\\u00e9\"}"), "not compact: a \\u escape");
	ok(!compact("{\"a\":\"\\/\"}"), "not compact: \\/");
	ok(!compact("{\"a\":1,\"a\":2}"), "not compact: duplicate keys");
	ok(compact("{\"a\":{\"x\":1},\"b\":{\"x\":1}}"),
	    "compact: the same key in two objects");
	ok(!compact("{\"a\":{\"x\":1,\"x\":1}}"),
	    "not compact: duplicate keys deeper");
	ok(!compact("{\"route\":\"r\"}"), "not compact: a \"route\" key");
	ok(compact("{\"a\":{\"route\":\"r\"}}"), "compact: \"route\" deeper");
	return done_testing();
}
