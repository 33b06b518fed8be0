/* unit tests for lib/tmpl: text templates, filters, errors, JSON templates */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "enc.h"
#include "tap.h"
#include "tmpl.h"

static const char rec_text[] =
    "{\"s\":\"Hello World\",\"u\":\"a b/c?d=\xc3\xa9&x~y_z-1.2\","
    "\"p\":\"dir one/file name.txt\",\"n\":42,\"r\":1.5,\"neg\":-3,"
    "\"t\":true,\"f\":false,\"z\":null,\"o\":{\"k\":\"v\",\"n\":1},"
    "\"a\":[1,\"x\",null],\"html\":\"a & b < c > d <@U1|x>\","
    "\"t1\":\"2024-03-05T14:07:09Z\",\"t2\":\"2024-03-05T14:07:09+02:00\","
    "\"t3\":\"2024-03-05T14:07:09.123456Z\","
    "\"t4\":\"2024-03-05T14:07:09.5-05:30\",\"t5\":\"2024-03-05\","
    "\"t6\":\"2024-03-05 14:07:09z\",\"t7\":\"2024-03-05t14:07:09+00:00\","
    "\"ep\":1709647629,\"epf\":1709647629.9,\"ep0\":0,\"epneg\":-86400,"
    "\"notime\":\"yesterday\",\"nocolon\":\"2024-03-05T14:07:09+0200\","
    "\"month13\":\"2024-13-05T14:07:09Z\","
    "\"junk\":\"2024-03-05T14:07:09Zjunk\","
    "\"hugeep\":1e18,\"vastep\":1e300,"
    "\"mixed\":\"MiXeD \xc3\x9cn\xc3\xaf 1\",\"emp\":\"\","
    "\"pa\":\"a\",\"psa\":\"/a\",\"pabc\":\"a/b/c\",\"proot\":\"/\","
    "\"pdd\":\"//a\",\"num_path\":7,"
    "\"quo\":\"say \\\"hi\\\"\\n\",\"uni\":\"\xe2\x82\xac\","
    "\"headers\":{\"x-hub-signature\":\"sha1=ab\"},"
    "\"Records\":[{\"s3\":{\"key\":\"k 1\"}}]}";

static json_t *rec, *one;	/* one is {"a":1} */

/* render text against r; expect success and the output want */
static void
render_in(json_t *r, const char *text, const char *want)
{
	struct tmpl *t;
	struct buf out = {0};
	char err[1024], name[1200];

	snprintf(name, sizeof(name), "render %s", text);
	if ((t = tmpl_compile(text, err, sizeof(err))) == NULL) {
		ok(0, "%s: compile failed: %s", name, err);
		return;
	}
	if (tmpl_render(t, r, &out, err, sizeof(err)) < 0) {
		ok(0, "%s: render failed: %s", name, err);
	} else {
		is_str(out.p ? out.p : "", want, name);
	}
	buf_free(&out);
	tmpl_free(t);
}

static void
render_is(const char *text, const char *want)
{
	render_in(rec, text, want);
}

/* expect tmpl_compile to fail with exactly want */
static void
compile_err(const char *text, const char *want)
{
	struct tmpl *t;
	char err[1024], name[1200];

	snprintf(name, sizeof(name), "compile error for %s", text);
	snprintf(err, sizeof(err), "(no message)");
	t = tmpl_compile(text, err, sizeof(err));
	ok(t == NULL, "%s fails", name);
	tmpl_free(t);
	is_str(err, want, name);
}

/* expect compile to work and render to fail with exactly want */
static void
render_err(const char *text, const char *want)
{
	struct tmpl *t;
	struct buf out = {0};
	char err[1024], name[1200];

	snprintf(name, sizeof(name), "render error for %s", text);
	if ((t = tmpl_compile(text, err, sizeof(err))) == NULL) {
		ok(0, "%s: compile failed: %s", name, err);
		return;
	}
	snprintf(err, sizeof(err), "(no message)");
	if (!ok(tmpl_render(t, rec, &out, err, sizeof(err)) == -1, "%s fails",
	    name))
		printf("#   rendered: '%s'\n", out.p ? out.p : "");
	is_str(err, want, name);
	buf_free(&out);
	tmpl_free(t);
}

