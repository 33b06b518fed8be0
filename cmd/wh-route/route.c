/* wh-route: checking, matching and routing each record (-c) */
#include "wh-route.h"

/* a line jscan refused: in nd_parse's words, as other tools say it */
static int
bad_line(const struct nd_rec *r, char *err, size_t errlen)
{
	char why[1024];
	json_t *v;

	if ((v = nd_parse(r->line, r->len, why, sizeof(why))) != NULL)
		json_decref(v);		/* jansson takes it: jscan's words */
	else
		snprintf(err, errlen, "%s", why);
	return ND_FAIL;
}

/* check the line (unless jansson parsed it already); -1 if it is bad */
int
check(struct nd_rec *r, char *err, size_t errlen)
{
	if (r->obj != NULL)
		return 0;
	if (jscan_line(scan, r->line, r->len, err, errlen) < 0) {
		bad_line(r, err, errlen);
		return -1;
	}
	/* an escaped NUL may spell what stands for a big number (bignum.h):
	 * such a line is judged by the parser that knows the rule */
	if (jscan_nul(scan) &&
	    (r->obj = nd_parse(r->line, r->len, err, errlen)) == NULL) {
		bad_line(r, err, errlen);
		return -1;
	}
	return 0;
}

/* whether the record satisfies c: from its tree if it has one, else
 * from what jscan found in the line */
int
matches(const struct rules_cond *c, const struct nd_rec *r)
{
	if (r->obj != NULL)
		return rules_match(c, r->obj);
	return rules_match_get(c, jscan_path, scan);
}

void
scan_path(const struct path *p, void *arg)
{
	jscan_add(arg, p);
}

/*
 * A route that only adds "route" to a line already as jansson writes it
 * (lib/jcanon) adds it as text: the same bytes as the
 * tree would give, without building one.  Returns 1 if it did.
 */
static int
as_text(const struct rules_route *rt, size_t i, const struct nd_rec *r,
    struct buf *text)
{
	static char **tail;	/* per route: "\"route\":NAME}" */
	json_t *name;
	char *s;

	if (r->obj != NULL || rt->nset > 0 || rt->recall != NULL ||
	    rt->remember != NULL || !jcanon_compact(canon, r->line, r->len,
	    "route"))
		return 0;
	if (tail == NULL)
		tail = xcalloc(rules.n, sizeof(*tail));
	if (tail[i] == NULL) {
		name = json_string(rt->name);
		s = json_dumps(name, JSON_ENCODE_ANY);
		json_decref(name);
		if (s == NULL)
			return 0;
		tail[i] = xstrdup("\"route\":");
		tail[i] = xrealloc(tail[i], strlen(tail[i]) + strlen(s) + 2);
		snprintf(tail[i] + 8, strlen(s) + 2, "%s}", s);
		free(s);
	}
	buf_reset(text);
	buf_add(text, r->line, r->len - 1);	/* all but its '}' */
	if (r->len > 2)
		buf_addc(text, ',');
	buf_adds(text, tail[i]);
	return 1;
}

int
route_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	static struct buf text;
	size_t i;
	int matched = 0, rc;
	json_t *out, *got, *claim;

	(void)arg;
	if (check(r, err, errlen) < 0)
		return ND_FAIL;
	for (i = 0; i < rules.n; i++) {
		const struct rules_route *rt = &rules.route[i];

		if (!matches(rt->when, r))
			continue;
		if (as_text(rt, i, r, &text)) {
			matched = 1;
			if ((rc = deliver(rt, &sinks[i], r, NULL, &text, err,
			    errlen)) != 0)
				return rc;
			if (!rt->cont)
				break;
			continue;
		}
		/* a match is rewritten: only now is the tree built */
		if (r->obj == NULL &&
		    (r->obj = nd_parse(r->line, r->len, err, errlen)) == NULL)
			return ND_FAIL;
		got = claim = NULL;
		if (rt->recall != NULL) {
			if (recall(rt, r->obj, &got, &claim, err, errlen) < 0)
				return ND_FAIL;
			if (got == NULL)
				continue;	/* nothing remembered */
		}
		matched = 1;
		out = json_copy(r->obj);
		json_object_set_new(out, "route", json_string(rt->name));
		if (claim != NULL)
			json_object_set_new(out, "claim", claim);
		if (got != NULL && path_set(&rt->recall_as, out, got) < 0) {
			snprintf(err, errlen, "route %s: cannot set %s",
			    rt->name, rt->recall_as.text);
			json_decref(out);
			return ND_FAIL;
		}
		if (rules_set(rt, r->obj, out, err, errlen) < 0 ||
		    (rt->remember != NULL &&
		    remember(rt, r->obj, err, errlen) < 0)) {
			json_decref(out);
			return ND_FAIL;
		}
		rc = deliver(rt, &sinks[i], r, out, NULL, err, errlen);
		json_decref(out);
		if (rc != 0)
			return rc;
		if (!rt->cont)
			break;
	}
	if (matched)
		return 0;
	switch (rules.dflt) {
	case RULES_DEF_STDOUT:
		nd_write_raw(r->line, r->len);
		return 0;
	case RULES_DEF_DROP:
		return 0;
	default:
		/* --errors keeps the record's fields, not the raw line */
		if (r->obj == NULL)
			r->obj = nd_parse(r->line, r->len, err, errlen);
		snprintf(err, errlen, "no route matched");
		return ND_FAIL;
	}
}
