/* unit tests for lib/path: compiling field paths, getting and setting */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "path.h"
#include "tap.h"

static const char rec_text[] =
    "{\"body\":{\"data\":{\"status\":\"CLOSED\",\"size\":1200}},"
    "\"Records\":[{\"s3\":{\"bucket\":{\"name\":\"b1\"},\"key\":\"k1\"}},"
    "{\"s3\":{\"bucket\":{\"name\":\"b2\"},\"key\":\"k2\"}}],"
    "\"headers\":{\"x-hub-signature\":\"sha1=ab\",\"a.b\":\"dotted\","
    "\"q\\\"uote\":\"quoted\",\"back\\\\slash\":\"bs\",\"\":\"empty\"},"
    "\"a\":{\"b\":\"nested\"},\"m\":[[1,2],[3,4]],\"n\":null,\"f\":false}";

static json_t *rec;

/* the compact JSON of v, or "(missing)"; static storage */
static const char *
show(json_t *v)
{
	static char out[4096];
	char *s;

	if (v == NULL)
		return "(missing)";
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	snprintf(out, sizeof(out), "%s", s ? s : "(dump failed)");
	free(s);
	return out;
}

/* compile text, get it from rec, compare with the compact JSON want */
static void
get_is(const char *text, const char *want)
{
	struct path p;
	char err[512], name[600];

	snprintf(name, sizeof(name), "get %s", text);
	if (path_compile(text, &p, err, sizeof(err)) < 0) {
		ok(0, "%s: compile failed: %s", name, err);
		return;
	}
	is_str(show(path_get(&p, rec)), want, name);
	path_free(&p);
}

/* compile text and expect failure with exactly the message want */
static void
bad_is(const char *text, const char *want)
{
	struct path p;
	char err[512], name[600];
	int rc;

	snprintf(name, sizeof(name), "compile error for '%s'", text);
	snprintf(err, sizeof(err), "(no message)");
	rc = path_compile(text, &p, err, sizeof(err));
	if (!ok(rc == -1, "%s fails", name))
		path_free(&p);
	else
		ok(p.seg == NULL && p.text == NULL && p.n == 0,
		    "%s leaves the path empty", name);
	is_str(err, want, name);
}

/* the segments of a compiled path as "key|[index]|..." */
static void
segs_is(const char *text, const char *want)
{
	struct path p;
	char err[512], out[1024], name[600];
	size_t i, o = 0;

	snprintf(name, sizeof(name), "segments of %s", text);
	if (path_compile(text, &p, err, sizeof(err)) < 0) {
		ok(0, "%s: compile failed: %s", name, err);
		return;
	}
	out[0] = '\0';
	for (i = 0; i < p.n && o < sizeof(out); i++) {
		if (p.seg[i].key != NULL)
			o += snprintf(out + o, sizeof(out) - o, "%s%s",
			    i ? "|" : "", p.seg[i].key);
		else
			o += snprintf(out + o, sizeof(out) - o, "%s[%ld]",
			    i ? "|" : "", p.seg[i].index);
	}
	is_str(out, want, name);
	is_str(p.text, text, "text kept for messages");
	path_free(&p);
}

static void
test_compile(void)
{
	segs_is("body.data.status", "body|data|status");
	segs_is("Records[0].s3.bucket.name", "Records|[0]|s3|bucket|name");
	segs_is("headers.\"x-hub-signature\"", "headers|x-hub-signature");
	segs_is("headers.\"a.b\"", "headers|a.b");
	segs_is("\"a\\\"b\"", "a\"b");
	segs_is("\"a\\\\b\"", "a\\b");
	segs_is("\"\"", "");
	segs_is(".body.id", "body|id");
	segs_is(".", "");
	segs_is("m[1][-1]", "m|[1]|[-1]");
	segs_is("[2]", "[2]");
	segs_is(".[0]", "[0]");
	segs_is("a-b_c:d", "a-b_c:d");
	segs_is("\"x[0]\"[1]", "x[0]|[1]");
	segs_is("é.ü", "é|ü");
}

