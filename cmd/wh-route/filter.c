/* wh-route: -w, the records that satisfy the conditions */
#include "wh-route.h"

/*
 * -w --strict parses a record, tests it and drops it: jansson's many
 * small allocations then come from an arena emptied after each record.
 */
struct block {
	struct block *next;
	size_t len, cap;
	max_align_t data[];
};
static struct block *arena;

void *
arena_alloc(size_t n)
{
	struct block *b = arena;
	size_t cap;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) *
	    sizeof(max_align_t);
	if (b == NULL || b->cap - b->len < n) {
		cap = 64 * 1024;
		while (cap < n)
			cap *= 2;
		b = xmalloc(sizeof(*b) + cap);
		b->len = 0;
		b->cap = cap;
		b->next = arena;
		arena = b;
	}
	p = (char *)b->data + b->len;
	b->len += n;
	return p;
}

void
arena_free(void *p)
{
	(void)p;	/* all of it goes at arena_reset() */
}

/* empty the arena, keeping one block as large as this record needed */
static void
arena_reset(void)
{
	struct block *b, *next;
	size_t used = 0;

	if (arena == NULL)
		return;
	if (arena->next == NULL) {
		arena->len = 0;
		return;
	}
	for (b = arena; b != NULL; b = next) {
		next = b->next;
		used += b->cap;
		free(b);
	}
	arena = xmalloc(sizeof(*arena) + used);
	arena->len = 0;
	arena->cap = used;
	arena->next = NULL;
}

int
filter_one(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	size_t i;
	int m = 1;

	(void)arg;
	if (strict && (r->obj = nd_parse(r->line, r->len, err, errlen)) ==
	    NULL)
		return ND_FAIL;
	if (check(r, err, errlen) < 0)
		return ND_FAIL;
	for (i = 0; i < nw && m; i++)
		m = matches(wconds[i], r);
	if (strict) {
		json_decref(r->obj);
		r->obj = NULL;	/* it lived in the arena */
		arena_reset();
	}
	if (m != vflag)
		nd_write_raw(r->line, r->len);
	return 0;
}
