/* enc: byte encodings: hex, base64, percent-encoding, form decoding, UTF-8 */
#include <string.h>

#include "enc.h"

static const char b64std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int
enc_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
enc_hex(char *out, const void *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	const unsigned char *s = p;
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[s[i] >> 4];
		out[2 * i + 1] = hx[s[i] & 0xf];
	}
	out[2 * n] = '\0';
}

long
enc_unhex(const char *s, size_t len, unsigned char *out, size_t max)
{
	size_t i;
	int hi, lo;

	if (len % 2 != 0 || len / 2 > max)
		return -1;
	for (i = 0; i < len / 2; i++) {
		if ((hi = enc_hexval((unsigned char)s[2 * i])) < 0 ||
		    (lo = enc_hexval((unsigned char)s[2 * i + 1])) < 0)
			return -1;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(len / 2);
}

void
enc_base64(struct buf *b, const void *p, size_t n, int url)
{
	const char *a = url ? b64url : b64std;
	const unsigned char *s = p;
	unsigned long v;
	size_t i;

	buf_grow(b, 4 * ((n + 2) / 3));
	for (i = 0; i + 2 < n; i += 3) {
		v = (unsigned long)s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		buf_addc(b, a[v >> 18]);
		buf_addc(b, a[v >> 12 & 63]);
		buf_addc(b, a[v >> 6 & 63]);
		buf_addc(b, a[v & 63]);
	}
	if (i < n) {
		v = (unsigned long)s[i] << 16 | (i + 1 < n ? s[i + 1] << 8 : 0);
		buf_addc(b, a[v >> 18]);
		buf_addc(b, a[v >> 12 & 63]);
		if (i + 1 < n)
			buf_addc(b, a[v >> 6 & 63]);
		if (!url)
			buf_adds(b, i + 1 < n ? "=" : "==");
	}
	buf_add(b, "", 0);	/* NUL-terminated even when empty */
}

static int
b64val(int c, int url)
{
	const char *a = url ? b64url : b64std;
	const char *p;

	if (c == '\0' || (p = strchr(a, c)) == NULL)
		return -1;
	return (int)(p - a);
}

long
enc_unbase64(const char *s, size_t len, unsigned char *out, size_t max,
    int url, int strict)
{
	size_t i, pad = 0, n, o = 0;
	unsigned long v = 0;
	int d, bits = 0;

	if (len >= 1 && s[len - 1] == '=')
		pad = len >= 2 && s[len - 2] == '=' ? 2 : 1;
	if ((!url && (len == 0 || len % 4 != 0)) ||
	    (pad > 0 && len % 4 != 0) || (len - pad) % 4 == 1)
		return -1;
	n = (len - pad) / 4 * 3 + ((len - pad) % 4 == 0 ? 0 :
	    (len - pad) % 4 - 1);
	if (n > max)
		return -1;
	for (i = 0; i < len - pad; i++) {
		if ((d = b64val((unsigned char)s[i], url)) < 0)
			return -1;
		v = (v << 6 | (unsigned long)d) & 0xffffff;
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	/* the bits left over: zero in the one spelling strict takes */
	if (strict && (v & ((1UL << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

static int
unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	    c == '~';
}

void
enc_pct(struct buf *b, const char *s, size_t len, int keep_slash)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t i;
	unsigned char c;

	buf_grow(b, len);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			buf_addc(b, c);
		} else {
			buf_addc(b, '%');
			buf_addc(b, hx[c >> 4]);
			buf_addc(b, hx[c & 0xf]);
		}
	}
	buf_add(b, "", 0);
}

/* one decoder for both: form adds '+' as a space and may be strict */
static int
unpct(struct buf *b, const char *s, size_t n, int form, int strict)
{
	size_t i;
	int h, l;

	buf_grow(b, n);
	for (i = 0; i < n; i++) {
		if (form && s[i] == '+') {
			buf_addc(b, ' ');
		} else if (s[i] == '%' && i + 2 < n &&
		    (h = enc_hexval((unsigned char)s[i + 1])) >= 0 &&
		    (l = enc_hexval((unsigned char)s[i + 2])) >= 0) {
			buf_addc(b, h << 4 | l);
			i += 2;
		} else if (s[i] == '%' && strict) {
			return -1;
		} else {
			buf_addc(b, s[i]);
		}
	}
	buf_add(b, "", 0);	/* NUL-terminated even when empty */
	return 0;
}

void
enc_unpct(struct buf *b, const char *s, size_t len)
{
	(void)unpct(b, s, len, 0, 0);
}

int
enc_form_decode(const char *s, size_t n, struct buf *out, int strict)
{
	return unpct(out, s, n, 1, strict);
}

size_t
enc_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	size_t len, i;
	unsigned cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, cp = c & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

int
enc_utf8_ok(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k;

	while (i < n) {
		if ((k = enc_utf8_seq(s + i, n - i)) == 0)
			return 0;
		i += k;
	}
	return 1;
}

size_t
enc_json_esc(unsigned char c, char out[7])
{
	static const char hex[] = "0123456789ABCDEF";
	char e = 0;

	switch (c) {
	case '"': e = '"'; break;
	case '\\': e = '\\'; break;
	case '\b': e = 'b'; break;
	case '\f': e = 'f'; break;
	case '\n': e = 'n'; break;
	case '\r': e = 'r'; break;
	case '\t': e = 't'; break;
	}
	out[0] = '\\';
	if (e != 0) {
		out[1] = e;
		out[2] = '\0';
		return 2;
	}
	if (c >= 0x20)
		return 0;
	memcpy(out + 1, "u00", 3);
	out[4] = hex[c >> 4];
	out[5] = hex[c & 15];
	out[6] = '\0';
	return 6;
}

void
enc_json_str(struct buf *b, const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0, k, run;

	buf_addc(b, '"');
	while (i < n) {
		/* a run that needs nothing done, copied whole */
		for (run = i; run < n && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\'; run++)
			;
		if (run > i) {
			buf_add(b, p + i, run - i);
			i = run;
			continue;
		}
		if (s[i] < 0x80) {
			char e[7];

			if ((k = enc_json_esc(s[i], e)) > 0)
				buf_add(b, e, k);
			else
				buf_addc(b, (char)s[i]);
			i++;
		} else if ((k = enc_utf8_seq(s + i, n - i)) > 0) {
			buf_add(b, p + i, k);
			i += k;
		} else {	/* not UTF-8: ISO 8859-1 */
			buf_addc(b, (char)(0xc0 | s[i] >> 6));
			buf_addc(b, (char)(0x80 | (s[i] & 0x3f)));
			i++;
		}
	}
	buf_addc(b, '"');
}
