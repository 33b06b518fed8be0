/* fuzz_httpframe: header lines laid out as libmicrohttpd 0.9 leaves them,
 * then httpframe_check and httpframe_hidden; hidden must see every value
 * cut at a NUL with bytes after it, and nothing where there was no NUL */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpframe.h"

#define MAXF 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char rl[] = "POST\0/\0HTTP/1.1";	/* CR LF: 2 NULs */
	struct httpframe_field f[MAXF];
	char why[256], *b, *line, *colon, *v;
	size_t n = 0, pos, start, len = sizeof(rl) + 1 + size + 4, i;
	int had_nul = memchr(data, '\0', size) != NULL, hides = 0, ended = 0;

	b = calloc(1, len);
	memcpy(b, rl, sizeof(rl));
	pos = sizeof(rl) + 1;
	memcpy(b + pos, data, size);
	memcpy(b + pos + size, "\r\n\r\n", 4);
	/* get_next_header_line and process_header_line, in short */
	while (pos < len && n < MAXF) {
		start = pos;
		while (pos < len && !(b[pos] == '\n' || (b[pos] == '\r' &&
		    pos + 1 < len && b[pos + 1] == '\n')))
			pos++;
		if (pos >= len)
			break;
		line = b + start;
		for (i = start; i < pos; i++)
			if (b[i] == '\0') {
				/* what a NUL hides: anything but white space */
				for (; i < pos; i++)
					if (b[i] != '\0' && b[i] != ' ' &&
					    b[i] != '\t' && b[i] != '\r')
						hides = 1;
				break;
			}
		if (b[pos] == '\r')
			b[pos++] = '\0';
		b[pos++] = '\0';
		if (line[0] == '\0') {
			ended = 1;
			break;
		}
		if (line[0] == ' ' || line[0] == '\t' ||
		    (colon = strchr(line, ':')) == NULL)
			goto out;	/* folded, or refused by the library */
		*colon = '\0';
		for (v = colon + 1; *v == ' ' || *v == '\t'; v++)
			;
		f[n++] = (struct httpframe_field){ line, v, colon - line,
		    strlen(v) };
	}
	if (!ended || n == MAXF)
		goto out;
	(void)httpframe_check(f, n, "HTTP/1.1", why, sizeof(why));
	i = httpframe_hidden(f, n, b, pos, b + sizeof(rl) - 1);
	if (!had_nul && i != 0)
		abort();	/* a false alarm */
	if (hides && i != 1)
		abort();	/* hidden bytes not seen */
out:
	free(b);
	return 0;
}
