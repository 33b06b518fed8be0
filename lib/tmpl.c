/* tmpl: templates: "s3://{s3.bucket}/{s3.key|url}", "{now|date:%Y}",
 * and JSON templates for request bodies */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "bignum.h"
#include "enc.h"
#include "path.h"
#include "tmpl.h"

enum filt {
	F_URL, F_PATH, F_JSON, F_BASE, F_DIR, F_LOWER, F_UPPER, F_DEFAULT,
	F_DATE, F_SLACK
};

static const char *const fnames[] = {
	"url", "path", "json", "base", "dir", "lower", "upper", "default",
	"date", "slack"
};

struct filter {
	enum filt f;
	char *arg;
};

struct part {
	char *text;		/* literal text, or NULL for an expression */
	int now;		/* {now} */
	struct path path;
	struct filter *filt;
	size_t nfilt;
};

struct tmpl {
	char *src;
	struct part *part;
	size_t n;
};

static void
add_part(struct tmpl *t, struct part *p)
{
	t->part = xrealloc(t->part, (t->n + 1) * sizeof(*t->part));
	t->part[t->n++] = *p;
}

static void
free_part(struct part *p)
{
	size_t i;

	free(p->text);
	if (p->text == NULL)
		path_free(&p->path);
	for (i = 0; i < p->nfilt; i++)
		free(p->filt[i].arg);
	free(p->filt);
}

void
tmpl_free(struct tmpl *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free_part(&t->part[i]);
	free(t->part);
	free(t->src);
	free(t);
}

const char *
tmpl_text(const struct tmpl *t)
{
	return t->src;
}

/* parse "path|f|f:arg" (len bytes at s) into p */
static int
parse_expr(const char *s, size_t len, struct part *p, const char *src,
    char *err, size_t errlen)
{
	char *e = xstrndup(s, len), *bar, *f, *arg, perr[512];
	size_t i;
	int found;

	memset(p, 0, sizeof(*p));
	bar = strchr(e, '|');
	if (bar != NULL)
		*bar = '\0';
	if (strcmp(e, "now") == 0) {
		p->now = 1;
		path_compile(".", &p->path, perr, sizeof(perr));
	} else if (path_compile(e, &p->path, perr, sizeof(perr)) < 0) {
		snprintf(err, errlen, "template '%s': %s", src, perr);
		free(e);
		return -1;
	}
	while (bar != NULL) {
		f = bar + 1;
		bar = strchr(f, '|');
		/* default: and date: take the rest up to the next '|' */
		if (bar != NULL)
			*bar = '\0';
		arg = strchr(f, ':');
		if (arg != NULL)
			*arg++ = '\0';
		found = 0;
		for (i = 0; i < sizeof(fnames) / sizeof(fnames[0]); i++)
			if (strcmp(f, fnames[i]) == 0)
				found = 1;
		for (i = 0; found && strcmp(f, fnames[i]) != 0; i++)
			;
		if (!found) {
			snprintf(err, errlen, "template '%s': unknown filter "
			    "'%s'", src, f);
			goto bad;
		}
		if ((i == F_DEFAULT || i == F_DATE) != (arg != NULL)) {
			snprintf(err, errlen, "template '%s': filter '%s' %s",
			    src, f, arg ? "takes no argument" :
			    "needs an argument (filter:ARG)");
			goto bad;
		}
		p->filt = xrealloc(p->filt, (p->nfilt + 1) * sizeof(*p->filt));
		p->filt[p->nfilt].f = (enum filt)i;
		p->filt[p->nfilt].arg = arg ? xstrdup(arg) : NULL;
		p->nfilt++;
	}
	free(e);
	return 0;
bad:
	free(e);
	free_part(p);
	return -1;
}