static void
test_get(void)
{
	get_is("body.data.status", "\"CLOSED\"");
	get_is("body.data.size", "1200");
	get_is("body.data", "{\"status\":\"CLOSED\",\"size\":1200}");
	get_is("Records[0].s3.bucket.name", "\"b1\"");
	get_is("Records[1].s3.key", "\"k2\"");
	get_is("Records[-1].s3.key", "\"k2\"");
	get_is("Records[-2].s3.key", "\"k1\"");
	get_is("Records[-3].s3.key", "(missing)");
	get_is("Records[2]", "(missing)");
	get_is("Records[99999]", "(missing)");
	get_is("m[1][0]", "3");
	get_is("m[-1][-1]", "4");
	get_is("m[0][2]", "(missing)");
	get_is("headers.\"x-hub-signature\"", "\"sha1=ab\"");
	get_is("headers.\"a.b\"", "\"dotted\"");
	get_is("headers.a.b", "(missing)");
	get_is("headers.\"q\\\"uote\"", "\"quoted\"");
	get_is("headers.\"back\\\\slash\"", "\"bs\"");
	get_is("headers.\"\"", "\"empty\"");
	get_is(".a.b", "\"nested\"");
	get_is("\"a\".\"b\"", "\"nested\"");
	get_is(".", show(rec));
	get_is("n", "null");
	get_is("f", "false");
	get_is("n.x", "(missing)");
	get_is("nope", "(missing)");
	get_is("body.nope.deeper", "(missing)");
	/* a key on an array, an index on an object: missing, not a crash */
	get_is("Records.s3", "(missing)");
	get_is("body[0]", "(missing)");
	get_is("body.data.status.x", "(missing)");
	get_is("body.data.status[0]", "(missing)");
}

static void
test_errors(void)
{
	bad_is("", "bad field path '' at character 1: empty path");
	bad_is("a..b", "bad field path 'a..b' at character 3: "
	    "empty field name");
	bad_is("a.", "bad field path 'a.' at character 3: empty field name");
	bad_is("..", "bad field path '..' at character 2: empty field name");
	bad_is("a[x]", "bad field path 'a[x]' at character 2: "
	    "expected [NUMBER]");
	bad_is("a[1", "bad field path 'a[1' at character 2: "
	    "expected [NUMBER]");
	bad_is("a[]", "bad field path 'a[]' at character 2: "
	    "expected [NUMBER]");
	bad_is("a[99999999999999999999]", "bad field path "
	    "'a[99999999999999999999]' at character 2: expected [NUMBER]");
	bad_is("headers.\"x-hub", "bad field path 'headers.\"x-hub' at "
	    "character 15: unterminated quote");
	bad_is("\"a\\\"", "bad field path '\"a\\\"' at character 5: "
	    "unterminated quote");
	bad_is("\"a\"b", "bad field path '\"a\"b' at character 4: "
	    "expected '.'");
	bad_is("a[0]b", "bad field path 'a[0]b' at character 5: "
	    "expected '.'");
	bad_is("a\"b\"", "bad field path 'a\"b\"' at character 2: "
	    "expected '.'");
}

static json_t *
parse(const char *s)
{
	json_error_t je;
	json_t *v = json_loads(s, JSON_DECODE_ANY, &je);

	if (v == NULL)
		printf("# bad test JSON %s: %s\n", s, je.text);
	return v;
}

/* set text to val (JSON) in a copy of start; expect rc and the result */
static void
set_is(const char *start, const char *text, const char *val, int wantrc,
    const char *want)
{
	struct path p;
	json_t *r = parse(start);
	char err[512], name[600];
	int rc;

	snprintf(name, sizeof(name), "set %s=%s in %s", text, val, start);
	if (path_compile(text, &p, err, sizeof(err)) < 0) {
		ok(0, "%s: compile failed: %s", name, err);
		json_decref(r);
		return;
	}
	rc = path_set(&p, r, parse(val));
	ok(rc == wantrc, "%s returns %d (got %d)", name, wantrc, rc);
	is_str(show(r), want, name);
	path_free(&p);
	json_decref(r);
}

