/*
 * fuzz_sigv4: SigV4 canonical requests from any request (lib/sigv4.c).
 *
 * Input: a raw request as in the AWS SigV4 test suite's .req files
 * ("METHOD /path?query HTTP/1.1", "Name:value" lines, a blank line,
 * the body).  It is signed with the suite's parameters, by header and
 * presigned, under S3 and generic rules.  Checks: percent-encoding
 * round-trips and yields only unreserved bytes and %XX; the canonical
 * path has no dot or empty segments (generic) and is stable when signed
 * again (S3); the canonical query is encoded and sorted; header names
 * are lower case, sorted, unique and listed as the signed headers, with
 * trimmed values; the order of the query and of distinct headers
 * changes nothing; Authorization and the presigned URL carry the
 * signature; an S3 key addressed by aws_s3_address is already canonical.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws.h"
#include "enc.h"
#include "sigv4.h"
#include "xmem.h"

#define MAXKV 32

struct rq {
	struct sigv4_req r;
	struct sigv4_kv q[MAXKV], h[MAXKV];
	char *own[2 * MAXKV + 2];
	int nown;
	char hash[65];
	const char *token;
};

/* The byte of two hex digits at s, or -1. */
static int
hex2(const char *s)
{
	char t[3] = { s[0], s[1], '\0' };

	return isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) ?
	    (int)strtol(t, NULL, 16) : -1;
}

/* Percent-decode s[0..n) into b; a stray '%' stays. */
static void
decode(struct buf *b, const char *s, size_t n)
{
	size_t i;

	buf_adds(b, "");
	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && hex2(s + i + 1) >= 0) {
			buf_addc(b, hex2(s + i + 1));
			i += 2;
		} else {
			buf_addc(b, s[i]);
		}
	}
}

/* Only unreserved bytes, '/' if allowed, and upper-case %XX. */
static int
encoded(const char *s, size_t n, int slash)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' &&
		    s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    strchr("-_.~", s[i]) != NULL || (slash && s[i] == '/'))
			continue;
		if (s[i] != '%' || i + 2 >= n || !strchr("0123456789ABCDEF",
		    s[i + 1]) || !strchr("0123456789ABCDEF", s[i + 2]) ||
		    s[i + 1] == '\0' || s[i + 2] == '\0')
			return 0;
		i += 2;
	}
	return 1;
}

/* UriEncode and decode back: the same bytes, in the alphabet. */
static void
round_trip(const char *s, int slash)
{
	struct buf e = { 0 }, d = { 0 };

	buf_adds(&e, "");
	enc_pct(&e, s, strlen(s), slash);
	decode(&d, e.p, e.len);
	if (!encoded(e.p, e.len, slash) || strcmp(d.p, s) != 0)
		abort();
	buf_free(&e);
	buf_free(&d);
}

static char *
keep(struct rq *q, char *s)
{
	q->own[q->nown++] = s;
	return s;
}

/* Parse text (modified in place) as a suite request; 0 or -1. */
static int
parse(struct rq *q, char *text, size_t len)
{
	char *line, *next, *uri, *qs, *sp, *amp, *eq, *c, *body = NULL;
	struct buf d = { 0 };

	memset(q, 0, sizeof(*q));
	if ((next = strchr(text, '\n')) == NULL)
		return -1;
	*next++ = '\0';
	if ((sp = strchr(text, ' ')) == NULL)
		return -1;
	*sp = '\0';
	q->r.method = text;
	uri = sp + 1;
	if ((sp = strrchr(uri, ' ')) != NULL)
		*sp = '\0';
	if ((qs = strchr(uri, '?')) != NULL)
		*qs++ = '\0';
	q->r.path = uri;
	for (; qs != NULL && *qs != '\0' && q->r.nquery < MAXKV; qs = amp) {
		if ((amp = strchr(qs, '&')) != NULL)
			*amp++ = '\0';
		if ((eq = strchr(qs, '=')) != NULL)
			*eq++ = '\0';
		decode(&d, qs, strlen(qs));
		q->q[q->r.nquery].name = keep(q, d.p);
		memset(&d, 0, sizeof(d));
		if (eq != NULL) {
			decode(&d, eq, strlen(eq));
			q->q[q->r.nquery].value = keep(q, d.p);
			memset(&d, 0, sizeof(d));
		}
		q->r.nquery++;
	}
	q->r.query = q->q;
	for (line = next; line != NULL; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			body = next;
			break;
		}
		if ((c = strchr(line, ':')) == NULL)
			continue;
		*c++ = '\0';
		if (strcasecmp(line, "host") == 0)
			q->r.host = c;
		else if (strcasecmp(line, "x-amz-security-token") == 0)
			q->token = c;
		else if (strcasecmp(line, "x-amz-date") != 0 &&
		    q->r.nheaders < MAXKV) {
			q->h[q->r.nheaders].name = line;
			q->h[q->r.nheaders++].value = c;
		}
	}
	q->r.headers = q->h;
	sigv4_sha256_hex(body ? body : "", body ? len - (size_t)(body -
	    text) : 0, q->hash);
	q->r.payload_hash = q->hash;
	if (q->r.host == NULL)
		q->r.host = "example.amazonaws.com";
	return 0;
}

