/* s3-put: upload files to S3, one output record per file */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws.h"
#include "awsauth.h"
#include "msg.h"
#include "nd.h"
#include "s3mpu.h"
#include "sigv4.h"
#include "tmpl.h"
#include "xmem.h"

static const char usage[] =
    "usage: s3-put [-ehnqV] -b bucket [-k key] [-f file] [-j jobs] "
    "[-t seconds] [--content-type type] [--cache-control value] "
    "[--metadata k=v]... [--storage-class class] [--sse AES256|aws:kms] "
    "[--sse-kms-key-id id] [--if-none-match] [--no-checksum] "
    "[--part-size bytes] "
    "[--multipart-threshold bytes] [--retries n] [--delete-source] "
    "[--endpoint url] [--errors file] [--max-line bytes] [file ...]\n"
    "       s3-put [-n] -b bucket [-k prefix] "
    "--list-uploads | --abort-stale age";

#define MIB		(1024 * 1024)
#define PART_MIN	((size_t)5 * MIB)
#define PART_MAX	((size_t)5 * 1024 * MIB)
#define PARTS_MAX	10000
#define RESP_MAX	(1024 * 1024)
#define PREP_MIN	((size_t)256 * 1024)	/* less: hashed inline */
#define PREP_CHUNK	((size_t)1024 * 1024)	/* read, hash by this */
#define WORKERS_MAX	8

/* ---- options and settings ---- */

static const char *o_bucket, *o_key, *o_file = "{fetch.path}";
static const char *o_ctype, *o_cache, *o_class, *o_sse, *o_kms, *o_endpoint;
static int o_inm, o_delete, nflag, eflag;
static int o_checksum = 1;	/* SHA-256 checksums S3 checks and keeps */
static size_t o_psize = 8 * MIB, o_threshold = 8 * MIB;
static int jobs = 4, retries = 4;
static long timeout = 30;
static long backoff_ms = 500, backoff_max_ms = 20000;
static char **meta_names, **meta_values;
static size_t nmeta;

static struct tmpl *t_bucket, *t_key, *t_file;
static int opmode;			/* file operands given */
static char **operands;
static int noperands, next_operand;

static struct aws_creds creds;
static char *region, *endpoint;
static int style = AWS_S3_AUTO;
static const char *scheme = "https";

static CURLM *multi;
static int active;			/* requests in flight or waiting */
static int slots;			/* most requests at once: jobs + 1 */
static int stopping;			/* exit code that ended the input */
static int input_done;
static struct nd_reader rd;

/* ---- uploads and requests ---- */

enum ustate { U_NEW, U_PUT, U_CREATE, U_PARTS, U_COMPLETE, U_ABORT, U_DONE };
enum rkind { R_PUT, R_CREATE, R_PART, R_COMPLETE, R_ABORT };
static const char *kind_name[] = {
	"PutObject", "CreateMultipartUpload", "UploadPart",
	"CompleteMultipartUpload", "AbortMultipartUpload"
};

struct part {
	unsigned char md5[16];
	char sha64[48];			/* its SHA-256 as S3 echoed it, or "" */
	char *etag;			/* as S3 sent it, quotes included */
	int done;
};

/* one file to upload: a record or an operand */
struct upload {
	struct upload *next;
	json_t *obj;			/* the record (record mode) */
	char *line;
	size_t len;
	long lineno;
	char *file, *bucket, *key, *ctype, *s3url;
	struct aws_s3_loc loc;
	int fd;
	int is_stdin;
	off_t size;			/* -1: unknown (a stream) */
	size_t psize;
	enum ustate st;
	char *upload_id;
	struct part *parts;
	size_t nparts, cap, ndone;
	int inflight;
	int eof;
	uint64_t bytes;
	char *pend;			/* first chunk of a stream */
	size_t pendlen;
	unsigned char md5[16];		/* single PUT */
	char *etag, *version_id;
	int failed;
	int code;			/* exit status the failure calls for */
	char *errmsg;
};

struct req {
	struct req *next;		/* in the retry list */
	struct upload *u;
	enum rkind kind;
	int partno;
	char *body;
	size_t len, off;
	char sha[65];
	unsigned char sha256[32];	/* the same, raw */
	char md5b64[32];
	char sha64[48];			/* x-amz-checksum-sha256 */
	char *sum;			/* the one the answer echoed */
	CURL *e;
	struct curl_slist *hl;
	char errbuf[CURL_ERROR_SIZE];
	struct buf resp;
	char *etag, *vid;
	char date[64];			/* the answer's Date (clock skew) */
	long status;
	int attempt;
	int64_t due;
	struct req *pnext;		/* in a preparation queue */
	int rfd;			/* >= 0: pread the body from here */
	off_t roff;
	int rlast;			/* last part: the file must end */
	int perr;			/* 0, errno, or a PERR_ */
	unsigned char md5[16];		/* set by the worker */
	int pooled;			/* body came from the buffer pool */
};

#define PERR_SIZE	(-1)		/* the file changed size */
#define PERR_HASH	(-2)		/* the digests would not start */

static struct upload *head, *tail;
static size_t nuploads;
static struct req *waiting;		/* requests waiting to be retried */

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "8M", "5MiB", "1048576" to bytes; -1 when bad */
static long long
parse_size(const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || v < 0)
		return -1;
	if (*end == 'k' || *end == 'K')
		v *= 1024, end++;
	else if (*end == 'm' || *end == 'M')
		v *= MIB, end++;
	else if (*end == 'g' || *end == 'G')
		v *= 1024LL * MIB, end++;
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	return *end == '\0' ? v : -1;
}

static long
parse_num(const char *s, long lo, long hi, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		msg_err("bad %s '%s': %ld to %ld", what, s, lo, hi);
		msg_usage(usage);
	}
	return v;
}

/* a Content-Type from the file name, like the AWS CLI's guess */
static const char *
guess_type(const char *name)
{
	static const char *const types[][2] = {
		{"txt", "text/plain"}, {"log", "text/plain"},
		{"html", "text/html"}, {"htm", "text/html"},
		{"css", "text/css"}, {"csv", "text/csv"},
		{"md", "text/markdown"}, {"js", "text/javascript"},
		{"json", "application/json"}, {"xml", "application/xml"},
		{"ndjson", "application/x-ndjson"},
		{"jsonl", "application/x-ndjson"},
		{"yaml", "application/yaml"}, {"yml", "application/yaml"},
		{"pdf", "application/pdf"}, {"zip", "application/zip"},
		{"gz", "application/gzip"}, {"tgz", "application/gzip"},
		{"tar", "application/x-tar"}, {"bz2", "application/x-bzip2"},
		{"xz", "application/x-xz"}, {"zst", "application/zstd"},
		{"wasm", "application/wasm"}, {"png", "image/png"},
		{"jpg", "image/jpeg"}, {"jpeg", "image/jpeg"},
		{"gif", "image/gif"}, {"svg", "image/svg+xml"},
		{"webp", "image/webp"}, {"ico", "image/vnd.microsoft.icon"},
		{"mp3", "audio/mpeg"}, {"wav", "audio/wav"},
		{"mp4", "video/mp4"}, {"webm", "video/webm"},
		{"parquet", "application/vnd.apache.parquet"},
	};
	const char *dot, *slash;
	size_t i;

	slash = strrchr(name, '/');
	dot = strrchr(slash ? slash : name, '.');
	if (dot != NULL)
		for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
			if (strcasecmp(dot + 1, types[i][0]) == 0)
				return types[i][1];
	return "application/octet-stream";
}

