/* s3-put: the upload state machine, from the file opened to its record */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enc.h"
#include "s3-put.h"
#include "sys.h"

struct run run;

/* the uploads in input order: each record is written in its turn */
static struct {
	struct upload *head, *tail;
	size_t n;
} queue;

/* the first failure is the one reported */
void
ufail(struct upload *u, int code, const char *fmt, ...)
{
	char m[2048];
	va_list ap;

	if (u->failed)
		return;
	va_start(ap, fmt);
	vsnprintf(m, sizeof(m), fmt, ap);
	va_end(ap);
	u->failed = 1;
	u->code = code;
	u->errmsg = xstrdup(m);
}

static void
upload_free(struct upload *u)
{
	size_t i;

	json_decref(u->obj);
	free(u->line);
	free(u->file);
	free(u->bucket);
	free(u->key);
	free(u->ctype);
	free(u->s3url);
	aws_s3_loc_free(&u->loc);
	if (u->fd >= 0 && !u->is_stdin)
		close(u->fd);
	free(u->upload_id);
	for (i = 0; i < u->nparts; i++)
		free(u->parts[i].etag);
	free(u->parts);
	free(u->pend);
	free(u->etag);
	free(u->version_id);
	free(u->errmsg);
	free(u);
}

/* the source's name in messages: "stdin:3" or the operand */
void
where(const struct upload *u, char *w, size_t n)
{
	if (opt.opmode)
		snprintf(w, n, "%s", u->file ? u->file : "-");
	else
		snprintf(w, n, "stdin:%ld", u->lineno);
}

/* SSE-KMS: S3's ETags are then not MD5s */
int
kms(void)
{
	return opt.sse != NULL && strcmp(opt.sse, "AES256") != 0;
}

/* the CompleteMultipartUpload body: each part's ETag and checksum */
static void
complete_body(const struct upload *u, struct buf *b)
{
	size_t i;

	buf_adds(b, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com"
	    "/doc/2006-03-01/\">");
	for (i = 0; i < u->nparts; i++) {
		buf_addf(b, "<Part><PartNumber>%zu</PartNumber><ETag>%s"
		    "</ETag>", i + 1, u->parts[i].etag);
		if (u->parts[i].sha64[0] != '\0')
			buf_addf(b, "<ChecksumSHA256>%s</ChecksumSHA256>",
			    u->parts[i].sha64);
		buf_adds(b, "</Part>");
	}
	buf_adds(b, "</CompleteMultipartUpload>");
}

/*
 * The one place an upload's state changes.  Entering U_PUT (body and
 * len: the object, taken), U_CREATE, U_COMPLETE or U_ABORT sends the
 * request of that state.
 */
void
upload_enter(struct upload *u, enum ustate st, char *body, size_t len)
{
	struct buf b = {0};

	u->st = st;
	switch (st) {
	case U_PUT:
		req_new(u, R_PUT, 0, body, len);
		break;
	case U_CREATE:
		req_new(u, R_CREATE, 0, NULL, 0);
		break;
	case U_COMPLETE:
		complete_body(u, &b);
		req_new(u, R_COMPLETE, 0, b.p, b.len);
		break;
	case U_ABORT:
		req_new(u, R_ABORT, 0, NULL, 0);
		break;
	case U_NEW:
	case U_PARTS:
	case U_DONE:
		break;
	}
}

/* the one place the in-flight counts change: u's and the run's */
void
inflight(struct upload *u, int delta)
{
	u->inflight += delta;
	run.active += delta;
}