/* Compare a[0..an) and b[0..bn) as strcmp would. */
static int
cmpn(const char *a, size_t an, const char *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);

	return c != 0 ? c : an < bn ? -1 : an > bn;
}

/* "name=value" pairs, each encoded, sorted by name then value. */
static void
check_query(const char *s, size_t n)
{
	const char *p, *e, *eq, *pp = NULL, *peq = NULL, *pe = NULL;
	int c;

	for (p = s; n > 0; p = e + 1) {
		if ((e = memchr(p, '&', (size_t)(s + n - p))) == NULL)
			e = s + n;
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq == NULL || !encoded(p, (size_t)(eq - p), 0) ||
		    !encoded(eq + 1, (size_t)(e - eq - 1), 0) ||
		    memchr(eq + 1, '=', (size_t)(e - eq - 1)) != NULL)
			abort();
		if (pp != NULL) {
			c = cmpn(pp, (size_t)(peq - pp), p, (size_t)(eq - p));
			if (c > 0 || (c == 0 && cmpn(peq + 1, (size_t)(pe -
			    peq - 1), eq + 1, (size_t)(e - eq - 1)) > 0))
				abort();
		}
		pp = p;
		peq = eq;
		pe = e;
		if (e == s + n)
			break;
	}
}

/* Lines of a canonical request: method, path, query, headers, "",
 * signed headers, payload hash. */
static void
check_creq(const struct rq *q, const char *creq, int s3,
    const struct sigv4_out *o, int presign)
{
	const char *l[5], *p, *h, *nl, *colon, *prev = NULL;
	struct buf names = { 0 }, d = { 0 }, want = { 0 };
	size_t i, plen = 0;

	p = creq;
	for (i = 0; i < 3; i++) {
		l[i] = p;
		if ((p = strchr(p, '\n')) == NULL)
			abort();
		p++;
	}
	if (strncmp(l[0], q->r.method, strlen(q->r.method)) != 0 ||
	    l[0][strlen(q->r.method)] != '\n' ||
	    !encoded(l[1], (size_t)(l[2] - l[1] - 1), 1) || l[1][0] != '/')
		abort();
	if (s3) {
		/* what S3 does: decode once, encode once */
		decode(&d, q->r.path[0] ? q->r.path : "/", strlen(q->r.path[0] ?
		    q->r.path : "/"));
		buf_adds(&want, "");
		enc_pct(&want, d.p, d.len, 1);
		if (strncmp(l[1], want.p, want.len) != 0 ||
		    l[1][want.len] != '\n')
			abort();
	} else if (memmem(l[1], (size_t)(l[2] - l[1]), "//", 2) ||
	    memmem(l[1], (size_t)(l[2] - l[1]), "/./", 3) ||
	    memmem(l[1], (size_t)(l[2] - l[1]), "/../", 4) ||
	    memmem(l[1], (size_t)(l[2] - l[1]), "/.\n", 3) ||
	    memmem(l[1], (size_t)(l[2] - l[1]), "/..\n", 4)) {
		abort();
	}
	check_query(l[2], (size_t)(p - l[2] - 1));
	/* headers: "name:value" lines up to an empty one */
	buf_adds(&names, "");
	for (h = p; *h != '\n'; h = nl + 1) {
		if ((nl = strchr(h, '\n')) == NULL ||
		    (colon = memchr(h, ':', (size_t)(nl - h))) == NULL ||
		    colon == h)
			abort();
		for (p = h; p < colon; p++)
			if (*p >= 'A' && *p <= 'Z')
				abort();
		/* sorted, and each name once */
		if (prev != NULL && cmpn(prev, plen, h, (size_t)(colon - h)) >=
		    0)
			abort();
		if (colon[1] == ' ' || (nl > colon + 1 && nl[-1] == ' ') ||
		    memmem(colon, (size_t)(nl - colon), "  ", 2) ||
		    memchr(colon, '\t', (size_t)(nl - colon)))
			abort();
		if (prev != NULL)
			buf_addc(&names, ';');
		buf_add(&names, h, (size_t)(colon - h));
		prev = h;
		plen = (size_t)(colon - h);
	}
	h++;
	if (strncmp(h, names.p, names.len) != 0 || h[names.len] != '\n' ||
	    strcmp(h + names.len + 1, q->r.payload_hash ? q->r.payload_hash :
	    "") != 0)
		abort();
	if (strlen(o->signature) != 64 || !encoded(o->signature, 64, 0))
		abort();
	if (!presign) {
		buf_reset(&want);
		buf_addf(&want, "SignedHeaders=%s, Signature=%s", names.p,
		    o->signature);
		if (strstr(o->authz.p, want.p) == NULL)
			abort();
	} else {
		buf_reset(&want);
		buf_addf(&want, "&X-Amz-Signature=%s", o->signature);
		if (o->query.len < want.len || strcmp(o->query.p +
		    o->query.len - want.len, want.p) != 0)
			abort();
	}
	buf_free(&names);
	buf_free(&d);
	buf_free(&want);
}