static void
test_plain(void)
{
	render_is("", "");
	render_is("plain text, no fields", "plain text, no fields");
	render_is("{s}", "Hello World");
	render_is("<{s}>", "<Hello World>");
	render_is("{s}{s}", "Hello WorldHello World");
	render_is("{n} {r} {neg} {t} {f} {z}", "42 1.5 -3 true false null");
	render_is("{o}", "{\"k\":\"v\",\"n\":1}");
	render_is("{a}", "[1,\"x\",null]");
	render_is("{o.k}/{a[1]}/{a[-3]}", "v/x/1");
	render_is("{emp}", "");
	render_is("{quo}", "say \"hi\"\n");
	render_is("{headers.\"x-hub-signature\"}", "sha1=ab");
	render_is("{.headers.\"x-hub-signature\"}", "sha1=ab");
	render_is("s3://{Records[0].s3.key}", "s3://k 1");
	render_is("{{", "{");
	render_is("}}", "}");
	render_is("{{literal}}", "{literal}");
	render_is("}}{{", "}{");
	render_is("a{{b}}c{s}d", "a{b}cHello Worldd");
	render_is("{{{s}}}", "{Hello World}");
	render_is("{{s}}", "{s}");
	render_in(one, "{.}", "{\"a\":1}");
	render_in(one, "x{.|json}x", "x{\"a\":1}x");
}

static void
test_filters(void)
{
	/* url: everything but unreserved bytes, UTF-8 byte by byte */
	render_is("{u|url}", "a%20b%2Fc%3Fd%3D%C3%A9%26x~y_z-1.2");
	render_is("{uni|url}", "%E2%82%AC");
	render_is("{emp|url}", "");
	render_is("{n|url}", "42");
	render_is("{o|url}", "%7B%22k%22%3A%22v%22%2C%22n%22%3A1%7D");
	/* path: the same but '/' stays */
	render_is("{p|path}", "dir%20one/file%20name.txt");
	render_is("{u|path}", "a%20b/c%3Fd%3D%C3%A9%26x~y_z-1.2");
	render_is("{proot|path}", "/");
	/* json */
	render_is("{s|json}", "\"Hello World\"");
	render_is("{quo|json}", "\"say \\\"hi\\\"\\n\"");
	render_is("{uni|json}", "\"\xe2\x82\xac\"");
	render_is("{o|json}", "{\"k\":\"v\",\"n\":1}");
	render_is("{a|json}", "[1,\"x\",null]");
	render_is("{n|json}", "42");
	render_is("{r|json}", "1.5");
	render_is("{t|json}", "true");
	render_is("{z|json}", "null");
	render_is("{emp|json}", "\"\"");
	/* base, dir */
	render_is("{pa|base} {psa|base} {pabc|base} {proot|base}", "a a c ");
	render_is("{pa|dir} {psa|dir} {pabc|dir} {proot|dir}", ". / a/b /");
	render_is("{pdd|dir} {pdd|base}", "/ a");
	render_is("{p|base}|{p|dir}", "file name.txt|dir one");
	render_is("{num_path|base} {num_path|dir}", "7 .");
	render_is("{emp|base}|{emp|dir}", "|.");
	/* lower, upper: ASCII only, other UTF-8 bytes untouched */
	render_is("{mixed|lower}", "mixed \xc3\x9cn\xc3\xaf 1");
	render_is("{mixed|upper}", "MIXED \xc3\x9cN\xc3\xaf 1");
	render_is("{t|upper}", "TRUE");
	render_is("{o|upper}", "{\"K\":\"V\",\"N\":1}");
	/* default: missing and null take it, everything else is kept */
	render_is("{nope|default:x}", "x");
	render_is("{z|default:x}", "x");
	render_is("{s|default:x}", "Hello World");
	render_is("{emp|default:x}", "");
	render_is("{f|default:x}", "false");
	render_is("{n|default:x}", "42");
	render_is("{nope|default:}", "");
	render_is("{nope|default:a:b c}", "a:b c");
	render_is("{nope.deeper[3]|default:none}", "none");
	render_is("[{nope|default:{{}]", "[{{]");
	/* slack: & < > only */
	render_is("{html|slack}", "a &amp; b &lt; c &gt; d &lt;@U1|x&gt;");
	render_is("{quo|slack}", "say \"hi\"\n");
	/* chains run left to right */
	render_is("{s|lower|url}", "hello%20world");
	render_is("{s|url|lower}", "hello%20world");
	render_is("{p|base|upper}", "FILE NAME.TXT");
	render_is("{nope|default:A B|url}", "A%20B");
	render_is("{nope|url|default:A B}", "A B");
	render_is("{z|upper|default:x|upper}", "X");
	render_is("{o|json|slack}", "{\"k\":\"v\",\"n\":1}");
	render_is("{html|slack|url}",
	    "a%20%26amp%3B%20b%20%26lt%3B%20c%20%26gt%3B%20d%20%26lt%3B%40U1"
	    "%7Cx%26gt%3B");
	render_is("{pabc|dir|dir|dir}", ".");
	render_is("{s|json|json}", "\"\\\"Hello World\\\"\"");
	render_is("{t1|date:%Y|default:x}", "2024");
}

