/* fuzz_cdisp: cdisp_filename on a Content-Disposition value, then
 * cdisp_safe_name on what it gives: a safe name never leaves its
 * directory */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cdisp.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256], *v, *raw, *n;
	size_t i, len;

	v = malloc(size + 1);
	memcpy(v, data, size);
	v[size] = '\0';
	if (cdisp_filename(v, &raw, err, sizeof(err)) < 0) {
		if (raw != NULL || err[0] == '\0')
			abort();
		raw = strdup(v);	/* the id fallback: any bytes */
	}
	if (cdisp_safe_name(raw, &n, err, sizeof(err)) < 0) {
		if (n != NULL || err[0] == '\0')
			abort();
	} else {
		len = strlen(n);
		if (len == 0 || len > 200 || n[0] == '.')
			abort();
		for (i = 0; i < len; i++)
			if (n[i] == '/' || n[i] == '\\' ||
			    (unsigned char)n[i] < 0x20 || n[i] == 0x7f)
				abort();
		free(n);
	}
	free(raw);
	free(v);
	return 0;
}
