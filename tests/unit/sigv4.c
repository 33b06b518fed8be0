/* sigv4 unit test: the AWS suite, S3 doc examples, presign, helpers */
/*
 * Without arguments: the TAP test, run from the repository root.
 * With arguments it is a driver for tests/sigv4-botocore.t; credentials
 * come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN:
 *
 *   sigv4 presign METHOD SCHEME HOST RAWPATH REGION SERVICE EXPIRES TIME
 *         [q:NAME[=VALUE]]...
 *	prints the presigned URL
 *   sigv4 sign METHOD SCHEME HOST RAWPATH REGION SERVICE TIME PAYLOADHASH
 *         [q:NAME[=VALUE]]... [h:NAME:VALUE]...
 *	prints the canonical request, the Authorization value, the URL and
 *	the header lines to send, one per line, with a line "--" between
 *	the four parts
 *   sigv4 encode STRING	prints enc_pct(STRING, keep '/')
 *
 * RAWPATH is the unencoded path ("/bkt/a key"): the driver encodes it
 * with enc_pct(.., 1); q: values are raw too.  TIME is Unix
 * seconds; PAYLOADHASH "-" means none (NULL).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "enc.h"
#include "sigv4.h"
#include "xmem.h"
#include "tap.h"

#define SUITE "tests/data/sigv4"
#define SUITE_KEY "AKIDEXAMPLE"
#define SUITE_SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define SUITE_TIME 1440938160	/* 20150830T123600Z */
#define SUITE_TOKEN \
	"6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267"

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char tmp[4096];
	size_t n;

	if (f == NULL)
		return NULL;
	buf_adds(&b, "");
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		buf_add(&b, tmp, n);
	fclose(f);
	return b.p;
}

static char *
decode(const char *s, size_t n)
{
	struct buf b = { 0 };

	enc_unpct(&b, s, n);
	return b.p;
}

/* A parsed request of the suite, and what it owns. */
struct rq {
	struct sigv4_req r;
	struct sigv4_kv q[16], h[16];
	char *own[80];
	size_t nown;
	char *token;		/* X-Amz-Security-Token seen in the .req */
	char *date;		/* X-Amz-Date seen */
	char hash[65];
};

static char *
keep(struct rq *q, char *s)
{
	if (q->nown < sizeof q->own / sizeof q->own[0])
		q->own[q->nown++] = s;
	return s;
}

static void
rq_free(struct rq *q)
{
	size_t i;

	for (i = 0; i < q->nown; i++)
		free(q->own[i]);
}

/* Parse a raw request of the suite: request line, headers, body. */
static int
parse_req(struct rq *q, char *text)
{
	char *line, *next, *sp, *uri, *qs, *body = NULL, *c, *amp, *eq;
	struct sigv4_kv *last = NULL;
	char *lastval = NULL;
	struct buf v = { 0 };

	memset(q, 0, sizeof *q);
	line = text;
	next = strchr(line, '\n');
	if (next == NULL)
		return -1;
	*next++ = '\0';
	sp = strchr(line, ' ');
	if (sp == NULL)
		return -1;
	*sp = '\0';
	q->r.method = line;
	uri = sp + 1;
	sp = strrchr(uri, ' ');
	if (sp == NULL)
		return -1;
	*sp = '\0';
	qs = strchr(uri, '?');
	if (qs != NULL)
		*qs++ = '\0';
	q->r.path = uri;
	for (; qs != NULL && *qs != '\0'; qs = amp) {
		amp = strchr(qs, '&');
		if (amp != NULL)
			*amp++ = '\0';
		eq = strchr(qs, '=');
		if (eq != NULL)
			*eq++ = '\0';
		q->q[q->r.nquery].name = keep(q, decode(qs, strlen(qs)));
		q->q[q->r.nquery].value = eq ? keep(q, decode(eq,
		    strlen(eq))) : NULL;
		q->r.nquery++;
	}
	q->r.query = q->q;
	for (line = next; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '\0') {
			body = next;
			break;
		}
		if ((*line == ' ' || *line == '\t') && last != NULL) {
			/* obsolete line folding: one more piece of the value */
			buf_reset(&v);
			buf_adds(&v, lastval);
			buf_addc(&v, ' ');
			buf_adds(&v, line);
			lastval = keep(q, xstrdup(v.p));
			last->value = lastval;
			continue;
		}
		c = strchr(line, ':');
		if (c == NULL) {
			buf_free(&v);
			return -1;
		}
		*c++ = '\0';
		last = NULL;
		if (strcasecmp(line, "host") == 0) {
			q->r.host = c;
		} else if (strcasecmp(line, "x-amz-date") == 0) {
			q->date = c;
		} else if (strcasecmp(line, "x-amz-security-token") == 0) {
			q->token = c;
		} else {
			last = &q->h[q->r.nheaders++];
			last->name = line;
			last->value = lastval = c;
		}
	}
	buf_free(&v);
	q->r.headers = q->h;
	sigv4_sha256_hex(body ? body : "", body ? strlen(body) : 0, q->hash);
	q->r.payload_hash = q->hash;
	return 0;
}

