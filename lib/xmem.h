/* xmem: allocation that exits with status 7 on failure, and a growable buffer */
#ifndef XMEM_H
#define XMEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* *dst = a copy of s, the old *dst freed (a parser keeping a field's last value) */
void xstrset(char **dst, const char *s);

/* A growable byte buffer, always NUL-terminated after buf_* calls. */
struct buf {
	char *p;
	size_t len;
	size_t cap;
};

void buf_grow(struct buf *b, size_t more);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_adds(struct buf *b, const char *s);
void buf_addc(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);	/* length 0, memory kept */
void buf_free(struct buf *b);

#endif
