/* cdisp: the file name a server gives in Content-Disposition (RFC 6266,
 * with RFC 8187's filename*=UTF-8''...), and a name that stays in a
 * directory */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cdisp.h"
#include "enc.h"
#include "xmem.h"

enum { NAME_MAX_BYTES = 200 };

/* past the optional whitespace RFC 6266 allows around '=' */
static const char *
ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* filename*=UTF-8'[language]'...: the decoded name in b, or b empty */
static void
ext_value(const char *v, struct buf *b)
{
	const char *p;
	int h, l;

	if ((p = strcasestr(v, "filename*=")) == NULL)
		return;
	p = ows(p + 10);
	if (strncasecmp(p, "UTF-8'", 6) != 0)
		return;
	for (p += 6; isalnum((unsigned char)*p) || *p == '-'; p++)
		;	/* the language tag */
	if (*p != '\'')
		return;
	for (p++; *p != '\0' && *p != ';' && *p != ' '; p++) {
		if (*p == '%' && (h = enc_hexval((unsigned char)p[1])) >= 0 &&
		    (l = enc_hexval((unsigned char)p[2])) >= 0) {
			buf_addc(b, h * 16 + l);
			p += 2;
		} else {
			buf_addc(b, *p);
		}
	}
}

int
cdisp_filename(const char *v, char **name, char *err, size_t errlen)
{
	const char *p, *q;
	struct buf b = {0};

	*name = NULL;
	ext_value(v, &b);
	if (b.len > 0) {
		*name = b.p;
		return 0;
	}
	for (q = v; (p = strcasestr(q, "filename=")) != NULL; q = p + 9)
		if (p == v || p[-1] == ';' || p[-1] == ' ')
			break;
	if (p == NULL) {
		buf_free(&b);
		snprintf(err, errlen, "no filename parameter");
		return -1;
	}
	p = ows(p + 9);
	if (*p == '"') {
		for (p++; *p != '\0' && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			buf_addc(&b, *p);
		}
	} else {
		for (; *p != '\0' && *p != ';' && *p != ' '; p++)
			buf_addc(&b, *p);
	}
	if (b.len == 0) {
		buf_free(&b);
		snprintf(err, errlen, "empty filename parameter");
		return -1;
	}
	*name = b.p;
	return 0;
}

int
cdisp_safe_name(const char *s, char **out, char *err, size_t errlen)
{
	const char *p;
	struct buf b = {0};

	*out = NULL;
	for (p = s; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			s = p + 1;
	for (p = s; *p != '\0' && b.len < NAME_MAX_BYTES; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c == 0x7f)
			continue;
		buf_addc(&b, b.len == 0 && c == '.' ? '_' : (char)c);
	}
	if (b.len == 0) {
		snprintf(err, errlen, "nothing is left of the file name once "
		    "directories and control characters are removed");
		return -1;
	}
	*out = b.p;
	return 0;
}