/* open the file and pick single PUT or multipart */
static void
begin(struct upload *u)
{
	struct stat st;
	char *buf;
	ssize_t n;
	size_t want;

	if (u->is_stdin) {
		u->fd = STDIN_FILENO;
	} else if ((u->fd = open(u->file, O_RDONLY | O_CLOEXEC)) < 0) {
		ufail(u, EX_PARTIAL, "cannot open %s: %s", u->file,
		    strerror(errno));
		upload_enter(u, U_DONE, NULL, 0);
		return;
	}
	if (fstat(u->fd, &st) == 0 && S_ISREG(st.st_mode) && !u->is_stdin) {
		u->size = st.st_size;
	} else if (fstat(u->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ufail(u, EX_PARTIAL, "cannot put %s: it is a directory",
		    u->file);
		upload_enter(u, U_DONE, NULL, 0);
		return;
	} else {
		u->size = -1;
	}
	u->psize = opt.psize;
	if (u->size > 0 && (u->size + (off_t)u->psize - 1) /
	    (off_t)u->psize > PARTS_MAX) {
		/* the fewest whole MiB that fit in 10,000 parts */
		off_t p = (u->size + PARTS_MAX - 1) / PARTS_MAX;

		u->psize = (size_t)((p + MIB - 1) / MIB * MIB);
		if (u->psize > PART_MAX) {
			ufail(u, EX_PARTIAL, "cannot put %s: %s is too big",
			    u->s3url, u->file);
			upload_enter(u, U_DONE, NULL, 0);
			return;
		}
	}
	if (u->size >= 0 && (size_t)u->size <= opt.threshold) {
		/* a known size within the threshold: one PUT */
		want = (size_t)u->size;
	} else if (u->size >= 0) {
		upload_enter(u, U_CREATE, NULL, 0);
		return;
	} else {
		/* a stream: if it ends within a part, one PUT will do */
		want = u->psize > opt.threshold ? u->psize : opt.threshold;
	}
	buf = xmalloc(want + 1);
	n = sys_read_full(u->fd, buf, u->size >= 0 ? want : want + 1);
	if (n < 0) {
		ufail(u, EX_PARTIAL, "cannot read %s: %s", u->file,
		    strerror(errno));
		free(buf);
		upload_enter(u, U_DONE, NULL, 0);
		return;
	}
	if (u->size >= 0 || (size_t)n <= want) {
		if (u->size >= 0 && n != u->size) {
			ufail(u, EX_PARTIAL, "cannot put %s: %s changed size "
			    "while read", u->s3url, u->file);
			free(buf);
			upload_enter(u, U_DONE, NULL, 0);
			return;
		}
		u->bytes = (uint64_t)n;
		u->eof = 1;
		upload_enter(u, U_PUT, buf, (size_t)n);
		return;
	}
	/*
	 * More than fits: multipart.  What was read becomes the first
	 * part(s); anything beyond one part size is pushed to a second
	 * pending chunk by re-reading into part-sized pieces.
	 */
	if ((size_t)n > u->psize) {
		/* threshold above part size: keep it simple, use it all */
		u->psize = (size_t)n < PART_MAX ? (size_t)n : PART_MAX;
	}
	u->pend = buf;
	u->pendlen = (size_t)n;
	upload_enter(u, U_CREATE, NULL, 0);
}

/* after a part failed or everything is sent: abort or finish */
void
step(struct upload *u)
{
	if (u->st == U_PARTS) {
		if (u->failed) {
			if (u->inflight == 0)
				upload_enter(u, U_ABORT, NULL, 0);
			return;
		}
		if (u->eof && u->inflight == 0 && u->ndone == u->nparts)
			upload_enter(u, U_COMPLETE, NULL, 0);
	}
}

/* may u start one more request now? */
static int
can_issue(const struct upload *u)
{
	if (u->st == U_NEW)
		return 1;
	return u->st == U_PARTS && !u->failed && !u->eof;
}

/* -n: the requests u would make, nothing read or sent */
static json_t *
describe(struct upload *u)
{
	struct sigv4_kv h[64];
	json_t *a = json_array(), *r, *hd;
	struct stat st;
	size_t n, i;
	int multi_ = 1;
	long long parts = -1;
	struct buf url = {0};

	if (!u->is_stdin && stat(u->file, &st) == 0) {
		u->size = st.st_size;
		multi_ = (size_t)st.st_size > opt.threshold;
		parts = (st.st_size + (off_t)opt.psize - 1) / (off_t)opt.psize;
	}
	n = opt.nmeta + 8 > 64 ? 0 : object_headers(u, h);
	hd = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(hd, h[i].name, json_string(h[i].value));
	if (opt.inm && !multi_)
		json_object_set_new(hd, "If-None-Match", json_string("*"));
	if (!multi_) {
		r = json_pack("{s:s, s:s, s:o, s:I}", "method", "PUT", "url",
		    u->loc.url, "headers", hd, "bytes", (json_int_t)u->size);
		json_array_append_new(a, r);
		return a;
	}
	buf_addf(&url, "%s?uploads", u->loc.url);
	json_array_append_new(a, json_pack("{s:s, s:s, s:o}", "method",
	    "POST", "url", url.p, "headers", hd));
	buf_reset(&url);
	buf_addf(&url, "%s?partNumber=N&uploadId=ID", u->loc.url);
	r = json_pack("{s:s, s:s, s:I}", "method", "PUT", "url", url.p,
	    "part_size", (json_int_t)opt.psize);
	if (parts >= 0)
		json_object_set_new(r, "parts", json_integer(parts));
	json_array_append_new(a, r);
	buf_reset(&url);
	buf_addf(&url, "%s?uploadId=ID", u->loc.url);
	json_array_append_new(a, json_pack("{s:s, s:s}", "method", "POST",
	    "url", url.p));
	buf_free(&url);
	return a;
}

/* ---- the queue, in input order ---- */

void
enqueue(struct upload *u)
{
	if (queue.tail)
		queue.tail->next = u;
	else
		queue.head = u;
	queue.tail = u;
	queue.n++;
}

struct upload *
upload_new(void)
{
	struct upload *u = xcalloc(1, sizeof(*u));

	u->fd = -1;
	u->size = -1;
	return u;
}

static void
unquote(char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		memmove(s, s + 1, n - 2);
		s[n - 2] = '\0';
	}
}

