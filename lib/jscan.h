/* jscan: check a line is one valid JSON object and find the values at a
 * few field paths in one pass, without building a tree */
#ifndef JSCAN_H
#define JSCAN_H

#include <stddef.h>
#include <jansson.h>

#include "path.h"

/*
 * What a line must be (RFC 8259, and what lib/nd.c's nd_parse takes):
 * one object, UTF-8 without overlong forms or surrogates, no bare
 * control characters in strings, escapes as the RFC lists them and no
 * lone surrogate in \u escapes, nesting at most JSCAN_MAX_DEPTH values
 * deep, no \u0000 in an object key (jansson cannot hold one).  Unlike
 * jansson it takes numbers of any size (see jscan_get) and refuses a raw
 * NUL byte after a number or literal (jansson's reader drops it).
 */
#define JSCAN_MAX_DEPTH	2048	/* jansson's JSON_PARSER_MAX_DEPTH */

struct jscan;

struct jscan *jscan_new(void);
void jscan_free(struct jscan *s);
/* Look for p in every line from now on; p must outlive s.  Returns a
 * slot for jscan_get (the same slot for the same path). */
int jscan_add(struct jscan *s, const struct path *p);
/*
 * Check one line and find the values of the paths added.  Returns 0, or
 * -1 with "invalid JSON at column N: why" or "not a JSON object" in err.
 */
int jscan_line(struct jscan *s, const char *line, size_t len, char *err,
    size_t errlen);
/*
 * The value at slot in the last line checked, or NULL if it is missing;
 * borrowed, valid until the next jscan_line.  The value is what
 * path_get finds in nd_parse's tree (duplicate keys: the last wins),
 * except for a number jansson cannot hold: an integer beyond int64 is a
 * real, a real beyond the double range is +-DBL_MAX.  An object or array
 * is parsed by jansson when asked for (NULL if jansson refuses it).
 */
json_t *jscan_get(struct jscan *s, int slot);
/* Whether the last line jscan_line took had a \u0000 escape in a string. */
int jscan_nul(const struct jscan *s);
/* The same by the path given to jscan_add (for rules_match_get). */
json_t *jscan_path(const struct path *p, void *s);
/* The first byte from p that a string cannot hold as it is ('"', '\\',
 * below 0x20, or UTF-8), or end. */
const char *jscan_plain(const char *p, const char *end);

#endif
