/* s3-get: one object: its record, its GET (resumed after a cut), its
 * check against S3's checksum or ETag, its output record */
#include <ctype.h>
#include <errno.h>
#include <strings.h>

#include "cdisp.h"
#include "enc.h"
#include "s3-get.h"

/* the answer's headers read here, and its Date (a clock skew) */
static const char *const keep[] = {
	"ETag", "x-amz-checksum-sha256", "x-amz-server-side-encryption",
	"x-amz-server-side-encryption-customer-algorithm", "Content-Length",
	"Date", NULL
};

static void
get_free(struct get *g)
{
	if (g == NULL)
		return;
	fetchfile_drop(&g->ff);
	s3req_free(&g->rq);
	aws_s3_loc_free(&g->loc);
	free(g->bucket);
	free(g->key);
	free(g->want_etag);
	free(g->name);
	free(g->etag);
	free(g->sum);
	free(g);
}

void
drop(struct http_xfer *x, void *arg)
{
	(void)arg;
	get_free(x->user);
	x->user = NULL;
}

/* an ETag without S3's quotes (malloc'd) */
static char *
unquote(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return xstrndup(s + 1, n - 2);
	return xstrdup(s);
}

/* every later request asks for the object the first answer was: If-Match
 * its ETag, so a resumed or ranged file never mixes two versions */
void
pin_etag(struct get *g, const char *etag)
{
	if (etag == NULL || *etag == '\0' || g->pin[0] != '\0')
		return;
	snprintf(g->pin, sizeof(g->pin), "%s%s%s", etag[0] == '"' ? "" : "\"",
	    etag, etag[0] == '"' ? "" : "\"");
}

/* an answer's ETag: the object's, and pinned */
void
note_etag(struct get *g, const char *etag)
{
	if (etag == NULL)
		return;
	if (g->etag == NULL)
		g->etag = unquote(etag);
	pin_etag(g, etag);
}

/* sign rq for an attempt of x: the checksum asked for (not by the
 * parts: S3 gives none for a range), the ETag pinned when known */
int
get_sign(struct s3req *rq, struct get *g, struct http_xfer *x, char *err,
    size_t errlen)
{
	const char *url;
	size_t n = 0;

	if (!g->ranged) {
		g->h[n].name = "x-amz-checksum-mode";
		g->h[n++].value = "ENABLED";
	}
	if (g->pin[0] != '\0') {
		g->h[n].name = "If-Match";
		g->h[n++].value = g->pin;
	}
	rq->h = g->h;
	rq->nh = n;
	if (s3req_sign(rq, &x->headers, &url, err, errlen) < 0)
		return -1;
	free(x->url);
	x->url = xstrdup(url);
	return 0;
}

static int
sign(struct http_xfer *x, char *err, size_t errlen)
{
	struct get *g = x->user;

	return get_sign(&g->rq, g, x, err, errlen);
}

/* an S3 answer that is not 2xx: its code and words; worth a retry when
 * temporary (5xx, throttling, a clock skew) */
int
s3_judge(struct http_xfer *x, char *why, size_t whylen)
{
	char *code = NULL, *message = NULL;
	int rc;

	if (x->status / 100 == 2)
		return 0;
	if (x->resp.len > 0)
		aws_xml_error(x->resp.p, x->resp.len, &code, &message);
	snprintf(why, whylen, "HTTP %ld %s%s%s", x->status, code ? code :
	    "", message ? ": " : "", message ? message : "");
	rc = s3req_temp(&hopts.retry, x->status, code,
	    http_xfer_header(x, "Date")) ? 1 : -1;
	free(code);
	free(message);
	return rc;
}

/* the key's bytes as they are ("a/../b" is a key, not a path) */
static int
prepare(struct http_xfer *x, CURL *e)
{
	struct get *g = x->user;

	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	return fetchfile_resume(&g->ff, x, e);
}