static void
test_date(void)
{
	const char *f = "|date:%Y-%m-%d %H:%M:%S}";
	char text[128], want[64];
	struct tm tm;
	time_t now;
	static const struct {
		const char *field, *want;
	} cases[] = {
		{ "t1", "2024-03-05 14:07:09" },	/* Z */
		{ "t2", "2024-03-05 12:07:09" },	/* +02:00 */
		{ "t3", "2024-03-05 14:07:09" },	/* fraction, Z */
		{ "t4", "2024-03-05 19:37:09" },	/* fraction, -05:30 */
		{ "t5", "2024-03-05 00:00:00" },	/* a full-date */
		{ "t6", "2024-03-05 14:07:09" },	/* space, lower z */
		{ "t7", "2024-03-05 14:07:09" },	/* lower t, +00:00 */
		{ "ep", "2024-03-05 14:07:09" },	/* epoch seconds */
		{ "epf", "2024-03-05 14:07:09" },	/* fractional epoch */
		{ "ep0", "1970-01-01 00:00:00" },
		{ "epneg", "1969-12-31 00:00:00" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "{%s%s", cases[i].field, f);
		render_is(text, cases[i].want);
	}
	render_is("{t1|date:%s}", "1709647629");
	render_is("{t1|date:%H:%M}", "14:07");
	render_is("{t1|date:%Y-%m-%dT%H:%M:%SZ}", "2024-03-05T14:07:09Z");
	render_is("{t1|date:}", "");
	render_is("{t1|date:literal}", "literal");
	render_is("{t1|date:%Y|url}", "2024");
	render_is("{nope|default:2020-01-01T00:00:00Z|date:%Y}", "2020");

	/* {now} is a UTC RFC 3339 time with milliseconds */
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(want, sizeof(want), "%Y", &tm);
	render_is("{now|date:%Y}", want);
	{
		struct tmpl *t = tmpl_compile("{now}", text, sizeof(text));
		struct buf out = {0};
		regex_t re;

		regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:"
		    "[0-9]{2}\\.[0-9]{3}Z$", REG_EXTENDED | REG_NOSUB);
		ok(t != NULL && tmpl_render(t, rec, &out, text,
		    sizeof(text)) == 0 && regexec(&re, out.p, 0, NULL, 0) == 0,
		    "{now} looks like 2024-03-05T14:07:09.123Z: %s",
		    out.p ? out.p : "(nothing)");
		regfree(&re);
		buf_free(&out);
		tmpl_free(t);
	}
	/* {now} round trips through date: within a minute of time() */
	{
		struct tmpl *t = tmpl_compile("{now|date:%s}", text,
		    sizeof(text));
		struct buf out = {0};
		long got;

		ok(t != NULL && tmpl_render(t, rec, &out, text,
		    sizeof(text)) == 0, "render {now|date:%%s}");
		got = out.p ? strtol(out.p, NULL, 10) : 0;
		ok(got > (long)now - 60 && got < (long)now + 60,
		    "{now|date:%%s} is about now: %ld vs %ld", got, (long)now);
		buf_free(&out);
		tmpl_free(t);
	}
}

