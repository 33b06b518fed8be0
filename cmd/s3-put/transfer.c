/* s3-put: the requests: signing, the curl multi handle, retries */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "awsauth.h"
#include "sys.h"
#include "s3-put.h"

static struct req *waiting;		/* requests waiting to be retried */

static const char *kind_name[] = {
	"PutObject", "CreateMultipartUpload", "UploadPart",
	"CompleteMultipartUpload", "AbortMultipartUpload"
};

void
req_free(struct req *q)
{
	if (q->e != NULL) {
		curl_multi_remove_handle(run.multi, q->e);
		curl_easy_cleanup(q->e);
	}
	curl_slist_free_all(q->hl);
	buf_free(&q->resp);
	if (q->pooled && q->body != NULL)
		pool_put(q->body);
	else
		free(q->body);
	free(q->etag);
	free(q->vid);
	free(q->sum);
	free(q);
}

static size_t
header_cb(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	size_t len = size * n, l = len, k;
	char **dst = NULL;

	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		/* a new response (after 100 Continue): forget the last */
		free(q->etag);
		free(q->vid);
		free(q->sum);
		q->etag = q->vid = q->sum = NULL;
		q->date[0] = '\0';
		return len;
	}
	if (len > 5 && strncasecmp(p, "Date:", 5) == 0) {
		for (k = 5; k < len && (p[k] == ' ' || p[k] == '\t'); k++)
			;
		snprintf(q->date, sizeof(q->date), "%.*s", (int)(len - k),
		    p + k);
		q->date[strcspn(q->date, "\r\n")] = '\0';
		return len;
	}
	if (len > 5 && strncasecmp(p, "ETag:", 5) == 0)
		dst = &q->etag, k = 5;
	else if (len > 17 && strncasecmp(p, "x-amz-version-id:", 17) == 0)
		dst = &q->vid, k = 17;
	else if (len > 22 && strncasecmp(p, "x-amz-checksum-sha256:", 22) == 0)
		dst = &q->sum, k = 22;
	else
		return len;
	while (l > k && (p[l - 1] == '\r' || p[l - 1] == '\n' ||
	    p[l - 1] == ' '))
		l--;
	while (k < l && (p[k] == ' ' || p[k] == '\t'))
		k++;
	free(*dst);
	*dst = xstrndup(p + k, l - k);
	return len;
}

static size_t
write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	size_t len = size * n;

	if (q->resp.len < RESP_MAX)
		buf_add(&q->resp, p, len < RESP_MAX - q->resp.len ? len :
		    RESP_MAX - q->resp.len);
	return len;
}

static size_t
read_cb(char *p, size_t size, size_t n, void *arg)
{
	struct req *q = arg;
	size_t len = size * n;

	if (len > q->len - q->off)
		len = q->len - q->off;
	memcpy(p, q->body + q->off, len);
	q->off += len;
	return len;
}