/* what an answer says of the object: its size, ETag, checksum */
static void
answer(struct get *g, struct http_xfer *x)
{
	const char *v;

	if (x->status == 206 && x->crange != NULL &&
	    (v = strchr(x->crange, '/')) != NULL && isdigit((unsigned char)
	    v[1]))
		g->total = strtoll(v + 1, NULL, 10);
	else if (x->status == 200 &&
	    (v = http_xfer_header(x, "Content-Length")) != NULL)
		g->total = strtoll(v, NULL, 10);
	note_etag(g, http_xfer_header(x, "ETag"));
	if (g->sum == NULL &&
	    (v = http_xfer_header(x, "x-amz-checksum-sha256")) != NULL)
		g->sum = xstrdup(v);
	if (((v = http_xfer_header(x, "x-amz-server-side-encryption")) !=
	    NULL && strncasecmp(v, "aws:kms", 7) == 0) || http_xfer_header(x,
	    "x-amz-server-side-encryption-customer-algorithm") != NULL)
		g->encrypted = 1;
}

static int
sink(struct http_xfer *x, const char *p, size_t n)
{
	struct get *g = x->user;

	if (x->sink_first) {
		answer(g, x);
		if (fetchfile_answer(&g->ff, x) < 0)
			return -1;
	}
	if (fetchfile_write(&g->ff, p, n, x->err, sizeof(x->err)) < 0) {
		g->ff.ioerr = 1;
		return -1;
	}
	return 0;
}

/* whether an ETag is a single part's MD5: 32 hex digits */
static int
md5_etag(const char *e)
{
	size_t i;

	for (i = 0; e[i] != '\0'; i++)
		if (!isxdigit((unsigned char)e[i]))
			return 0;
	return i == 32;
}

/* parts in a multipart ETag ("<32 hex>-N"), else 0 */
int
mp_etag(const char *e)
{
	const char *d;
	char *end;
	long n;

	if (e == NULL || (d = strchr(e, '-')) == NULL || d - e != 32)
		return 0;
	n = strtol(d + 1, &end, 10);
	return *end == '\0' && n > 0 && n <= 10000 ? (int)n : 0;
}

/* the MD5 of the parts' MD5s (fetchfile_md5_parts) against a multipart
 * ETag: 0, 1 if it matches, -1 with err if not */
static int
mp_verify(struct get *g, char *err, size_t errlen)
{
	char hex[33];

	if (g->ff.mpmd == NULL || g->etag == NULL || g->encrypted ||
	    mp_etag(g->etag) != g->ff.mpparts)
		return 0;
	enc_hex(hex, g->ff.md5sum, 16);
	if (strncasecmp(hex, g->etag, 32) != 0)
		return sys_err(err, errlen, "the MD5 of the parts' MD5s (%s) "
		    "is not the object's ETag %s", hex, g->etag);
	return 1;
}

/* the whole file against what S3 says of the object: its size, then
 * its SHA-256 checksum (a whole object's, not a composite "...-N"),
 * else a single part's ETag (the MD5, unless encrypted with KMS or a
 * customer key) or a multipart one whose part size is known (parts.c);
 * g->verified says which.  0, or -1 with err */
int
verify(struct get *g, char *err, size_t errlen)
{
	struct buf b = { 0 };
	unsigned char raw[32];
	char hex[33];
	int ok;

	if (g->total >= 0 && g->ff.bytes != g->total)
		return sys_err(err, errlen, "got %lld bytes of %lld",
		    g->ff.bytes, g->total);
	g->verified = "size";
	if (g->sum != NULL && strchr(g->sum, '-') == NULL) {
		enc_unhex(g->ff.sha256, 64, raw, sizeof(raw));
		enc_base64(&b, raw, sizeof(raw), 0);
		ok = b.p != NULL && strcmp(b.p, g->sum) == 0;
		buf_free(&b);
		if (!ok)
			return sys_err(err, errlen, "the SHA-256 of the bytes "
			    "is not the object's checksum %s", g->sum);
		g->verified = "sha256";
	} else if (g->etag != NULL && md5_etag(g->etag) && !g->encrypted &&
	    g->ff.md5 != NULL && g->ff.mpmd == NULL) {
		enc_hex(hex, g->ff.md5sum, 16);
		if (strcasecmp(hex, g->etag) != 0)
			return sys_err(err, errlen, "the MD5 of the bytes (%s) "
			    "is not the object's ETag %s", hex, g->etag);
		g->verified = "md5";
	} else if ((ok = mp_verify(g, err, errlen)) != 0) {
		if (ok < 0)
			return -1;
		g->verified = "md5-parts";
	}
	return 0;
}

/* the transfer ended (loop thread): a whole, verified file goes to be
 * synced and committed; anything else leaves nothing behind */