struct tmpl *
tmpl_compile(const char *text, char *err, size_t errlen)
{
	struct tmpl *t = xcalloc(1, sizeof(*t));
	struct buf lit = {0};
	struct part p;
	const char *s = text, *close;

	t->src = xstrdup(text);
	while (*s != '\0') {
		if (s[0] == '{' && s[1] == '{') {
			buf_addc(&lit, '{');
			s += 2;
		} else if (s[0] == '}' && s[1] == '}') {
			buf_addc(&lit, '}');
			s += 2;
		} else if (s[0] == '}') {
			snprintf(err, errlen, "template '%s': unmatched '}' "
			    "(write }} for a brace)", text);
			goto bad;
		} else if (s[0] == '{') {
			close = strchr(s, '}');
			if (close == NULL) {
				snprintf(err, errlen, "template '%s': "
				    "unterminated '{'", text);
				goto bad;
			}
			if (lit.len > 0) {
				memset(&p, 0, sizeof(p));
				p.text = xstrndup(lit.p, lit.len);
				add_part(t, &p);
				buf_reset(&lit);
			}
			if (parse_expr(s + 1, (size_t)(close - s - 1), &p,
			    text, err, errlen) < 0)
				goto bad;
			add_part(t, &p);
			s = close + 1;
		} else {
			buf_addc(&lit, *s++);
		}
	}
	if (lit.len > 0 || t->n == 0) {
		memset(&p, 0, sizeof(p));
		p.text = xstrndup(lit.p ? lit.p : "", lit.len);
		add_part(t, &p);
	}
	buf_free(&lit);
	return t;
bad:
	buf_free(&lit);
	tmpl_free(t);
	return NULL;
}