static const char *
base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* ---- the upload's life ---- */

static void
ufail(struct upload *u, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* the first failure is the one reported */
static void
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

/*
 * Part buffers are kept for the next part: a fresh 8 MiB buffer costs
 * 2,048 page faults, and the pool never holds more than the slots use.
 */
static char **pool;
static size_t npool;

static char *
pool_get(size_t n, int *pooled)
{
	*pooled = n == o_psize && npool > 0;
	if (*pooled)
		return pool[--npool];
	*pooled = n == o_psize;
	return xmalloc(n);
}

static void
pool_put(char *p)
{
	if (npool < (size_t)slots) {
		pool[npool++] = p;
		return;
	}
	free(p);
}

static void
req_free(struct req *q)
{
	if (q->e != NULL) {
		curl_multi_remove_handle(multi, q->e);
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

/* read up to n bytes (a stream may give less per read); -1 on error */
static ssize_t
read_full(int fd, char *p, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(fd, p + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
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

/*
 * Preparing a big body (reading a part, SHA-256 and MD5 of it) takes
 * tens of milliseconds; on the loop thread it would stall every other
 * transfer.  Workers do it: the loop queues a request, a worker reads
 * it with pread(2) a chunk at a time, hashing each chunk while it is
 * still in the cache, and hands it back through prep_done and
 * curl_multi_wakeup().  Workers touch only the request's own fields.
 */
static pthread_mutex_t prep_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t prep_cv = PTHREAD_COND_INITIALIZER;
static struct req *prep_head, *prep_tail, *prep_done;
static int prep_quit, nworkers;
static pthread_t workers[WORKERS_MAX];

static void
prep_body(struct req *q)
{
	struct sigv4_hash h;
	char err[256], c;
	size_t off = 0, n;
	ssize_t r;

	if (sigv4_hash_init(&h, SIGV4_SHA256 | SIGV4_MD5, err,
	    sizeof(err)) < 0) {
		q->perr = PERR_HASH;
		return;
	}
	while (off < q->len) {
		n = q->len - off < PREP_CHUNK ? q->len - off : PREP_CHUNK;
		if (q->rfd >= 0) {
			r = pread(q->rfd, q->body + off, n,
			    q->roff + (off_t)off);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				q->perr = r < 0 ? errno : PERR_SIZE;
				break;
			}
			n = (size_t)r;
		}
		sigv4_hash_update(&h, q->body + off, n);
		off += n;
	}
	/* the last part must be the end of the file */
	if (q->perr == 0 && q->rfd >= 0 && q->rlast &&
	    pread(q->rfd, &c, 1, q->roff + (off_t)q->len) > 0)
		q->perr = PERR_SIZE;
	if (q->perr != 0) {
		sigv4_hash_free(&h);
		return;
	}
	sigv4_hash_final(&h);
	memcpy(q->sha, h.sha256_hex, sizeof(q->sha));
	memcpy(q->sha256, h.sha256_sum, sizeof(q->sha256));
	memcpy(q->md5, h.md5_sum, sizeof(q->md5));
}

static void *
worker(void *arg)
{
	struct req *q;

	(void)arg;
	pthread_mutex_lock(&prep_mu);
	for (;;) {
		while (prep_head == NULL && !prep_quit)
			pthread_cond_wait(&prep_cv, &prep_mu);
		if (prep_head == NULL)
			break;
		q = prep_head;
		if ((prep_head = q->pnext) == NULL)
			prep_tail = NULL;
		pthread_mutex_unlock(&prep_mu);
		prep_body(q);
		pthread_mutex_lock(&prep_mu);
		q->pnext = prep_done;
		prep_done = q;
		curl_multi_wakeup(multi);
	}
	pthread_mutex_unlock(&prep_mu);
	return NULL;
}

/* queue q for a worker; the first call starts them */
static void
prep_submit(struct req *q)
{
	long ncpu;
	int want;

	if (nworkers == 0) {
		/* one per core, and no more than can be used at once */
		ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		want = ncpu < 1 ? 1 : ncpu > WORKERS_MAX ? WORKERS_MAX :
		    (int)ncpu;
		if (want > slots)
			want = slots;
		while (nworkers < want && pthread_create(&workers[nworkers],
		    NULL, worker, NULL) == 0)
			nworkers++;
		if (nworkers == 0)
			msg_die(EX_SYSTEM, "cannot start a thread");
	}
	q->pnext = NULL;
	pthread_mutex_lock(&prep_mu);
	if (prep_tail)
		prep_tail->pnext = q;
	else
		prep_head = q;
	prep_tail = q;
	pthread_cond_signal(&prep_cv);
	pthread_mutex_unlock(&prep_mu);
}

static void
prep_stop(void)
{
	int i;

	pthread_mutex_lock(&prep_mu);
	prep_quit = 1;
	pthread_cond_broadcast(&prep_cv);
	pthread_mutex_unlock(&prep_mu);
	for (i = 0; i < nworkers; i++)
		pthread_join(workers[i], NULL);
	nworkers = 0;
}

/* q's SHA-256 as base64, for x-amz-checksum-sha256 */
static void
sha_b64(struct req *q)
{
	struct buf b = {0};

	sigv4_base64(&b, q->sha256, sizeof(q->sha256));
	snprintf(q->sha64, sizeof(q->sha64), "%s", b.p);
	buf_free(&b);
}

/* hashes of a body: hex SHA-256 to sign, MD5 for Content-MD5 and ETags */
static void
hash_body(struct req *q, unsigned char md5[16])
{
	struct sigv4_hash h;
	struct buf b = {0};
	char err[256];

	if (sigv4_hash_init(&h, SIGV4_SHA256 | SIGV4_MD5, err,
	    sizeof(err)) < 0)
		msg_die(EX_SYSTEM, "%s", err);
	sigv4_hash_update(&h, q->body, q->len);
	sigv4_hash_final(&h);
	memcpy(q->sha, h.sha256_hex, sizeof(q->sha));
	memcpy(q->sha256, h.sha256_sum, sizeof(q->sha256));
	memcpy(md5, h.md5_sum, 16);
	sigv4_base64(&b, md5, 16);
	snprintf(q->md5b64, sizeof(q->md5b64), "%s", b.p);
	buf_free(&b);
	sha_b64(q);
}

static int
kms(void)
{
	return o_sse != NULL && strcmp(o_sse, "AES256") != 0;
}

/* headers describing the object (PutObject, CreateMultipartUpload) */
static size_t
object_headers(const struct upload *u, struct sigv4_kv *h)
{
	size_t n = 0, i;

	h[n].name = "Content-Type", h[n++].value = u->ctype;
	if (o_cache)
		h[n].name = "Cache-Control", h[n++].value = o_cache;
	if (o_class)
		h[n].name = "x-amz-storage-class", h[n++].value = o_class;
	if (o_sse)
		h[n].name = "x-amz-server-side-encryption",
		h[n++].value = o_sse;
	if (o_kms)
		h[n].name = "x-amz-server-side-encryption-aws-kms-key-id",
		h[n++].value = o_kms;
	for (i = 0; i < nmeta; i++)
		h[n].name = meta_names[i], h[n++].value = meta_values[i];
	return n;
}

/* sign q and put it on the multi handle */
static int
req_start(struct req *q, char *err, size_t errlen)
{
	struct upload *u = q->u;
	struct sigv4_kv *h, qs[2];
	struct sigv4_req r = {0};
	struct sigv4_out o = {0};
	struct curl_slist *l;
	char pn[16], aerr[512];
	size_t nh = 0, nq = 0, i;
	CURL *e;

	if (creds.expires != 0 &&
	    aws_creds_refresh(&creds, time(NULL), aerr, sizeof(aerr)) < 0)
		msg_warn("cannot refresh credentials: %s", aerr);
	h = xcalloc(nmeta + 10, sizeof(*h));
	switch (q->kind) {
	case R_PUT:
		nh = object_headers(u, h);
		h[nh].name = "Content-MD5", h[nh++].value = q->md5b64;
		if (o_checksum) {
			h[nh].name = "x-amz-checksum-sha256",
			    h[nh++].value = q->sha64;
			h[nh].name = "x-amz-sdk-checksum-algorithm",
			    h[nh++].value = "SHA256";
		}
		if (o_inm)
			h[nh].name = "If-None-Match", h[nh++].value = "*";
		break;
	case R_CREATE:
		nh = object_headers(u, h);
		if (o_checksum)
			h[nh].name = "x-amz-checksum-algorithm",
			    h[nh++].value = "SHA256";
		qs[nq].name = "uploads", qs[nq++].value = NULL;
		break;
	case R_PART:
		h[nh].name = "Content-MD5", h[nh++].value = q->md5b64;
		if (o_checksum) {
			h[nh].name = "x-amz-checksum-sha256",
			    h[nh++].value = q->sha64;
			h[nh].name = "x-amz-sdk-checksum-algorithm",
			    h[nh++].value = "SHA256";
		}
		snprintf(pn, sizeof(pn), "%d", q->partno);
		qs[nq].name = "partNumber", qs[nq++].value = pn;
		qs[nq].name = "uploadId", qs[nq++].value = u->upload_id;
		break;
	case R_COMPLETE:
		h[nh].name = "Content-Type", h[nh++].value = "application/xml";
		if (o_inm)
			h[nh].name = "If-None-Match", h[nh++].value = "*";
		qs[nq].name = "uploadId", qs[nq++].value = u->upload_id;
		break;
	case R_ABORT:
		qs[nq].name = "uploadId", qs[nq++].value = u->upload_id;
		break;
	}
	r.method = q->kind == R_PUT || q->kind == R_PART ? "PUT" :
	    q->kind == R_ABORT ? "DELETE" : "POST";
	r.scheme = scheme;
	r.host = u->loc.host;
	r.path = u->loc.path;
	r.query = qs;
	r.nquery = nq;
	r.headers = h;
	r.nheaders = nh;
	r.payload_hash = q->sha[0] ? q->sha : SIGV4_EMPTY_SHA256;
	if (awsauth_sign(&creds, region, "s3", SIGV4_S3, &r, &o, err,
	    errlen) < 0) {
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
	for (i = 0; o.headers[i] != NULL; i++)
		q->hl = curl_slist_append(q->hl, o.headers[i]);
	/* no 100-continue round trip; no form type on POST */
	q->hl = curl_slist_append(q->hl, "Expect:");
	if (q->kind == R_PART)
		q->hl = curl_slist_append(q->hl, "Content-Type:");
	free(h);
	l = q->hl;
	if (l == NULL)
		msg_die(EX_SYSTEM, "out of memory");

	if ((e = curl_easy_init()) == NULL)
		msg_die(EX_SYSTEM, "cannot start a transfer");
	q->e = e;
	q->off = 0;
	q->errbuf[0] = '\0';
	q->status = 0;
	buf_reset(&q->resp);
	curl_easy_setopt(e, CURLOPT_URL, o.url.p);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(e, CURLOPT_PRIVATE, q);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, timeout);
	/* a stall, not a slow big part, is what times out */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, timeout);
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
	if (curl_multi_add_handle(multi, e) != CURLM_OK)
		msg_die(EX_SYSTEM, "cannot start a transfer");
	return 0;
}

/*
 * A new request for u; body (malloc'd, len bytes) is taken.  With
 * fd >= 0 the body is still to be read from fd at off (a part of a
 * regular file; last: the part that ends it).  Big bodies go to the
 * workers and are started when they come back (prep_finish).
 */
static void
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
		u->inflight++;
		active++;
		prep_submit(q);
		return;
	}
	if (kind == R_PUT)
		hash_body(q, u->md5);
	else if (kind == R_PART)
		hash_body(q, u->parts[partno - 1].md5);
	else if (len > 0)
		sigv4_sha256_hex(body, len, q->sha);
	u->inflight++;
	active++;
	if (req_start(q, err, sizeof(err)) < 0) {
		ufail(u, EX_SYSTEM, "cannot sign the request: %s", err);
		u->inflight--;
		active--;
		req_free(q);
	}
}

static void
req_new(struct upload *u, enum rkind kind, int partno, char *body,
    size_t len)
{
	req_new_at(u, kind, partno, body, len, 0, -1, 0, 0);
}

/* the source's name in messages: "stdin:3" or the operand */
static void
where(const struct upload *u, char *w, size_t n)
{
	if (opmode)
		snprintf(w, n, "%s", u->file ? u->file : "-");
	else
		snprintf(w, n, "stdin:%ld", u->lineno);
}

/* ---- steps ---- */

/* a part of n bytes; fd >= 0: still to be read at off (see req_new_at) */
static void
add_part(struct upload *u, char *buf, size_t n, int pooled, int fd,
    off_t off, int last)
{
	if (u->nparts == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		u->parts = xrealloc(u->parts, u->cap * sizeof(*u->parts));
	}
	memset(&u->parts[u->nparts], 0, sizeof(u->parts[0]));
	u->nparts++;
	u->bytes += n;
	req_new_at(u, R_PART, (int)u->nparts, buf, n, pooled, fd, off, last);
}

/* read the next part of u and send it; sets u->eof at the end */
static void
next_part(struct upload *u)
{
	char *buf;
	ssize_t n;

	if (u->pend != NULL) {
		buf = u->pend;
		u->pend = NULL;
		add_part(u, buf, u->pendlen, 0, -1, 0, 0);
		return;
	}
	if (u->size > 0) {
		/*
		 * A regular file: each part is read by a worker at its
		 * own offset, so parts are read and hashed in parallel.
		 */
		off_t off = (off_t)u->nparts * (off_t)u->psize;
		size_t len = u->size - off < (off_t)u->psize ?
		    (size_t)(u->size - off) : u->psize;
		int pooled, last = off + (off_t)len >= u->size;

		buf = pool_get(len, &pooled);
		if (last)
			u->eof = 1;
		add_part(u, buf, len, pooled, u->fd, off, last);
		return;
	}
	if (u->nparts >= PARTS_MAX) {
		/* only an error if more data follows */
		char c;

		n = read_full(u->fd, &c, 1);
		if (n == 0)
			u->eof = 1;
		else
			ufail(u, EX_PARTIAL, "cannot put %s: more than %d "
			    "parts of %zu bytes; raise --part-size",
			    u->s3url, PARTS_MAX, u->psize);
		return;
	}
	buf = xmalloc(u->psize);
	n = read_full(u->fd, buf, u->psize);
	if (n < 0) {
		ufail(u, EX_PARTIAL, "cannot read %s: %s", u->file,
		    strerror(errno));
		free(buf);
		return;
	}
	if (n == 0) {
		free(buf);
		u->eof = 1;
		if (u->size >= 0 && (off_t)u->bytes != u->size)
			ufail(u, EX_PARTIAL, "cannot put %s: %s changed size "
			    "while read", u->s3url, u->file);
		return;
	}
	if ((size_t)n < u->psize)
		buf = xrealloc(buf, (size_t)n);
	add_part(u, buf, (size_t)n, 0, -1, 0, 0);
	if ((size_t)n < u->psize) {
		u->eof = 1;
		if (u->size >= 0 && (off_t)u->bytes != u->size)
			ufail(u, EX_PARTIAL, "cannot put %s: %s changed size "
			    "while read", u->s3url, u->file);
	}
}

static void
send_complete(struct upload *u)
{
	struct buf b = {0};
	size_t i;

	buf_adds(&b, "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com"
	    "/doc/2006-03-01/\">");
	for (i = 0; i < u->nparts; i++) {
		buf_addf(&b, "<Part><PartNumber>%zu</PartNumber><ETag>%s"
		    "</ETag>", i + 1, u->parts[i].etag);
		if (u->parts[i].sha64[0] != '\0')
			buf_addf(&b, "<ChecksumSHA256>%s</ChecksumSHA256>",
			    u->parts[i].sha64);
		buf_adds(&b, "</Part>");
	}
	buf_adds(&b, "</CompleteMultipartUpload>");
	u->st = U_COMPLETE;
	req_new(u, R_COMPLETE, 0, b.p, b.len);
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
		u->st = U_DONE;
		return;
	}
	if (fstat(u->fd, &st) == 0 && S_ISREG(st.st_mode) && !u->is_stdin) {
		u->size = st.st_size;
	} else if (fstat(u->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		ufail(u, EX_PARTIAL, "cannot put %s: it is a directory",
		    u->file);
		u->st = U_DONE;
		return;
	} else {
		u->size = -1;
	}
	u->psize = o_psize;
	if (u->size > 0 && (u->size + (off_t)u->psize - 1) /
	    (off_t)u->psize > PARTS_MAX) {
		/* the fewest whole MiB that fit in 10,000 parts */
		off_t p = (u->size + PARTS_MAX - 1) / PARTS_MAX;

		u->psize = (size_t)((p + MIB - 1) / MIB * MIB);
		if (u->psize > PART_MAX) {
			ufail(u, EX_PARTIAL, "cannot put %s: %s is too big",
			    u->s3url, u->file);
			u->st = U_DONE;
			return;
		}
	}
	if (u->size >= 0 && (size_t)u->size <= o_threshold) {
		/* a known size within the threshold: one PUT */
		want = (size_t)u->size;
	} else if (u->size >= 0) {
		u->st = U_CREATE;
		req_new(u, R_CREATE, 0, NULL, 0);
		return;
	} else {
		/* a stream: if it ends within a part, one PUT will do */
		want = u->psize > o_threshold ? u->psize : o_threshold;
	}
	buf = xmalloc(want + 1);
	n = read_full(u->fd, buf, u->size >= 0 ? want : want + 1);
	if (n < 0) {
		ufail(u, EX_PARTIAL, "cannot read %s: %s", u->file,
		    strerror(errno));
		free(buf);
		u->st = U_DONE;
		return;
	}
	if (u->size >= 0 || (size_t)n <= want) {
		if (u->size >= 0 && n != u->size) {
			ufail(u, EX_PARTIAL, "cannot put %s: %s changed size "
			    "while read", u->s3url, u->file);
			free(buf);
			u->st = U_DONE;
			return;
		}
		u->bytes = (uint64_t)n;
		u->eof = 1;
		u->st = U_PUT;
		req_new(u, R_PUT, 0, buf, (size_t)n);
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
	u->st = U_CREATE;
	req_new(u, R_CREATE, 0, NULL, 0);
}

/* after a part failed or everything is sent: abort or finish */
static void
step(struct upload *u)
{
	if (u->st == U_PARTS) {
		if (u->failed) {
			if (u->inflight == 0) {
				u->st = U_ABORT;
				req_new(u, R_ABORT, 0, NULL, 0);
			}
			return;
		}
		if (u->eof && u->inflight == 0 && u->ndone == u->nparts)
			send_complete(u);
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

/* a worker has prepared q: send it, or give up on it */
static void
prep_finish(struct req *q)
{
	struct upload *u = q->u;
	struct buf b = {0};
	char err[512];

	if (q->perr == PERR_SIZE)
		ufail(u, EX_PARTIAL, "cannot put %s: %s changed size while "
		    "read", u->s3url, u->file);
	else if (q->perr == PERR_HASH)
		ufail(u, EX_SYSTEM, "cannot put %s: cannot start the "
		    "digests", u->s3url);
	else if (q->perr != 0)
		ufail(u, EX_PARTIAL, "cannot read %s: %s", u->file,
		    strerror(q->perr));
	if (u->failed) {
		/* this or another part failed: nothing more is sent */
		u->inflight--;
		active--;
		if (q->kind == R_PUT)
			u->st = U_DONE;
		step(u);
		req_free(q);
		return;
	}
	memcpy(q->kind == R_PUT ? u->md5 : u->parts[q->partno - 1].md5,
	    q->md5, 16);
	sigv4_base64(&b, q->md5, 16);
	snprintf(q->md5b64, sizeof(q->md5b64), "%s", b.p);
	buf_free(&b);
	sha_b64(q);
	if (req_start(q, err, sizeof(err)) < 0) {
		ufail(u, EX_SYSTEM, "cannot sign the request: %s", err);
		u->inflight--;
		active--;
		if (q->kind == R_PUT)
			u->st = U_DONE;
		step(u);
		req_free(q);
	}
}

/* start the requests the workers have finished */
static void
prep_collect(void)
{
	struct req *q, *next;

	pthread_mutex_lock(&prep_mu);
	q = prep_done;
	prep_done = NULL;
	pthread_mutex_unlock(&prep_mu);
	for (; q != NULL; q = next) {
		next = q->pnext;
		q->pnext = NULL;
		prep_finish(q);
	}
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
		multi_ = (size_t)st.st_size > o_threshold;
		parts = (st.st_size + (off_t)o_psize - 1) / (off_t)o_psize;
	}
	n = nmeta + 8 > 64 ? 0 : object_headers(u, h);
	hd = json_object();
	for (i = 0; i < n; i++)
		json_object_set_new(hd, h[i].name, json_string(h[i].value));
	if (o_inm && !multi_)
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
	    "part_size", (json_int_t)o_psize);
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

/* ---- input ---- */

static void
enqueue(struct upload *u)
{
	if (tail)
		tail->next = u;
	else
		head = u;
	tail = u;
	nuploads++;
}

/* bucket, key, url, location and type of u from its file name */
static int
place(struct upload *u, const char *bucket, const char *key)
{
	char err[512];
	struct buf b = {0};

	u->bucket = xstrdup(bucket);
	if (key == NULL || *key == '\0' || key[strlen(key) - 1] == '/') {
		buf_adds(&b, key ? key : "");
		buf_adds(&b, base_name(u->file));
		u->key = b.p;
	} else {
		u->key = xstrdup(key);
	}
	memset(&b, 0, sizeof(b));
	buf_addf(&b, "s3://%s/%s", u->bucket, u->key);
	u->s3url = b.p;
	if (*u->bucket == '\0' || *u->key == '\0') {
		ufail(u, EX_PARTIAL, "cannot put %s: empty bucket or key",
		    u->s3url);
		return -1;
	}
	if (aws_s3_address(&u->loc, endpoint, u->bucket, u->key, style, err,
	    sizeof(err)) < 0) {
		ufail(u, EX_PARTIAL, "cannot put %s: %s", u->s3url, err);
		return -1;
	}
	u->ctype = xstrdup(o_ctype ? o_ctype : guess_type(u->is_stdin ?
	    u->key : u->file));
	return 0;
}

static struct upload *
upload_new(void)
{
	struct upload *u = xcalloc(1, sizeof(*u));

	u->fd = -1;
	u->size = -1;
	return u;
}

static void
from_operand(const char *arg)
{
	struct upload *u = upload_new();

	u->file = xstrdup(arg);
	u->is_stdin = strcmp(arg, "-") == 0;
	if (place(u, o_bucket, o_key) < 0)
		u->st = U_DONE;
	enqueue(u);
}

static char *
render(struct tmpl *t, json_t *obj, struct upload *u, const char *what)
{
	struct buf b = {0};
	char err[1024];

	buf_adds(&b, "");
	if (tmpl_render(t, obj, &b, err, sizeof(err)) < 0) {
		ufail(u, EX_PARTIAL, "%s: %s", what, err);
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

static void
from_line(const char *line, size_t len, long lineno)
{
	struct upload *u = upload_new();
	char err[1024], *bucket = NULL, *key = NULL;

	u->line = xstrndup(line ? line : "", len);
	u->len = len;
	u->lineno = lineno;
	u->st = U_DONE;
	if (line == NULL) {
		nd_too_long(err, sizeof(err));
		ufail(u, eflag ? EX_DATA : EX_PARTIAL, "%s", err);
		goto out;
	}
	if ((u->obj = nd_parse(line, len, err, sizeof(err))) == NULL) {
		ufail(u, eflag ? EX_DATA : EX_PARTIAL, "%s", err);
		goto out;
	}
	if ((u->file = render(t_file, u->obj, u, "file")) == NULL ||
	    (bucket = render(t_bucket, u->obj, u, "bucket")) == NULL ||
	    (t_key && (key = render(t_key, u->obj, u, "key")) == NULL))
		goto out;
	if (*u->file == '\0') {
		ufail(u, EX_PARTIAL, "file: empty file name");
		goto out;
	}
	u->is_stdin = 0;
	if (place(u, bucket, key) == 0)
		u->st = U_NEW;
out:
	if (u->failed && eflag) {
		/* read no further: the records before it still finish */
		if (u->code < EX_DATA)
			u->code = EX_DATA;
		stopping = EX_DATA;
	}
	free(bucket);
	free(key);
	enqueue(u);
}

/* whether a record can be read without blocking */
static int
input_ready(void)
{
	struct pollfd p;

	if (nd_reader_ready(&rd))
		return 1;
	if (active == 0)
		return 1;	/* nothing else to do: block */
	p.fd = rd.fd;
	p.events = POLLIN;
	return poll(&p, 1, 0) > 0;
}

/* take one more input item; 0 if none was ready */
static int
read_input(void)
{
	char *line;
	size_t len;
	int rc;

	if (opmode) {
		if (next_operand >= noperands) {
			input_done = 1;
			return 0;
		}
		from_operand(operands[next_operand++]);
		return 1;
	}
	while (input_ready()) {
		rc = nd_reader_next(&rd, &line, &len);
		if (rc < 0 && errno == EINTR && nd_stop)
			return 0;
		if (rc < 0) {
			msg_err("cannot read stdin: %s", strerror(errno));
			nd_set_status(EX_SYSTEM);
			input_done = 1;
			return 0;
		}
		if (rc == 0) {
			input_done = 1;
			return 0;
		}
		if (rc != ND_LONG && nd_blank(line, len))
			continue;
		from_line(rc == ND_LONG ? NULL : line, len, rd.lineno);
		return 1;
	}
	return 0;
}

/* ---- results ---- */

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
	int64_t wait = backoff_ms;
	char w[512];
	int i;

	for (i = 0; i < q->attempt && wait < backoff_max_ms; i++)
		wait *= 2;
	if (wait > backoff_max_ms)
		wait = backoff_max_ms;
	/* jitter: half fixed, half random */
	wait = wait / 2 + (wait > 1 ? random() % (wait / 2 + 1) : 0);
	where(q->u, w, sizeof(w));
	q->attempt++;
	if (q->kind == R_PART)
		msg_warn("%s: %s on part %d of %s, retry %d of %d", w, why,
		    q->partno, q->u->s3url, q->attempt, retries);
	else
		msg_warn("%s: %s on %s of %s, retry %d of %d", w, why,
		    kind_name[q->kind], q->u->s3url, q->attempt, retries);
	curl_multi_remove_handle(multi, q->e);
	curl_easy_cleanup(q->e);
	q->e = NULL;
	q->due = now_ms() + wait;
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
	temp = q->status == 0 || q->status == 408 || q->status == 429 ||
	    q->status >= 500 || temp_code(q);
	if (!ok && temp && q->attempt < retries && !nd_stop) {
		describe_error(q, why, sizeof(why));
		retry_later(q, why);
		return;
	}
	u->inflight--;
	active--;
	if (!ok) {
		describe_error(q, why, sizeof(why));
		code = temp ? EX_TEMPFAIL : (q->status == 401 ||
		    q->status == 403) ? EX_REMOTE : EX_PARTIAL;
		if (q->kind == R_ABORT) {
			msg_warn("cannot abort the upload of %s (upload ID %s):"
			    " %s", u->s3url, u->upload_id, why);
			u->st = U_DONE;
		} else {
			ufail(u, code, "cannot put %s: %s", u->s3url, why);
		}
	}
	switch (q->kind) {
	case R_PUT:
		if (ok) {
			char hex[33];

			sigv4_hex(hex, u->md5, 16);
			u->etag = xstrdup(q->etag ? q->etag : "");
			unquote(u->etag);
			u->version_id = version(q->vid);
			if (!kms() && strcasecmp(u->etag, hex) != 0)
				ufail(u, EX_TEMPFAIL, "cannot put %s: ETag "
				    "%s is not the MD5 of what was sent (%s)",
				    u->s3url, u->etag, hex);
		}
		u->st = U_DONE;
		break;
	case R_CREATE:
		if (ok) {
			u->upload_id = aws_xml_text(q->resp.p, q->resp.len,
			    "UploadId");
			if (u->upload_id == NULL)
				ufail(u, EX_TEMPFAIL, "cannot put %s: no "
				    "UploadId in the answer", u->s3url);
		}
		u->st = u->failed ? U_DONE : U_PARTS;
		break;
	case R_PART:
		if (ok) {
			struct part *p = &u->parts[q->partno - 1];
			char hex[33], *t;

			t = xstrdup(q->etag ? q->etag : "");
			unquote(t);
			sigv4_hex(hex, p->md5, 16);
			if (!kms() && strcasecmp(t, hex) != 0)
				ufail(u, EX_TEMPFAIL, "cannot put %s: part %d "
				    "ETag %s is not the MD5 sent (%s)",
				    u->s3url, q->partno, t, hex);
			free(t);
			p->etag = xstrdup(q->etag ? q->etag : "");
			/* S3 checked the part's checksum and says so; the
			 * complete must then list it (servers that do not
			 * echo it, emulators, get the plain list) */
			if (o_checksum && q->sum != NULL &&
			    strcmp(q->sum, q->sha64) != 0)
				ufail(u, EX_TEMPFAIL, "cannot put %s: part %d "
				    "SHA-256 %s is not the one sent (%s)",
				    u->s3url, q->partno, q->sum, q->sha64);
			snprintf(p->sha64, sizeof(p->sha64), "%s",
			    q->sum != NULL ? q->sum : "");
			p->done = 1;
			u->ndone++;
		}
		step(u);
		break;
	case R_COMPLETE:
		if (ok) {
			char want[64], *t;
			unsigned char *md5s;
			size_t i;

			t = aws_xml_text(q->resp.p, q->resp.len, "ETag");
			u->etag = t ? t : xstrdup(q->etag ? q->etag : "");
			unquote(u->etag);
			u->version_id = version(q->vid);
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
			u->st = U_DONE;
		} else {
			/* the upload may still be there: abort it */
			u->st = U_ABORT;
			req_new(u, R_ABORT, 0, NULL, 0);
		}
		break;
	case R_ABORT:
		u->st = U_DONE;
		break;
	}
	req_free(q);
}

/* write u's record, or report it failed */
static void
emit(struct upload *u)
{
	json_t *out, *s3;
	char w[512];

	if (u->failed) {
		if (opmode) {
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
		    (eflag && !stopping)) {
			if (!stopping)
				stopping = u->code > EX_PARTIAL ? u->code :
				    EX_DATA;
		}
		return;
	}
	out = opmode ? json_pack("{s:s}", "file", u->file) :
	    json_incref(u->obj);
	if (nflag) {
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
	if (o_delete && !u->is_stdin && unlink(u->file) < 0) {
		where(u, w, sizeof(w));
		msg_err("%s: cannot delete %s: %s", w, u->file,
		    strerror(errno));
		nd_set_status(EX_PARTIAL);
	}
}

/* ---- the loop ---- */

static void
fill(void)
{
	struct upload *u;
	size_t window = (size_t)jobs * 2 + 2;

	for (;;) {
		for (u = head; u != NULL && active < slots; u = u->next) {
			while (active < slots && can_issue(u)) {
				if (u->st == U_NEW) {
					if (stopping || nd_stop) {
						ufail(u, stopping ? stopping :
						    EX_PARTIAL, "cannot put %s:"
						    " not sent: stopping",
						    u->s3url);
						u->st = U_DONE;
					} else if (nflag) {
						u->st = U_DONE;
					} else {
						begin(u);
					}
				} else {
					next_part(u);
				}
				step(u);
			}
			step(u);
		}
		if (input_done || stopping || nd_stop || active >= slots ||
		    nuploads >= window)
			return;
		if (!read_input())
			return;
	}
}

static void
flush_done(void)
{
	struct upload *u;

	while ((u = head) != NULL && u->st == U_DONE) {
		head = u->next;
		if (head == NULL)
			tail = NULL;
		nuploads--;
		emit(u);
		upload_free(u);
	}
}

static void
run_due(void)
{
	struct req **pp = &waiting, *q;
	int64_t t = now_ms();
	char err[512];

	while ((q = *pp) != NULL) {
		if (q->due > t) {
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		q->next = NULL;
		if (req_start(q, err, sizeof(err)) < 0) {
			q->u->inflight--;
			active--;
			ufail(q->u, EX_SYSTEM, "cannot sign: %s", err);
			step(q->u);
			req_free(q);
		}
	}
}

static int
loop(void)
{
	struct curl_waitfd wfd;
	struct req *q;
	CURLMsg *m;
	int running, left, ms, nfd;
	int64_t t;

	for (;;) {
		/* finished records go out before fill() may block on stdin */
		flush_done();
		nd_flush();
		fill();
		flush_done();
		if (head == NULL && (input_done || stopping || nd_stop))
			break;
		ms = 1000;
		t = now_ms();
		for (q = waiting; q != NULL; q = q->next)
			if (q->due - t < ms)
				ms = q->due - t < 0 ? 0 : (int)(q->due - t);
		nfd = 0;
		if (!opmode && !input_done && !stopping && !nd_stop &&
		    active < slots) {
			wfd.fd = rd.fd;
			wfd.events = CURL_WAIT_POLLIN;
			wfd.revents = 0;
			nfd = 1;
		}
		nd_flush();
		if (curl_multi_poll(multi, nfd ? &wfd : NULL, (unsigned)nfd,
		    ms, NULL) != CURLM_OK)
			msg_die(EX_SYSTEM, "cannot wait for transfers");
		curl_multi_perform(multi, &running);
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
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
	return stopping > nd_status() ? stopping : nd_status();
}

/* an age: seconds, or a number with s, m, h or d */
static long
parse_age(const char *s)
{
	char *end;
	long v, mul = 1;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
		mul = *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ?
		    86400 : 1;
		end++;
	}
	if (errno != 0 || end == s || *end != '\0' || v < 0 ||
	    v > LONG_MAX / 86400) {
		msg_err("bad --abort-stale '%s': an age such as 86400, 12h "
		    "or 7d", s);
		msg_usage(usage);
	}
	return v * mul;
}

/*
 * --list-uploads, --abort-stale: the incomplete multipart uploads under
 * the bucket and key prefix, one record each; with age >= 0, those
 * initiated at least age seconds ago are aborted.
 */
static int
uploads(long age)
{
	struct s3mpu_ctx c = {0};
	struct s3mpu *u;
	size_t n, i;
	char err[1024];
	json_t *rec;
	int rc = 0, failed;

	c.creds = &creds;
	c.region = region;
	c.endpoint = endpoint;
	c.style = style;
	c.timeout = timeout;
	c.retries = retries;
	c.backoff_ms = backoff_ms;
	if (s3mpu_list(&c, o_bucket, o_key, &u, &n, err, sizeof(err)) < 0)
		msg_die(c.temp ? EX_TEMPFAIL : EX_REMOTE, "cannot list the "
		    "multipart uploads of s3://%s/%s: %s", o_bucket,
		    o_key ? o_key : "", err);
	for (i = 0; i < n && !nd_stop; i++) {
		failed = 0;
		if (age >= 0 && s3mpu_stale(&u[i], awsauth_now(), age)) {
			if (nflag) {
				/* dry run: say what would go */
			} else if (s3mpu_abort(&c, o_bucket, &u[i], err,
			    sizeof(err)) < 0) {
				msg_err("cannot abort the upload of s3://%s/%s "
				    "(upload ID %s): %s", o_bucket, u[i].key,
				    u[i].upload_id, err);
				nd_set_status(c.temp ? EX_TEMPFAIL :
				    EX_PARTIAL);
				failed = 1;
			}
			if (failed)
				continue;
		} else if (age >= 0) {
			continue;	/* young: may still be under way */
		}
		rec = json_pack("{s:{s:s, s:s, s:s, s:s?, s:b}}", "s3_upload",
		    "bucket", o_bucket, "key", u[i].key, "upload_id",
		    u[i].upload_id, "initiated", u[i].initiated, "aborted",
		    age >= 0 && !nflag);
		if (rec == NULL) {
			msg_err("cannot write the record of s3://%s/%s: not "
			    "UTF-8", o_bucket, u[i].key);
			nd_set_status(EX_PARTIAL);
			continue;
		}
		nd_write(rec);
		json_decref(rec);
	}
	s3mpu_free(u, n);
	free(u);
	nd_flush();
	rc = nd_status();
	return rc;
}

static void
add_meta(const char *kv)
{
	const char *eq = strchr(kv, '=');
	struct buf b = {0};
	size_t i;

	if (eq == NULL || eq == kv) {
		msg_err("bad --metadata '%s': want key=value", kv);
		msg_usage(usage);
	}
	buf_adds(&b, "x-amz-meta-");
	for (i = 0; kv + i < eq; i++) {
		char c = kv[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && c != '-' && c != '_' &&
		    c != '.') {
			msg_err("bad --metadata key in '%s'", kv);
			msg_usage(usage);
		}
		buf_addc(&b, c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	}
	for (i = 0; eq[1 + i] != '\0'; i++)
		if ((unsigned char)eq[1 + i] < 0x20 || eq[1 + i] == 0x7f) {
			msg_err("bad --metadata value in '%s'", kv);
			msg_usage(usage);
		}
	meta_names = xrealloc(meta_names, (nmeta + 1) * sizeof(char *));
	meta_values = xrealloc(meta_values, (nmeta + 1) * sizeof(char *));
	meta_names[nmeta] = b.p;
	meta_values[nmeta++] = xstrdup(eq + 1);
}

static void
set_size(size_t *dst, const char *s, size_t lo, size_t hi, const char *what)
{
	long long v = parse_size(s);

	if (v < 0 || (size_t)v < lo || (size_t)v > hi) {
		msg_err("bad %s '%s': %zu to %zu bytes", what, s, lo, hi);
		msg_usage(usage);
	}
	*dst = (size_t)v;
}

int
main(int argc, char *argv[])
{
	enum { O_CTYPE = 256, O_CACHE, O_META, O_CLASS, O_SSE, O_KMS, O_INM,
	    O_NOSUM,
	    O_PSIZE, O_THRESH, O_DELETE, O_ENDPOINT, O_ERRORS, O_RETRIES,
	    O_LIST, O_STALE };
	static const struct option longopts[] = {
		{"bucket", required_argument, NULL, 'b'},
		{"key", required_argument, NULL, 'k'},
		{"file", required_argument, NULL, 'f'},
		{"jobs", required_argument, NULL, 'j'},
		{"timeout", required_argument, NULL, 't'},
		{"content-type", required_argument, NULL, O_CTYPE},
		{"cache-control", required_argument, NULL, O_CACHE},
		{"metadata", required_argument, NULL, O_META},
		{"storage-class", required_argument, NULL, O_CLASS},
		{"sse", required_argument, NULL, O_SSE},
		{"sse-kms-key-id", required_argument, NULL, O_KMS},
		{"if-none-match", no_argument, NULL, O_INM},
		{"no-checksum", no_argument, NULL, O_NOSUM},
		{"part-size", required_argument, NULL, O_PSIZE},
		{"multipart-threshold", required_argument, NULL, O_THRESH},
		{"retries", required_argument, NULL, O_RETRIES},
		{"delete-source", no_argument, NULL, O_DELETE},
		{"endpoint", required_argument, NULL, O_ENDPOINT},
		{"errors", required_argument, NULL, O_ERRORS},
		ND_LONGOPT_MAX_LINE,
		{"list-uploads", no_argument, NULL, O_LIST},
		{"abort-stale", required_argument, NULL, O_STALE},
		{"dry-run", no_argument, NULL, 'n'},
		{"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0}
	};
	const char *errors = NULL, *b;
	char err[1024];
	int ch, i, nstdin = 0;
	long long thr;
	long age = -1;
	int list = 0;

	msg_prog = "s3-put";
	while ((ch = getopt_long(argc, argv, "b:ef:hj:k:nqt:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'b': o_bucket = optarg; break;
		case 'k': o_key = optarg; break;
		case 'f': o_file = optarg; break;
		case 'j': jobs = (int)parse_num(optarg, 1, 64, "-j"); break;
		case 't':
			timeout = parse_num(optarg, 1, 3600, "-t");
			break;
		case 'e': eflag = 1; break;
		case 'n': nflag = 1; break;
		case 'q': msg_quiet = 1; break;
		case O_CTYPE: o_ctype = optarg; break;
		case O_CACHE: o_cache = optarg; break;
		case O_META: add_meta(optarg); break;
		case O_CLASS: o_class = optarg; break;
		case O_SSE: o_sse = optarg; break;
		case O_KMS: o_kms = optarg; break;
		case O_INM: o_inm = 1; break;
		case O_NOSUM: o_checksum = 0; break;
		case O_PSIZE:
			set_size(&o_psize, optarg, PART_MIN, PART_MAX,
			    "--part-size");
			break;
		case O_THRESH:
			thr = parse_size(optarg);
			if (thr < 0 || (unsigned long long)thr > PART_MAX) {
				msg_err("bad --multipart-threshold '%s'",
				    optarg);
				msg_usage(usage);
			}
			o_threshold = (size_t)thr;
			break;
		case O_RETRIES:
			retries = (int)parse_num(optarg, 0, 20, "--retries");
			break;
		case O_DELETE: o_delete = 1; break;
		case O_ENDPOINT: o_endpoint = optarg; break;
		case O_ERRORS: errors = optarg; break;
		case ND_OPT_MAX_LINE:
			nd_max_line_opt(optarg, usage);
			break;
		case O_LIST: list = 1; break;
		case O_STALE: age = parse_age(optarg); break;
		case 'h': msg_help(usage);
		case 'V': msg_version();
		default:  msg_usage(usage);
		}
	}
	operands = argv + optind;
	noperands = argc - optind;
	opmode = noperands > 0;
	if ((list || age >= 0) && noperands > 0) {
		msg_err("--list-uploads and --abort-stale take no files");
		msg_usage(usage);
	}
	if (o_bucket == NULL) {
		msg_err("give a bucket (-b)");
		msg_usage(usage);
	}
	if (o_sse && strcmp(o_sse, "AES256") != 0 &&
	    strcmp(o_sse, "aws:kms") != 0) {
		msg_err("bad --sse '%s': AES256 or aws:kms", o_sse);
		msg_usage(usage);
	}
	if (o_kms && (o_sse == NULL || strcmp(o_sse, "aws:kms") != 0)) {
		msg_err("--sse-kms-key-id goes with --sse aws:kms");
		msg_usage(usage);
	}
	for (i = 0; i < noperands; i++)
		nstdin += strcmp(operands[i], "-") == 0;
	if (nstdin > 1 || (nstdin && (o_key == NULL || *o_key == '\0' ||
	    o_key[strlen(o_key) - 1] == '/'))) {
		msg_err("- (standard input) needs a full key (-k) and "
		    "may be given once");
		msg_usage(usage);
	}
	if (noperands > 1 && o_key && *o_key &&
	    o_key[strlen(o_key) - 1] != '/') {
		msg_err("several files need a key prefix ending in / (-k)");
		msg_usage(usage);
	}
	if (!opmode && !list && age < 0) {
		if ((t_bucket = tmpl_compile(o_bucket, err, sizeof(err))) ==
		    NULL || (t_file = tmpl_compile(o_file, err,
		    sizeof(err))) == NULL || (o_key != NULL &&
		    (t_key = tmpl_compile(o_key, err, sizeof(err))) ==
		    NULL)) {
			msg_err("%s", err);
			msg_usage(usage);
		}
	}
	if ((b = getenv("HOOKPIPE_BACKOFF")) != NULL && *b != '\0') {
		char *end;

		backoff_ms = strtol(b, &end, 10);
		if (*end != '\0' || backoff_ms < 0 || backoff_ms > 60000)
			msg_die(EX_CONFIG, "bad HOOKPIPE_BACKOFF '%s'", b);
		if (backoff_max_ms < backoff_ms)
			backoff_max_ms = backoff_ms;
	}
	if (errors != NULL && nd_errors_open(errors, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	region = aws_region(NULL);
	if (aws_endpoint(&endpoint, "s3", region, o_endpoint, NULL, err,
	    sizeof(err)) < 0)
		msg_die(EX_CONFIG, "%s", err);
	scheme = strncasecmp(endpoint, "http://", 7) == 0 ? "http" : "https";
	{
		char *cs = aws_config_get(NULL, "s3.addressing_style");

		if ((style = aws_s3_style(cs)) < 0)
			msg_die(EX_CONFIG, "bad s3.addressing_style '%s' in "
			    "the AWS config", cs);
		free(cs);
	}
	if ((!nflag || list || age >= 0) &&
	    aws_creds_load(&creds, NULL, err, sizeof(err)) < 0)
		msg_die(EX_CONFIG, "no AWS credentials: %s", err);
	if (list || age >= 0) {
		nd_signals();
		i = uploads(age);
		aws_creds_free(&creds);
		free(region);
		free(endpoint);
		curl_global_cleanup();
		return i;
	}
	if ((multi = curl_multi_init()) == NULL)
		msg_die(EX_SYSTEM, "cannot initialise libcurl");
	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)jobs);
	/*
	 * One request more than connections: it is read and hashed while
	 * the others send, then waits in libcurl's queue for a connection.
	 */
	slots = jobs + 1;
	pool = xcalloc((size_t)slots, sizeof(*pool));
	srandom((unsigned)(time(NULL) ^ getpid()));
	nd_signals();
	nd_reader_init(&rd, STDIN_FILENO, "stdin");
	i = loop();
	prep_stop();
	nd_reader_free(&rd);
	curl_multi_cleanup(multi);
	while (npool > 0)
		free(pool[--npool]);
	free(pool);
	aws_creds_free(&creds);
	free(region);
	free(endpoint);
	curl_global_cleanup();
	return i;
}