static void
ended(struct http_xfer *x)
{
	struct get *g = x->user;
	int keep, e;

	keep = x->result == HTTP_OK && x->status / 100 == 2 &&
	    g->ff.fd >= 0;
	if (keep) {
		answer(g, x);
		if ((e = fetchfile_finish(&g->ff)) != 0) {
			snprintf(g->perr, sizeof(g->perr), "cannot read back "
			    "the file: %s", strerror(e));
			g->pfail = EX_SYSTEM;
			keep = 0;
		} else if (verify(g, g->perr, sizeof(g->perr)) < 0) {
			g->pfail = EX_TEMPFAIL;
			keep = 0;
		}
	}
	if (keep)
		g->ff.final = xstrdup(g->name);
	fetchfile_ended(&g->ff, keep);
}

/* the object of an S3 event notification with one entry (what S3 sends
 * to SQS or SNS): its s3 part in the flat shape; NULL if r is none */
static json_t *
event_object(json_t *rec)
{
	json_t *a = json_object_get(rec, "Records"), *s, *o, *out;
	const char *k;
	struct buf b = { 0 };

	if (json_array_size(a) != 1 ||
	    (s = json_object_get(json_array_get(a, 0), "s3")) == NULL)
		return NULL;
	o = json_object_get(s, "object");
	if ((k = json_string_value(json_object_get(o, "key"))) == NULL)
		return NULL;
	/* the notification's key is form-encoded: "a+b" is "a b" */
	enc_form_decode(k, strlen(k), &b, 0);
	out = json_pack("{s:O?, s:s, s:O?, s:O?}", "bucket", json_object_get(
	    json_object_get(s, "bucket"), "name"), "key", b.p, "size",
	    json_object_get(o, "size"), "etag", json_object_get(o, "eTag"));
	buf_free(&b);
	return out;
}

/* bucket, key, and what the record knows of size and ETag */
static int
parse_record(struct get *g, json_t *rec, char *err, size_t errlen)
{
	json_t *s = json_object_get(rec, "s3"), *ev = NULL, *v;
	const char *b, *k;
	int rc = 0;

	if (!json_is_object(s) && (s = ev = event_object(rec)) == NULL) {
		if (json_array_size(json_object_get(rec, "Records")) > 1)
			return sys_err(err, errlen, "an event notification of "
			    "%zu entries: one a record (sqs-poll --s3-records "
			    "splits them)", json_array_size(json_object_get(
			    rec, "Records")));
		return sys_err(err, errlen, "no \"s3\" object in the record");
	}
	b = json_string_value(json_object_get(s, "bucket"));
	k = json_string_value(json_object_get(s, "key"));
	if (b == NULL || *b == '\0' || k == NULL || *k == '\0') {
		rc = sys_err(err, errlen, "the record's s3 needs a bucket and "
		    "a key (strings)");
		goto out;
	}
	g->bucket = xstrdup(b);
	g->key = xstrdup(k);
	if (json_is_integer(v = json_object_get(s, "size")))
		g->want_size = json_integer_value(v);
	if (json_is_string(v = json_object_get(s, "etag")) &&
	    *json_string_value(v) != '\0')
		g->want_etag = unquote(json_string_value(v));
out:
	json_decref(ev);
	return rc;
}

/* the final name: --name, else the key; '/' made '_' so it stays in
 * the directory and two prefixes do not meet */
