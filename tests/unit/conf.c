/* unit tests for lib/conf: YAML (and JSON) config files into jansson */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "conf.h"
#include "tap.h"
#include "xmem.h"

/* a test name from text: control and non-ASCII bytes escaped (the TAP
 * log stays text), cut at about 60 bytes */
static const char *
label(const char *text)
{
	static char out[200];
	unsigned char c;
	size_t o = 0;

	for (; *text != '\0' && o < 60; text++) {
		c = (unsigned char)*text;
		if (c == '\n')
			o += snprintf(out + o, sizeof(out) - o, "\\n");
		else if (c == '\t')
			o += snprintf(out + o, sizeof(out) - o, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			o += snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

/* load text; expect success and the compact JSON want (types show) */
static void
load_is(const char *text, const char *want)
{
	json_t *v = NULL;
	char err[1024], name[600], *s;

	snprintf(name, sizeof(name), "load %s", label(text));
	if (conf_loads(text, strlen(text), "t.yaml", &v, err, sizeof(err))
	    < 0) {
		ok(0, "%s: failed: %s", name, err);
		return;
	}
	s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	is_str(s ? s : "(cannot dump: a loop?)", want, name);
	free(s);
	json_decref(v);
}

/* load text; expect failure with exactly want */
static void
load_err(const char *text, size_t len, const char *want)
{
	json_t *v = NULL;
	char err[1024], name[600], *s;
	int rc;

	snprintf(name, sizeof(name), "error for %s", label(text));
	snprintf(err, sizeof(err), "(no message)");
	rc = conf_loads(text, len, "t.yaml", &v, err, sizeof(err));
	if (!ok(rc == -1, "%s: fails", name)) {
		s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		printf("#   loaded: %s\n", s ? s : "(cannot dump: a loop?)");
		free(s);
		json_decref(v);
	}
	is_str(err, want, name);
}

#define LOAD_ERR(lit, want) load_err(lit, sizeof(lit) - 1, want)

/* the type a scalar gets: "integer 1", "real 1.5", "string x", ... */
static void
scalar_is(const char *scalar, const char *want)
{
	char text[256], got[256], name[300];
	json_t *v = NULL, *x;
	char err[512];

	snprintf(text, sizeof(text), "x: %s\n", scalar);
	snprintf(name, sizeof(name), "scalar %s", label(scalar));
	if (conf_loads(text, strlen(text), "t.yaml", &v, err, sizeof(err))
	    < 0) {
		ok(0, "%s: %s", name, err);
		return;
	}
	x = json_object_get(v, "x");
	switch (json_typeof(x)) {
	case JSON_INTEGER:
		snprintf(got, sizeof(got), "integer %lld",
		    (long long)json_integer_value(x));
		break;
	case JSON_REAL:
		snprintf(got, sizeof(got), "real %.17g", json_real_value(x));
		break;
	case JSON_STRING:
		snprintf(got, sizeof(got), "string %s", json_string_value(x));
		break;
	case JSON_TRUE:
		snprintf(got, sizeof(got), "true");
		break;
	case JSON_FALSE:
		snprintf(got, sizeof(got), "false");
		break;
	case JSON_NULL:
		snprintf(got, sizeof(got), "null");
		break;
	default:
		snprintf(got, sizeof(got), "other");
		break;
	}
	is_str(got, want, name);
	json_decref(v);
}

static void
test_scalars(void)
{
	scalar_is("1", "integer 1");
	scalar_is("0", "integer 0");
	scalar_is("-5", "integer -5");
	scalar_is("+7", "integer 7");
	scalar_is("007", "integer 7");
	scalar_is("9223372036854775807", "integer 9223372036854775807");
	scalar_is("-9223372036854775808", "integer -9223372036854775808");
	scalar_is("1.5", "real 1.5");
	scalar_is("-0.25", "real -0.25");
	scalar_is("1e3", "real 1000");
	scalar_is("2.5E-1", "real 0.25");
	scalar_is(".5", "real 0.5");
	scalar_is("1.", "real 1");
	scalar_is("true", "true");
	scalar_is("True", "true");
	scalar_is("TRUE", "true");
	scalar_is("false", "false");
	scalar_is("False", "false");
	scalar_is("FALSE", "false");
	scalar_is("null", "null");
	scalar_is("Null", "null");
	scalar_is("NULL", "null");
	scalar_is("~", "null");
	scalar_is("", "null");
	scalar_is("# only a comment", "null");
	/* YAML 1.1 booleans are plain strings in 1.2 */
	scalar_is("yes", "string yes");
	scalar_is("no", "string no");
	scalar_is("on", "string on");
	scalar_is("off", "string off");
	scalar_is("tRUE", "string tRUE");
	scalar_is("nulls", "string nulls");
	/* things that only look a bit like numbers */
	scalar_is("+", "string +");
	scalar_is(".", "string .");
	scalar_is("1-2", "string 1-2");
	scalar_is("--1", "string --1");
	scalar_is("1e", "string 1e");
	scalar_is("e5", "string e5");
	scalar_is("1.2.3", "string 1.2.3");
	scalar_is("12:30", "string 12:30");
	scalar_is("1_000", "string 1_000");
	scalar_is("inf", "string inf");
	scalar_is("nan", "string nan");
	scalar_is("1 2", "string 1 2");
	scalar_is("2024-03-05", "string 2024-03-05");
	scalar_is("1 # comment", "integer 1");
	/* quoted and tagged scalars stay strings */
	scalar_is("\"1\"", "string 1");
	scalar_is("'1.5'", "string 1.5");
	scalar_is("'true'", "string true");
	scalar_is("\"null\"", "string null");
	scalar_is("\"~\"", "string ~");
	scalar_is("''", "string ");
	scalar_is("!!str 1", "string 1");
	scalar_is("\"x\\u00e9\\n\"", "string x\xc3\xa9\n");
	scalar_is("'it''s'", "string it's");
	scalar_is("caf\xc3\xa9", "string caf\xc3\xa9");
	scalar_is("http://x/{a|url}", "string http://x/{a|url}");
	scalar_is("|\n  123\n", "string 123\n");
	scalar_is(">\n  a\n  b\n", "string a b\n");
	scalar_is("|-\n  a\n  b\n", "string a\nb");
}

static void
test_structures(void)
{
	load_is("", "null");
	load_is("# nothing\n", "null");
	load_is("---\n", "null");
	load_is("a: 1\n", "{\"a\":1}");
	load_is("---\na: 1\n...\n", "{\"a\":1}");
	load_is("a:\n  b:\n    c: x\n  d: [1, 2]\n",
	    "{\"a\":{\"b\":{\"c\":\"x\"},\"d\":[1,2]}}");
	load_is("- 1\n- two\n- [3, {four: 4}]\n- {}\n- []\n",
	    "[1,\"two\",[3,{\"four\":4}],{},[]]");
	load_is("routes:\n  - name: a\n    when: {x: 1, y: [a, b]}\n"
	    "  - name: b\n    to: out.ndjson\n",
	    "{\"routes\":[{\"name\":\"a\",\"when\":{\"x\":1,\"y\":"
	    "[\"a\",\"b\"]}},{\"name\":\"b\",\"to\":\"out.ndjson\"}]}");
	load_is("{a: 1, b: [x, \"y\", 'z'], c: {d: null}}",
	    "{\"a\":1,\"b\":[\"x\",\"y\",\"z\"],\"c\":{\"d\":null}}");
	load_is("[a, [b, [c]]]", "[\"a\",[\"b\",[\"c\"]]]");
	/* keys keep their text, whatever they look like */
	load_is("1: a\ntrue: b\nnull: c\n\"q\": d\n",
	    "{\"1\":\"a\",\"true\":\"b\",\"null\":\"c\",\"q\":\"d\"}");
	/* order is kept */
	load_is("z: 1\na: 2\nm: 3\n", "{\"z\":1,\"a\":2,\"m\":3}");
	/* JSON is YAML */
	load_is("{\"a\": 1, \"b\": [true, false, null, \"x\", 1.5, -2], "
	    "\"c\": {\"d\": \"1\"}}",
	    "{\"a\":1,\"b\":[true,false,null,\"x\",1.5,-2],"
	    "\"c\":{\"d\":\"1\"}}");
	load_is("{\t\"a\":\t1}\n", "{\"a\":1}");
	load_is("[]", "[]");
	load_is("\"just a string\"", "\"just a string\"");
	load_is("42", "42");
	load_is("\xef\xbb\xbf" "a: 1\n", "{\"a\":1}");
	load_is("a: 1\r\nb: 2\r\n", "{\"a\":1,\"b\":2}");
	/* anchors and aliases */
	load_is("base: &b {x: 1, y: [2]}\nother: *b\n",
	    "{\"base\":{\"x\":1,\"y\":[2]},\"other\":{\"x\":1,\"y\":[2]}}");
	load_is("a: &v 5\nb: *v\nc: [*v, *v]\n",
	    "{\"a\":5,\"b\":5,\"c\":[5,5]}");
	load_is("a: &s \"5\"\nb: *s\n", "{\"a\":\"5\",\"b\":\"5\"}");
	load_is("- &x a\n- &x b\n- *x\n", "[\"a\",\"b\",\"b\"]");
	load_is("l: &l [1, 2]\nm: {k: *l}\n",
	    "{\"l\":[1,2],\"m\":{\"k\":[1,2]}}");
}

static void
test_errors(void)
{
	char big[2100];

	LOAD_ERR("a: 1\nb: 2\na: 3\n", "t.yaml:3: duplicate key 'a'");
	LOAD_ERR("x:\n  a: 1\n  a: 2\n", "t.yaml:3: duplicate key 'a'");
	LOAD_ERR("{\"a\": 1, \"a\": 2}", "t.yaml:1: duplicate key 'a'");
	LOAD_ERR("- a: 1\n  b: 2\n- a: 1\n  a: 1\n",
	    "t.yaml:4: duplicate key 'a'");
	LOAD_ERR("a: b: c\n", "t.yaml:1: mapping values are not allowed in "
	    "this context");
	LOAD_ERR("- a\nb: 1\n", "t.yaml:2: did not find expected '-' "
	    "indicator while parsing a block collection");
	LOAD_ERR("a: b\n c: d\n", "t.yaml:2: mapping values are not allowed "
	    "in this context");
	LOAD_ERR("a: \"x\n", "t.yaml:2: found unexpected end of stream while "
	    "scanning a quoted scalar");
	LOAD_ERR("a:\n\t- 1\n", "t.yaml:2: found character that cannot start "
	    "any token while scanning for the next token");
	LOAD_ERR("a: 1\nb: @x\n", "t.yaml:2: found character that cannot "
	    "start any token while scanning for the next token");
	LOAD_ERR("a: [1, 2\nb: 3\n", "t.yaml:2: did not find expected ',' or "
	    "']' while parsing a flow sequence");
	LOAD_ERR("a: *nope\n", "t.yaml:1: unknown alias");
	LOAD_ERR("a: 1\nb: *a\n", "t.yaml:2: unknown alias");
	LOAD_ERR("? [a]\n: b\n", "t.yaml:1: mapping key is not a scalar");
	LOAD_ERR("a: &k x\n*k : y\n", "t.yaml:2: mapping key is not a scalar");
	LOAD_ERR("\"a\\0b\": 1\n", "t.yaml:1: NUL byte in mapping key");
	/* plain keys stop at 1024 characters in libyaml; explicit ones not */
	memcpy(big, "? ", 2);
	memset(big + 2, 'k', 1100);
	memcpy(big + 1102, "\n: 1\n", 6);
	load_err(big, strlen(big), "t.yaml:1: mapping key too long");
	memset(big, '[', 1000);
	memset(big + 1000, ']', 1000);
	big[2000] = '\0';
	load_err(big, strlen(big), "t.yaml:1: nested too deeply");
	/* the line of an encoding error is where it is, not line 1 */
	LOAD_ERR("a: 1\nb: 2\nc: \xff\n", "t.yaml:3: invalid leading UTF-8 "
	    "octet");
	/* one document only: a second one is an error, not ignored */
	LOAD_ERR("a: 1\n---\nb: 2\n", "t.yaml:2: more than one document");
	LOAD_ERR("--- 1\n...\n--- 2\n", "t.yaml:3: more than one document");
	/* content after the root node is an error, not dropped */
	LOAD_ERR("  a: 1\n b: 2\n", "t.yaml:2: did not find expected "
	    "<document start>");
	LOAD_ERR("a: 1\n...\njunk: ]\n", "t.yaml:3: did not find expected "
	    "<document start>");
}

/* an alias inside its own anchor would make a loop (or vanish) */
static void
test_recursive_alias(void)
{
	static const char *const docs[] = {
		"x: &a [*a]\n",
		"x: &a {b: *a}\n",
		"x: &a [[*a]]\n",
		"x: &a {b: [1, {c: *a}]}\n",
	};
	size_t i;
	json_t *v;
	char err[512];
	int rc;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		v = NULL;
		err[0] = '\0';
		rc = conf_loads(docs[i], strlen(docs[i]), "t.yaml", &v, err,
		    sizeof(err));
		ok(rc == -1 && strncmp(err, "t.yaml:1: ", 10) == 0,
		    "recursive alias %s is an error: rc %d '%s'",
		    label(docs[i]), rc, err);
		if (rc == 0) {
			/* break the loop so the leak checker stays quiet */
			json_t *x = json_object_get(v, "x");

			if (json_is_array(x))
				json_array_clear(json_array_get(x, 0));
			if (json_is_object(x))
				json_array_clear(json_object_get(x, "b"));
			json_decref(v);
		}
	}
}

static void
test_lines(void)
{
	static const char doc[] =
	    "# routes\n"			/* 1 */
	    "routes:\n"				/* 2 */
	    "  - name: a\n"			/* 3 */
	    "    when: {x: 1}\n"		/* 4 */
	    "\n"				/* 5 */
	    "  - name: b\n"			/* 6 */
	    "    to: out.ndjson\n"		/* 7 */
	    "default: drop\n"			/* 8 */
	    "list: [1,\n"			/* 9 */
	    "  2]\n";				/* 10 */
	json_t *v = NULL, *routes, *r0, *r1, *l, *other;
	char err[512];

	if (conf_loads(doc, sizeof(doc) - 1, "t.yaml", &v, err,
	    sizeof(err)) < 0) {
		ok(0, "load for conf_line: %s", err);
		return;
	}
	routes = json_object_get(v, "routes");
	r0 = json_array_get(routes, 0);
	r1 = json_array_get(routes, 1);
	l = json_object_get(v, "list");
	ok(conf_line(v) == 2, "conf_line of the root: %d", conf_line(v));
	ok(conf_line(routes) == 3, "conf_line of a block list: %d",
	    conf_line(routes));
	ok(conf_line(r0) == 3, "conf_line of the first route: %d",
	    conf_line(r0));
	ok(conf_line(json_object_get(r0, "name")) == 3,
	    "conf_line of a scalar: %d",
	    conf_line(json_object_get(r0, "name")));
	ok(conf_line(json_object_get(r0, "when")) == 4,
	    "conf_line of a flow map: %d",
	    conf_line(json_object_get(r0, "when")));
	ok(conf_line(r1) == 6, "conf_line after a blank line: %d",
	    conf_line(r1));
	ok(conf_line(json_object_get(r1, "to")) == 7, "conf_line of to: %d",
	    conf_line(json_object_get(r1, "to")));
	ok(conf_line(json_object_get(v, "default")) == 8,
	    "conf_line of default: %d",
	    conf_line(json_object_get(v, "default")));
	ok(conf_line(l) == 9, "conf_line of a flow list: %d", conf_line(l));
	ok(conf_line(json_array_get(l, 1)) == 10,
	    "conf_line of an item on the next line: %d",
	    conf_line(json_array_get(l, 1)));
	other = json_string("not from the file");
	ok(conf_line(other) == 0, "conf_line of another node is 0");
	ok(conf_line(NULL) == 0, "conf_line(NULL) is 0");
	json_decref(other);
	json_decref(v);
}

static void
test_file(void)
{
	char path[] = "/tmp/conf-test.XXXXXX", err[512], want[600];
	const char text[] = "a: 1\nb:\n  - x\n";
	json_t *v = NULL;
	char *s;
	int fd;

	if ((fd = mkstemp(path)) < 0 ||
	    write(fd, text, sizeof(text) - 1) != (ssize_t)sizeof(text) - 1) {
		ok(0, "temp file: %s", strerror(errno));
		return;
	}
	close(fd);
	ok(conf_load(path, &v, err, sizeof(err)) == 0, "conf_load a file");
	s = v ? json_dumps(v, JSON_COMPACT) : NULL;
	is_str(s, "{\"a\":1,\"b\":[\"x\"]}", "conf_load content");
	ok(conf_line(json_object_get(v, "b")) == 3, "conf_line after "
	    "conf_load");
	free(s);
	json_decref(v);

	/* errors name the file */
	if ((fd = open(path, O_WRONLY | O_TRUNC)) >= 0) {
		if (write(fd, "a: 1\na: 2\n", 10) != 10)
			ok(0, "write");
		close(fd);
	}
	v = NULL;
	ok(conf_load(path, &v, err, sizeof(err)) == -1, "conf_load of a bad "
	    "file fails");
	snprintf(want, sizeof(want), "%s:2: duplicate key 'a'", path);
	is_str(err, want, "conf_load error names file and line");
	unlink(path);

	ok(conf_load(path, &v, err, sizeof(err)) == -1, "conf_load of a "
	    "missing file fails");
	snprintf(want, sizeof(want), "cannot open %s: No such file or "
	    "directory", path);
	is_str(err, want, "missing file message");
	ok(conf_load("/", &v, err, sizeof(err)) == -1, "conf_load of a "
	    "directory fails");
	is_str(err, "cannot read /: Is a directory", "directory message");
}

/* billion laughs: level i is ten aliases of level i - 1; 10^levels */
static void
laughs(struct buf *b, int levels)
{
	char line[128];
	int i;

	buf_adds(b, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (i = 1; i < levels; i++) {
		snprintf(line, sizeof(line), "a%d: &a%d [*a%d, *a%d, *a%d, "
		    "*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
		    i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1,
		    i - 1, i - 1);
		buf_adds(b, line);
	}
}

/* aliases share values, but a walk of the result meets every copy: the
 * expanded document is bounded in values and in depth */
static void
test_alias_bounds(void)
{
	struct buf b = {0};
	json_t *v = NULL;
	char err[512];
	int i, rc;

	laughs(&b, 7);
	rc = conf_loads(b.p, b.len, "t.yaml", &v, err, sizeof(err));
	ok(rc == -1, "10^7 values through aliases: refused");
	is_str(err, "t.yaml:5: aliases add more than 100000 values",
	    "  at the alias that goes past 100000");
	if (rc == 0)
		json_decref(v);
	buf_free(&b);

	/* 10^4 expanded values load */
	laughs(&b, 4);
	rc = conf_loads(b.p, b.len, "t.yaml", &v, err, sizeof(err));
	ok(rc == 0, "10^4 values through aliases load: '%s'", rc ? err : "");
	if (rc == 0)
		json_decref(v);
	buf_free(&b);

	/* 41 levels under an anchor 40 deep, aliased 80 deep: 121 */
	for (i = 0; i < 40; i++)
		buf_adds(&b, "[");
	buf_adds(&b, "&d [");
	for (i = 0; i < 40; i++)
		buf_adds(&b, "[");
	for (i = 0; i < 40; i++)
		buf_adds(&b, "]");
	buf_adds(&b, "], ");
	for (i = 0; i < 40; i++)
		buf_adds(&b, "[");
	buf_adds(&b, "*d");
	for (i = 0; i < 80; i++)
		buf_adds(&b, "]");
	buf_adds(&b, "\n");
	rc = conf_loads(b.p, b.len, "t.yaml", &v, err, sizeof(err));
	ok(rc == -1, "an alias 121 levels deep once expanded: refused");
	is_str(err, "t.yaml:1: nested too deeply (aliases expanded)",
	    "  says why");
	if (rc == 0)
		json_decref(v);
	buf_free(&b);
}

int
main(void)
{
	int rc;

	test_scalars();
	test_structures();
	test_errors();
	test_lines();
	test_file();
	test_recursive_alias();
	test_alias_bounds();
	rc = done_testing();
	/* out before a leak checker's exit can drop it */
	fflush(stdout);
	return rc;
}
