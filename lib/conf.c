/* conf: load a YAML (or JSON) config file into a jansson value */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "conf.h"
#include "sys.h"
#include "xmem.h"

/* node → line table for conf_line(), for the last document loaded: a
 * hash table, so that a rules file of many routes loads in linear time */
struct nline {
	const json_t *node;	/* NULL: a free slot */
	int line;
};
static struct nline *lines;
static size_t nlines, caplines;	/* caplines: 0 or a power of two */

/*
 * Aliases may add at most CONF_MAX_VALUES values to a document, and it may
 * be CONF_MAX_DEPTH levels deep with them expanded: the loader shares an
 * alias's value, but whoever walks the result (rules compiled into
 * conditions, templates) walks every copy, and ten levels of ten aliases
 * are 10^10 of them.  Values written out cost bytes in the file.
 */
#define CONF_MAX_VALUES	100000
#define CONF_MAX_DEPTH	100

/* anchors seen in the document, for aliases */
struct anchor {
	char *name;
	json_t *val;
	size_t weight;		/* values it stands for, expanded */
	int height;		/* levels it adds, expanded */
};

struct ctx {
	yaml_parser_t p;
	const char *text;
	const char *name;
	char *err;
	size_t errlen;
	struct anchor *anc;
	size_t nanc;
	int depth;
	size_t values;		/* values so far, aliases expanded */
	size_t aliased;		/* of those, added by aliases */
	int height;		/* levels below the node just built */
};

static size_t
slot(const json_t *node)
{
	size_t i = (size_t)(((uintptr_t)node >> 4) * 0x9E3779B97F4A7C15ull);

	for (i &= caplines - 1; lines[i].node != NULL && lines[i].node != node;
	    i = (i + 1) & (caplines - 1))
		;
	return i;
}

/* a node's first line is kept (an alias records its value again) */
static void
remember(const json_t *node, int line)
{
	struct nline *old = lines;
	size_t i, n = caplines;

	if (2 * (nlines + 1) > caplines) {
		caplines = caplines ? 2 * caplines : 256;
		lines = xcalloc(caplines, sizeof(*lines));
		for (i = 0; i < n; i++)
			if (old[i].node != NULL)
				lines[slot(old[i].node)] = old[i];
		free(old);
	}
	i = slot(node);
	if (lines[i].node != NULL)
		return;
	lines[i].node = node;
	lines[i].line = line;
	nlines++;
}

static void
forget_lines(void)
{
	if (lines != NULL)
		memset(lines, 0, caplines * sizeof(*lines));
	nlines = 0;
}

int
conf_line(const json_t *node)
{
	size_t i;

	if (nlines == 0 || node == NULL)
		return 0;
	i = slot(node);
	return lines[i].node != NULL ? lines[i].line : 0;
}

static int
fail(struct ctx *c, int line, const char *what)
{
	snprintf(c->err, c->errlen, "%s:%d: %s", c->name, line, what);
	return -1;
}

/* YAML 1.2 core schema for plain scalars */
static json_t *
plain_scalar(const char *s, size_t len)
{
	char *end;
	long long ll;
	double d;

	if (len == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	    strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0)
		return json_null();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 ||
	    strcmp(s, "TRUE") == 0)
		return json_true();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 ||
	    strcmp(s, "FALSE") == 0)
		return json_false();
	if (strspn(s, "+-0123456789") == len && strspn(s + 1, "0123456789") ==
	    len - 1 && (len > 1 || (s[0] >= '0' && s[0] <= '9'))) {
		errno = 0;
		ll = strtoll(s, &end, 10);
		if (errno == 0 && *end == '\0')
			return json_integer(ll);
	}
	if (strspn(s, "+-0123456789.eE") == len &&
	    strpbrk(s, "0123456789") != NULL) {
		errno = 0;
		d = strtod(s, &end);
		if (errno == 0 && *end == '\0')
			return json_real(d);
	}
	return json_stringn(s, len);
}

static int parse_node(struct ctx *c, yaml_event_t *ev, json_t **out);

