/* phr: picohttpparser, the HTTP/1 parser inside libh2o (Debian's
 * libh2o-evloop exports it but installs no header for it): the calls
 * wh-listen's server and the fuzz target make, as h2o 2.2.5 declares
 * them (deps/picohttpparser/picohttpparser.h) */
#ifndef PHR_H
#define PHR_H

#include <stddef.h>

struct phr_header {
	const char *name;	/* NULL, length 0: a line folded */
	size_t name_len;
	const char *value;
	size_t value_len;
};

/* Parse the request at buf[0..len): the header block's length, -1 for
 * a request that does not parse, -2 when not all of it is in. */
int phr_parse_request(const char *buf, size_t len, const char **method,
    size_t *method_len, const char **path, size_t *path_len,
    int *minor_version, struct phr_header *headers, size_t *num_headers,
    size_t last_len);

#endif