/* the value as text: strings as they are, the rest as compact JSON */
static char *
as_text(json_t *v)
{
	if (json_is_string(v) && bignum_text(v, NULL) == NULL)
		return xstrndup(json_string_value(v), json_string_length(v));
	return bignum_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

/* RFC 3339 text or epoch seconds to a time; -1 if neither */
static int
to_time(json_t *v, time_t *t)
{
	struct tm tm;
	const char *s, *r;
	int n = 0, oh, om;
	char sign;

	if (json_is_number(v)) {
		double d = json_number_value(v);

		/* gmtime_r must be able to take it, and the cast be defined */
		if (!(d > -1e17 && d < 1e17))
			return -1;
		*t = (time_t)d;
		return gmtime_r(t, &tm) != NULL ? 0 : -1;
	}
	if (!json_is_string(v))
		return -1;
	s = json_string_value(v);
	memset(&tm, 0, sizeof(tm));
	if (sscanf(s, "%4d-%2d-%2d%*1[Tt ]%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) != 6 || n == 0) {
		n = 0;
		if (sscanf(s, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon,
		    &tm.tm_mday, &n) != 3 || s[n] != '\0')
			return -1;
	}
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	r = s + n;
	if (*r == '.')
		for (r++; isdigit((unsigned char)*r); r++)
			;
	*t = timegm(&tm);
	if (((*r == 'Z' || *r == 'z') && r[1] == '\0') || *r == '\0')
		return 0;
	n = 0;
	if (sscanf(r, "%c%2d:%2d%n", &sign, &oh, &om, &n) == 3 &&
	    r[n] == '\0' && (sign == '+' || sign == '-')) {
		*t -= (sign == '+' ? 1 : -1) * (oh * 3600 + om * 60);
		return 0;
	}
	return -1;
}

static json_t *
now_value(void)
{
	struct timeval tv;
	struct tm tm;
	char s[64];
	time_t t;

	gettimeofday(&tv, NULL);
	t = tv.tv_sec;
	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(s + strlen(s), sizeof(s) - strlen(s), ".%03dZ",
	    (int)(tv.tv_usec / 1000));
	return json_string(s);
}

/* apply p's filters to v (a new reference or NULL if missing) */
static json_t *
apply(const struct part *p, json_t *v, char *err, size_t errlen,
    const char *src)
{
	size_t i;
	struct buf b = {0};
	char *s, *q;
	time_t t;
	struct tm tm;
	char out[512];

	for (i = 0; i < p->nfilt; i++) {
		const struct filter *f = &p->filt[i];

		if (v == NULL || (json_is_null(v) && f->f != F_DATE)) {
			if (f->f == F_DEFAULT) {
				json_decref(v);
				v = json_string(f->arg);
			}
			continue;
		}
		if (f->f == F_DEFAULT)
			continue;
		if (f->f == F_DATE) {
			if (to_time(v, &t) < 0) {
				snprintf(err, errlen, "template '%s': %s is "
				    "not a time (RFC 3339 or epoch seconds)",
				    src, p->now ? "now" : p->path.text);
				json_decref(v);
				buf_free(&b);
				return NULL;
			}
			gmtime_r(&t, &tm);
			if (strftime(out, sizeof(out), f->arg, &tm) == 0)
				out[0] = '\0';
			json_decref(v);
			v = json_string(out);
			continue;
		}
		s = f->f != F_JSON ? as_text(v) :
		    bignum_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		buf_reset(&b);
		switch (f->f) {
		case F_URL:
			enc_pct(&b, s, strlen(s), 0);
			break;
		case F_PATH:
			enc_pct(&b, s, strlen(s), 1);
			break;
		case F_JSON:
			buf_adds(&b, s);
			break;
		case F_BASE:
			q = strrchr(s, '/');
			buf_adds(&b, q ? q + 1 : s);
			break;
		case F_DIR:
			q = strrchr(s, '/');
			if (q == NULL)
				buf_addc(&b, '.');
			else if (q == s)
				buf_addc(&b, '/');
			else
				buf_add(&b, s, (size_t)(q - s));
			break;
		case F_LOWER:
		case F_UPPER:
			for (q = s; *q; q++)
				buf_addc(&b, f->f == F_LOWER ?
				    tolower((unsigned char)*q) :
				    toupper((unsigned char)*q));
			break;
		case F_SLACK:
			for (q = s; *q; q++) {
				if (*q == '&')
					buf_adds(&b, "&amp;");
				else if (*q == '<')
					buf_adds(&b, "&lt;");
				else if (*q == '>')
					buf_adds(&b, "&gt;");
				else
					buf_addc(&b, *q);
			}
			break;
		default:
			break;
		}
		free(s);
		json_decref(v);
		v = json_stringn(b.p ? b.p : "", b.len);
		if (v == NULL)	/* a filter cut a UTF-8 sequence */
			v = json_string("");
	}
	buf_free(&b);
	return v;
}

static json_t *
eval(const struct part *p, json_t *rec, char *err, size_t errlen,
    const char *src)
{
	json_t *v;

	if (p->now)
		v = now_value();
	else {
		v = path_get(&p->path, rec);
		json_incref(v);
	}
	return apply(p, v, err, errlen, src);
}

int
tmpl_render(const struct tmpl *t, json_t *rec, struct buf *out, char *err,
    size_t errlen)
{
	size_t i;
	json_t *v;
	char *s;

	for (i = 0; i < t->n; i++) {
		const struct part *p = &t->part[i];

		if (p->text != NULL) {
			buf_adds(out, p->text);
			continue;
		}
		err[0] = '\0';
		v = eval(p, rec, err, errlen, t->src);
		if (v == NULL) {
			if (err[0] == '\0')
				snprintf(err, errlen, "template '%s': no "
				    "field %s", t->src, p->path.text);
			return -1;
		}
		if (json_is_string(v) && bignum_text(v, NULL) == NULL)
			buf_add(out, json_string_value(v),
			    json_string_length(v));
		else {
			s = bignum_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
			buf_adds(out, s);
			free(s);
		}
		json_decref(v);
	}
	return 0;
}

char *
tmpl_string(const struct tmpl *t, json_t *rec, char *err, size_t errlen)
{
	struct buf b = {0};

	if (tmpl_render(t, rec, &b, err, errlen) == -1) {
		buf_free(&b);
		return NULL;
	}
	if (b.p == NULL)
		buf_adds(&b, "");
	return b.p;
}

json_t *
tmpl_value(const struct tmpl *t, json_t *rec, int *missing)
{
	const struct part *p;
	json_t *v, *d;
	size_t i;

	*missing = 0;
	if (t->n != 1 || t->part[0].text != NULL)
		return NULL;
	p = &t->part[0];
	for (i = 0; i < p->nfilt; i++)
		if (p->filt[i].f != F_DEFAULT)
			return NULL;
	v = p->now ? now_value() : path_get(&p->path, rec);
	if (v != NULL && !p->now)
		json_incref(v);
	if ((v == NULL || json_is_null(v)) && p->nfilt > 0) {
		/* a default that is JSON keeps its type: default:0 */
		json_decref(v);
		d = json_loads(p->filt[0].arg, JSON_DECODE_ANY, NULL);
		v = d ? d : json_string(p->filt[0].arg);
	}
	if (v == NULL)
		*missing = 1;
	return v;
}

/* JSON templates: a tree parallel to the template value */
struct jtmpl {
	json_t *lit;		/* a literal (non-string scalar) */
	struct tmpl *t;		/* a string */
	char **keys;		/* object keys, or NULL for an array */
	struct jtmpl **kids;
	size_t n;
	int is_obj, is_arr;
};

void
jtmpl_free(struct jtmpl *j)
{
	size_t i;

	if (j == NULL)
		return;
	json_decref(j->lit);
	tmpl_free(j->t);
	for (i = 0; i < j->n; i++) {
		if (j->keys)
			free(j->keys[i]);
		jtmpl_free(j->kids[i]);
	}
	free(j->keys);
	free(j->kids);
	free(j);
}

struct jtmpl *
jtmpl_compile(const json_t *v, char *err, size_t errlen)
{
	struct jtmpl *j = xcalloc(1, sizeof(*j));
	const char *k;
	json_t *kv;
	size_t i;

	if (json_is_string(v)) {
		if ((j->t = tmpl_compile(json_string_value(v), err,
		    errlen)) == NULL)
			goto bad;
	} else if (json_is_object(v)) {
		j->is_obj = 1;
		j->keys = xcalloc(json_object_size(v), sizeof(char *));
		j->kids = xcalloc(json_object_size(v), sizeof(*j->kids));
		json_object_foreach((json_t *)v, k, kv) {
			j->keys[j->n] = xstrdup(k);
			if ((j->kids[j->n++] = jtmpl_compile(kv, err,
			    errlen)) == NULL)
				goto bad;
		}
	} else if (json_is_array(v)) {
		j->is_arr = 1;
		j->kids = xcalloc(json_array_size(v), sizeof(*j->kids));
		json_array_foreach(v, i, kv)
			if ((j->kids[j->n++] = jtmpl_compile(kv, err,
			    errlen)) == NULL)
				goto bad;
	} else {
		j->lit = json_deep_copy(v);
	}
	return j;
bad:
	jtmpl_free(j);
	return NULL;
}

json_t *
jtmpl_render(const struct jtmpl *j, json_t *rec, char *err, size_t errlen)
{
	json_t *out, *kid;
	struct buf b = {0};
	size_t i;
	int missing;

	if (j->lit != NULL)
		return json_incref(j->lit);
	if (j->t != NULL) {
		if ((out = tmpl_value(j->t, rec, &missing)) != NULL)
			return out;
		if (tmpl_render(j->t, rec, &b, err, errlen) < 0) {
			buf_free(&b);
			return NULL;
		}
		out = json_stringn(b.p ? b.p : "", b.len);
		buf_free(&b);
		if (out == NULL)
			snprintf(err, errlen, "template '%s': result is not "
			    "valid UTF-8", tmpl_text(j->t));
		return out;
	}
	out = j->is_obj ? json_object() : json_array();
	for (i = 0; i < j->n; i++) {
		if ((kid = jtmpl_render(j->kids[i], rec, err, errlen)) ==
		    NULL) {
			json_decref(out);
			return NULL;
		}
		if (j->is_obj)
			json_object_set_new(out, j->keys[i], kid);
		else
			json_array_append_new(out, kid);
	}
	return out;
}

int
tmpl_attr_add(struct tmpl_attr **a, size_t *n, const char *arg, char *err,
    size_t errlen)
{
	const char *eq = strchr(arg, '=');
	char terr[512];
	struct tmpl *t;

	if (eq == NULL || eq == arg) {
		snprintf(err, errlen, "'%s' is not name=template", arg);
		return -1;
	}
	if ((t = tmpl_compile(eq + 1, terr, sizeof(terr))) == NULL) {
		snprintf(err, errlen, "%s", terr);
		return -1;
	}
	*a = xrealloc(*a, (*n + 1) * sizeof(**a));
	(*a)[*n].name = xstrndup(arg, (size_t)(eq - arg));
	(*a)[*n].t = t;
	(*n)++;
	return 0;
}

void
tmpl_attrs_free(struct tmpl_attr *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].name);
		tmpl_free(a[i].t);
	}
	free(a);
}