static void
test_set(void)
{
	set_is("{}", "a", "1", 0, "{\"a\":1}");
	set_is("{\"a\":1}", "a", "\"x\"", 0, "{\"a\":\"x\"}");
	set_is("{}", "a.b.c", "true", 0, "{\"a\":{\"b\":{\"c\":true}}}");
	set_is("{\"a\":{\"x\":1}}", "a.b", "2", 0,
	    "{\"a\":{\"x\":1,\"b\":2}}");
	set_is("{}", "headers.\"a.b\"", "3", 0, "{\"headers\":{\"a.b\":3}}");
	set_is("{}", ".route", "\"r\"", 0, "{\"route\":\"r\"}");
	set_is("{\"l\":[1,2,3]}", "l[1]", "9", 0, "{\"l\":[1,9,3]}");
	set_is("{\"l\":[1,2,3]}", "l[-1]", "9", 0, "{\"l\":[1,2,9]}");
	set_is("{\"l\":[{\"a\":1}]}", "l[0].b", "2", 0,
	    "{\"l\":[{\"a\":1,\"b\":2}]}");
	set_is("{\"l\":[{\"a\":1}]}", "l[-1].b.c", "2", 0,
	    "{\"l\":[{\"a\":1,\"b\":{\"c\":2}}]}");
	/* failures leave the record alone */
	set_is("{\"l\":[1,2,3]}", "l[3]", "9", -1, "{\"l\":[1,2,3]}");
	set_is("{\"l\":[1,2,3]}", "l[-4]", "9", -1, "{\"l\":[1,2,3]}");
	set_is("{\"a\":5}", "a.b", "1", -1, "{\"a\":5}");
	set_is("{\"a\":\"s\"}", "a.b.c", "1", -1, "{\"a\":\"s\"}");
	set_is("{\"a\":null}", "a.b", "1", -1, "{\"a\":null}");
	set_is("{\"a\":[1]}", "a.b", "1", -1, "{\"a\":[1]}");
	set_is("{\"a\":{}}", "a[0]", "1", -1, "{\"a\":{}}");
	set_is("{\"a\":[5]}", "a[0].b", "1", -1, "{\"a\":[5]}");
	set_is("{}", ".", "1", -1, "{}");
	set_is("{}", "[0]", "1", -1, "{}");
	/* a missing array on the way is not invented, nor is an object */
	set_is("{}", "a[0]", "1", -1, "{}");
	set_is("{}", "a[0].b", "1", -1, "{}");
}

/* set on a root that is not an object, and key bytes that are not UTF-8 */
static void
test_set_odd(void)
{
	struct path p;
	char err[512];
	json_t *arr = parse("[1]"), *r;

	path_compile("[0]", &p, err, sizeof(err));
	ok(path_set(&p, arr, json_integer(2)) == -1,
	    "set on an array root fails");
	is_str(show(arr), "[1]", "array root unchanged");
	path_free(&p);
	json_decref(arr);

	/* the key "\xff" cannot be a JSON key: setting fails cleanly */
	r = json_object();
	ok(path_compile("a.\xff", &p, err, sizeof(err)) == 0,
	    "path with a non-UTF-8 key compiles");
	ok(path_set(&p, r, json_integer(1)) == -1,
	    "set with a non-UTF-8 last key fails");
	path_free(&p);
	ok(path_compile("\xff.b", &p, err, sizeof(err)) == 0,
	    "path with a non-UTF-8 first key compiles");
	ok(path_set(&p, r, json_integer(1)) == -1,
	    "set with a non-UTF-8 intermediate key fails");
	path_free(&p);
	json_decref(r);
}

int
main(void)
{
	int rc;

	rec = parse(rec_text);
	if (rec == NULL)
		return 1;
	test_compile();
	test_get();
	test_errors();
	test_set();
	test_set_odd();
	json_decref(rec);
	rc = done_testing();
	/* out before a leak checker's exit can drop it */
	fflush(stdout);
	return rc;
}