static void
test_errors(void)
{
	compile_err("{s|nope}", "template '{s|nope}': unknown filter 'nope'");
	compile_err("x {s|url|Upper}", "template 'x {s|url|Upper}': unknown "
	    "filter 'Upper'");
	compile_err("{s|}", "template '{s|}': unknown filter ''");
	compile_err("{s|date}", "template '{s|date}': filter 'date' needs an "
	    "argument (filter:ARG)");
	compile_err("{s|default}", "template '{s|default}': filter 'default' "
	    "needs an argument (filter:ARG)");
	compile_err("{s|url:x}", "template '{s|url:x}': filter 'url' takes "
	    "no argument");
	compile_err("{s|slack:}", "template '{s|slack:}': filter 'slack' "
	    "takes no argument");
	compile_err("{s", "template '{s': unterminated '{'");
	compile_err("abc {", "template 'abc {': unterminated '{'");
	compile_err("{s}{", "template '{s}{': unterminated '{'");
	compile_err("a}b", "template 'a}b': unmatched '}' (write }} for a "
	    "brace)");
	compile_err("}", "template '}': unmatched '}' (write }} for a "
	    "brace)");
	compile_err("{s}}", "template '{s}}': unmatched '}' (write }} for a "
	    "brace)");
	compile_err("{}", "template '{}': bad field path '' at character 1: "
	    "empty path");
	compile_err("{a..b}", "template '{a..b}': bad field path 'a..b' at "
	    "character 3: empty field name");
	compile_err("{a[x]|url}", "template '{a[x]|url}': bad field path "
	    "'a[x]' at character 2: expected [NUMBER]");

	render_err("x/{body.id}", "template 'x/{body.id}': no field body.id");
	render_err("{s} {nope|url}", "template '{s} {nope|url}': no field "
	    "nope");
	render_err("{a[5]}", "template '{a[5]}': no field a[5]");
	render_err("{.nope}", "template '{.nope}': no field .nope");
	render_err("{notime|date:%Y}", "template '{notime|date:%Y}': notime "
	    "is not a time (RFC 3339 or epoch seconds)");
	render_err("{o|date:%Y}", "template '{o|date:%Y}': o is not a time "
	    "(RFC 3339 or epoch seconds)");
	render_err("{t|date:%Y}", "template '{t|date:%Y}': t is not a time "
	    "(RFC 3339 or epoch seconds)");
	render_err("{emp|date:%Y}", "template '{emp|date:%Y}': emp is not a "
	    "time (RFC 3339 or epoch seconds)");
	render_err("{nocolon|date:%Y}", "template '{nocolon|date:%Y}': nocolon "
	    "is not a time (RFC 3339 or epoch seconds)");
	render_err("{nope|date:%Y}", "template '{nope|date:%Y}': no field "
	    "nope");
	/* null is no time either: not the text "null" */
	render_err("{z|date:%Y}", "template '{z|date:%Y}': z is not a time "
	    "(RFC 3339 or epoch seconds)");
	/* an error after a filter that built text: nothing leaks */
	render_err("{p|dir|date:%Y}", "template '{p|dir|date:%Y}': p is not "
	    "a time (RFC 3339 or epoch seconds)");
	/* not a valid time, though the fields have the right shape */
	render_err("{month13|date:%Y}", "template '{month13|date:%Y}': "
	    "month13 is not a time (RFC 3339 or epoch seconds)");
	render_err("{junk|date:%Y}", "template '{junk|date:%Y}': junk is not "
	    "a time (RFC 3339 or epoch seconds)");
	/* epoch numbers no calendar can hold */
	render_err("{hugeep|date:%Y}", "template '{hugeep|date:%Y}': hugeep "
	    "is not a time (RFC 3339 or epoch seconds)");
	render_err("{vastep|date:%Y}", "template '{vastep|date:%Y}': vastep "
	    "is not a time (RFC 3339 or epoch seconds)");
}