static void
add_anchor(struct ctx *c, const yaml_char_t *name, json_t *val,
    size_t weight, int height)
{
	if (name == NULL)
		return;
	c->anc = xrealloc(c->anc, (c->nanc + 1) * sizeof(*c->anc));
	c->anc[c->nanc].name = xstrdup((const char *)name);
	c->anc[c->nanc].val = json_incref(val);
	c->anc[c->nanc].weight = weight;
	c->anc[c->nanc].height = height;
	c->nanc++;
}

static int
too_big(struct ctx *c, int line)
{
	char what[128];

	snprintf(what, sizeof(what), "aliases add more than %d values",
	    CONF_MAX_VALUES);
	return fail(c, line, what);
}

/* an alias: the anchor's value, if the document stays within bounds */
static int
alias(struct ctx *c, int line, const char *name, json_t **v)
{
	size_t i;

	for (i = c->nanc; i-- > 0; )
		if (strcmp(c->anc[i].name, name) == 0)
			break;
	if (i == (size_t)-1)
		return fail(c, line, "unknown alias");
	if (c->depth + c->anc[i].height - 1 > CONF_MAX_DEPTH)
		return fail(c, line, "nested too deeply (aliases expanded)");
	if (c->anc[i].weight > CONF_MAX_VALUES - c->aliased)
		return too_big(c, line);
	c->aliased += c->anc[i].weight;
	c->values += c->anc[i].weight;
	c->height = c->anc[i].height;
	*v = json_incref(c->anc[i].val);
	return 0;
}

static int
next_event(struct ctx *c, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&c->p, ev)) {
		char what[512];

		snprintf(what, sizeof(what), "%s%s%s",
		    c->p.problem ? c->p.problem : "invalid YAML",
		    c->p.context ? " " : "", c->p.context ? c->p.context : "");
		if (c->p.error == YAML_READER_ERROR) {
			size_t i;
			int line = 1;

			/* the reader sets no mark: count lines to the offset */
			for (i = 0; i < c->p.problem_offset; i++)
				if (c->text[i] == '\n')
					line++;
			return fail(c, line, what);
		}
		return fail(c, (int)c->p.problem_mark.line + 1, what);
	}
	return 0;
}

/* a mapping's entries into obj; *height: its levels, expanded */
static int
parse_mapping(struct ctx *c, json_t *obj, int *height)
{
	yaml_event_t ev;
	json_t *val;
	char key[1024];
	int line;

	*height = 1;
	for (;;) {
		if (next_event(c, &ev) < 0)
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		line = (int)ev.start_mark.line + 1;
		if (ev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&ev);
			return fail(c, line, "mapping key is not a scalar");
		}
		if (ev.data.scalar.length >= sizeof(key)) {
			yaml_event_delete(&ev);
			return fail(c, line, "mapping key too long");
		}
		memcpy(key, ev.data.scalar.value, ev.data.scalar.length);
		key[ev.data.scalar.length] = '\0';
		if (memchr(ev.data.scalar.value, '\0',
		    ev.data.scalar.length) != NULL) {
			yaml_event_delete(&ev);
			return fail(c, line, "NUL byte in mapping key");
		}
		yaml_event_delete(&ev);
		if (json_object_get(obj, key) != NULL) {
			char what[1100];

			snprintf(what, sizeof(what), "duplicate key '%s'", key);
			return fail(c, line, what);
		}
		if (next_event(c, &ev) < 0)
			return -1;
		if (parse_node(c, &ev, &val) < 0)
			return -1;
		if (c->height + 1 > *height)
			*height = c->height + 1;
		json_object_set_new(obj, key, val);
	}
}

