/* whbody: a webhook request's body as the JSON text of a record */
#ifndef WHBODY_H
#define WHBODY_H

#include <stddef.h>

#include <jansson.h>

#include "xmem.h"

/*
 * The body p[0..n) as JSON text on one line, in *text and *tlen: p itself
 * where it needs no change but white space dropped, else out (reset
 * first, the caller's to free):
 * - JSON (any Content-Type): the text as sent, so numbers keep their
 *   digits and strings their escapes, with only the white space before
 *   and after the value dropped and each CR and LF (which valid JSON has
 *   only between tokens) made a space;
 * - an application/x-www-form-urlencoded form (by content_type, NULL
 *   for none): an object of its decoded fields, a name given twice an
 *   array, and a payload field holding a JSON object or array (GitHub's
 *   form deliveries, Slack's interactions) that JSON, kept as above; the
 *   object is also returned in *form (the caller's, to json_decref);
 * - other UTF-8: a JSON string.
 * Returns the value's first byte ('{', '[', '"', 't', 'f', 'n', '-' or a
 * digit), or 0 when the body is not UTF-8 (*tlen is then 0).
 */
int whbody_decode(const char *p, size_t n, const char *content_type,
    struct buf *out, const char **text, size_t *tlen, json_t **form);

/* Set o's k to v (stealing v); a k set again becomes an array of values. */
void whbody_add_arg(json_t *o, const char *k, json_t *v);

#endif