static void
test_api(void)
{
	struct tmpl *t;
	struct buf out = {0};
	char err[256];

	t = tmpl_compile("a {s} b", err, sizeof(err));
	is_str(t ? tmpl_text(t) : NULL, "a {s} b", "tmpl_text");
	buf_adds(&out, "before:");
	tmpl_render(t, rec, &out, err, sizeof(err));
	tmpl_render(t, rec, &out, err, sizeof(err));
	is_str(out.p, "before:a Hello World ba Hello World b",
	    "render appends to out");
	tmpl_free(t);
	buf_free(&out);
	tmpl_free(NULL);
	ok(1, "tmpl_free(NULL) is fine");
}

/* jtmpl: compile the JSON template src, render against r, compare */
static void
jrender_in(json_t *r, const char *src, const char *want)
{
	json_t *tv = json_loads(src, JSON_DECODE_ANY, NULL), *out;
	struct jtmpl *j;
	char err[1024], name[1200], *s;

	snprintf(name, sizeof(name), "json template %s", src);
	if (tv == NULL || (j = jtmpl_compile(tv, err, sizeof(err))) == NULL) {
		ok(0, "%s: compile failed: %s", name,
		    tv ? err : "bad test JSON");
		json_decref(tv);
		return;
	}
	if ((out = jtmpl_render(j, r, err, sizeof(err))) == NULL) {
		ok(0, "%s: render failed: %s", name, err);
	} else {
		s = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
		is_str(s, want, name);
		free(s);
	}
	json_decref(out);
	jtmpl_free(j);
	json_decref(tv);
}

static void
jrender_is(const char *src, const char *want)
{
	jrender_in(rec, src, want);
}

static void
jrender_err(const char *src, const char *want, int at_compile)
{
	json_t *tv = json_loads(src, JSON_DECODE_ANY, NULL), *out = NULL;
	struct jtmpl *j;
	char err[1024], name[1200];

	snprintf(name, sizeof(name), "json template error for %s", src);
	snprintf(err, sizeof(err), "(no message)");
	j = jtmpl_compile(tv, err, sizeof(err));
	if (at_compile) {
		ok(j == NULL, "%s fails at compile", name);
	} else {
		ok(j != NULL, "%s compiles", name);
		if (j != NULL)
			out = jtmpl_render(j, rec, err, sizeof(err));
		ok(j != NULL && out == NULL, "%s fails at render", name);
	}
	is_str(err, want, name);
	json_decref(out);
	jtmpl_free(j);
	json_decref(tv);
}

