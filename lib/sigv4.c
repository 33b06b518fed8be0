/* sigv4: AWS Signature Version 4 (header and presigned-URL) on libcrypto */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "awsint.h"
#include "enc.h"
#include "sigv4.h"
#include "sys.h"
#include "xmem.h"

#define ALGO "AWS4-HMAC-SHA256"

/* One header on its way into the canonical request. */
struct hdr {
	char *name;		/* lower case */
	char *value;		/* trimmed, inner blanks squeezed */
	size_t order;		/* input order: repeated names keep it */
};

/* One query parameter, encoded. */
struct qp {
	char *name;
	char *value;		/* "" for a valueless parameter */
};

void
sigv4_sha256_hex(const void *p, size_t n, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof md;

	EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL);
	enc_hex(out, md, 32);
}

void
sigv4_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, unsigned char out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, msg, mlen, out, &len);
}

void
sigv4_signing_key(const char *secret, const char *date8, const char *region,
    const char *service, unsigned char out[32])
{
	struct buf k = { 0 };
	unsigned char a[32], b[32];

	buf_adds(&k, "AWS4");
	buf_adds(&k, secret);
	sigv4_hmac_sha256(k.p, k.len, date8, strlen(date8), a);
	sigv4_hmac_sha256(a, 32, region, strlen(region), b);
	sigv4_hmac_sha256(b, 32, service, strlen(service), a);
	sigv4_hmac_sha256(a, 32, "aws4_request", 12, out);
	/* the secret and the keys derived from it do not linger in memory */
	OPENSSL_cleanse(k.p, k.len);
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
	buf_free(&k);
}

/*
 * Remove "." and ".." segments and empty ones, as botocore's
 * remove_dot_segments does for non-S3 services: "//a/./b/../" -> "/a/".
 */
static void
remove_dots(struct buf *out, const char *path)
{
	const char **seg;
	size_t nseg = 0, cap = 8, i, n, len = strlen(path);
	const char *p = path, *e;
	size_t *slen;

	if (len == 0) {
		buf_adds(out, "/");
		return;
	}
	seg = xmalloc(cap * sizeof *seg);
	slen = xmalloc(cap * sizeof *slen);
	while (*p != '\0') {
		e = strchr(p, '/');
		n = e != NULL ? (size_t)(e - p) : strlen(p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* skip */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (nseg > 0)
				nseg--;
		} else {
			if (nseg == cap) {
				cap *= 2;
				seg = xrealloc(seg, cap * sizeof *seg);
				slen = xrealloc(slen, cap * sizeof *slen);
			}
			seg[nseg] = p;
			slen[nseg++] = n;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	if (path[0] == '/')
		buf_addc(out, '/');
	for (i = 0; i < nseg; i++) {
		if (i > 0)
			buf_addc(out, '/');
		buf_add(out, seg[i], slen[i]);
	}
	if (path[len - 1] == '/' && nseg > 0)
		buf_addc(out, '/');
	if (out->len == 0)
		buf_addc(out, '/');
	free(seg);
	free(slen);
}

/* The canonical URI of a wire path under S3 or generic rules. */
static void
canonical_path(struct buf *out, const char *path, int s3)
{
	struct buf t = { 0 };

	if (path == NULL || *path == '\0')
		path = "/";
	if (s3) {
		/* what S3 does on receipt: decode, then encode once */
		enc_unpct(&t, path, strlen(path));
		enc_pct(out, t.p, t.len, 1);
	} else {
		remove_dots(&t, path);
		enc_pct(out, t.p, t.len, 1);
	}
	buf_free(&t);
}

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
qp_cmp(const void *a, const void *b)
{
	const struct qp *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c != 0 ? c : strcmp(x->value, y->value);
}

/* Trimall: strip blanks at both ends and squeeze inner runs to one. */
static char *
trimall(const char *v)
{
	struct buf b = { 0 };
	int blank = 0;

	buf_adds(&b, "");
	for (; *v == ' ' || *v == '\t'; v++)
		;
	for (; *v != '\0'; v++) {
		if (*v == ' ' || *v == '\t') {
			blank = 1;
			continue;
		}
		if (blank)
			buf_addc(&b, ' ');
		blank = 0;
		buf_addc(&b, *v);
	}
	return b.p;
}

static int
token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) ==
	    NULL;
}