static int
seek_cb(void *arg, curl_off_t off, int origin)
{
	struct req *q = arg;

	if (origin != SEEK_SET || off < 0 || (size_t)off > q->len)
		return CURL_SEEKFUNC_FAIL;
	q->off = (size_t)off;
	return CURL_SEEKFUNC_OK;
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

/* sign q: its URL in o, its header list in q->hl */
static int
req_sign(struct req *q, struct sigv4_out *o, char *err, size_t errlen)
{
	struct upload *u = q->u;
	struct sigv4_kv *h, qs[2];
	struct sigv4_req r = {0};
	char pn[16], aerr[512];
	size_t nh, nq, i;

	if (opt.s3.creds.expires != 0 &&
	    aws_creds_refresh(&opt.s3.creds, time(NULL), aerr,
	    sizeof(aerr)) < 0)
		msg_warn("cannot refresh credentials: %s", aerr);
	h = xcalloc(opt.nmeta + 10, sizeof(*h));
	req_fields(q, h, &nh, qs, &nq, pn);
	r.method = q->kind == R_PUT || q->kind == R_PART ? "PUT" :
	    q->kind == R_ABORT ? "DELETE" : "POST";
	r.scheme = opt.s3.scheme;
	r.host = u->loc.host;
	r.path = u->loc.path;
	r.query = qs;
	r.nquery = nq;
	r.headers = h;
	r.nheaders = nh;
	r.payload_hash = q->sha[0] ? q->sha : SIGV4_EMPTY_SHA256;
	if (awsauth_sign(&opt.s3.creds, opt.s3.region, "s3", SIGV4_S3, &r, o,
	    err, errlen) < 0) {
		free(h);
		return -1;
	}
	curl_slist_free_all(q->hl);
	q->hl = NULL;
	for (i = 0; i < nh; i++) {
		struct buf b = {0};

		buf_addf(&b, "%s: %s", h[i].name, h[i].value);
		q->hl = curl_slist_append(q->hl, b.p);
		buf_free(&b);
	}
	for (i = 0; o->headers[i] != NULL; i++)
		q->hl = curl_slist_append(q->hl, o->headers[i]);
	/* no 100-continue round trip; no form type on POST */
	q->hl = curl_slist_append(q->hl, "Expect:");
	if (q->kind == R_PART)
		q->hl = curl_slist_append(q->hl, "Content-Type:");
	free(h);
	if (q->hl == NULL)
		msg_die(EX_SYSTEM, "out of memory");
	return 0;
}

/* sign q and put it on the multi handle */
int
req_start(struct req *q, char *err, size_t errlen)
{
	struct sigv4_out o = {0};
	CURL *e;

	if (req_sign(q, &o, err, errlen) < 0)
		return -1;
	if ((e = curl_easy_init()) == NULL)
		msg_die(EX_SYSTEM, "cannot start a transfer");
	q->e = e;
	q->off = 0;
	q->errbuf[0] = '\0';
	q->status = 0;
	buf_reset(&q->resp);
	curl_easy_setopt(e, CURLOPT_URL, o.url.p);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->hl);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, opt.timeout);
	/* a stall, not a slow big part, is what times out */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, opt.timeout);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "s3-put/" HOOKPIPE_VERSION
	    " (hookpipe)");
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, q);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	switch (q->kind) {
	case R_PUT:
	case R_PART:
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
		curl_easy_setopt(e, CURLOPT_READDATA, q);
		curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, seek_cb);
		curl_easy_setopt(e, CURLOPT_SEEKDATA, q);
		/* fewer, larger writes: the servers read faster */
		curl_easy_setopt(e, CURLOPT_UPLOAD_BUFFERSIZE, 1048576L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)q->len);
		break;
	case R_CREATE:
	case R_COMPLETE:
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)q->len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body ? q->body : "");
		break;
	case R_ABORT:
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
		break;
	}
	sigv4_out_free(&o);
	if (curl_multi_add_handle(run.multi, e) != CURLM_OK)
		msg_die(EX_SYSTEM, "cannot start a transfer");
	return 0;
}

/*
 * A new request for u; body (malloc'd, len bytes) is taken.  With
 * fd >= 0 the body is still to be read from fd at off (a part of a
 * regular file; last: the part that ends it).  Big bodies go to the
 * workers and are started when they come back (prep_finish).
 */
int
req_new_at(struct upload *u, enum rkind kind, int partno, char *body,
    size_t len, int pooled, int fd, off_t off, int last)
{
	struct req *q = xcalloc(1, sizeof(*q));
	char err[512];

	q->u = u;
	q->kind = kind;
	q->partno = partno;
	q->body = body;
	q->len = len;
	q->pooled = pooled;
	q->rfd = fd;
	q->roff = off;
	q->rlast = last;
	if ((kind == R_PUT || kind == R_PART) && (fd >= 0 ||
	    len >= PREP_MIN)) {
		inflight(u, 1);
		prep_submit(q);
		return 0;
	}
	if (kind == R_PUT)
		hash_body(q, u->md5);
	else if (kind == R_PART)
		hash_body(q, u->parts[partno - 1].md5);
	else if (len > 0)
		sigv4_sha256_hex(body, len, q->sha);
	inflight(u, 1);
	if (req_start(q, err, sizeof(err)) < 0) {
		ufail(u, EX_SYSTEM, "cannot sign the request: %s", err);
		inflight(u, -1);
		req_free(q);
		return -1;
	}
	return 0;
}

int
req_new(struct upload *u, enum rkind kind, int partno, char *body,
    size_t len)
{
	return req_new_at(u, kind, partno, body, len, 0, -1, 0, 0);
}

/* S3's error as "403 SignatureDoesNotMatch: message" */
static void
describe_error(const struct req *q, char *out, size_t n)
{
	char *code = NULL, *message = NULL;

	if (q->status == 0) {
		snprintf(out, n, "%s", q->errbuf[0] ? q->errbuf :
		    "transfer failed");
		return;
	}
	if (aws_xml_error(q->resp.p ? q->resp.p : "", q->resp.len, &code,
	    &message) == 1)
		snprintf(out, n, "%ld %s%s%s", q->status, code ? code :
		    "Error", message ? ": " : "", message ? message : "");
	else
		snprintf(out, n, "HTTP %ld", q->status);
	free(code);
	free(message);
}

/* whether S3's error says "try again": a transient or throttling code,
 * or a clock the answer's Date shows is off (signed again at retry) */
static int
temp_code(const struct req *q)
{
	char *code = NULL, *message = NULL;
	int t = 0;

	if (aws_xml_error(q->resp.p ? q->resp.p : "", q->resp.len, &code,
	    &message) == 1 && code != NULL)
		t = awsauth_temp_code(code) || awsauth_skewed(code,
		    q->date[0] ? q->date : NULL);
	free(code);
	free(message);
	return t;
}

