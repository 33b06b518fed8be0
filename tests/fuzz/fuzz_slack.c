/* fuzz_slack: slackresp_parse on Slack's answers.  Byte 0: bit 0 the
 * endpoint (1 an incoming webhook, 0 chat.postMessage), the rest an
 * index into the statuses below; the other bytes are the body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "slackresp.h"

static const long statuses[] = {
	200, 201, 400, 401, 403, 404, 408, 410, 429, 500, 502, 503
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slackresp r;
	char err[128], small[4];
	char *body;
	long status;
	int webhook, rc;

	if (size < 1)
		return 0;
	webhook = data[0] & 1;
	status = statuses[(data[0] >> 1) % (sizeof(statuses) /
	    sizeof(statuses[0]))];
	/* an exact-size copy, so a read past the body is caught */
	body = malloc(size - 1 ? size - 1 : 1);
	memcpy(body, data + 1, size - 1);
	err[0] = '\0';
	rc = slackresp_parse(webhook, status, body, size - 1, &r, err,
	    sizeof(err));
	if (rc == 0) {
		if (r.kind != SLACKRESP_OK || r.temp || r.fatal ||
		    status != 200 || (webhook && (r.ts || r.channel)))
			abort();
	} else {
		if (rc != -1 || r.kind == SLACKRESP_OK || err[0] == '\0' ||
		    r.ts != NULL || r.channel != NULL)
			abort();
		if (r.kind == SLACKRESP_HTTP && strlen(err) > 100)
			abort();
		if (strpbrk(err, "\r\n\t") != NULL)
			abort();	/* one line on stderr */
	}
	slackresp_free(&r);
	/* a short buffer is cut, never overrun */
	(void)slackresp_parse(webhook, status, body, size - 1, &r, small,
	    sizeof(small));
	slackresp_free(&r);
	free(body);
	return 0;
}