/* An HTTP token: header names, and scope words (region, service, key). */
static int
valid_token(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!token_char((unsigned char)*s))
			return 0;
	return 1;
}

/* Printable, no CR or LF: safe inside a header line. */
static int
valid_value(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 && *s != '\t')
			return 0;
		else if (*s == 0x7f)
			return 0;
	return 1;
}

struct sctx {
	const struct sigv4_signer *s;
	const struct sigv4_req *r;
	int s3;
	int presign;
	char date8[9];
	struct hdr *h;
	size_t nh;
	struct qp *q;
	size_t nq;
	struct buf signed_headers;
	const char *payload;
};

static void
add_hdr(struct sctx *c, const char *name, const char *value)
{
	size_t i;

	c->h = xrealloc(c->h, (c->nh + 1) * sizeof *c->h);
	c->h[c->nh].name = xstrdup(name);
	for (i = 0; c->h[c->nh].name[i] != '\0'; i++)
		if (c->h[c->nh].name[i] >= 'A' && c->h[c->nh].name[i] <= 'Z')
			c->h[c->nh].name[i] += 'a' - 'A';
	c->h[c->nh].value = trimall(value);
	c->h[c->nh].order = c->nh;
	c->nh++;
}

static void
add_qp(struct sctx *c, const char *name, const char *value)
{
	struct buf n = { 0 }, v = { 0 };

	buf_adds(&n, "");
	buf_adds(&v, "");
	enc_pct(&n, name, strlen(name), 0);
	if (value != NULL)
		enc_pct(&v, value, strlen(value), 0);
	c->q = xrealloc(c->q, (c->nq + 1) * sizeof *c->q);
	c->q[c->nq].name = n.p;
	c->q[c->nq].value = v.p;
	c->nq++;
}

static void
sctx_free(struct sctx *c)
{
	size_t i;

	for (i = 0; i < c->nh; i++) {
		free(c->h[i].name);
		free(c->h[i].value);
	}
	free(c->h);
	for (i = 0; i < c->nq; i++) {
		free(c->q[i].name);
		free(c->q[i].value);
	}
	free(c->q);
	buf_free(&c->signed_headers);
}

static void
out_reset(struct sigv4_out *o)
{
	size_t i;

	buf_reset(&o->creq);
	buf_reset(&o->sts);
	buf_reset(&o->authz);
	buf_reset(&o->query);
	buf_reset(&o->url);
	for (i = 0; i < o->nheaders; i++) {
		free(o->headers[i]);
		o->headers[i] = NULL;
	}
	o->nheaders = 0;
	o->amzdate[0] = o->signature[0] = '\0';
}

void
sigv4_out_free(struct sigv4_out *o)
{
	out_reset(o);
	buf_free(&o->creq);
	buf_free(&o->sts);
	buf_free(&o->authz);
	buf_free(&o->query);
	buf_free(&o->url);
}

static int
reserved_header(const char *lname, int s3)
{
	return strcmp(lname, "authorization") == 0 ||
	    strcmp(lname, "host") == 0 ||
	    strcmp(lname, "x-amz-date") == 0 ||
	    strcmp(lname, "x-amz-security-token") == 0 ||
	    (s3 && strcmp(lname, "x-amz-content-sha256") == 0);
}

static int
reserved_param(const char *name)
{
	static const char *const p[] = { "X-Amz-Algorithm",
	    "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	    "X-Amz-SignedHeaders", "X-Amz-Security-Token",
	    "X-Amz-Signature" };
	size_t i;

	for (i = 0; i < sizeof p / sizeof p[0]; i++)
		if (strcmp(name, p[i]) == 0)
			return 1;
	return 0;
}