static int
parse_sequence(struct ctx *c, json_t *arr, int *height)
{
	yaml_event_t ev;
	json_t *val;

	*height = 1;
	for (;;) {
		if (next_event(c, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (parse_node(c, &ev, &val) < 0)
			return -1;
		if (c->height + 1 > *height)
			*height = c->height + 1;
		json_array_append_new(arr, val);
	}
}

/* Build the node that starts with ev (consumed). */
static int
parse_node(struct ctx *c, yaml_event_t *ev, json_t **out)
{
	int line = (int)ev->start_mark.line + 1, rc = 0, height = 0;
	size_t before = c->values;
	json_t *v = NULL;

	if (++c->depth > CONF_MAX_DEPTH) {
		yaml_event_delete(ev);
		return fail(c, line, "nested too deeply");
	}
	if (ev->type != YAML_ALIAS_EVENT)
		c->values++;
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
		    ev->data.scalar.tag == NULL)
			v = plain_scalar((const char *)ev->data.scalar.value,
			    ev->data.scalar.length);
		else
			v = json_stringn((const char *)ev->data.scalar.value,
			    ev->data.scalar.length);
		if (v == NULL)
			rc = fail(c, line, "scalar is not valid UTF-8");
		else
			add_anchor(c, ev->data.scalar.anchor, v, 1, 1);
		c->height = 1;
		break;
	case YAML_MAPPING_START_EVENT:
		v = json_object();
		rc = parse_mapping(c, v, &height);
		c->height = height;
		/* only now: an alias inside would make a loop */
		if (rc == 0)
			add_anchor(c, ev->data.mapping_start.anchor, v,
			    c->values - before, height);
		break;
	case YAML_SEQUENCE_START_EVENT:
		v = json_array();
		rc = parse_sequence(c, v, &height);
		c->height = height;
		if (rc == 0)
			add_anchor(c, ev->data.sequence_start.anchor, v,
			    c->values - before, height);
		break;
	case YAML_ALIAS_EVENT:
		rc = alias(c, line, (const char *)ev->data.alias.anchor, &v);
		break;
	default:
		rc = fail(c, line, "unexpected YAML event");
		break;
	}
	yaml_event_delete(ev);
	c->depth--;
	if (rc < 0) {
		json_decref(v);
		return -1;
	}
	remember(v, line);
	*out = v;
	return 0;
}

static int
load(struct ctx *c, json_t **out)
{
	yaml_event_t ev;
	json_t *doc = NULL;
	int ndocs = 0;

	for (;;) {
		if (next_event(c, &ev) < 0)
			goto bad;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				fail(c, (int)ev.start_mark.line + 1,
				    "more than one document");
				yaml_event_delete(&ev);
				goto bad;
			}
			/* FALLTHROUGH */
		case YAML_STREAM_START_EVENT:
		case YAML_DOCUMENT_END_EVENT:
			yaml_event_delete(&ev);
			continue;
		case YAML_STREAM_END_EVENT:
			yaml_event_delete(&ev);
			if (doc == NULL)
				doc = json_null();
			*out = doc;
			return 0;
		default:
			if (doc != NULL) {
				yaml_event_delete(&ev);
				fail(c, (int)ev.start_mark.line + 1,
				    "more than one document");
				goto bad;
			}
			if (parse_node(c, &ev, &doc) < 0)
				goto bad;
		}
	}
bad:
	json_decref(doc);
	return -1;
}

static void
ctx_done(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->nanc; i++) {
		free(c->anc[i].name);
		json_decref(c->anc[i].val);
	}
	free(c->anc);
	yaml_parser_delete(&c->p);
}

int
conf_loads(const char *text, size_t len, const char *name, json_t **out,
    char *err, size_t errlen)
{
	struct ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	c.name = name;
	c.err = err;
	c.errlen = errlen;
	forget_lines();
	if (!yaml_parser_initialize(&c.p)) {
		snprintf(err, errlen, "%s: cannot set up the YAML parser",
		    name);
		return -1;
	}
	c.text = text;
	yaml_parser_set_input_string(&c.p, (const unsigned char *)text, len);
	rc = load(&c, out);
	ctx_done(&c);
	if (rc < 0)
		forget_lines();
	return rc;
}

int
conf_load(const char *path, json_t **out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int rc;

	if ((text = sys_slurp(path, 0, &len, err, errlen)) == NULL)
		return -1;
	rc = conf_loads(text, len, path, out, err, errlen);
	free(text);
	return rc;
}