static int
make_name(struct get *g, json_t *rec, char *err, size_t errlen)
{
	char *n, *p;
	int rc;

	if (namet != NULL) {
		if ((n = tmpl_string(namet, rec, err, errlen)) == NULL)
			return -1;
	} else
		n = xstrdup(g->key);
	for (p = n; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			*p = '_';
	rc = cdisp_safe_name(n, &g->name, err, errlen);
	free(n);
	if (rc < 0)
		return sys_err(err, errlen, "no usable file name for s3://%s/"
		    "%s", g->bucket, g->key);
	return 0;
}

struct http_xfer *
build(struct nd_rec *r, void *arg, char *err, size_t errlen)
{
	static long nrec;
	struct http_xfer *x;
	struct get *g;

	(void)arg;
	if (fdir.stream && ++nrec > 1) {
		snprintf(err, errlen, "-o - takes one record; this is another");
		return NULL;
	}
	g = xcalloc(1, sizeof(*g));
	g->want_size = g->total = -1;
	g->ff.fd = -1;
	if (parse_record(g, r->obj, err, errlen) < 0 ||
	    make_name(g, r->obj, err, errlen) < 0 ||
	    aws_s3_address(&g->loc, ctx.endpoint, g->bucket, g->key,
	    ctx.style, err, errlen) < 0 ||
	    fetchfile_init(&g->ff, &fdir, 1, err, errlen) < 0) {
		get_free(g);
		return NULL;
	}
	g->rq.c = &ctx;
	g->rq.method = "GET";
	g->rq.l = &g->loc;
	x = http_xfer_new();
	x->url = xstrdup(g->loc.url);
	x->user = g;
	if (!fdir.stream && g->want_size > (long long)(2 * psize)) {
		/* in parts, on the parts thread; x holds the record's
		 * place until the file is committed (or failed) */
		g->ranged = 1;
		pin_etag(g, g->want_etag);
		x->done = 1;
		x->result = HTTP_OK;
		x->status = 200;
		fetchfile_hold(&g->ff, x);
		parts_submit(g);
		return x;
	}
	x->sign = sign;
	x->judge = s3_judge;
	x->prepare = prepare;
	x->sink = sink;
	x->keep = keep;
	x->ended = ended;
	if (!fdir.stream)
		fetchfile_hold(&g->ff, x);
	return x;
}

/* why x's GET failed: the record's message and fate */
static int
failed(struct get *g, struct http_xfer *x, char *err, size_t errlen)
{
	char why[600];

	if (x->result != HTTP_OK && g->ff.ioerr) {
		snprintf(err, errlen, "s3://%s/%s: %s", g->bucket, g->key,
		    x->err);
		nd_set_status(EX_SYSTEM);
		return ND_FAIL;
	}
	http_reason(x, why, sizeof(why));
	if (x->result == HTTP_OK && x->status == 404)
		snprintf(err, errlen, "s3://%s/%s: no such object (%s)",
		    g->bucket, g->key, why);
	else if (x->result == HTTP_OK && x->status == 412)
		snprintf(err, errlen, "s3://%s/%s: changed since its ETag %s "
		    "(%s)", g->bucket, g->key, g->pin, why);
	else
		snprintf(err, errlen, "cannot get s3://%s/%s: %s", g->bucket,
		    g->key, why);
	if (x->result != HTTP_OK)
		return http_record_fail(x->result, 0, 0);
	return http_status_fail(x->status);
}

int
done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen)
{
	struct get *g = x->user;
	char path[4096];
	json_t *out, *ge;

	(void)arg;
	if (g->ranged && g->pfail == 0 && x->status / 100 != 2)
		return failed(g, x, err, errlen);	/* a part's answer */
	if (!g->ranged && (x->result != HTTP_OK || x->status / 100 != 2))
		return failed(g, x, err, errlen);
	if (g->pfail != 0) {
		snprintf(err, errlen, "s3://%s/%s: %s", g->bucket, g->key,
		    g->perr);
		if (g->pfail == EX_TEMPFAIL)
			return http_record_fail(HTTP_FAIL_TEMP, 0, 0);
		nd_set_status(g->pfail);
		return ND_FAIL;
	}
	if (g->ff.outcome != FETCHFILE_OK) {
		snprintf(err, errlen, "s3://%s/%s: %s", g->bucket, g->key,
		    g->ff.cerr[0] != '\0' ? g->ff.cerr : "not committed");
		nd_set_status(EX_SYSTEM);
		return ND_FAIL;
	}
	if (fdir.stream)
		return 0;	/* the bytes went to stdout, no record */
	snprintf(path, sizeof(path), "%s/%s", fdir.dir, g->name);
	out = json_copy(r->obj);
	ge = json_pack("{s:s, s:I, s:s, s:s}", "path", path, "size",
	    (json_int_t)g->ff.bytes, "sha256", g->ff.sha256, "verified",
	    g->verified);
	if (ge == NULL)	/* a name that is not UTF-8 */
		ge = json_pack("{s:s, s:I, s:s, s:s}", "path", "(not UTF-8)",
		    "size", (json_int_t)g->ff.bytes, "sha256", g->ff.sha256,
		    "verified", g->verified);
	json_object_set_new(out, "get", ge);
	nd_write(out);
	json_decref(out);
	return 0;
}