/* a version ID; "null" (an unversioned bucket) is none */
static char *
version(const char *v)
{
	if (v == NULL || *v == '\0' || strcmp(v, "null") == 0)
		return NULL;
	return xstrdup(v);
}

/* write u's record, or report it failed */
static void
emit(struct upload *u)
{
	json_t *out, *s3;
	char w[512];

	if (u->failed) {
		if (opt.opmode) {
			msg_err("%s", u->errmsg);
			nd_set_status(EX_PARTIAL);
		} else {
			struct nd_rec r = {0};

			r.obj = u->obj;
			r.line = u->line;
			r.len = u->len;
			r.src = "stdin";
			r.lineno = u->lineno;
			nd_fail(&r, "%s", u->errmsg);
		}
		if (u->code > EX_PARTIAL)
			nd_set_status(u->code);
		if (u->code == EX_REMOTE || u->code == EX_DATA ||
		    (opt.eflag && !run.stopping)) {
			if (!run.stopping)
				run.stopping = u->code > EX_PARTIAL ? u->code :
				    EX_DATA;
		}
		return;
	}
	out = opt.opmode ? json_pack("{s:s}", "file", u->file) :
	    json_incref(u->obj);
	if (opt.nflag) {
		json_object_set_new(out, "requests", describe(u));
		nd_write(out);
		json_decref(out);
		return;
	}
	s3 = json_pack("{s:s, s:s, s:s, s:I, s:s?, s:s}", "bucket", u->bucket,
	    "key", u->key, "etag", u->etag ? u->etag : "", "bytes",
	    (json_int_t)u->bytes, "version_id", u->version_id, "url",
	    u->s3url);
	if (s3 == NULL) {
		/* a key that is not UTF-8 cannot go in JSON */
		where(u, w, sizeof(w));
		msg_err("%s: cannot write the record of %s: not UTF-8", w,
		    u->s3url);
		nd_set_status(EX_PARTIAL);
		json_decref(out);
		return;
	}
	if (!json_is_object(s3) || json_object_set_new(out, "s3", s3) < 0) {
		json_decref(out);
		return;
	}
	nd_write(out);
	json_decref(out);
	if (opt.delete && !u->is_stdin && unlink(u->file) < 0) {
		where(u, w, sizeof(w));
		msg_err("%s: cannot delete %s: %s", w, u->file,
		    strerror(errno));
		nd_set_status(EX_PARTIAL);
	}
}

/* ---- the loop's steps ---- */

/* u's next request: its first (or none, when stopping), or a part */
static void
issue(struct upload *u)
{
	if (u->st != U_NEW) {
		next_part(u);
	} else if (run.stopping || nd_stop) {
		ufail(u, run.stopping ? run.stopping : EX_PARTIAL,
		    "cannot put %s: not sent: stopping", u->s3url);
		upload_enter(u, U_DONE, NULL, 0);
	} else if (opt.nflag) {
		upload_enter(u, U_DONE, NULL, 0);
	} else {
		begin(u);
	}
}

/* start what the slots allow, reading more input while there is room */
void
fill(void)
{
	struct upload *u;
	size_t window = (size_t)opt.jobs * 2 + 2;

	for (;;) {
		for (u = queue.head; u != NULL && run.active < run.slots;
		    u = u->next) {
			while (run.active < run.slots && can_issue(u)) {
				issue(u);
				step(u);
			}
			step(u);
		}
		if (run.input_done || run.stopping || nd_stop ||
		    run.active >= run.slots || queue.n >= window)
			return;
		if (!read_input())
			return;
	}
}

/* the finished uploads at the head of the queue: their records, in order;
 * whether the queue is then empty */
int
flush_done(void)
{
	struct upload *u;

	while ((u = queue.head) != NULL && u->st == U_DONE) {
		queue.head = u->next;
		if (queue.head == NULL)
			queue.tail = NULL;
		queue.n--;
		emit(u);
		upload_free(u);
	}
	return queue.head == NULL;
}

/* ---- answers ---- */

