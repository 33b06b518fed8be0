/* awsxml: what AWS answers hold: XML documents (errors, results), JSON
 * errors, ISO 8601 times */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <expat.h>
#include <jansson.h>

#include "aws.h"
#include "xmem.h"

/* ---- the walk: expat with depths, local names, element text ---- */

struct walk {
	XML_Parser p;
	int bad;
	int depth;
	int last;		/* depth of the latest start tag */
	struct buf text;	/* all character data since the root began */
	size_t *off;		/* per open element: where its text begins */
	size_t noff;
	aws_xml_open_fn *on_open;
	aws_xml_close_fn *on_close;
	void *arg;
};

/* "uri|Key" (expat's namespace split) -> "Key" */
static const char *
local(const char *name)
{
	const char *p = strrchr(name, '|');

	return p != NULL ? p + 1 : name;
}

static void XMLCALL
w_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct walk *w = arg;

	(void)attrs;
	w->depth++;
	w->last = w->depth;
	if ((size_t)w->depth > w->noff) {
		w->noff = w->noff * 2 + 16;
		w->off = xrealloc(w->off, w->noff * sizeof(*w->off));
	}
	w->off[w->depth - 1] = w->text.len;
	if (w->on_open != NULL)
		w->on_open(w->arg, w->depth, local(name));
}

static void XMLCALL
w_end(void *arg, const XML_Char *name)
{
	struct walk *w = arg;

	buf_adds(&w->text, "");		/* NUL-terminated, even empty */
	w->on_close(w->arg, w->depth, local(name), w->text.p +
	    w->off[w->depth - 1], w->last == w->depth);
	w->depth--;
}

static void XMLCALL
w_text(void *arg, const XML_Char *s, int len)
{
	struct walk *w = arg;

	if (len > 0)
		buf_add(&w->text, s, (size_t)len);
}

/* AWS never sends a DTD; refusing one rules out entity tricks. */
static void XMLCALL
w_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct walk *w = arg;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	w->bad = 1;
	XML_StopParser(w->p, XML_FALSE);
}

int
aws_xml_walk(const char *body, size_t len, aws_xml_open_fn *on_open,
    aws_xml_close_fn *on_close, void *arg)
{
	struct walk w;
	int rc = 0;

	/* S3 keeps a connection alive with blanks before a late <Error> */
	while (len > 0 && (*body == ' ' || *body == '\t' || *body == '\r' ||
	    *body == '\n')) {
		body++;
		len--;
	}
	if (len == 0 || len > INT_MAX)
		return -1;
	memset(&w, 0, sizeof(w));
	w.on_open = on_open;
	w.on_close = on_close;
	w.arg = arg;
	w.p = XML_ParserCreateNS(NULL, '|');
	if (w.p == NULL)
		return -1;
	XML_SetUserData(w.p, &w);
	XML_SetElementHandler(w.p, w_start, w_end);
	XML_SetCharacterDataHandler(w.p, w_text);
	XML_SetStartDoctypeDeclHandler(w.p, w_doctype);
	if (XML_Parse(w.p, body, (int)len, XML_TRUE) != XML_STATUS_OK ||
	    w.bad)
		rc = -1;
	XML_ParserFree(w.p);
	free(w.off);
	buf_free(&w.text);
	return rc;
}

/* ---- errors and single values ---- */

struct xp {
	char *root;
	const char *want;	/* text mode: the element wanted */
	char *found;
	int cap;		/* depth of the element being captured */
	int errdepth;		/* error mode: depth of <Error> */
	int field;		/* 1 Code, 2 Message */
	char *code, *message;
};

static void
x_open(void *arg, int depth, const char *ln)
{
	struct xp *x = arg;

	if (depth == 1)
		x->root = xstrdup(ln);
	if (x->cap != 0)
		return;
	if (x->want != NULL) {
		if (x->found == NULL && strcmp(ln, x->want) == 0)
			x->cap = depth;
	} else if (x->errdepth == 0 && strcmp(ln, "Error") == 0 &&
	    (depth == 1 || ((depth == 2 || depth == 3) &&
	    strcmp(x->root, "ErrorResponse") == 0))) {
		/* <ErrorResponse><Error> (SNS, SQS query) and, from moto,
		 * <ErrorResponse><Errors><Error> */
		x->errdepth = depth;
	} else if (x->errdepth != 0 && depth == x->errdepth + 1) {
		if (strcmp(ln, "Code") == 0 && x->code == NULL)
			x->field = 1;
		else if (strcmp(ln, "Message") == 0 && x->message == NULL)
			x->field = 2;
		if (x->field != 0)
			x->cap = depth;
	}
}

static void
x_close(void *arg, int depth, const char *ln, const char *text, int leaf)
{
	struct xp *x = arg;

	(void)ln;
	(void)leaf;
	if (x->cap == depth) {
		if (x->want != NULL)
			x->found = xstrdup(text);
		else if (x->field == 1)
			x->code = xstrdup(text);
		else if (x->field == 2)
			x->message = xstrdup(text);
		x->cap = 0;
		x->field = 0;
	}
	if (depth == x->errdepth)
		x->errdepth = -1;	/* only the first <Error> counts */
}

static int
xml_parse(struct xp *x, const char *body, size_t len)
{
	return aws_xml_walk(body, len, x_open, x_close, x);
}

static void
xp_free(struct xp *x)
{
	free(x->root);
	free(x->found);
	free(x->code);
	free(x->message);
}

int
aws_xml_error(const char *body, size_t len, char **code, char **message)
{
	struct xp x;
	int rc;

	memset(&x, 0, sizeof x);
	*code = *message = NULL;
	if (xml_parse(&x, body, len) == -1) {
		rc = -1;
	} else if (x.errdepth != 0) {
		*code = x.code;
		*message = x.message;
		x.code = x.message = NULL;
		rc = 1;
	} else {
		rc = 0;
	}
	xp_free(&x);
	return rc;
}

char *
aws_xml_text(const char *body, size_t len, const char *name)
{
	struct xp x;
	char *r = NULL;

	memset(&x, 0, sizeof x);
	x.want = name;
	if (xml_parse(&x, body, len) == 0) {
		r = x.found;
		x.found = NULL;
	}
	xp_free(&x);
	return r;
}

int
aws_json_error(const char *body, size_t len, char **code, char **message)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	const char *t, *m, *h;
	int rc = 0;

	*code = *message = NULL;
	if (j == NULL)
		return -1;
	t = json_string_value(json_object_get(j, "__type"));
	if (t == NULL)
		t = json_string_value(json_object_get(j, "code"));
	m = json_string_value(json_object_get(j, "message"));
	if (m == NULL)
		m = json_string_value(json_object_get(j, "Message"));
	if (t != NULL) {
		/* "com.amazonaws.sqs#QueueDoesNotExist" -> the last part */
		h = strrchr(t, '#');
		*code = xstrdup(h != NULL ? h + 1 : t);
		*message = m != NULL ? xstrdup(m) : NULL;
		rc = 1;
	}
	json_decref(j);
	return rc;
}

/* Read exactly n digits. */
static int
digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

int
aws_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	time_t r;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &se))
		return -1;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om))
			return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	r = timegm(&tm);
	if (r == (time_t)-1)
		return -1;
	*t = r - sign * (oh * 3600 + om * 60);
	return 0;
}
