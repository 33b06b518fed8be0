/* bignum: numbers jansson cannot hold (beyond 64 bits, past a double's
 * range) kept as their exact text through parse, use and dump */
#ifndef BIGNUM_H
#define BIGNUM_H

#include <stddef.h>
#include <jansson.h>

/*
 * json_loadb() that also takes numbers jansson refuses as too big: each
 * becomes a marker, a string of a NUL and the number's text, that
 * bignum_dump() writes back as the bare number.  A string value of real
 * input that looks like a marker is refused (je->line is then -1), so a
 * marker in memory always stands for a number.  JSON_ALLOW_NUL is added
 * to flags.
 */
json_t *bignum_loadb(const char *p, size_t n, size_t flags, json_error_t *je);
json_t *bignum_loads(const char *s, size_t flags, json_error_t *je);

/* A message body (sqs-poll, pubsub-pull) as a value: the JSON object or
 * array that p[0..n) parses as (bignum_loadb), else the text as a
 * string; NULL when it is neither (not UTF-8). */
json_t *bignum_body(const char *p, size_t n);

/* json_dump_callback() and json_dumps() with markers as bare numbers,
 * and each real in its shortest text that reads back as the same
 * double (21.7, not jansson's 21.699999999999999). */
int bignum_dump(const json_t *v, size_t flags, json_dump_callback_t cb,
    void *arg);
char *bignum_dumps(const json_t *v, size_t flags);

/* d as that shortest text in t[tn] (40 is enough), written as jansson
 * writes reals ("1e300", "-0.0"); its length, or -1 if tn is short. */
int bignum_real_text(double d, char *t, size_t tn);

/* The number's text (NUL terminated) if v is a marker, else NULL. */
const char *bignum_text(const json_t *v, size_t *len);

#endif
