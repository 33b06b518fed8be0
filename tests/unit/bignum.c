/* unit tests for lib/bignum: numbers jansson cannot hold, through
 * nd_parse, templates, rules and every dump, with their digits intact */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "bignum.h"
#include "msg.h"
#include "nd.h"
#include "rules.h"
#include "tap.h"
#include "tmpl.h"
#include "xmem.h"

#define S(s) s, sizeof(s) - 1

/* 2^53 + 1, 2^63 - 1, -2^63, 2^64 - 1, 2^64, -2^63 - 1, 40 digits,
 * and reals past a double's range */
static const char *const nums[] = {
	"9007199254740993", "9223372036854775807", "-9223372036854775808",
	"18446744073709551615", "18446744073709551616",
	"-9223372036854775809",
	"1234567890123456789012345678901234567890",
	"1e400", "-1.5E+999", "123456789012345678901234567890.5e999",
};

/* a line parsed and dumped again is the line */
static void
test_round_trip(void)
{
	char line[512], err[256], name[600], *s;
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		snprintf(line, sizeof(line), "{\"id\":%s,\"a\":[%s,{\"b\":%s}],"
		    "\"s\":\"%s\",\"%s\":1}", nums[i], nums[i], nums[i],
		    nums[i], nums[i]);
		v = nd_parse(line, strlen(line), err, sizeof(err));
		snprintf(name, sizeof(name), "%s: parsed", nums[i]);
		ok(v != NULL, "%s%s%s", name, v ? "" : ": ", v ? "" : err);
		s = v ? bignum_dumps(v, JSON_COMPACT) : NULL;
		snprintf(name, sizeof(name), "%s: dumped as read", nums[i]);
		is_str(s, line, name);
		free(s);
		json_decref(v);
	}
}

static void
test_markers(void)
{
	char err[256], *s;
	const char *d;
	json_t *v, *c;
	size_t n;

	v = nd_parse(S("{\"id\":18446744073709551616,\"n\":5}"), err,
	    sizeof(err));
	d = v ? bignum_text(json_object_get(v, "id"), &n) : NULL;
	is_str(d, "18446744073709551616", "bignum_text gives the digits");
	ok(d != NULL && n == 20, "and their length");
	ok(bignum_text(json_object_get(v, "n"), NULL) == NULL,
	    "a small number is a jansson integer");
	ok(json_is_integer(json_object_get(v, "n")) &&
	    json_integer_value(json_object_get(v, "n")) == 5,
	    "with its value");
	/* a copy of the record (as --errors makes) keeps the digits */
	c = json_deep_copy(v);
	s = bignum_dumps(c, JSON_COMPACT);
	is_str(s, "{\"id\":18446744073709551616,\"n\":5}", "a deep copy too");
	free(s);
	json_decref(c);
	s = bignum_dumps(json_object_get(v, "id"), JSON_ENCODE_ANY);
	is_str(s, "18446744073709551616", "a marker alone, JSON_ENCODE_ANY");
	free(s);
	json_decref(v);

	/* strings that only look like markers stay strings */
	v = nd_parse(S("{\"a\":\"\\u0000x1\",\"b\":\"x\\\"\\u00001\","
	    "\"1\":2}"), err, sizeof(err));
	ok(v != NULL, "NULs in strings are real input: %s",
	    v ? "ok" : err);
	s = v ? bignum_dumps(v, JSON_COMPACT) : NULL;
	is_str(s, "{\"a\":\"\\u0000x1\",\"b\":\"x\\\"\\u00001\",\"1\":2}",
	    "and dump as they came");
	free(s);
	json_decref(v);
	v = nd_parse(S("{\"a\":\"\\u00001e5\",\"b\":1e999}"), err,
	    sizeof(err));
	ok(v == NULL && strstr(err, "stands for a big number") != NULL,
	    "a real marker-like string is refused, not turned into a "
	    "number: %s", err);
	json_decref(v);
	/* found by fuzz_record: a duplicate key puts such a string where a
	 * big number was, so the marker count still matched */
	v = nd_parse(S("{\"a\":18446744073662433313,\"b\":-1e400,"
	    "\"a\":\"\\u00001.5\"}"), err, sizeof(err));
	ok(v == NULL && strstr(err, "stands for a big number") != NULL,
	    "a marker-like string replacing a big number by a duplicate key "
	    "is refused: %s", v ? "taken" : err);
	json_decref(v);
}