static int ncases;

/* Read DIR/NAME.EXT whole. */
static char *
case_file(const char *dir, const char *name, const char *ext)
{
	struct buf p = { 0 };
	char *text;

	buf_addf(&p, "%s/%s.%s", dir, name, ext);
	text = slurp(p.p);
	buf_free(&p);
	return text;
}

static void
suite_case(const char *dir, const char *name)
{
	char *req, *creq, *sts, *authz;
	struct sigv4_signer s = { SUITE_KEY, SUITE_SECRET, NULL,
	    "us-east-1", "service", 0 };
	struct sigv4_out o = { 0 };
	struct rq q;
	char err[256] = "", t[300];
	int rc;

	req = case_file(dir, name, "req");
	creq = case_file(dir, name, "creq");
	sts = case_file(dir, name, "sts");
	authz = case_file(dir, name, "authz");
	ncases++;
	if (!ok(req && creq && sts && authz && parse_req(&q, req) == 0,
	    "%s: read and parse", name))
		goto out;
	ok(q.date != NULL && strcmp(q.date, "20150830T123600Z") == 0,
	    "%s: X-Amz-Date is the suite's", name);
	if (strcmp(name, "get-vanilla-with-session-token") == 0)
		s.token = SUITE_TOKEN;
	else
		s.token = q.token;	/* post-sts-header-before */
	rc = sigv4_sign(&s, &q.r, SUITE_TIME, &o, err, sizeof err);
	if (ok(rc == 0, "%s: signed %s", name, err)) {
		snprintf(t, sizeof t, "%s: canonical request", name);
		is_str(o.creq.p, creq, t);
		snprintf(t, sizeof t, "%s: string to sign", name);
		is_str(o.sts.p, sts, t);
		snprintf(t, sizeof t, "%s: Authorization", name);
		is_str(o.authz.p, authz, t);
	}
	sigv4_out_free(&o);
	rq_free(&q);
out:
	free(req);
	free(creq);
	free(sts);
	free(authz);
}

