/* unit tests for lib/enc: RFC 4648 vectors for base64 and hex, RFC 3986
 * percent-encoding, form decoding and UTF-8 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enc.h"
#include "tap.h"
#include "xmem.h"

/* RFC 4648 section 10 */
static const char *const b64vec[][2] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" },
	{ "foobar", "Zm9vYmFy" },
};
static const char *const hexvec[][2] = {
	{ "", "" }, { "f", "66" }, { "fo", "666f" }, { "foo", "666f6f" },
	{ "foobar", "666f6f626172" },
};

static void
test_base64(void)
{
	struct buf b = {0};
	unsigned char out[64];
	size_t i, n;
	long r;

	for (i = 0; i < sizeof(b64vec) / sizeof(b64vec[0]); i++) {
		n = strlen(b64vec[i][0]);
		buf_reset(&b);
		enc_base64(&b, b64vec[i][0], n, ENC_B64);
		is_str(b.p, b64vec[i][1], b64vec[i][0]);
		if (n == 0)
			continue;
		r = enc_unbase64(b64vec[i][1], strlen(b64vec[i][1]), out,
		    sizeof(out), ENC_B64, 1);
		ok(r == (long)n && memcmp(out, b64vec[i][0], n) == 0,
		    "decode %s", b64vec[i][1]);
		/* url: the same without '=' */
		buf_reset(&b);
		enc_base64(&b, b64vec[i][0], n, ENC_B64URL);
		r = enc_unbase64(b.p, b.len, out, sizeof(out), ENC_B64URL, 1);
		ok(strchr(b.p, '=') == NULL && r == (long)n &&
		    memcmp(out, b64vec[i][0], n) == 0, "url round trip %s",
		    b.p);
	}
	buf_reset(&b);
	enc_base64(&b, "\xfb\xff\xfe", 3, ENC_B64);
	is_str(b.p, "+//+", "std alphabet");
	buf_reset(&b);
	enc_base64(&b, "\xfb\xff\xfe", 3, ENC_B64URL);
	is_str(b.p, "-__-", "url alphabet");
	ok(enc_unbase64("-__-", 4, out, sizeof(out), ENC_B64, 0) == -1,
	    "std refuses url characters");
	ok(enc_unbase64("Zm9vYg=", 7, out, sizeof(out), ENC_B64, 0) == -1,
	    "std wants the padding whole");
	ok(enc_unbase64("Zm9vYg", 6, out, sizeof(out), ENC_B64, 0) == -1,
	    "std wants padding");
	ok(enc_unbase64("Zm9vYg==", 8, out, sizeof(out), ENC_B64URL, 0) == 4,
	    "url takes padding");
	ok(enc_unbase64("Zm9vYh==", 8, out, sizeof(out), ENC_B64, 1) == -1,
	    "strict refuses unused bits");
	ok(enc_unbase64("Zm9vYh==", 8, out, sizeof(out), ENC_B64, 0) == 4,
	    "lax takes unused bits");
	ok(enc_unbase64("Zm9v\nYg==", 9, out, sizeof(out), ENC_B64URL,
	    0) == -1, "no white space");
	ok(enc_unbase64("Z===", 4, out, sizeof(out), ENC_B64, 0) == -1,
	    "three '=' refused");
	ok(enc_unbase64("Zm9vYmFy", 8, out, 5, ENC_B64, 0) == -1,
	    "too long for out");
	ok(enc_unbase64("", 0, out, sizeof(out), ENC_B64, 0) == -1,
	    "std: empty refused (as MACs and keys want)");
	buf_free(&b);
}

static void
test_hex(void)
{
	char out[64];
	unsigned char raw[32];
	size_t i, n;

	for (i = 0; i < sizeof(hexvec) / sizeof(hexvec[0]); i++) {
		n = strlen(hexvec[i][0]);
		enc_hex(out, hexvec[i][0], n);
		is_str(out, hexvec[i][1], hexvec[i][0]);
		ok(enc_unhex(hexvec[i][1], 2 * n, raw, sizeof(raw)) ==
		    (long)n && memcmp(raw, hexvec[i][0], n) == 0,
		    "unhex %s", hexvec[i][1]);
	}
	ok(enc_unhex("666F6F", 6, raw, sizeof(raw)) == 3 &&
	    memcmp(raw, "foo", 3) == 0, "upper case");
	ok(enc_unhex("666", 3, raw, sizeof(raw)) == -1, "odd length");
	ok(enc_unhex("6g", 2, raw, sizeof(raw)) == -1, "not a digit");
	ok(enc_unhex("666f6f", 6, raw, 2) == -1, "too long for out");
	ok(enc_hexval('F') == 15 && enc_hexval('a') == 10 &&
	    enc_hexval('/') == -1, "hexval");
}