static void
test_tools(void)
{
	char err[256];
	struct tmpl *t;
	struct rules_cond *c;
	struct buf b = {0};
	json_t *v, *r;

	v = nd_parse(S("{\"id\":18446744073709551615,\"x\":{\"id\":"
	    "1234567890123456789012345678901234567890}}"), err, sizeof(err));
	t = tmpl_compile("id={id} x={x} j={x.id|json} u={id|url}", err,
	    sizeof(err));
	ok(t != NULL && tmpl_render(t, v, &b, err, sizeof(err)) == 0,
	    "a template renders big numbers");
	is_str(b.p, "id=18446744073709551615 x={\"id\":1234567890123456789012"
	    "345678901234567890} j=1234567890123456789012345678901234567890 "
	    "u=18446744073709551615", "as their digits");
	tmpl_free(t);
	buf_free(&b);

	c = rules_where("id=18446744073709551615", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "-w id=<the digits> matches");
	rules_cond_free(c);
	c = rules_where("id=18446744073709551614", err, sizeof(err));
	ok(c != NULL && !rules_match(c, v), "other digits do not");
	rules_cond_free(c);
	c = rules_where("id>100", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "id>100 compares the numbers");
	rules_cond_free(c);
	c = rules_where("id<100", err, sizeof(err));
	ok(c != NULL && !rules_match(c, v), "id<100 does not match");
	rules_cond_free(c);
	c = rules_where("id>18446744073709551614", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "big against big: exactly, not as "
	    "doubles (both are 2^64 as doubles)");
	rules_cond_free(c);
	c = rules_where("id<18446744073709551616", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "and the other way");
	rules_cond_free(c);
	c = rules_where("id>-18446744073709551616", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "a negative big number is less");
	rules_cond_free(c);
	c = rules_where("x.id>1e30", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "against a real: as doubles");
	rules_cond_free(c);
	c = rules_where("id=\"18446744073709551615\"", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "against the digits as a string");
	rules_cond_free(c);
	c = rules_where("x.id~^1234", err, sizeof(err));
	ok(c != NULL && rules_match(c, v), "a regex sees the digits");
	rules_cond_free(c);
	json_decref(v);

	/* what wh-route's state keeps and gives back */
	r = bignum_loads("[18446744073709551616,1]", JSON_DECODE_ANY, NULL);
	ok(r != NULL && bignum_text(json_array_get(r, 0), NULL) != NULL,
	    "bignum_loads takes any value, NULL error pointer");
	json_decref(r);
}

/* reals as they came (shortest text that reads back), not 17 digits */
static void
test_reals(void)
{
	static const char *const in[] = {
		"21.7", "0.1", "0.30000000000000004", "-0.0", "1e300",
		"1.5e-7", "100.0", "1.7976931348623157e308", "2.5e-308",
		"123456.789",
	};
	char t[40], name[80], *s;
	json_t *v;
	size_t i;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		v = json_real(strtod(in[i], NULL));
		s = bignum_dumps(v, JSON_ENCODE_ANY);
		snprintf(name, sizeof(name), "%s dumps as written", in[i]);
		is_str(s, in[i], name);
		free(s);
		json_decref(v);
	}
	/* inside a string, the same text is left alone */
	v = json_pack("{s:s,s:f}", "s", "0.10000000000000001", "r", 0.1);
	s = bignum_dumps(v, JSON_COMPACT);
	is_str(s, "{\"s\":\"0.10000000000000001\",\"r\":0.1}",
	    "a string that looks like a real is not rewritten");
	free(s);
	json_decref(v);
	ok(bignum_real_text(21.7, t, 4) == -1, "a short buffer: -1");
	ok(bignum_real_text(2.0, t, sizeof(t)) == 3 && strcmp(t, "2.0") == 0,
	    "2.0 keeps its point, as jansson writes it");
}

int
main(void)
{
	msg_prog = "bignum-test";
	test_round_trip();
	test_markers();
	test_tools();
	test_reals();
	return done_testing();
}