/* Every directory holding NAME/NAME.req under dir, recursively. */
static int
is_dir(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

static void
walk(const char *dir)
{
	struct dirent **e;
	struct buf sub = { 0 }, req = { 0 };
	struct stat st;
	int n, i;

	/* sorted, so the TAP output is the same on every file system */
	if ((n = scandir(dir, &e, is_dir, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		buf_reset(&sub);
		buf_addf(&sub, "%s/%s", dir, e[i]->d_name);
		buf_reset(&req);
		buf_addf(&req, "%s/%s.req", sub.p, e[i]->d_name);
		if (stat(sub.p, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (access(req.p, R_OK) == 0)
				suite_case(sub.p, e[i]->d_name);
			else
				walk(sub.p);
		}
		free(e[i]);
	}
	free(e);
	buf_free(&sub);
	buf_free(&req);
}

#define DOC_KEY "AKIAIOSFODNN7EXAMPLE"
#define DOC_SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DOC_TIME 1369353600	/* 20130524T000000Z */

/*
 * The examples of the S3 SigV4 pages (sig-v4-header-based-auth.html,
 * sigv4-query-string-auth.html); recomputed with botocore and with
 * Python hmac before being written here.
 */
static void
s3_doc(void)
{
	struct sigv4_signer s = { DOC_KEY, DOC_SECRET, NULL, "us-east-1",
	    "s3", 0 };
	struct sigv4_kv range[] = { { "Range", "bytes=0-9" } };
	struct sigv4_kv put[] = { { "Date", "Fri, 24 May 2013 00:00:00 GMT" },
	    { "x-amz-storage-class", "REDUCED_REDUNDANCY" } };
	struct sigv4_kv lc[] = { { "lifecycle", "" } };
	struct sigv4_kv list[] = { { "max-keys", "2" }, { "prefix", "J" } };
	struct sigv4_req r = { "GET", NULL, "examplebucket.s3.amazonaws.com",
	    "/test.txt", NULL, 0, range, 1, NULL };
	struct sigv4_out o = { 0 };
	char err[256] = "", hash[65];
	const char *body = "Welcome to Amazon S3.";

	ok(sigv4_sign(&s, &r, DOC_TIME, &o, err, sizeof err) == 0,
	    "s3 doc GET Range: signed %s", err);
	is_str(o.signature,
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	    "s3 doc GET Range: signature");
	is_str(o.authz.p, "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/"
	    "20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;"
	    "x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857"
	    "bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
	    "s3 doc GET Range: Authorization");
	ok(o.nheaders == 3 && o.headers[3] == NULL, "3 headers to add");
	is_str(o.headers[0], "X-Amz-Date: 20130524T000000Z", "X-Amz-Date");
	is_str(o.headers[1], "X-Amz-Content-SHA256: " SIGV4_EMPTY_SHA256,
	    "X-Amz-Content-SHA256 of an empty body");
	ok(strncmp(o.headers[2], "Authorization: AWS4-HMAC-SHA256 ", 32) ==
	    0, "Authorization header line");
	is_str(o.url.p, "https://examplebucket.s3.amazonaws.com/test.txt",
	    "url");

	sigv4_sha256_hex(body, strlen(body), hash);
	r.method = "PUT";
	r.path = "/test%24file.text";
	r.headers = put;
	r.nheaders = 2;
	r.payload_hash = hash;
	sigv4_sign(&s, &r, DOC_TIME, &o, err, sizeof err);
	is_str(o.signature,
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
	    "s3 doc PUT object");

	r.method = "GET";
	r.path = "/";
	r.headers = NULL;
	r.nheaders = 0;
	r.payload_hash = NULL;
	r.query = lc;
	r.nquery = 1;
	sigv4_sign(&s, &r, DOC_TIME, &o, err, sizeof err);
	is_str(o.signature,
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
	    "s3 doc GET ?lifecycle");
	r.query = list;
	r.nquery = 2;
	sigv4_sign(&s, &r, DOC_TIME, &o, err, sizeof err);
	is_str(o.signature,
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
	    "s3 doc GET ?max-keys=2&prefix=J");
	is_str(o.url.p, "https://examplebucket.s3.amazonaws.com/?max-keys=2"
	    "&prefix=J", "url with query");

	r.path = "/test.txt";
	r.query = NULL;
	r.nquery = 0;
	ok(sigv4_presign(&s, &r, DOC_TIME, 86400, &o, err, sizeof err) == 0,
	    "s3 doc presign: %s", err);
	is_str(o.url.p, "https://examplebucket.s3.amazonaws.com/test.txt"
	    "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODN"
	    "N7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Dat"
	    "e=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=hos"
	    "t&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c2"
	    "65957d157751f604d404", "s3 doc presigned URL");
	ok(o.nheaders == 0 && o.authz.len == 0,
	    "presign: no headers, no Authorization");
	sigv4_out_free(&o);
}

/* One line of tests/data/sigv4/botocore-presign.txt (see the script). */
static void
golden_line(char *line)
{
	char *f[40], *p;
	size_t n = 0, i;
	struct sigv4_kv q[16];
	size_t nq = 0;
	struct buf path = { 0 };
	struct sigv4_signer s = { 0 };
	struct sigv4_req r = { 0 };
	struct sigv4_out o = { 0 };
	char err[256] = "";

	for (p = line; n < 40; ) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (p == NULL)
			break;
		*p++ = '\0';
	}
	if (!ok(n >= 13, "golden line has 13+ fields"))
		return;
	for (i = 13; i < n && nq < 16; i++) {
		if (strncmp(f[i], "q:", 2) != 0)
			continue;
		q[nq].name = f[i] + 2;
		p = strchr(f[i] + 2, '=');
		q[nq].value = p ? p + 1 : NULL;
		if (p)
			*p = '\0';
		nq++;
	}
	buf_adds(&path, "");
	enc_pct(&path, f[4], strlen(f[4]), 1);
	r.method = f[1];
	r.scheme = f[2];
	r.host = f[3];
	r.path = path.p;
	r.query = q;
	r.nquery = nq;
	s.region = f[5];
	s.service = f[6];
	s.key = f[9];
	s.secret = f[10];
	s.token = strcmp(f[11], "-") == 0 ? NULL : f[11];
	if (ok(sigv4_presign(&s, &r, strtol(f[8], NULL, 10),
	    strtol(f[7], NULL, 10), &o, err, sizeof err) == 0,
	    "%s: presign %s", f[0], err))
		is_str(o.url.p, f[12], f[0]);
	sigv4_out_free(&o);
	buf_free(&path);
}

static void
golden(void)
{
	char *text = slurp(SUITE "/botocore-presign.txt"), *line, *next;
	int n = 0;

	if (!ok(text != NULL, "read botocore-presign.txt"))
		return;
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		golden_line(line);
		n++;
	}
	ok(n >= 8, "%d botocore presign cases", n);
	free(text);
}

static void
modes(void)
{
	struct sigv4_signer s = { "AKID", "secret", NULL, "us-east-1",
	    "service", 0 };
	struct sigv4_req r = { "GET", "http", "h", "/a//b/../c%20d", NULL, 0,
	    NULL, 0, NULL };
	struct sigv4_out o = { 0 };
	char err[256] = "", *nl;

	sigv4_sign(&s, &r, SUITE_TIME, &o, err, sizeof err);
	nl = strchr(o.creq.p + 4, '\n');
	ok(nl && strncmp(o.creq.p, "GET\n/a/c%2520d\n", 15) == 0,
	    "generic: normalised, encoded twice");
	s.service = "s3";
	sigv4_sign(&s, &r, SUITE_TIME, &o, err, sizeof err);
	ok(strncmp(o.creq.p, "GET\n/a//b/../c%20d\n", 19) == 0,
	    "s3: as is, encoded once");
	ok(strstr(o.creq.p, "\nx-amz-content-sha256:" SIGV4_EMPTY_SHA256
	    "\n") != NULL, "s3: x-amz-content-sha256 signed");
	s.service = "execute-api";
	s.flags = SIGV4_S3;
	sigv4_sign(&s, &r, SUITE_TIME, &o, err, sizeof err);
	ok(strncmp(o.creq.p, "GET\n/a//b/../c%20d\n", 19) == 0,
	    "SIGV4_S3 flag gives S3 rules");
	r.path = "/%7e!%2F";
	s.service = "s3";
	sigv4_sign(&s, &r, SUITE_TIME, &o, err, sizeof err);
	ok(strncmp(o.creq.p, "GET\n/~%21/\n", 11) == 0,
	    "s3: path decoded and encoded the AWS way");
	is_str(o.url.p, "http://h/%7e!%2F", "url keeps the wire path");
	r.path = "";
	sigv4_sign(&s, &r, SUITE_TIME, &o, err, sizeof err);
	ok(strncmp(o.creq.p, "GET\n/\n", 6) == 0, "empty path is /");

	s.token = "tok/en+=";
	r.payload_hash = SIGV4_UNSIGNED_PAYLOAD;
	sigv4_sign(&s, &r, SUITE_TIME, &o, err, sizeof err);
	ok(o.nheaders == 4, "token: 4 headers");
	is_str(o.headers[1], "X-Amz-Content-SHA256: UNSIGNED-PAYLOAD",
	    "unsigned payload header");
	is_str(o.headers[2], "X-Amz-Security-Token: tok/en+=", "token header");
	ok(strstr(o.authz.p, "SignedHeaders=host;x-amz-content-sha256;"
	    "x-amz-date;x-amz-security-token,") != NULL, "token is signed");
	ok(o.creq.len > 16 && strcmp(o.creq.p + o.creq.len - 16,
	    "UNSIGNED-PAYLOAD") == 0, "unsigned payload in creq");
	sigv4_out_free(&o);
}

static void
presign_cases(void)
{
	struct sigv4_signer s = { "AKID", "secret", "T/o+k=", "eu-west-1",
	    "s3", 0 };
	struct sigv4_kv q[] = { { "uploads", NULL },
	    { "response-content-type", "text/plain; a=b" } };
	struct sigv4_kv bad[] = { { "X-Amz-Signature", "x" } };
	struct sigv4_req r = { "GET", "http", "127.0.0.1:9000", "/b/k", q, 2,
	    NULL, 0, NULL };
	struct sigv4_out o = { 0 };
	char err[256] = "";
	const char *t;

	ok(sigv4_presign(&s, &r, SUITE_TIME, 0, &o, err, sizeof err) == -1,
	    "expires 0 refused: %s", err);
	ok(sigv4_presign(&s, &r, SUITE_TIME, 604801, &o, err,
	    sizeof err) == -1, "expires 604801 refused");
	ok(sigv4_presign(&s, &r, SUITE_TIME, 604800, &o, err,
	    sizeof err) == 0, "expires 604800 taken");
	ok(strncmp(o.url.p, "http://127.0.0.1:9000/b/k?uploads&response-"
	    "content-type=text%2Fplain%3B%20a%3Db&X-Amz-Algorithm=", 73) == 0,
	    "presign: caller parameters first, encoded: %s", o.url.p);
	t = strstr(o.url.p, "&X-Amz-Security-Token=T%2Fo%2Bk%3D&X-Amz-Sign"
	    "ature=");
	ok(t != NULL && strlen(t) == 34 + 17 + 64,
	    "presign: token before the signature, signature last");
	ok(strstr(o.creq.p, "\nX-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Creden"
	    "tial=AKID%2F20150830%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date="
	    "20150830T123600Z&X-Amz-Expires=604800&X-Amz-Security-Token=T%2Fo"
	    "%2Bk%3D&X-Amz-SignedHeaders=host&response-content-type=text%2Fpl"
	    "ain%3B%20a%3Db&uploads=\n") != NULL,
	    "presign: canonical query sorted, uploads=");
	ok(o.creq.len > 16 && strcmp(o.creq.p + o.creq.len - 16,
	    "UNSIGNED-PAYLOAD") == 0, "presign s3: UNSIGNED-PAYLOAD");
	r.query = bad;
	r.nquery = 1;
	ok(sigv4_presign(&s, &r, SUITE_TIME, 60, &o, err, sizeof err) == -1,
	    "X-Amz-Signature parameter refused: %s", err);
	sigv4_out_free(&o);
}

static void
errors(void)
{
	struct sigv4_signer s = { "AKID", "secret", NULL, "us-east-1", "s3",
	    0 };
	struct sigv4_kv h1[] = { { "Authorization", "x" } };
	struct sigv4_kv h2[] = { { "X-Amz-Content-Sha256", "x" } };
	struct sigv4_kv h3[] = { { "X-Evil", "a\r\nInjected: 1" } };
	struct sigv4_kv h4[] = { { "Bad Name", "v" } };
	struct sigv4_req r = { "GET", NULL, "h", "/k", NULL, 0, NULL, 0,
	    NULL };
	struct sigv4_out o = { 0 };
	char err[256] = "";

	r.headers = h1;
	r.nheaders = 1;
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "Authorization from the caller refused: %s", err);
	r.headers = h2;
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "s3: x-amz-content-sha256 from the caller refused");
	s.service = "sqs";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == 0,
	    "sqs: x-amz-content-sha256 is an ordinary header");
	r.headers = h3;
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "CR LF in a header value refused");
	r.headers = h4;
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "space in a header name refused");
	r.headers = NULL;
	r.nheaders = 0;
	r.path = "/a?b";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "? in path refused");
	r.path = "a";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "relative path refused");
	r.path = "/";
	r.method = "get";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "lower-case method refused");
	r.method = "GET";
	s.secret = "";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "empty secret refused");
	s.secret = "x";
	s.token = "a\nb";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "newline in token refused");
	s.token = NULL;
	s.region = "us east";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == -1,
	    "space in region refused");
	s.region = "us-east-1";
	ok(sigv4_sign(&s, &r, 0, &o, err, sizeof err) == 0 &&
	    strcmp(o.amzdate, "19700101T000000Z") == 0, "time 0 is 1970");
	sigv4_out_free(&o);
}