static int
sign(const struct rq *q, const struct sigv4_req *r, int s3, int presign,
    struct sigv4_out *o)
{
	struct sigv4_signer s = { "AKIDEXAMPLE",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", q->token,
	    "us-east-1", "service", s3 ? SIGV4_S3 : 0 };
	char err[512];
	int rc;

	err[0] = '\0';
	rc = presign ? sigv4_presign(&s, r, 1440938160, 3600, o, err,
	    sizeof(err)) : sigv4_sign(&s, r, 1440938160, o, err, sizeof(err));
	if (rc == -1 && err[0] == '\0')
		abort();
	return rc;
}

/* The same request with its query and (distinct) headers reversed. */
static void
check_order(const struct rq *q, int s3, int presign, const char *creq)
{
	struct sigv4_kv rq[MAXKV], rh[MAXKV];
	struct sigv4_req r = q->r;
	struct sigv4_out o;
	size_t i, j;

	for (i = 0; i < r.nheaders; i++)
		for (j = 0; j < i; j++)
			if (strcasecmp(r.headers[i].name,
			    r.headers[j].name) == 0)
				return;
	for (i = 0; i < r.nquery; i++)
		rq[i] = r.query[r.nquery - 1 - i];
	for (i = 0; i < r.nheaders; i++)
		rh[i] = r.headers[r.nheaders - 1 - i];
	r.query = rq;
	r.headers = rh;
	memset(&o, 0, sizeof(o));
	if (sign(q, &r, s3, presign, &o) != 0 || strcmp(o.creq.p, creq) != 0)
		abort();
	sigv4_out_free(&o);
}

/*
 * An S3 key addressed by aws_s3_address is signed as it goes on the
 * request line: its path is already canonical.
 */
static void
check_s3_key(const struct rq *q, const char *key)
{
	struct aws_s3_loc loc;
	struct sigv4_req r = q->r;
	struct sigv4_out o;
	char err[256];
	const char *p;

	if (aws_s3_address(&loc, "https://s3.us-east-1.amazonaws.com", "bkt",
	    key, AWS_S3_AUTO, err, sizeof(err)) != 0)
		return;
	r.path = loc.path;
	memset(&o, 0, sizeof(o));
	if (sign(q, &r, 1, 0, &o) == 0) {
		p = strchr(o.creq.p, '\n') + 1;
		if (strncmp(p, loc.path, strlen(loc.path)) != 0 ||
		    p[strlen(loc.path)] != '\n')
			abort();
	}
	sigv4_out_free(&o);
	aws_s3_loc_free(&loc);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_out o, o2;
	struct sigv4_req r2;
	struct rq q;
	char *text;
	size_t i;
	int s3, presign;

	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (parse(&q, text, strlen(text)) == 0) {
		round_trip(q.r.path, 1);
		check_s3_key(&q, q.r.path[0] == '/' ? q.r.path + 1 :
		    q.r.path);
		for (i = 0; i < q.r.nquery; i++) {
			round_trip(q.r.query[i].name, 0);
			if (q.r.query[i].value != NULL)
				round_trip(q.r.query[i].value, 0);
		}
		for (s3 = 0; s3 < 2; s3++)
			for (presign = 0; presign < 2; presign++) {
				memset(&o, 0, sizeof(o));
				if (sign(&q, &q.r, s3, presign, &o) == 0) {
					check_creq(&q, o.creq.p, s3, &o,
					    presign);
					check_order(&q, s3, presign, o.creq.p);
				}
				sigv4_out_free(&o);
			}
		/* S3: a path signed as its canonical form stays as it is */
		memset(&o, 0, sizeof(o));
		if (sign(&q, &q.r, 1, 0, &o) == 0) {
			struct buf p = { 0 };
			const char *a = strchr(o.creq.p, '\n') + 1;

			buf_add(&p, a, (size_t)(strchr(a, '\n') - a));
			r2 = q.r;
			r2.path = p.p;
			memset(&o2, 0, sizeof(o2));
			if (sign(&q, &r2, 1, 0, &o2) != 0 ||
			    strcmp(o.creq.p, o2.creq.p) != 0)
				abort();
			sigv4_out_free(&o2);
			buf_free(&p);
		}
		sigv4_out_free(&o);
	}
	for (i = 0; i < (size_t)q.nown; i++)
		free(q.own[i]);
	free(text);
	return 0;
}
