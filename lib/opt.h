/* opt: option values every tool reads the same way */
#ifndef OPT_H
#define OPT_H

#include <stddef.h>

/*
 * A byte count: digits with an optional k, m or g suffix (KiB, MiB, GiB),
 * "KiB" and "B" spellings accepted: "16M", "16MiB", "16777216".  Returns
 * 0 with *out, or -1 when it is not a size or not within lo..hi.
 */
int opt_size(const char *s, size_t lo, size_t hi, size_t *out);

#endif