static void
helpers(void)
{
	struct buf b = { 0 };
	struct sigv4_hash h;
	char hex[65], err[128];
	const char *fox = "The quick brown fox jumps over the lazy dog";
	unsigned char key[32];
	size_t i;

	enc_pct(&b, "a b/c~d+e%f*é", strlen("a b/c~d+e%f*é"), 1);
	is_str(b.p, "a%20b/c~d%2Be%25f%2A%C3%A9", "uri_encode keep slash");
	buf_reset(&b);
	enc_pct(&b, "a/b", 3, 0);
	is_str(b.p, "a%2Fb", "uri_encode slash encoded");
	buf_reset(&b);
	enc_pct(&b, "", 0, 0);
	is_str(b.p, "", "uri_encode empty");
	buf_reset(&b);
	sigv4_sha256_hex("", 0, hex);
	is_str(hex, SIGV4_EMPTY_SHA256, "sha256 of nothing");
	sigv4_sha256_hex("abc", 3, hex);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61"
	    "f20015ad", "sha256 abc");

	ok(sigv4_hash_init(&h, SIGV4_SHA256 | SIGV4_MD5, err, sizeof err) ==
	    0, "hash init");
	for (i = 0; i < strlen(fox); i += 5)
		sigv4_hash_update(&h, fox + i, strlen(fox + i) < 5 ?
		    strlen(fox + i) : 5);
	ok(sigv4_hash_final(&h) == 0, "hash final");
	is_str(h.sha256_hex, "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb76"
	    "2d02d0bf37c9e592", "streamed sha256");
	is_str(h.md5_hex, "9e107d9d372bb6826bd81d3542a419d6", "streamed md5");
	enc_base64(&b, h.md5_sum, 16, ENC_B64);
	is_str(b.p, "nhB9nTcrtoJr2B01QqQZ1g==", "base64 md5 (Content-MD5)");
	sigv4_hash_free(&h);
	ok(sigv4_hash_init(&h, SIGV4_MD5, err, sizeof err) == 0 &&
	    h.sha256 == NULL && h.md5 != NULL, "md5 only");
	sigv4_hash_free(&h);
	sigv4_hash_free(&h);

	/* the derivation example of the SigV4 docs (kSigning in hex) */
	sigv4_signing_key(SUITE_SECRET, "20150830", "us-east-1", "iam", key);
	enc_hex(hex, key, 32);
	is_str(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c"
	    "154a4b9", "signing key (docs example)");
	buf_free(&b);
}