/* Check the inputs and collect the caller's headers. */
static int
prepare(struct sctx *c, time_t when, struct sigv4_out *o, char *err,
    size_t errlen)
{
	const struct sigv4_signer *s = c->s;
	const struct sigv4_req *r = c->r;
	struct tm tm;
	const char *p;
	char *ln;
	size_t i;

	if (s->key == NULL || !valid_token(s->key))
		return sys_err(err, errlen, "invalid access key id");
	if (s->secret == NULL || *s->secret == '\0')
		return sys_err(err, errlen, "empty secret access key");
	if (s->token != NULL && (*s->token == '\0' || !valid_value(s->token)))
		return sys_err(err, errlen, "invalid session token");
	if (!valid_token(s->region))
		return sys_err(err, errlen, "invalid region");
	if (!valid_token(s->service))
		return sys_err(err, errlen, "invalid service name");
	c->s3 = (s->flags & SIGV4_S3) || strcmp(s->service, "s3") == 0;
	if (r->method == NULL || *r->method == '\0')
		return sys_err(err, errlen, "empty method");
	for (p = r->method; *p != '\0'; p++)
		if (*p < 'A' || *p > 'Z')
			return sys_err(err, errlen, "invalid method %s",
			    r->method);
	if (r->host == NULL || *r->host == '\0' || !valid_value(r->host) ||
	    strchr(r->host, ' ') != NULL || strchr(r->host, '/') != NULL)
		return sys_err(err, errlen, "invalid host");
	if (r->scheme != NULL && !valid_token(r->scheme))
		return sys_err(err, errlen, "invalid scheme");
	if (r->path != NULL && *r->path != '\0') {
		if (r->path[0] != '/')
			return sys_err(err, errlen, "path must start with /");
		for (p = r->path; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f ||
			    *p == '?' || *p == '#')
				return sys_err(err, errlen, "invalid byte in "
				    "path (query and fragment go apart)");
	}
	if (r->payload_hash != NULL && (*r->payload_hash == '\0' ||
	    !valid_token(r->payload_hash)))
		return sys_err(err, errlen, "invalid payload hash");
	for (i = 0; i < r->nquery; i++) {
		if (r->query[i].name == NULL)
			return sys_err(err, errlen, "query parameter without "
			    "name");
		if (c->presign && reserved_param(r->query[i].name))
			return sys_err(err, errlen, "query parameter %s is "
			    "set by the signer", r->query[i].name);
	}
	if (gmtime_r(&when, &tm) == NULL || tm.tm_year + 1900 < 1000 ||
	    tm.tm_year + 1900 > 9999 ||
	    strftime(o->amzdate, sizeof o->amzdate, "%Y%m%dT%H%M%SZ",
	    &tm) != 16)
		return sys_err(err, errlen, "time out of range");
	memcpy(c->date8, o->amzdate, 8);
	c->date8[8] = '\0';

	add_hdr(c, "host", r->host);
	for (i = 0; i < r->nheaders; i++) {
		if (!valid_token(r->headers[i].name))
			return sys_err(err, errlen, "invalid header name");
		if (r->headers[i].value == NULL ||
		    !valid_value(r->headers[i].value))
			return sys_err(err, errlen, "invalid value for header "
			    "%s", r->headers[i].name);
		add_hdr(c, r->headers[i].name, r->headers[i].value);
		ln = c->h[c->nh - 1].name;
		if (reserved_header(ln, c->s3 && !c->presign))
			return sys_err(err, errlen, "header %s is set by the "
			    "signer", r->headers[i].name);
	}
	for (i = 0; i < r->nquery; i++)
		add_qp(c, r->query[i].name, r->query[i].value);
	return 0;
}

/* Sort the headers; set signed_headers and append the canonical lines. */
static void
canonical_headers(struct sctx *c, struct buf *creq)
{
	size_t i;

	qsort(c->h, c->nh, sizeof *c->h, hdr_cmp);
	buf_reset(&c->signed_headers);
	for (i = 0; i < c->nh; i++) {
		if (i > 0 && strcmp(c->h[i].name, c->h[i - 1].name) == 0) {
			buf_addc(creq, ',');
		} else {
			if (i > 0) {
				buf_addc(creq, '\n');
				buf_addc(&c->signed_headers, ';');
			}
			buf_adds(creq, c->h[i].name);
			buf_addc(creq, ':');
			buf_adds(&c->signed_headers, c->h[i].name);
		}
		buf_adds(creq, c->h[i].value);
	}
	buf_addc(creq, '\n');
}

