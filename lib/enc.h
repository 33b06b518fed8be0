/* enc: byte encodings: hex, base64, percent-encoding, form decoding, UTF-8 */
#ifndef ENC_H
#define ENC_H

#include <stddef.h>

#include "xmem.h"

/* The value of hex digit c (either case), or -1. */
int enc_hexval(int c);

/* n bytes as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void enc_hex(char *out, const void *p, size_t n);

/*
 * Exactly len hex digits (either case) into len / 2 bytes at out, which
 * has room for max.  Returns the byte count, or -1 when len is odd, a
 * character is not a hex digit, or the bytes do not fit.
 */
long enc_unhex(const char *s, size_t len, unsigned char *out, size_t max);

/* base64 flavours (RFC 4648): section 4 padded, or section 5 unpadded */
enum { ENC_B64 = 0, ENC_B64URL = 1 };

/* Append n bytes in base64 to b (NUL-terminated). */
void enc_base64(struct buf *b, const void *p, size_t n, int url);

/*
 * Decode base64 s[0..len) into out (room for max bytes).  ENC_B64 wants
 * the padding (len a multiple of 4); ENC_B64URL takes it or not.  With
 * strict, non-zero unused bits in the last character are refused, so
 * that each byte string has one spelling.  No white space anywhere.
 * Returns the decoded length, or -1.
 */
long enc_unbase64(const char *s, size_t len, unsigned char *out, size_t max,
    int url, int strict);

/*
 * Append s[0..len) to b percent-encoded (RFC 3986 section 2): every byte
 * but the unreserved ALPHA DIGIT - . _ ~ (and '/' with keep_slash) as %XX
 * with uppercase hex, as SigV4 and URIs want.
 */
void enc_pct(struct buf *b, const char *s, size_t len, int keep_slash);

/*
 * Append s[0..len) to b percent-decoded; a '%' not followed by two hex
 * digits stays as it is.
 */
void enc_unpct(struct buf *b, const char *s, size_t len);

/*
 * Decode one application/x-www-form-urlencoded component s[0..n) into
 * out: '+' is a space, %XX a byte.  A '%' without two hex digits is kept
 * as it is, or with strict makes it -1.  out is NUL-terminated even when
 * empty.  Returns 0 or -1.
 */
int enc_form_decode(const char *s, size_t n, struct buf *out, int strict);

/* The length of the valid UTF-8 sequence at s[0..n) (RFC 3629: no
 * overlongs, surrogates or code points over U+10FFFF), or 0. */
size_t enc_utf8_seq(const unsigned char *s, size_t n);

/*
 * The escape a JSON string needs for the ASCII byte c, as jansson writes
 * it ("\\n", "\\u001F"), NUL-terminated in out: its length, or 0 when c
 * stands for itself.  Bytes over 0x7F are the caller's (UTF-8 or not).
 */
size_t enc_json_esc(unsigned char c, char out[7]);

/*
 * Append p[0..n) to b as a JSON string, quoted and escaped as jansson
 * writes one (JSON_COMPACT); bytes that do not form UTF-8 are taken as
 * ISO 8859-1, as HTTP's obs-text historically was.
 */
void enc_json_str(struct buf *b, const char *p, size_t n);

/* 1 when p[0..n) is all valid UTF-8, else 0. */
int enc_utf8_ok(const char *p, size_t n);

#endif
