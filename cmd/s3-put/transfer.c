/* s3-put: the requests: built, signed and judged here, driven by lib/http's
 * pool (connections reused, one retry policy) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsauth.h"
#include "s3-put.h"

static const char *kind_name[] = {
	"PutObject", "CreateMultipartUpload", "UploadPart",
	"CompleteMultipartUpload", "AbortMultipartUpload"
};

/* the answer's headers the uploads read, and its Date (a clock skew) */
static const char *const keep[] = {
	"ETag", "x-amz-version-id", "x-amz-checksum-sha256", "Date", NULL
};

static void
body_drop(char *body, int pooled)
{
	if (pooled && body != NULL)
		pool_put(body);
	else
		free(body);
}

/* the transfer's body_free: a part's buffer goes back to the pool */
static void
body_back(struct http_xfer *x)
{
	const struct req *q = x->user;

	body_drop(x->body, q->pooled);
	x->body = NULL;
}

void
req_free(struct req *q)
{
	if (q->x != NULL)
		http_xfer_free(q->x);
	else
		body_drop(q->body, q->pooled);
	free(q);
}

static const char *
method(enum rkind k)
{
	return k == R_PUT || k == R_PART ? "PUT" : k == R_ABORT ? "DELETE" :
	    "POST";
}

/* headers describing the object (PutObject, CreateMultipartUpload) */
size_t
object_headers(const struct upload *u, struct sigv4_kv *h)
{
	size_t n = 0, i;

	h[n].name = "Content-Type", h[n++].value = u->ctype;
	if (opt.cache)
		h[n].name = "Cache-Control", h[n++].value = opt.cache;
	if (opt.class)
		h[n].name = "x-amz-storage-class", h[n++].value = opt.class;
	if (opt.sse)
		h[n].name = "x-amz-server-side-encryption",
		h[n++].value = opt.sse;
	if (opt.kms)
		h[n].name = "x-amz-server-side-encryption-aws-kms-key-id",
		h[n++].value = opt.kms;
	for (i = 0; i < opt.nmeta; i++)
		h[n].name = opt.meta_names[i],
		    h[n++].value = opt.meta_values[i];
	return n;
}

/* the digests of q's body for S3 to check, after h's first n headers */
static size_t
digest_headers(const struct req *q, struct sigv4_kv *h, size_t n)
{
	h[n].name = "Content-MD5", h[n++].value = q->md5b64;
	if (opt.checksum) {
		h[n].name = "x-amz-checksum-sha256", h[n++].value = q->sha64;
		h[n].name = "x-amz-sdk-checksum-algorithm",
		    h[n++].value = "SHA256";
	}
	return n;
}

/* q's headers and query (h: room for opt.nmeta + 10; pn: 16 bytes) */
static void
req_fields(const struct req *q, struct sigv4_kv *h, size_t *nhp,
    struct sigv4_kv *qs, size_t *nqp, char *pn)
{
	const struct upload *u = q->u;
	size_t nh = 0, nq = 0;

	switch (q->kind) {
	case R_PUT:
		nh = object_headers(u, h);
		nh = digest_headers(q, h, nh);
		if (opt.inm)
			h[nh].name = "If-None-Match", h[nh++].value = "*";
		break;
	case R_CREATE:
		nh = object_headers(u, h);
		if (opt.checksum)
			h[nh].name = "x-amz-checksum-algorithm",
			    h[nh++].value = "SHA256";
		qs[nq].name = "uploads", qs[nq++].value = NULL;
		break;
	case R_PART:
		nh = digest_headers(q, h, nh);
		snprintf(pn, 16, "%d", q->partno);
		qs[nq].name = "partNumber", qs[nq++].value = pn;
		qs[nq].name = "uploadId", qs[nq++].value = u->upload_id;
		break;
	case R_COMPLETE:
		h[nh].name = "Content-Type", h[nh++].value = "application/xml";
		if (opt.inm)
			h[nh].name = "If-None-Match", h[nh++].value = "*";
		qs[nq].name = "uploadId", qs[nq++].value = u->upload_id;
		break;
	case R_ABORT:
		qs[nq].name = "uploadId", qs[nq++].value = u->upload_id;
		break;
	}
	*nhp = nh;
	*nqp = nq;
}

/*
 * The transfer's sign, before each attempt: x->url and x->headers for
 * q, signed now (a fresh x-amz-date, refreshed credentials, the clock
 * offset a skewed answer taught).
 */