/* Canonical request, string to sign, signature. */
static void
compute(struct sctx *c, struct sigv4_out *o)
{
	struct qp *sorted;
	unsigned char key[32], sig[32];
	char hash[65];
	size_t i;

	buf_adds(&o->creq, c->r->method);
	buf_addc(&o->creq, '\n');
	canonical_path(&o->creq, c->r->path, c->s3);
	buf_addc(&o->creq, '\n');
	sorted = xmalloc((c->nq ? c->nq : 1) * sizeof *sorted);
	if (c->nq > 0)
		memcpy(sorted, c->q, c->nq * sizeof *sorted);
	qsort(sorted, c->nq, sizeof *sorted, qp_cmp);
	for (i = 0; i < c->nq; i++) {
		if (i > 0)
			buf_addc(&o->creq, '&');
		buf_adds(&o->creq, sorted[i].name);
		buf_addc(&o->creq, '=');
		buf_adds(&o->creq, sorted[i].value);
	}
	free(sorted);
	buf_addc(&o->creq, '\n');
	canonical_headers(c, &o->creq);
	buf_addc(&o->creq, '\n');
	buf_adds(&o->creq, c->signed_headers.p);
	buf_addc(&o->creq, '\n');
	buf_adds(&o->creq, c->payload);

	sigv4_sha256_hex(o->creq.p, o->creq.len, hash);
	buf_addf(&o->sts, ALGO "\n%s\n%s/%s/%s/aws4_request\n%s", o->amzdate,
	    c->date8, c->s->region, c->s->service, hash);
	sigv4_signing_key(c->s->secret, c->date8, c->s->region,
	    c->s->service, key);
	sigv4_hmac_sha256(key, sizeof key, o->sts.p, o->sts.len, sig);
	OPENSSL_cleanse(key, sizeof key);
	enc_hex(o->signature, sig, sizeof sig);
}

/* Append the caller's query parameters in their order, for the URL. */
static void
wire_query(struct sctx *c, struct buf *b)
{
	size_t i;

	buf_adds(b, "");
	for (i = 0; i < c->nq; i++) {
		if (i > 0)
			buf_addc(b, '&');
		buf_adds(b, c->q[i].name);
		/* "?uploads", not "?uploads=", like the SDKs send it */
		if (c->r->query[i].value != NULL) {
			buf_addc(b, '=');
			buf_adds(b, c->q[i].value);
		}
	}
}

static void
build_url(struct sctx *c, struct sigv4_out *o)
{
	const char *path = c->r->path;

	buf_addf(&o->url, "%s://%s%s", c->r->scheme ? c->r->scheme : "https",
	    c->r->host, path != NULL && *path != '\0' ? path : "/");
	if (o->query.len > 0) {
		buf_addc(&o->url, '?');
		buf_add(&o->url, o->query.p, o->query.len);
	}
}

static void
out_header(struct sigv4_out *o, const char *name, const char *value)
{
	struct buf b = { 0 };

	buf_addf(&b, "%s: %s", name, value);
	o->headers[o->nheaders++] = b.p;
	o->headers[o->nheaders] = NULL;
}

int
sigv4_sign(const struct sigv4_signer *s, const struct sigv4_req *r,
    time_t when, struct sigv4_out *o, char *err, size_t errlen)
{
	struct sctx c;

	memset(&c, 0, sizeof c);
	c.s = s;
	c.r = r;
	out_reset(o);
	if (prepare(&c, when, o, err, errlen) == -1) {
		sctx_free(&c);
		return -1;
	}
	c.payload = r->payload_hash ? r->payload_hash : SIGV4_EMPTY_SHA256;
	add_hdr(&c, "x-amz-date", o->amzdate);
	if (c.s3)
		add_hdr(&c, "x-amz-content-sha256", c.payload);
	if (s->token != NULL)
		add_hdr(&c, "x-amz-security-token", s->token);
	compute(&c, o);
	buf_addf(&o->authz, ALGO " Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", s->key, c.date8, s->region,
	    s->service, c.signed_headers.p, o->signature);
	out_header(o, "X-Amz-Date", o->amzdate);
	if (c.s3)
		out_header(o, "X-Amz-Content-SHA256", c.payload);
	if (s->token != NULL)
		out_header(o, "X-Amz-Security-Token", s->token);
	out_header(o, "Authorization", o->authz.p);
	wire_query(&c, &o->query);
	build_url(&c, o);
	sctx_free(&c);
	return 0;
}

