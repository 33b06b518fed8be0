/*
 * rules_impl: the condition tree that lib/rules.c (rules files),
 * lib/rulescond.c (making conditions, -w text) and lib/rulesmatch.c
 * (matching records) share.  Private to those three: others use rules.h.
 */
#ifndef RULES_IMPL_H
#define RULES_IMPL_H

#include <regex.h>
#include <stddef.h>
#include <jansson.h>

#include "path.h"
#include "rules.h"

enum cop {
	C_EQ, C_NE, C_RE, C_NRE, C_LT, C_LE, C_GT, C_GE, C_EXISTS, C_MISSING,
	C_ALL, C_ANY, C_NOT, C_TRUE
};

struct rules_cond {
	enum cop op;
	struct path path;
	json_t *val;		/* the value compared with */
	regex_t re;
	int has_re;
	struct rules_cond **kid;
	size_t n;
};

/* A condition of op with no path, value or kids yet. */
struct rules_cond *rules_new_cond(enum cop op);
/* Make k the next of c's kids (c owns it). */
void rules_add_kid(struct rules_cond *c, struct rules_cond *k);
/* c's regular expression; -1 with err for one refused or not compiled. */
int rules_set_regex(struct rules_cond *c, const char *re, char *err,
    size_t errlen);

#endif