/* Driver modes for tests/sigv4-botocore.t. */
static int
drive(int argc, char **argv)
{
	struct sigv4_kv q[32], h[32];
	struct sigv4_signer s = { 0 };
	struct sigv4_req r = { 0 };
	struct sigv4_out o = { 0 };
	struct buf path = { 0 };
	char err[256] = "", *p;
	int i, rc, presign;

	if (argc == 3 && strcmp(argv[1], "encode") == 0) {
		enc_pct(&path, argv[2], strlen(argv[2]), 1);
		printf("%s\n", path.p);
		buf_free(&path);
		return 0;
	}
	presign = argc >= 10 && strcmp(argv[1], "presign") == 0;
	if (!presign && (argc < 10 || strcmp(argv[1], "sign") != 0)) {
		fprintf(stderr, "usage: see the top of tests/unit/sigv4.c\n");
		return 2;
	}
	s.key = getenv("AWS_ACCESS_KEY_ID");
	s.secret = getenv("AWS_SECRET_ACCESS_KEY");
	s.token = getenv("AWS_SESSION_TOKEN");
	if (s.token != NULL && *s.token == '\0')
		s.token = NULL;
	r.method = argv[2];
	r.scheme = argv[3];
	r.host = argv[4];
	enc_pct(&path, argv[5], strlen(argv[5]), 1);
	r.path = path.p;
	s.region = argv[6];
	s.service = argv[7];
	if (!presign && strcmp(argv[9], "-") != 0)
		r.payload_hash = argv[9];
	for (i = 10; i < argc; i++) {
		if (strncmp(argv[i], "q:", 2) == 0 && r.nquery < 32) {
			q[r.nquery].name = argv[i] + 2;
			p = strchr(argv[i] + 2, '=');
			q[r.nquery].value = p ? p + 1 : NULL;
			if (p)
				*p = '\0';
			r.nquery++;
		} else if (strncmp(argv[i], "h:", 2) == 0 && r.nheaders < 32 &&
		    (p = strchr(argv[i] + 2, ':')) != NULL) {
			*p = '\0';
			h[r.nheaders].name = argv[i] + 2;
			h[r.nheaders].value = p + 1;
			r.nheaders++;
		} else {
			fprintf(stderr, "sigv4: bad argument %s\n", argv[i]);
			return 2;
		}
	}
	r.query = q;
	r.headers = h;
	if (presign)
		rc = sigv4_presign(&s, &r, strtol(argv[9], NULL, 10),
		    strtol(argv[8], NULL, 10), &o, err, sizeof err);
	else
		rc = sigv4_sign(&s, &r, strtol(argv[8], NULL, 10), &o, err,
		    sizeof err);
	if (rc == -1) {
		fprintf(stderr, "sigv4: %s\n", err);
	} else if (presign) {
		printf("%s\n", o.url.p);
	} else {
		printf("%s\n--\n%s\n--\n%s\n--\n", o.creq.p, o.authz.p,
		    o.url.p);
		for (i = 0; o.headers[i] != NULL; i++)
			printf("%s\n", o.headers[i]);
	}
	sigv4_out_free(&o);
	buf_free(&path);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		return drive(argc, argv);
	walk(SUITE);
	ok(ncases == 34, "34 suite cases found (%d)", ncases);
	s3_doc();
	golden();
	modes();
	presign_cases();
	errors();
	helpers();
	return done_testing();
}