int
sigv4_presign(const struct sigv4_signer *s, const struct sigv4_req *r,
    time_t when, long expires, struct sigv4_out *o, char *err,
    size_t errlen)
{
	struct sctx c;
	struct buf cred = { 0 }, tmp = { 0 };
	char exp[24];
	size_t nuser, i;

	memset(&c, 0, sizeof c);
	c.s = s;
	c.r = r;
	c.presign = 1;
	out_reset(o);
	if (expires < 1 || expires > SIGV4_EXPIRES_MAX) {
		sctx_free(&c);
		return sys_err(err, errlen, "expiry %ld out of range 1..%d",
		    expires, SIGV4_EXPIRES_MAX);
	}
	if (prepare(&c, when, o, err, errlen) == -1) {
		sctx_free(&c);
		return -1;
	}
	if (r->payload_hash != NULL)
		c.payload = r->payload_hash;
	else
		c.payload = c.s3 ? SIGV4_UNSIGNED_PAYLOAD : SIGV4_EMPTY_SHA256;

	/* the signed header list goes into the signed query: sort first */
	buf_adds(&tmp, "");
	canonical_headers(&c, &tmp);
	buf_free(&tmp);
	buf_addf(&cred, "%s/%s/%s/%s/aws4_request", s->key, c.date8,
	    s->region, s->service);
	snprintf(exp, sizeof exp, "%ld", expires);
	nuser = c.nq;
	/* botocore's order, so its URLs and ours compare equal as strings */
	add_qp(&c, "X-Amz-Algorithm", ALGO);
	add_qp(&c, "X-Amz-Credential", cred.p);
	add_qp(&c, "X-Amz-Date", o->amzdate);
	add_qp(&c, "X-Amz-Expires", exp);
	add_qp(&c, "X-Amz-SignedHeaders", c.signed_headers.p);
	if (s->token != NULL)
		add_qp(&c, "X-Amz-Security-Token", s->token);
	buf_free(&cred);
	compute(&c, o);

	buf_adds(&o->query, "");
	for (i = 0; i < c.nq; i++) {
		if (i > 0)
			buf_addc(&o->query, '&');
		buf_adds(&o->query, c.q[i].name);
		if (i >= nuser || r->query[i].value != NULL) {
			buf_addc(&o->query, '=');
			buf_adds(&o->query, c.q[i].value);
		}
	}
	buf_addf(&o->query, "&X-Amz-Signature=%s", o->signature);
	build_url(&c, o);
	sctx_free(&c);
	return 0;
}

int
sigv4_hash_init(struct sigv4_hash *h, int which, char *err, size_t errlen)
{
	EVP_MD_CTX *x;

	memset(h, 0, sizeof *h);
	if (which & SIGV4_SHA256) {
		if ((x = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(x, EVP_sha256(), NULL) != 1) {
			EVP_MD_CTX_free(x);
			return sys_err(err, errlen, "cannot start SHA-256");
		}
		h->sha256 = x;
	}
	if (which & SIGV4_MD5) {
		if ((x = EVP_MD_CTX_new()) == NULL ||
		    EVP_DigestInit_ex(x, EVP_md5(), NULL) != 1) {
			EVP_MD_CTX_free(x);
			sigv4_hash_free(h);
			return sys_err(err, errlen, "cannot start MD5");
		}
		h->md5 = x;
	}
	return 0;
}

int
sigv4_hash_update(struct sigv4_hash *h, const void *p, size_t n)
{
	if (h->sha256 != NULL && EVP_DigestUpdate(h->sha256, p, n) != 1)
		return -1;
	if (h->md5 != NULL && EVP_DigestUpdate(h->md5, p, n) != 1)
		return -1;
	return 0;
}

int
sigv4_hash_final(struct sigv4_hash *h)
{
	unsigned int n;
	int rc = 0;

	if (h->sha256 != NULL) {
		n = sizeof h->sha256_sum;
		if (EVP_DigestFinal_ex(h->sha256, h->sha256_sum, &n) != 1)
			rc = -1;
		enc_hex(h->sha256_hex, h->sha256_sum, sizeof h->sha256_sum);
	}
	if (h->md5 != NULL) {
		n = sizeof h->md5_sum;
		if (EVP_DigestFinal_ex(h->md5, h->md5_sum, &n) != 1)
			rc = -1;
		enc_hex(h->md5_hex, h->md5_sum, sizeof h->md5_sum);
	}
	sigv4_hash_free(h);
	return rc;
}

void
sigv4_hash_free(struct sigv4_hash *h)
{
	EVP_MD_CTX_free(h->sha256);
	EVP_MD_CTX_free(h->md5);
	h->sha256 = h->md5 = NULL;
}
