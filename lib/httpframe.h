/* httpframe: refuse requests whose framing a proxy in front could read
 * otherwise (request smuggling, RFC 9112 6.1 and 6.3) */
#ifndef HTTPFRAME_H
#define HTTPFRAME_H

#include <stddef.h>

/* One header field as the server parsed it, in the order received. */
struct httpframe_field {
	const char *name, *value;
	size_t nlen, vlen;
};

/*
 * Check the fields of a request of version ("HTTP/1.1"): 0 when its
 * framing is unambiguous, else the status to refuse it with (400, or
 * 501 for a transfer coding not implemented) with the reason in why.
 * Refused: a field name that is not a token or a value holding CR or
 * LF; Content-Length more than once; Transfer-Encoding with
 * Content-Length, in HTTP/1.0, or with anything but a single final
 * "chunked".
 */
int httpframe_check(const struct httpframe_field *f, size_t n,
    const char *version, char *why, size_t whylen);

#endif
