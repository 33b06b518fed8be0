/* tmpl: templates: "s3://{s3.bucket}/{s3.key|url}", "{now|date:%Y}",
 * and JSON templates for request bodies */
#ifndef TMPL_H
#define TMPL_H

#include <stddef.h>
#include <jansson.h>

#include "xmem.h"

struct tmpl;	/* opaque */

/*
 * Compile a text template.  {path|filter|filter:arg}; {.} is the whole
 * record; {now} is the current time; {{ and }} are literal braces.
 * Filters: url path json base dir lower upper default:TEXT date:FMT slack.
 * Returns NULL with "template 'T': problem" in err.
 */
struct tmpl *tmpl_compile(const char *text, char *err, size_t errlen);
void tmpl_free(struct tmpl *t);
/* The template's source text. */
const char *tmpl_text(const struct tmpl *t);
/*
 * Append the rendering for rec to out.  A missing field without a
 * default is an error: "template 'T': no field body.id".  Strings are
 * inserted as they are, other values as compact JSON.
 */
int tmpl_render(const struct tmpl *t, json_t *rec, struct buf *out,
    char *err, size_t errlen);
/* The rendering for rec as a new string (malloc'd), or NULL with err. */
char *tmpl_string(const struct tmpl *t, json_t *rec, char *err,
    size_t errlen);
/* If the template is exactly one "{path}" with filters that keep the
 * JSON type (none, or default:), the value itself (new reference);
 * else NULL.  Used by JSON templates. */
json_t *tmpl_value(const struct tmpl *t, json_t *rec, int *missing);

/* JSON templates: every string inside is a template; a string that is
 * exactly "{path}" becomes the value with its JSON type. */
struct jtmpl;
struct jtmpl *jtmpl_compile(const json_t *tmpl, char *err, size_t errlen);
void jtmpl_free(struct jtmpl *t);
json_t *jtmpl_render(const struct jtmpl *t, json_t *rec, char *err,
    size_t errlen);

/* A named template from an option NAME=TEMPLATE: the --attr of
 * sqs-send, sns-publish and pubsub-publish */
struct tmpl_attr {
	char *name;
	struct tmpl *t;
};

/* Append arg (NAME=TEMPLATE) to *a (*n of them).  Returns 0, or -1 with
 * err (no "=", empty name, a bad template). */
int tmpl_attr_add(struct tmpl_attr **a, size_t *n, const char *arg,
    char *err, size_t errlen);
void tmpl_attrs_free(struct tmpl_attr *a, size_t n);

#endif