static int
req_sign(struct http_xfer *x, char *err, size_t errlen)
{
	struct req *q = x->user;
	struct upload *u = q->u;
	struct sigv4_kv *h, qs[2];
	struct sigv4_req r = {0};
	struct sigv4_out o = {0};
	char pn[16], aerr[512];
	size_t nh, nq, i;

	if (opt.s3.creds.expires != 0 &&
	    aws_creds_refresh(&opt.s3.creds, time(NULL), aerr,
	    sizeof(aerr)) < 0)
		msg_warn("cannot refresh credentials: %s", aerr);
	h = xcalloc(opt.nmeta + 10, sizeof(*h));
	req_fields(q, h, &nh, qs, &nq, pn);
	r.method = method(q->kind);
	r.scheme = opt.s3.scheme;
	r.host = u->loc.host;
	r.path = u->loc.path;
	r.query = qs;
	r.nquery = nq;
	r.headers = h;
	r.nheaders = nh;
	r.payload_hash = q->sha[0] ? q->sha : SIGV4_EMPTY_SHA256;
	if (awsauth_sign(&opt.s3.creds, opt.s3.region, "s3", SIGV4_S3, &r, &o,
	    aerr, sizeof(aerr)) < 0) {
		snprintf(err, errlen, "cannot sign the request: %s", aerr);
		free(h);
		return -1;
	}
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	for (i = 0; i < nh; i++) {
		struct buf b = {0};

		buf_addf(&b, "%s: %s", h[i].name, h[i].value);
		x->headers = curl_slist_append(x->headers, b.p);
		buf_free(&b);
	}
	for (i = 0; o.headers[i] != NULL; i++)
		x->headers = curl_slist_append(x->headers, o.headers[i]);
	/* no form type on a part (the pool drops Expect: itself) */
	if (q->kind == R_PART)
		x->headers = curl_slist_append(x->headers, "Content-Type:");
	free(h);
	if (x->headers == NULL)
		msg_die(EX_SYSTEM, "out of memory");
	free(x->url);
	x->url = xstrdup(o.url.p);
	sigv4_out_free(&o);
	return 0;
}

/* the transfer's prepare: the path as signed, a key like a/../b unsquashed */
static int
req_prepare(struct http_xfer *x, CURL *e)
{
	(void)x;
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	return 0;
}

/*
 * The transfer's judge, after each answer: good (0), worth a retry (1)
 * or refused (-1), why as "403 SignatureDoesNotMatch: message".  S3's
 * error document decides as much as the status: CompleteMultipartUpload
 * may say 200 and then fail; a transient or throttling code, or a clock
 * the answer's Date shows is off (signed again at the retry), is worth
 * another.  Every S3 request of s3-put is safe to repeat (a repeated
 * CreateMultipartUpload leaves an upload --abort-stale finds).
 */
static int
req_judge(struct http_xfer *x, char *why, size_t whylen)
{
	const struct req *q = x->user;
	const char *date = http_xfer_header(x, "Date");
	char *code = NULL, *message = NULL;
	int doc, temp;

	doc = aws_xml_error(x->resp.p ? x->resp.p : "", x->resp.len, &code,
	    &message) == 1;
	if (x->status >= 200 && x->status < 300 &&
	    !(doc && q->kind == R_COMPLETE)) {
		free(code);
		free(message);
		return 0;
	}
	if (doc)
		snprintf(why, whylen, "%ld %s%s%s", x->status, code ? code :
		    "Error", message ? ": " : "", message ? message : "");
	else
		snprintf(why, whylen, "HTTP %ld", x->status);
	temp = http_retry_temp(&opt.retry, CURLE_OK, x->status, 1) ||
	    (doc && code != NULL && (awsauth_temp_code(code) ||
	    awsauth_skewed(code, date != NULL && *date ? date : NULL)));
	free(code);
	free(message);
	return temp ? 1 : -1;
}

/* the pool's on_retry: "stdin:3: HTTP 503 on part 2 of s3://b/k, ..." */
static void
req_retry(struct http_xfer *x, const char *why, int n, int of, long wait)
{
	const struct req *q = x->user;
	char w[512];

	(void)wait;
	where(q->u, w, sizeof(w));
	if (q->kind == R_PART)
		msg_warn("%s: %s on part %d of %s, retry %d of %d", w, why,
		    q->partno, q->u->s3url, n, of);
	else
		msg_warn("%s: %s on %s of %s, retry %d of %d", w, why,
		    kind_name[q->kind], q->u->s3url, n, of);
}

/* q, its body hashed, onto the pool; it is signed there, at each attempt */
void
req_start(struct req *q)
{
	struct http_xfer *x = http_xfer_new();

	q->x = x;
	x->user = q;
	x->method = xstrdup(method(q->kind));
	x->upload = q->kind == R_PUT || q->kind == R_PART;
	x->body = q->body;
	x->bodylen = q->len;
	q->body = NULL;
	x->body_free = body_back;
	x->sign = req_sign;
	x->prepare = req_prepare;
	x->judge = req_judge;
	x->keep = keep;
	http_pool_add(run.pool, x);
}

