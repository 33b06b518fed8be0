/* path: field paths into records: body.data.status, Records[0].s3.key,
 * headers."x-hub-signature" */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path.h"
#include "xmem.h"

static void
add_seg(struct path *p, char *key, long index)
{
	p->seg = xrealloc(p->seg, (p->n + 1) * sizeof(*p->seg));
	p->seg[p->n].key = key;
	p->seg[p->n].index = index;
	p->n++;
}

static int
bad(struct path *p, char *err, size_t errlen, const char *text,
    size_t at, const char *what)
{
	snprintf(err, errlen, "bad field path '%s' at character %zu: %s",
	    text, at + 1, what);
	path_free(p);
	return -1;
}

int
path_compile(const char *text, struct path *p, char *err, size_t errlen)
{
	const char *s = text;
	struct buf k = {0};
	char *end;
	long idx;

	memset(p, 0, sizeof(*p));
	p->text = xstrdup(text);
	if (strcmp(s, ".") == 0)
		return 0;
	if (*s == '\0')
		return bad(p, err, errlen, text, 0, "empty path");
	if (*s == '.')		/* jq-style ".body.id" */
		s++;
	for (;;) {
		if (*s == '"') {
			buf_reset(&k);
			s++;
			while (*s != '"') {
				if (*s == '\0') {
					buf_free(&k);
					return bad(p, err, errlen, text,
					    (size_t)(s - text),
					    "unterminated quote");
				}
				if (*s == '\\' && s[1] != '\0')
					s++;
				buf_addc(&k, *s++);
			}
			s++;
			add_seg(p, xstrndup(k.p ? k.p : "", k.len), 0);
		} else if (*s != '[') {
			size_t n = strcspn(s, ".[\"");

			if (n == 0) {
				buf_free(&k);
				return bad(p, err, errlen, text,
				    (size_t)(s - text), "empty field name");
			}
			add_seg(p, xstrndup(s, n), 0);
			s += n;
		}
		while (*s == '[') {
			errno = 0;
			idx = strtol(s + 1, &end, 10);
			if (end == s + 1 || *end != ']' || errno != 0) {
				buf_free(&k);
				return bad(p, err, errlen, text,
				    (size_t)(s - text),
				    "expected [NUMBER]");
			}
			add_seg(p, NULL, idx);
			s = end + 1;
		}
		if (*s == '\0')
			break;
		if (*s != '.') {
			buf_free(&k);
			return bad(p, err, errlen, text, (size_t)(s - text),
			    "expected '.'");
		}
		s++;
	}
	buf_free(&k);
	return 0;
}

void
path_free(struct path *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->seg[i].key);
	free(p->seg);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

static json_t *
step(const struct path_seg *s, json_t *v)
{
	long i;

	if (s->key != NULL)
		return json_is_object(v) ? json_object_get(v, s->key) : NULL;
	if (!json_is_array(v))
		return NULL;
	i = s->index;
	if (i < 0)
		i += (long)json_array_size(v);
	if (i < 0)
		return NULL;
	return json_array_get(v, (size_t)i);
}

json_t *
path_get(const struct path *p, json_t *root)
{
	size_t i;
	json_t *v = root;

	for (i = 0; i < p->n && v != NULL; i++)
		v = step(&p->seg[i], v);
	return v;
}

int
path_set(const struct path *p, json_t *root, json_t *val)
{
	size_t i;
	json_t *v = root, *next;
	long idx;

	if (p->n == 0 || !json_is_object(root)) {
		json_decref(val);
		return -1;
	}
	/* check the whole way first, so a failed set changes nothing */
	v = root;
	for (i = 0; i + 1 < p->n && v != NULL; i++) {
		next = step(&p->seg[i], v);
		if (next == NULL) {
			/* only object keys can be made, and only objects below */
			size_t j;

			if (p->seg[i].key == NULL || !json_is_object(v))
				break;
			for (j = i + 1; j < p->n; j++)
				if (p->seg[j].key == NULL) {
					json_decref(val);
					return -1;
				}
			break;
		}
		if (!json_is_object(next) && !json_is_array(next)) {
			json_decref(val);
			return -1;
		}
		v = next;
	}
	v = root;
	for (i = 0; i + 1 < p->n; i++) {
		next = step(&p->seg[i], v);
		if (next == NULL && p->seg[i].key != NULL &&
		    json_is_object(v)) {
			next = json_object();
			if (json_object_set_new(v, p->seg[i].key, next) < 0) {
				/* not UTF-8: next is gone already */
				json_decref(val);
				return -1;
			}
		}
		if (next == NULL || !(json_is_object(next) ||
		    json_is_array(next))) {
			json_decref(val);
			return -1;
		}
		v = next;
	}
	if (p->seg[i].key != NULL) {
		if (!json_is_object(v)) {
			json_decref(val);
			return -1;
		}
		return json_object_set_new(v, p->seg[i].key, val);
	}
	idx = p->seg[i].index;
	if (json_is_array(v) && idx < 0)
		idx += (long)json_array_size(v);
	if (!json_is_array(v) || idx < 0 ||
	    (size_t)idx >= json_array_size(v)) {
		json_decref(val);
		return -1;
	}
	return json_array_set_new(v, (size_t)idx, val);
}

void
path_copy_str(json_t *o, const char *k, json_t *from, const char *fk)
{
	json_t *v = json_object_get(from, fk);

	if (json_is_string(v))
		json_object_set(o, k, v);
}
