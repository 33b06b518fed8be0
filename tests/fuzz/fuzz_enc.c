/*
 * fuzz_enc: the decoders of lib/enc.c (base64 std and url, hex, percent
 * and form decoding, UTF-8) on any bytes, and the encoders back.
 *
 * Whatever the input: every encoding decodes to the input again; a strict
 * base64 text that decodes encodes to itself again (one spelling), as
 * does a lower-case hex text; the decoders never read past the input;
 * UTF-8 validity is the same whole as sequence by sequence.  Any break
 * of these aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "enc.h"
#include "xmem.h"

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
round_trips(const char *p, size_t n)
{
	struct buf b = {0}, d = {0};
	unsigned char *out = xmalloc(n + 1);
	char *hex = xmalloc(2 * n + 1);
	int url;

	for (url = 0; url <= 1; url++) {
		buf_reset(&b);
		enc_base64(&b, p, n, url);
		if (n > 0 || url)
			check(enc_unbase64(b.p, b.len, out, n, url, 1) ==
			    (long)n && memcmp(out, p, n) == 0);
	}
	enc_hex(hex, p, n);
	check(enc_unhex(hex, 2 * n, out, n) == (long)n &&
	    memcmp(out, p, n) == 0);
	for (url = 0; url <= 1; url++) {
		buf_reset(&b);
		buf_reset(&d);
		enc_pct(&b, p, n, url);
		check(strspn(b.p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
		    "qrstuvwxyz0123456789-._~%/") == b.len);
		enc_unpct(&d, b.p, b.len);
		check(d.len == n && memcmp(d.p, p, n) == 0);
		buf_reset(&d);
		check(enc_form_decode(b.p, b.len, &d, 1) == 0 && d.len == n &&
		    memcmp(d.p, p, n) == 0);
	}
	free(hex);
	free(out);
	buf_free(&b);
	buf_free(&d);
}

static void
decoders(const char *p, size_t n)
{
	struct buf b = {0};
	unsigned char *out = xmalloc(n + 1);
	long r;
	size_t i, k;
	int url, whole;

	for (url = 0; url <= 1; url++) {
		r = enc_unbase64(p, n, out, n, url, 1);
		if (r < 0)
			continue;
		buf_reset(&b);
		enc_base64(&b, out, (size_t)r, url);
		/* url takes its padding or not; the encoder writes none */
		k = n;
		while (url && k > 0 && p[k - 1] == '=')
			k--;
		check(b.len == k && memcmp(b.p, p, k) == 0);
	}
	r = enc_unhex(p, n, out, n);
	if (r >= 0) {
		char *hex = xmalloc(n + 1);

		enc_hex(hex, out, (size_t)r);
		check(strlen(hex) == n && strncasecmp(hex, p, n) == 0);
		free(hex);
	}
	buf_reset(&b);
	enc_unpct(&b, p, n);
	check(b.len <= n);
	buf_reset(&b);
	if (enc_form_decode(p, n, &b, 1) == 0)
		check(b.len <= n);
	buf_reset(&b);
	check(enc_form_decode(p, n, &b, 0) == 0 && b.len <= n);
	whole = 1;
	for (i = 0; i < n; i += k)
		if ((k = enc_utf8_seq((const unsigned char *)p + i,
		    n - i)) == 0) {
			whole = 0;
			break;
		}
	check(enc_utf8_ok(p, n) == whole);
	free(out);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	round_trips((const char *)data, size);
	decoders((const char *)data, size);
	return 0;
}
