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

struct xp {
	struct aws_xml x;	/* first: aws_xml_parse's */
	int depth;
	char *root;
	const char *want;	/* text mode: the element wanted */
	char *found;
	int cap;		/* depth of the element being captured */
	struct buf text;
	int errdepth;		/* error mode: depth of <Error> */
	int field;		/* 1 Code, 2 Message */
	char *code, *message;
};

const char *
aws_xml_local(const char *name)
{
	const char *p = strrchr(name, '|');

	return p != NULL ? p + 1 : name;
}

static void XMLCALL
x_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xp *x = arg;
	const char *ln = aws_xml_local(name);

	(void)attrs;
	x->depth++;
	if (x->depth == 1)
		x->root = xstrdup(ln);
	if (x->cap != 0)
		return;
	if (x->want != NULL) {
		if (x->found == NULL && strcmp(ln, x->want) == 0)
			x->cap = x->depth;
	} else if (x->errdepth == 0 && strcmp(ln, "Error") == 0 &&
	    (x->depth == 1 || ((x->depth == 2 || x->depth == 3) &&
	    strcmp(x->root, "ErrorResponse") == 0))) {
		/* <ErrorResponse><Error> (SNS, SQS query) and, from moto,
		 * <ErrorResponse><Errors><Error> */
		x->errdepth = x->depth;
	} else if (x->errdepth != 0 && x->depth == x->errdepth + 1) {
		if (strcmp(ln, "Code") == 0 && x->code == NULL)
			x->field = 1;
		else if (strcmp(ln, "Message") == 0 && x->message == NULL)
			x->field = 2;
		if (x->field != 0)
			x->cap = x->depth;
	}
	if (x->cap != 0)
		buf_reset(&x->text);
}

static void XMLCALL
x_end(void *arg, const XML_Char *name)
{
	struct xp *x = arg;

	(void)name;
	if (x->cap == x->depth) {
		buf_adds(&x->text, "");
		if (x->want != NULL)
			x->found = xstrdup(x->text.p);
		else if (x->field == 1)
			x->code = xstrdup(x->text.p);
		else if (x->field == 2)
			x->message = xstrdup(x->text.p);
		x->cap = 0;
		x->field = 0;
	}
	if (x->depth == x->errdepth)
		x->errdepth = -1;	/* only the first <Error> counts */
	x->depth--;
}

static void XMLCALL
x_text(void *arg, const XML_Char *s, int len)
{
	struct xp *x = arg;

	if (x->cap != 0 && len > 0)
		buf_add(&x->text, s, (size_t)len);
}

/* AWS never sends a DTD; refusing one rules out entity tricks. */
static void XMLCALL
x_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct aws_xml *x = arg;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	x->bad = 1;
	XML_StopParser(x->p, XML_FALSE);
}

int
aws_xml_parse(struct aws_xml *x, const char *body, size_t len,
    XML_StartElementHandler start, XML_EndElementHandler end,
    XML_CharacterDataHandler text)
{
	int rc = 0;

	/* S3 keeps a connection alive with blanks before a late <Error> */
	while (len > 0 && (*body == ' ' || *body == '\t' || *body == '\r' ||
	    *body == '\n')) {
		body++;
		len--;
	}
	if (len == 0 || len > INT_MAX)
		return -1;
	x->bad = 0;
	x->p = XML_ParserCreateNS(NULL, '|');
	if (x->p == NULL)
		return -1;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, start, end);
	XML_SetCharacterDataHandler(x->p, text);
	XML_SetStartDoctypeDeclHandler(x->p, x_doctype);
	if (XML_Parse(x->p, body, (int)len, XML_TRUE) != XML_STATUS_OK ||
	    x->bad)
		rc = -1;
	XML_ParserFree(x->p);
	x->p = NULL;
	return rc;
}

static int
xml_parse(struct xp *x, const char *body, size_t len)
{
	return aws_xml_parse(&x->x, body, len, x_start, x_end, x_text);
}

static void
xp_free(struct xp *x)
{
	free(x->root);
	free(x->found);
	free(x->code);
	free(x->message);
	buf_free(&x->text);
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
