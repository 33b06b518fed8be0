/* path: field paths into records: body.data.status, Records[0].s3.key,
 * headers."x-hub-signature" */
#ifndef PATH_H
#define PATH_H

#include <stddef.h>
#include <jansson.h>

struct path_seg {
	char *key;		/* object key, or NULL for an array index */
	long index;		/* array index; negative counts from the end */
};

struct path {
	struct path_seg *seg;
	size_t n;		/* 0 for "." (the whole record) */
	char *text;		/* the source text, for messages */
};

/* Compile text ("." alone is the root).  Returns 0, or -1 with err. */
int path_compile(const char *text, struct path *p, char *err, size_t errlen);
void path_free(struct path *p);
/* The value at p inside root (borrowed), or NULL if it is missing. */
json_t *path_get(const struct path *p, json_t *root);
/* Set the value at p (stealing val), creating objects on the way.
 * Returns 0, or -1 if a step is not an object (or an index is out of range). */
int path_set(const struct path *p, json_t *root, json_t *val);

/* Set o's member k to from's member fk when that is a string (the
 * fields a source tool copies from an API's answer). */
void path_copy_str(json_t *o, const char *k, json_t *from, const char *fk);

#endif