/*
 * A new request for u; body (malloc'd, len bytes) is taken.  With
 * fd >= 0 the body is still to be read from fd at off (a part of a
 * regular file; last: the part that ends it).  Big bodies go to the
 * workers and are started when they come back (prep_finish).
 */
void
req_new_at(struct upload *u, enum rkind kind, int partno, char *body,
    size_t len, int pooled, int fd, off_t off, int last)
{
	struct req *q = xcalloc(1, sizeof(*q));

	q->u = u;
	q->kind = kind;
	q->partno = partno;
	q->body = body;
	q->len = len;
	q->pooled = pooled;
	q->rfd = fd;
	q->roff = off;
	q->rlast = last;
	inflight(u, 1);
	if ((kind == R_PUT || kind == R_PART) && (fd >= 0 ||
	    len >= PREP_MIN)) {
		prep_submit(q);
		return;
	}
	if (kind == R_PUT)
		hash_body(q, u->md5);
	else if (kind == R_PART)
		hash_body(q, u->parts[partno - 1].md5);
	else if (len > 0)
		sigv4_sha256_hex(body, len, q->sha);
	req_start(q);
}

void
req_new(struct upload *u, enum rkind kind, int partno, char *body,
    size_t len)
{
	req_new_at(u, kind, partno, body, len, 0, -1, 0, 0);
}

/* q's transfer is over (no retry to come): uncount it, move u on */
static void
answered(struct req *q)
{
	const struct http_xfer *x = q->x;
	int ok = 0, code;

	inflight(q->u, -1);
	switch (x->result) {
	case HTTP_OK:
		/* the judge's last word: 1 is retries spent */
		ok = x->verdict == 0;
		code = ok ? EX_OK : x->verdict > 0 ? EX_TEMPFAIL :
		    x->status == 401 || x->status == 403 ? EX_REMOTE :
		    EX_PARTIAL;
		break;
	case HTTP_FAIL_TEMP:
		/* no answer: curl's reason */
		code = http_retry_temp(&opt.retry, x->code, 0, 1) ?
		    EX_TEMPFAIL : EX_PARTIAL;
		break;
	case HTTP_CANCELED:
		/* a retry was waiting when SIGTERM came */
		code = EX_TEMPFAIL;
		break;
	default:
		/* not signed ("cannot sign the request: ..."), not started */
		ufail(q->u, EX_SYSTEM, "%s", x->err);
		code = EX_SYSTEM;
		break;
	}
	upload_answer(q, ok, code, ok ? "" : x->err);
	req_free(q);
}

static struct progress prog;	/* the terminal's line */

/* the pool for the uploads (run.pool): -j connections, reused */
void
transfers_open(void)
{
	struct http_opts o;
	char err[1024];

	if (http_opts_init(&o, "s3-put", err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	/* at most -j requests on the wire; run.slots (one more, hashed
	 * while the others send) waits in the pool for a connection */
	o.jobs = opt.jobs;
	o.timeout = opt.timeout;
	o.idle_timeout = 1;	/* a stall, not a slow big part, times out */
	o.retry = opt.retry;
	o.retry.all = 1;	/* every request is safe to repeat */
	o.body_max = RESP_MAX;
	o.unordered = 1;	/* a slow part does not hold the others */
	o.upload_buffer = MIB;	/* fewer, larger writes: servers read faster */
	o.no_retry_after = 1;	/* S3 sends no Retry-After worth obeying */
	o.on_retry = req_retry;
	o.stop = &nd_stop;	/* no retry after SIGTERM */
	progress_start(&prog);	/* on a terminal only */
	o.progress = &prog;
	if ((run.pool = http_pool_new(&o, err, sizeof(err))) == NULL)
		msg_die(EX_SYSTEM, "%s", err);
}

void
transfers_close(void)
{
	http_pool_free(run.pool);
	run.pool = NULL;
	progress_end(&prog);
}

/* the upload loop: requests, their answers and the input, until done */
int
loop(void)
{
	struct http_xfer *x;
	char err[512];

	for (;;) {
		/* finished records go out before fill() may block on stdin */
		flush_done();
		nd_flush();
		fill();
		if (flush_done() && (run.input_done || run.stopping ||
		    nd_stop))
			break;
		nd_flush();
		/* the pool waits for retries due, the workers wake it */
		if (http_pool_run(run.pool, 1000, input_waitfd(), err,
		    sizeof(err)) < 0)
			msg_die(EX_SYSTEM, "cannot wait for transfers: %s",
			    err);
		while ((x = http_pool_take(run.pool)) != NULL)
			answered(x->user);
		prep_collect();
	}
	nd_flush();
	return run.stopping > nd_status() ? run.stopping : nd_status();
}