/* a PutObject went through: its ETag must be the MD5 sent */
static void
put_done(struct upload *u, const struct req *q)
{
	const char *etag = http_xfer_header(q->x, "ETag");
	char hex[33];

	enc_hex(hex, u->md5, 16);
	u->etag = xstrdup(etag ? etag : "");
	unquote(u->etag);
	u->version_id = version(http_xfer_header(q->x, "x-amz-version-id"));
	if (!kms() && strcasecmp(u->etag, hex) != 0)
		ufail(u, EX_TEMPFAIL, "cannot put %s: ETag "
		    "%s is not the MD5 of what was sent (%s)",
		    u->s3url, u->etag, hex);
}

/* an UploadPart went through: check and keep its ETag and checksum */
static void
part_done(struct upload *u, const struct req *q)
{
	struct part *p = &u->parts[q->partno - 1];
	const char *etag = http_xfer_header(q->x, "ETag");
	const char *sum = http_xfer_header(q->x, "x-amz-checksum-sha256");
	char hex[33], *t;

	t = xstrdup(etag ? etag : "");
	unquote(t);
	enc_hex(hex, p->md5, 16);
	if (!kms() && strcasecmp(t, hex) != 0)
		ufail(u, EX_TEMPFAIL, "cannot put %s: part %d "
		    "ETag %s is not the MD5 sent (%s)",
		    u->s3url, q->partno, t, hex);
	free(t);
	p->etag = xstrdup(etag ? etag : "");
	/* S3 checked the part's checksum and says so; the
	 * complete must then list it (servers that do not
	 * echo it, emulators, get the plain list) */
	if (opt.checksum && sum != NULL && strcmp(sum, q->sha64) != 0)
		ufail(u, EX_TEMPFAIL, "cannot put %s: part %d "
		    "SHA-256 %s is not the one sent (%s)",
		    u->s3url, q->partno, sum, q->sha64);
	snprintf(p->sha64, sizeof(p->sha64), "%s",
	    sum != NULL ? sum : "");
	p->done = 1;
	u->ndone++;
}

/* a CompleteMultipartUpload went through: the ETag of the parts sent */
static void
complete_done(struct upload *u, const struct req *q)
{
	const char *etag = http_xfer_header(q->x, "ETag");
	char want[64], *t;
	unsigned char *md5s;
	size_t i;

	t = aws_xml_text(q->x->resp.p, q->x->resp.len, "ETag");
	u->etag = t ? t : xstrdup(etag ? etag : "");
	unquote(u->etag);
	u->version_id = version(http_xfer_header(q->x, "x-amz-version-id"));
	md5s = xmalloc(16 * u->nparts);
	for (i = 0; i < u->nparts; i++)
		memcpy(md5s + 16 * i, u->parts[i].md5, 16);
	aws_s3_etag_multipart(md5s, u->nparts, want,
	    sizeof(want));
	free(md5s);
	if (!kms() && strcasecmp(u->etag, want) != 0)
		ufail(u, EX_TEMPFAIL, "cannot put %s: ETag "
		    "%s is not the one of the parts sent (%s)",
		    u->s3url, u->etag, want);
}

/*
 * q's answer, final (no retry) and already uncounted: ok, or refused
 * with exit code code and reason why.  Moves q's upload on.
 */
void
upload_answer(struct req *q, int ok, int code, const char *why)
{
	struct upload *u = q->u;

	if (!ok) {
		if (q->kind == R_ABORT) {
			msg_warn("cannot abort the upload of %s (upload ID %s):"
			    " %s", u->s3url, u->upload_id, why);
			upload_enter(u, U_DONE, NULL, 0);
		} else {
			ufail(u, code, "cannot put %s: %s", u->s3url, why);
		}
	}
	switch (q->kind) {
	case R_PUT:
		if (ok)
			put_done(u, q);
		upload_enter(u, U_DONE, NULL, 0);
		break;
	case R_CREATE:
		if (ok) {
			u->upload_id = aws_xml_text(q->x->resp.p,
			    q->x->resp.len, "UploadId");
			if (u->upload_id == NULL)
				ufail(u, EX_TEMPFAIL, "cannot put %s: no "
				    "UploadId in the answer", u->s3url);
		}
		upload_enter(u, u->failed ? U_DONE : U_PARTS, NULL, 0);
		break;
	case R_PART:
		if (ok)
			part_done(u, q);
		step(u);
		break;
	case R_COMPLETE:
		if (ok) {
			complete_done(u, q);
			upload_enter(u, U_DONE, NULL, 0);
		} else {
			/* the upload may still be there: abort it */
			upload_enter(u, U_ABORT, NULL, 0);
		}
		break;
	case R_ABORT:
		upload_enter(u, U_DONE, NULL, 0);
		break;
	}
}