static void
test_pct(void)
{
	struct buf b = {0};

	/* RFC 3986 2.3: unreserved stays; the rest as %XX, upper case */
	enc_pct(&b, "AZaz09-._~", 10, 0);
	is_str(b.p, "AZaz09-._~", "unreserved kept");
	buf_reset(&b);
	enc_pct(&b, "a b/c~d+e%f*\xc3\xa9", 14, 1);
	is_str(b.p, "a%20b/c~d%2Be%25f%2A%C3%A9", "keep '/'");
	buf_reset(&b);
	enc_pct(&b, "a/b?c=d&e#f", 11, 0);
	is_str(b.p, "a%2Fb%3Fc%3Dd%26e%23f", "gen-delims encoded");
	buf_reset(&b);
	enc_pct(&b, "", 0, 0);
	is_str(b.p, "", "empty");
	buf_reset(&b);
	/* RFC 3986 2.1: %3A and %3a are the same octet */
	enc_unpct(&b, "%3A%3a%7E%zz%4", 14);
	is_str(b.p, "::~%zz%4", "decode, a bad '%' kept");
	buf_free(&b);
}

static void
test_form(void)
{
	struct buf b = {0};

	ok(enc_form_decode("a+b%20c%2Bd", 11, &b, 1) == 0, "form ok");
	is_str(b.p, "a b c+d", "form: '+' and %XX");
	buf_reset(&b);
	ok(enc_form_decode("50%", 3, &b, 1) == -1, "strict: bad '%%'");
	buf_reset(&b);
	ok(enc_form_decode("50%", 3, &b, 0) == 0, "lax: bad '%%'");
	is_str(b.p, "50%", "lax keeps it");
	buf_reset(&b);
	ok(enc_form_decode("%4", 2, &b, 0) == 0 && strcmp(b.p, "%4") == 0,
	    "a '%%' one digit short of the end");
	buf_reset(&b);
	ok(enc_form_decode("", 0, &b, 1) == 0 && b.p != NULL && *b.p == 0,
	    "empty: NUL-terminated");
	buf_free(&b);
}

static void
test_utf8(void)
{
	ok(enc_utf8_ok("plain", 5), "ASCII");
	ok(enc_utf8_ok("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9),
	    "2, 3 and 4 bytes");
	ok(!enc_utf8_ok("\xc0\xaf", 2), "overlong 2");
	ok(!enc_utf8_ok("\xe0\x80\xaf", 3), "overlong 3");
	ok(!enc_utf8_ok("\xed\xa0\x80", 3), "surrogate");
	ok(!enc_utf8_ok("\xf4\x90\x80\x80", 4), "over U+10FFFF");
	ok(!enc_utf8_ok("\xe2\x82", 2), "cut short");
	ok(!enc_utf8_ok("\xff", 1), "0xff");
	ok(enc_utf8_ok("a\0b", 3), "NUL is UTF-8");
	ok(enc_utf8_seq((const unsigned char *)"\xe2\x82\xac!", 4) == 3,
	    "seq length");
}

/* enc_json_str against jansson itself, byte for byte */
static void
test_json_str(void)
{
	static const char *const cases[] = {
		"", "plain", "a\"b\\c/d", "\b\f\n\r\t", "\x01\x1f\x7f",
		"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	};
	struct buf b = {0};
	size_t i;
	char *want;
	json_t *v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&b);
		enc_json_str(&b, cases[i], strlen(cases[i]));
		v = json_string(cases[i]);
		want = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		ok(b.len == strlen(want) && memcmp(b.p, want, b.len) == 0,
		    "json string %zu as jansson writes it", i);
		free(want);
		json_decref(v);
	}
	buf_reset(&b);
	enc_json_str(&b, "a\0b", 3);
	ok(b.len == 10 && memcmp(b.p, "\"a\\u0000b\"", 10) == 0, "NUL");
	buf_reset(&b);
	enc_json_str(&b, "\xe9t\xe9", 3);
	ok(b.len == 7 && memcmp(b.p, "\"\xc3\xa9t\xc3\xa9\"", 7) == 0,
	    "not UTF-8: ISO 8859-1");
	buf_free(&b);
}

int
main(void)
{
	test_json_str();
	test_base64();
	test_hex();
	test_pct();
	test_form();
	test_utf8();
	return done_testing();
}
