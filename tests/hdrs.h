/*
 * hdrs: a request's headers as tests/unit/whsig.c and
 * tests/fuzz/fuzz_whsig.c hold them, with the getter whsig_verify takes.
 */
#ifndef TESTS_HDRS_H
#define TESTS_HDRS_H

#include <string.h>
#include <strings.h>

#include "whsig.h"

#define HDRS_LINES 16	/* how many "Name: value" lines hdrs_split reads */

struct hdrs {
	int n;
	const char *name[HDRS_LINES + WHSIG_HEADERS_MAX];
	const char *value[HDRS_LINES + WHSIG_HEADERS_MAX];
};

/* whsig_header_fn: the value of header name (any case) in arg, or NULL */
static const char * __attribute__((unused))
hdrs_get(void *arg, const char *name)
{
	struct hdrs *h = arg;
	int i;

	for (i = 0; i < h->n; i++)
		if (strcasecmp(h->name[i], name) == 0)
			return h->value[i];
	return NULL;
}

/* Up to HDRS_LINES "Name: value" lines of s (modified in place) into h;
 * lines without a colon are passed over. */
static void __attribute__((unused))
hdrs_split(char *s, struct hdrs *h)
{
	char *nl, *c;

	h->n = 0;
	for (; s != NULL && *s != '\0' && h->n < HDRS_LINES; s = nl) {
		if ((nl = strchr(s, '\n')) != NULL)
			*nl++ = '\0';
		if ((c = strchr(s, ':')) == NULL)
			continue;
		*c++ = '\0';
		h->name[h->n] = s;
		h->value[h->n++] = c;
	}
}

#endif
