/* fuzz_conf: bytes as a YAML config through conf_loads */
#include <stdint.h>
#include <stdlib.h>

#include "conf.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *v = NULL;
	char err[1024];

	err[0] = '\0';
	if (conf_loads((const char *)data, size, "fuzz.yaml", &v, err,
	    sizeof(err)) < 0) {
		if (err[0] == '\0')
			abort();
		return 0;
	}
	if (v == NULL)
		abort();
	(void)conf_line(v);
	json_decref(v);
	return 0;
}
