/* fetchfile's own: the digests (fetchdigest.c) */
#ifndef FETCHFILEINT_H
#define FETCHFILEINT_H

#include <stddef.h>

#include "fetchfile.h"

/* p[0..n) into f's digests, in the file's order */
void fetchfile_digest(struct fetchfile *f, const void *p, size_t n);
/* the digests from the start; 0, or -1 if they would not start */
int fetchfile_digest_reset(struct fetchfile *f);
/* the digests' ends: f->sha256 (hex) and f->md5sum */
void fetchfile_digest_end(struct fetchfile *f);

#endif
