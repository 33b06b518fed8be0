/* whbody: a webhook request's body as the JSON text of a record */
#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "enc.h"
#include "jscan.h"
#include "whbody.h"
#include "xmem.h"

void
whbody_add_arg(json_t *o, const char *k, json_t *v)
{
	json_t *old = json_object_get(o, k), *a;

	if (old == NULL) {
		json_object_set_new(o, k, v);
		return;
	}
	if (json_is_array(old)) {
		json_array_append_new(old, v);
		return;
	}
	a = json_array();
	json_array_append(a, old);
	json_array_append_new(a, v);
	json_object_set_new(o, k, a);
}

/* Decode one form component ('+' is space); NULL if not UTF-8 after. */
static json_t *
form_part(const char *s, size_t n)
{
	struct buf b = {0};
	json_t *v = NULL;

	/* json_stringn refuses what is not UTF-8 (RFC 3629, strict) */
	buf_adds(&b, "");
	if (enc_form_decode(s, n, &b, 1) == 0)
		v = json_stringn(b.p, b.len);
	buf_free(&b);
	return v;
}

/* application/x-www-form-urlencoded as an object, or NULL. */
static json_t *
form_parse(const char *s, size_t n)
{
	json_t *o = json_object(), *k, *v;
	size_t i = 0, j, eq;

	while (i < n) {
		for (j = i; j < n && s[j] != '&'; j++)
			;
		if (j > i) {
			for (eq = i; eq < j && s[eq] != '='; eq++)
				;
			k = form_part(s + i, eq - i);
			v = eq < j ? form_part(s + eq + 1, j - eq - 1) :
			    json_string("");
			if (k == NULL || v == NULL) {
				json_decref(k);
				json_decref(v);
				json_decref(o);
				return NULL;
			}
			whbody_add_arg(o, json_string_value(k), v);
			json_decref(k);
		}
		i = j + 1;
	}
	return o;
}

static int
is_form(const char *ct)
{
	size_t n = strlen("application/x-www-form-urlencoded");

	if (ct == NULL)
		return 0;
	while (*ct == ' ')
		ct++;
	return strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0
	    && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

/* a scanner per thread (wh-listen checks bodies on several), kept */
static pthread_key_t scan_key;
static pthread_once_t scan_once = PTHREAD_ONCE_INIT;

static void
scan_free(void *s)
{
	jscan_free(s);
}

static void
scan_init(void)
{
	(void)pthread_key_create(&scan_key, scan_free);
}

/*
 * Whether p[0..n) is one JSON value.  An object is checked by lib/jscan,
 * which walks it once without building a tree (50-90x faster than
 * jansson on webhook bodies) and takes what nd_parse takes, numbers of
 * any size included; other values, and objects when no scanner can be
 * had, by jansson.
 */
static int
json_ok(const char *p, size_t n, size_t i)
{
	struct jscan *s = NULL;
	json_error_t je;
	json_t *v;
	char err[128];

	if (i < n && p[i] == '{') {
		(void)pthread_once(&scan_once, scan_init);
		if ((s = pthread_getspecific(scan_key)) == NULL &&
		    (s = jscan_new()) != NULL &&
		    pthread_setspecific(scan_key, s) != 0) {
			jscan_free(s);
			s = NULL;
		}
		if (s != NULL)
			return jscan_line(s, p, n, err, sizeof(err)) == 0;
	}
	/* as reals, integers of any size pass; the value is not kept */
	v = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL |
	    JSON_DECODE_INT_AS_REAL, &je);
	json_decref(v);
	return v != NULL;
}

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The body as JSON text on one line, checked by json_ok, in *tp and *tn:
 * p itself (white space before and after dropped) when it has no line
 * break, else a copy in out (reset first) with each made a space.
 * Returns the first byte of the value ('{', '[', '"', 't', 'f', 'n', '-'
 * or a digit), or 0 when the body is not one JSON value.  The text is
 * kept as sent, so numbers keep their digits (big integers, 0.1); line
 * breaks can only stand between tokens in valid JSON, so they become
 * spaces.  Most bodies need no copy (a malloc and a memcpy a request in
 * wh-listen, issue 18).
 */
static int
json_view(const char *p, size_t n, struct buf *out, const char **tp,
    size_t *tn)
{
	size_t i = 0;
	char *c, *end;

	buf_reset(out);
	while (i < n && is_ws(p[i]))
		i++;
	if (!json_ok(p, n, i))
		return 0;
	while (n > i && is_ws(p[n - 1]))
		n--;
	if (memchr(p + i, '\n', n - i) == NULL &&
	    memchr(p + i, '\r', n - i) == NULL) {
		*tp = p + i;
		*tn = n - i;
		return (unsigned char)p[i];
	}
	buf_add(out, p + i, n - i);
	end = out->p + out->len;
	for (c = out->p; (c = memchr(c, '\n', (size_t)(end - c))) != NULL;)
		*c++ = ' ';
	for (c = out->p; (c = memchr(c, '\r', (size_t)(end - c))) != NULL;)
		*c++ = ' ';
	*tp = out->p;
	*tn = out->len;
	return (unsigned char)out->p[0];
}

/* As json_view, the text always in out. */
static int
json_compact(const char *p, size_t n, struct buf *out)
{
	const char *tp;
	size_t tn;
	int t = json_view(p, n, out, &tp, &tn);

	if (t != 0 && tp != out->p)
		buf_add(out, tp, tn);
	return t;
}

/* A form as JSON text in bj; a payload field holding JSON is that JSON. */
static void
form_text(json_t *form, struct buf *bj)
{
	json_t *pl = json_object_get(form, "payload"), *rest;
	struct buf pj = {0};
	size_t at;
	int t = 0;

	/* GitHub's form deliveries (and Slack's interactions) send JSON so */
	if (json_is_string(pl))
		t = json_compact(json_string_value(pl), json_string_length(pl),
		    &pj);
	if (t != '{' && t != '[') {
		json_dump_callback(form, dump_cb, bj, JSON_COMPACT);
		buf_free(&pj);
		return;
	}
	rest = json_copy(form);
	json_object_del(rest, "payload");
	buf_adds(bj, "{\"payload\":");
	buf_add(bj, pj.p, pj.len);
	if (json_object_size(rest) > 0) {
		at = bj->len;
		json_dump_callback(rest, dump_cb, bj, JSON_COMPACT);
		bj->p[at] = ',';	/* its '{': the members follow */
	} else
		buf_addc(bj, '}');
	json_decref(rest);
	buf_free(&pj);
}

int
whbody_decode(const char *p, size_t n, const char *content_type,
    struct buf *out, const char **text, size_t *tlen, json_t **form)
{
	int btype = json_view(p, n, out, text, tlen);
	json_t *str;

	if (btype != 0)
		return btype;
	if (n > 0 && is_form(content_type) &&
	    (*form = form_parse(p, n)) != NULL) {
		form_text(*form, out);
		btype = '{';
	/* json_stringn refuses what is not UTF-8 */
	} else if ((str = json_stringn(p, n)) != NULL) {
		json_dump_callback(str, dump_cb, out, JSON_COMPACT |
		    JSON_ENCODE_ANY);
		json_decref(str);
		btype = '"';
	}
	*text = btype ? out->p : "";
	*tlen = btype ? out->len : 0;
	return btype;
}
