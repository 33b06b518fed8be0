/* jcanon: whether a JSON line is already what jansson's compact dump of
 * it would be, so a field can be added to it as text */
#ifndef JCANON_H
#define JCANON_H

#include <stddef.h>

struct jcanon;		/* scratch space, kept between lines */

struct jcanon *jcanon_new(void);
void jcanon_free(struct jcanon *c);
/*
 * Whether line, which jscan_line took, is byte for byte jansson's
 * JSON_COMPACT dump of it (no white space, no \u or \/ escapes, reals as
 * "%.17g" prints them, no duplicate keys), with no key "key" at the top:
 * then wh-route adds "route" as text, without a tree.
 */
int jcanon_compact(struct jcanon *c, const char *line, size_t len,
    const char *key);

#endif
