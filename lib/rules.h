/* rules: record conditions (wh-route -w and "when:") and rules files */
#ifndef RULES_H
#define RULES_H

#include <stddef.h>
#include <jansson.h>

#include "path.h"
#include "tmpl.h"

struct rules_cond;	/* opaque: a condition tree */

/*
 * Compile a -w condition: "path=value", "path!=value", "path~re",
 * "path!~re", "path<v" "<=" ">" ">=", or "path?".  NULL with err.
 */
struct rules_cond *rules_where(const char *text, char *err, size_t errlen);
/* Whether rec satisfies c. */
int rules_match(const struct rules_cond *c, json_t *rec);
/* The same where get(path, arg) gives each field (borrowed, NULL if
 * missing): for records not parsed into a tree (lib/jscan). */
typedef json_t *(*rules_get_fn)(const struct path *p, void *arg);
int rules_match_get(const struct rules_cond *c, rules_get_fn get,
    void *arg);
/* Call fn for each field path c looks at. */
void rules_paths(const struct rules_cond *c,
    void (*fn)(const struct path *p, void *arg), void *arg);
/* A string every line whose record matches c must contain (for a cheap
 * test before parsing), or NULL.  The caller frees it. */
char *rules_literal(const struct rules_cond *c);
void rules_cond_free(struct rules_cond *c);

enum rules_dest { RULES_STDOUT, RULES_FILE, RULES_RUN };
enum rules_default { RULES_DEF_STDOUT, RULES_DEF_DROP, RULES_DEF_ERROR };

struct rules_route {
	char *name;
	struct rules_cond *when;
	struct path *setp;	/* set: field paths ... */
	struct jtmpl **setv;	/* ... and their JSON templates */
	size_t nset;
	enum rules_dest dest;
	char *target;		/* file name or command */
	int cont;		/* continue: true */
	int line;		/* where the route starts in its file */
	struct tmpl *remember;	/* remember: key template, or NULL */
	struct jtmpl *rvalue;	/*   value: what to store (default {.}) */
	long ttl;		/*   ttl: seconds */
	struct tmpl *recall;	/* recall: key template, or NULL */
	struct path recall_as;	/*   as: where the stored value goes */
	int forget;		/*   forget: delete it when recalled */
};

struct rules {
	struct rules_route *route;
	size_t n;
	enum rules_default dflt;
	char *state;		/* state: the file remember/recall use */
};

#define RULES_TTL	(7 * 24 * 3600)	/* remember's default ttl */

/* Load a rules file (see hookpipe(5)).  Returns 0, or -1 with
 * "file:line: problem" in err. */
int rules_load(const char *file, struct rules *r, char *err, size_t errlen);
/* The same from memory; name is used in messages. */
int rules_loads(const char *text, size_t len, const char *name,
    struct rules *r, char *err, size_t errlen);
void rules_free(struct rules *r);
/* Apply a route's set: to out, templates rendered against in. */
int rules_set(const struct rules_route *rt, json_t *in, json_t *out,
    char *err, size_t errlen);

#endif