static void
retry_later(struct req *q, const char *why)
{
	long wait;
	char w[512];

	/* S3 sends no Retry-After worth obeying: the backoff alone */
	wait = http_retry_wait(&opt.retry, q->attempt + 1, -1);
	where(q->u, w, sizeof(w));
	q->attempt++;
	if (q->kind == R_PART)
		msg_warn("%s: %s on part %d of %s, retry %d of %d", w, why,
		    q->partno, q->u->s3url, q->attempt, opt.retry.retries);
	else
		msg_warn("%s: %s on %s of %s, retry %d of %d", w, why,
		    kind_name[q->kind], q->u->s3url, q->attempt,
		    opt.retry.retries);
	curl_multi_remove_handle(run.multi, q->e);
	curl_easy_cleanup(q->e);
	q->e = NULL;
	q->due = sys_now_ms() + wait;
	q->next = waiting;
	waiting = q;
}

/* a request ended: retry, or move its upload on */
static void
finished(struct req *q, CURLcode rc)
{
	struct upload *u = q->u;
	char why[1024];
	long st = 0;
	int ok, temp, code;
	char *ecode = NULL, *emsg = NULL;

	curl_easy_getinfo(q->e, CURLINFO_RESPONSE_CODE, &st);
	q->status = rc == CURLE_OK ? st : 0;
	if (rc != CURLE_OK && q->errbuf[0] == '\0')
		snprintf(q->errbuf, sizeof(q->errbuf), "%s",
		    curl_easy_strerror(rc));
	ok = q->status >= 200 && q->status < 300;
	if (ok && q->kind == R_COMPLETE && aws_xml_error(q->resp.p ?
	    q->resp.p : "", q->resp.len, &ecode, &emsg) == 1) {
		/* S3 said 200, then an error in the body */
		ok = 0;
		q->status = 200;
	}
	free(ecode);
	free(emsg);
	/* every S3 request of s3-put is safe to repeat (a repeated
	 * CreateMultipartUpload leaves an upload --abort-stale finds) */
	temp = http_retry_temp(&opt.retry, rc, q->status, 1) ||
	    temp_code(q);
	if (!ok && temp && q->attempt < opt.retry.retries && !nd_stop) {
		describe_error(q, why, sizeof(why));
		retry_later(q, why);
		return;
	}
	inflight(u, -1);
	code = EX_OK;
	why[0] = '\0';
	if (!ok) {
		describe_error(q, why, sizeof(why));
		code = temp ? EX_TEMPFAIL : (q->status == 401 ||
		    q->status == 403) ? EX_REMOTE : EX_PARTIAL;
	}
	upload_answer(q, ok, code, why);
	req_free(q);
}

/* start the retries that are due */
static void
run_due(void)
{
	struct req **pp = &waiting, *q;
	int64_t t = sys_now_ms();
	char err[512];

	while ((q = *pp) != NULL) {
		if (q->due > t) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		q->next = NULL;
		if (req_start(q, err, sizeof(err)) < 0) {
			inflight(q->u, -1);
			ufail(q->u, EX_SYSTEM, "cannot sign: %s", err);
			step(q->u);
			req_free(q);
		}
	}
}

/* the upload loop: requests, their answers and the input, until done */
int
loop(void)
{
	struct curl_waitfd wfd;
	struct req *q;
	CURLMsg *m;
	int running, left, ms, nfd, fd;
	int64_t t;

	for (;;) {
		/* finished records go out before fill() may block on stdin */
		flush_done();
		nd_flush();
		fill();
		if (flush_done() && (run.input_done || run.stopping ||
		    nd_stop))
			break;
		ms = 1000;
		t = sys_now_ms();
		for (q = waiting; q != NULL; q = q->next)
			if (q->due - t < ms)
				ms = q->due - t < 0 ? 0 : (int)(q->due - t);
		nfd = 0;
		if ((fd = input_waitfd()) >= 0) {
			wfd.fd = fd;
			wfd.events = CURL_WAIT_POLLIN;
			wfd.revents = 0;
			nfd = 1;
		}
		nd_flush();
		if (curl_multi_poll(run.multi, nfd ? &wfd : NULL, (unsigned)nfd,
		    ms, NULL) != CURLM_OK)
			msg_die(EX_SYSTEM, "cannot wait for transfers");
		curl_multi_perform(run.multi, &running);
		while ((m = curl_multi_info_read(run.multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
			    (char **)&q);
			finished(q, m->data.result);
		}
		prep_collect();
		run_due();
	}
	nd_flush();
	return run.stopping > nd_status() ? run.stopping : nd_status();
}
