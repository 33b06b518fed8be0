/* fuzz_record: bytes through nd_reader (from a memfd) and nd_parse per line,
 * checked against a plain split of the same bytes (lines over a small
 * limit refused); what parses dumps to a line that parses to the same */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bignum.h"
#include "nd.h"

#define MAX_LINE 4096	/* libFuzzer's inputs are mostly shorter */

static int fd = -1;

/* v dumped, parsed again and dumped again: the same text */
static void
round_trip(json_t *v)
{
	char err[512], *a, *b;
	json_t *w;

	if ((a = bignum_dumps(v, JSON_COMPACT)) == NULL ||
	    (w = nd_parse(a, strlen(a), err, sizeof(err))) == NULL ||
	    (b = bignum_dumps(w, JSON_COMPACT)) == NULL || strcmp(a, b) != 0)
		abort();
	free(a);
	free(b);
	json_decref(w);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nd_reader r;
	char *line, err[512];
	size_t len, off = 0, end, want;
	json_t *v;
	int rc;

	if (fd < 0 && (fd = memfd_create("fuzz_record", 0)) < 0)
		abort();
	if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) != 0 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0)
		abort();
	nd_reader_init(&r, fd, "fuzz");
	r.max = MAX_LINE;
	while ((rc = nd_reader_next(&r, &line, &len)) > 0) {
		/* the same line as a plain split: up to \n, one \r dropped */
		if (off >= size)
			abort();
		for (end = off; end < size && data[end] != '\n'; end++)
			;
		want = end - off;
		if (want > 0 && data[end - 1] == '\r')
			want--;
		if ((rc == ND_LONG) != (want > MAX_LINE))
			abort();
		if (rc != ND_LONG && (len != want ||
		    memcmp(line, data + off, len) != 0 || line[len] != '\0'))
			abort();
		off = end + 1;
		if (rc == ND_LONG)
			continue;
		v = nd_parse(line, len, err, sizeof(err));
		if (v == NULL && err[0] == '\0')
			abort();
		if (v != NULL && !json_is_object(v))
			abort();
		if (v != NULL)
			round_trip(v);
		json_decref(v);
	}
	/* every byte was read */
	if (rc != 0 || off < size)
		abort();
	nd_reader_free(&r);
	return 0;
}
