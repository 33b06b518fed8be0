/* httpframe: refuse requests whose framing a proxy could read otherwise */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "httpframe.h"

/* tchar of RFC 9110 5.6.2 */
static int
tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' &&
	    strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
named(const struct httpframe_field *f, const char *name)
{
	return f->nlen == strlen(name) &&
	    strncasecmp(f->name, name, f->nlen) == 0;
}

/*
 * The Transfer-Encoding values, all fields together as one list: 0 when
 * the only coding is a final "chunked" (RFC 9112 6.3: otherwise the
 * length cannot be known), 501 for a coding before it we do not decode.
 * "chunked" must also be written alone, as the one value of one field:
 * a server that compares the value whole (libh2o 2.2) would read
 * "chunked " or "chunked," as some other coding.
 */
static int
te_check(const struct httpframe_field *f, size_t n, char *why,
    size_t whylen)
{
	const char *p, *e, *end;
	size_t i, len, ncodings = 0, nchunked = 0, nfields = 0, vlen = 0;
	int last_chunked = 0;
	char other[64] = "";

	for (i = 0; i < n; i++) {
		if (!named(&f[i], "Transfer-Encoding"))
			continue;
		nfields++;
		vlen = f[i].vlen;
		end = f[i].value + f[i].vlen;
		for (p = f[i].value; p < end; p = e + 1) {
			e = memchr(p, ',', end - p);
			if (e == NULL)
				e = end;
			while (p < e && (*p == ' ' || *p == '\t'))
				p++;
			len = e - p;
			while (len > 0 && (p[len - 1] == ' ' ||
			    p[len - 1] == '\t'))
				len--;
			if (len == 0)
				continue;	/* empty list element */
			ncodings++;
			last_chunked = len == 7 &&
			    strncasecmp(p, "chunked", 7) == 0;
			if (last_chunked)
				nchunked++;
			else if (other[0] == '\0')
				snprintf(other, sizeof(other), "%.*s",
				    (int)(len < 40 ? len : 40), p);
		}
	}
	if (!last_chunked) {
		snprintf(why, whylen, "Transfer-Encoding without chunked "
		    "last: the length is unknown (RFC 9112 6.3)");
		return 400;
	}
	if (nchunked > 1) {
		snprintf(why, whylen, "Transfer-Encoding chunked more than "
		    "once (RFC 9112 7)");
		return 400;
	}
	if (ncodings > 1) {
		snprintf(why, whylen, "transfer coding %s not implemented",
		    other);
		return 501;
	}
	if (nfields > 1 || vlen != 7) {
		snprintf(why, whylen, "Transfer-Encoding not the one value "
		    "chunked");
		return 400;
	}
	return 0;
}

int
httpframe_check(const struct httpframe_field *f, size_t n,
    const char *version, char *why, size_t whylen)
{
	size_t i, j, ncl = 0, nte = 0;

	for (i = 0; i < n; i++) {
		if (f[i].nlen == 0) {
			snprintf(why, whylen, "empty header field name");
			return 400;
		}
		for (j = 0; j < f[i].nlen; j++)
			if (!tchar((unsigned char)f[i].name[j])) {
				snprintf(why, whylen, "header field name with "
				    "byte 0x%02x (RFC 9110 5.1, RFC 9112 5.1)",
				    (unsigned char)f[i].name[j]);
				return 400;
			}
		if (memchr(f[i].value, '\r', f[i].vlen) != NULL ||
		    memchr(f[i].value, '\n', f[i].vlen) != NULL) {
			snprintf(why, whylen, "CR or LF in a header field "
			    "value (RFC 9110 5.5)");
			return 400;
		}
		ncl += named(&f[i], "Content-Length");
		nte += named(&f[i], "Transfer-Encoding");
	}
	if (ncl > 1) {
		snprintf(why, whylen, "Content-Length given %zu times (RFC "
		    "9112 6.3)", ncl);
		return 400;
	}
	if (nte == 0)
		return 0;
	if (strcmp(version, "HTTP/1.0") == 0) {
		snprintf(why, whylen, "Transfer-Encoding in an HTTP/1.0 "
		    "request (RFC 9112 6.1)");
		return 400;
	}
	if (ncl > 0) {
		snprintf(why, whylen, "both Content-Length and "
		    "Transfer-Encoding (RFC 9112 6.1)");
		return 400;
	}
	return te_check(f, n, why, whylen);
}