static void
test_json(void)
{
	jrender_is("\"{n}\"", "42");
	jrender_is("\"{r}\"", "1.5");
	jrender_is("\"{s}\"", "\"Hello World\"");
	jrender_is("\"{o}\"", "{\"k\":\"v\",\"n\":1}");
	jrender_is("\"{a}\"", "[1,\"x\",null]");
	jrender_is("\"{t}\"", "true");
	jrender_is("\"{f}\"", "false");
	jrender_is("\"{z}\"", "null");
	jrender_is("{\"n\":\"{n}\",\"o\":\"{o}\",\"a\":\"{a}\",\"t\":\"{t}\","
	    "\"z\":\"{z}\"}", "{\"n\":42,\"o\":{\"k\":\"v\",\"n\":1},"
	    "\"a\":[1,\"x\",null],\"t\":true,\"z\":null}");
	/* anything else is a text template and gives a string */
	jrender_is("\"id-{n}\"", "\"id-42\"");
	jrender_is("\"{n}{n}\"", "\"4242\"");
	jrender_is("\" {n}\"", "\" 42\"");
	jrender_is("\"{n|url}\"", "\"42\"");
	jrender_is("\"{o|json}\"", "\"{\\\"k\\\":\\\"v\\\",\\\"n\\\":1}\"");
	jrender_is("\"{t|upper}\"", "\"TRUE\"");
	jrender_is("\"plain\"", "\"plain\"");
	jrender_is("\"\"", "\"\"");
	jrender_is("\"{{n}}\"", "\"{n}\"");
	/* literals other than strings are kept */
	jrender_is("[1,2.5,true,false,null,{}]", "[1,2.5,true,false,null,{}]");
	jrender_is("{\"a\":{\"b\":[\"{n}\",\"x{s}\",{\"c\":\"{o.k}\"}],"
	    "\"lit\":5,\"nul\":null},\"e\":[]}", "{\"a\":{\"b\":[42,"
	    "\"xHello World\",{\"c\":\"v\"}],\"lit\":5,\"nul\":null},"
	    "\"e\":[]}");
	/* keys are not templates */
	jrender_is("{\"{s}\":\"{n}\"}", "{\"{s}\":42}");
	/* default: a JSON default keeps its type, other text is a string */
	jrender_is("\"{nope|default:0}\"", "0");
	jrender_is("\"{z|default:0}\"", "0");
	jrender_is("\"{nope|default:1.5}\"", "1.5");
	jrender_is("\"{nope|default:true}\"", "true");
	jrender_is("\"{nope|default:null}\"", "null");
	jrender_is("\"{nope|default:[]}\"", "[]");
	jrender_is("\"{nope|default:abc}\"", "\"abc\"");
	jrender_is("\"{nope|default:}\"", "\"\"");
	jrender_is("\"{n|default:0}\"", "42");
	jrender_is("\"{s|default:0}\"", "\"Hello World\"");
	jrender_is("\"x{nope|default:0}\"", "\"x0\"");
	jrender_in(one, "{\"rec\":\"{.}\"}",
	    "{\"rec\":{\"a\":1}}");
	{
		char want[64], y[8];
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(y, sizeof(y), "%Y", &tm);
		snprintf(want, sizeof(want), "{\"y\":\"%s\"}", y);
		jrender_is("{\"y\":\"{now|date:%Y}\"}", want);
	}
}

static void
test_json_errors(void)
{
	jrender_err("{\"x\":\"{nope}\"}", "template '{nope}': no field nope",
	    0);
	jrender_err("[1,[\"{a}\",\"{nope.x}\"]]", "template '{nope.x}': no "
	    "field nope.x", 0);
	jrender_err("\"{notime|date:%Y}\"", "template '{notime|date:%Y}': "
	    "notime is not a time (RFC 3339 or epoch seconds)", 0);
	jrender_err("{\"x\":[\"{s|nope}\"]}", "template '{s|nope}': unknown "
	    "filter 'nope'", 1);
	jrender_err("{\"x\":\"{s\"}", "template '{s': unterminated '{'", 1);
}

/* form decoding: lenient keeps a stray '%', strict refuses it */
static void
form_is(const char *in, int strict, int want_rc, const char *want)
{
	struct buf b = {0};
	int rc = enc_form_decode(in, strlen(in), &b, strict);

	ok(rc == want_rc, "form '%s' %s: %d", in, strict ? "strict" :
	    "lenient", rc);
	if (want != NULL)
		is_str(b.p ? b.p : "", want, "  decoded");
	buf_free(&b);
}

static void
test_form(void)
{
	form_is("red+flower.jpg", 0, 0, "red flower.jpg");
	form_is("a%2Fb%2fc", 0, 0, "a/b/c");
	form_is("%C3%A9t%C3%A9", 1, 0, "\xc3\xa9t\xc3\xa9");
	form_is("100%", 0, 0, "100%");
	form_is("100%", 1, -1, NULL);
	form_is("x%4", 1, -1, NULL);
	form_is("x%zz", 0, 0, "x%zz");
	form_is("%2B+%20", 0, 0, "+  ");
	form_is("", 1, 0, "");
}

int
main(void)
{
	json_error_t je;
	int rc;

	if ((rec = json_loads(rec_text, 0, &je)) == NULL) {
		printf("# bad test record: %s at %d\n", je.text, je.column);
		return 1;
	}
	one = json_pack("{s:i}", "a", 1);
	test_plain();
	test_filters();
	test_date();
	test_errors();
	test_api();
	test_json();
	test_json_errors();
	test_form();
	json_decref(rec);
	json_decref(one);
	rc = done_testing();
	/* out before a leak checker's exit can drop it */
	fflush(stdout);
	return rc;
}
