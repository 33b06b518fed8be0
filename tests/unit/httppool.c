/*
 * httppool: lib/http's pool against an HTTP/1.1 server in this process
 * (a thread on 127.0.0.1, port 0, one thread per connection, every
 * answer "Connection: close").  The server's routes:
 *   /slow/MS        200 after MS ms, the body its path
 *   /flaky/ID       503 the first time for ID, then 200 "ok"
 *   /sig/ID         503 the first time, then 200 with the X-Sig header
 *   /s3err/ID       200 with an S3 error body the first time, then a
 *                   result body (CompleteMultipartUpload's way)
 *   /s3errall       always 200 with an S3 error body
 *   /deny           403 with an AccessDenied body
 *   /after/ID       503 with Retry-After: 3600 the first time, then 200
 *   /echo/ID        the request body's length and sha256; 503 the first
 *                   time for an odd ID; headers ETag, x-amz-version-id,
 *                   x-amz-checksum-sha256, Date to keep
 * Every loop is bounded in time (RUN_MS) and in rounds.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "sigv4.h"
#include "sys.h"
#include "tap.h"

#define RUN_MS 10000	/* longest wait for a test's transfers */
#define IDS 64

static int port;
static atomic_int quit;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int hits[IDS];

/* how many times ID was asked for before */
static int
hit(const char *s)
{
	int id = atoi(s), n;

	if (id < 0 || id >= IDS)
		id = 0;
	pthread_mutex_lock(&mu);
	n = hits[id]++;
	pthread_mutex_unlock(&mu);
	return n;
}

static void
sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void
send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0 && (w = write(fd, p, n)) > 0) {
		p += w;
		n -= (size_t)w;
	}
}

static void
answer(int fd, int status, const char *extra, const char *body)
{
	char head[1024];

	snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Type: "
	    "text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n"
	    "%s\r\n", status, strlen(body), extra);
	send_all(fd, head, strlen(head));
	send_all(fd, body, strlen(body));
}

/* read one request: its path, its X-Sig, its body (malloc'd) */
static int
read_request(int fd, char path[256], char *sig, size_t slen, char **body,
    size_t *blen)
{
	static const size_t max = 64 * 1024;
	char *req = malloc(max + 1), *end = NULL, *h;
	size_t n = 0, want = 0, have;
	ssize_t r;

	if (req == NULL)
		return -1;
	while (end == NULL && n < max &&
	    (r = read(fd, req + n, max - n)) > 0) {
		n += (size_t)r;
		req[n] = '\0';
		end = strstr(req, "\r\n\r\n");
	}
	if (end == NULL || sscanf(req, "%*s %255s", path) != 1) {
		free(req);
		return -1;
	}
	*end = '\0';
	sig[0] = '\0';
	if ((h = strcasestr(req, "\r\nX-Sig: ")) != NULL)
		snprintf(sig, slen, "%.*s", (int)strcspn(h + 9, "\r"), h + 9);
	if ((h = strcasestr(req, "\r\nContent-Length: ")) != NULL)
		want = strtoul(h + 18, NULL, 10);
	have = n - (size_t)(end + 4 - req);
	if (want > 16 * 1024 * 1024 || (*body = malloc(want + have + 1)) ==
	    NULL) {
		free(req);
		return -1;
	}
	memcpy(*body, end + 4, have);
	while (have < want && (r = read(fd, *body + have, want - have)) > 0)
		have += (size_t)r;
	*blen = have;
	free(req);
	return 0;
}

static const char s3err[] = "<?xml version=\"1.0\"?>\n<Error><Code>"
    "InternalError</Code><Message>try again</Message></Error>";

static void *
serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char path[256], sig[128], sha[65], out[256], hdr[512];
	char *body = NULL;
	size_t blen = 0;

	if (read_request(fd, path, sig, sizeof(sig), &body, &blen) < 0) {
		close(fd);
		return NULL;
	}
	if (strncmp(path, "/slow/", 6) == 0) {
		sleep_ms(atol(path + 6));
		answer(fd, 200, "", path);
	} else if (strncmp(path, "/flaky/", 7) == 0) {
		answer(fd, hit(path + 7) ? 200 : 503, "", "ok");
	} else if (strncmp(path, "/sig/", 5) == 0) {
		answer(fd, hit(path + 5) ? 200 : 503, "", sig);
	} else if (strncmp(path, "/s3err/", 7) == 0) {
		answer(fd, 200, "", hit(path + 7) ? "<CompleteMultipartUpload"
		    "Result/>" : s3err);
	} else if (strcmp(path, "/s3errall") == 0) {
		answer(fd, 200, "", s3err);
	} else if (strncmp(path, "/after/", 7) == 0) {
		if (hit(path + 7) == 0)
			answer(fd, 503, "Retry-After: 3600\r\n", "later");
		else
			answer(fd, 200, "", "ok");
	} else if (strcmp(path, "/deny") == 0) {
		answer(fd, 403, "", "<Error><Code>AccessDenied</Code></Error>");
	} else if (strncmp(path, "/echo/", 6) == 0) {
		if (atoi(path + 6) % 2 == 1 && hit(path + 6) == 0) {
			answer(fd, 503, "", "again");
		} else {
			sigv4_sha256_hex(body, blen, sha);
			snprintf(out, sizeof(out), "%zu %s", blen, sha);
			snprintf(hdr, sizeof(hdr), "ETag: \"e%zu\"\r\n"
			    "x-amz-version-id: v1\r\nX-Amz-Checksum-SHA256: "
			    "c2hh\r\nDate: Wed, 02 Dec 2026 15:00:00 GMT\r\n",
			    blen);
			answer(fd, 200, hdr, out);
		}
	} else {
		answer(fd, 404, "", "no");
	}
	free(body);
	close(fd);
	return NULL;
}

static void *
accept_loop(void *arg)
{
	int ls = (int)(intptr_t)arg, fd, rounds;
	struct pollfd pf;
	pthread_t t;

	for (rounds = 0; !atomic_load(&quit) && rounds < 100000; rounds++) {
		pf.fd = ls;
		pf.events = POLLIN;
		if (poll(&pf, 1, 50) <= 0)
			continue;
		if ((fd = accept(ls, NULL, NULL)) < 0)
			continue;
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) != 0)
			close(fd);
		else
			pthread_detach(t);
	}
	close(ls);
	return NULL;
}

static int
server_start(pthread_t *t)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(ls, 64) < 0 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) < 0)
		return -1;
	port = ntohs(a.sin_port);
	return pthread_create(t, NULL, accept_loop, (void *)(intptr_t)ls);
}

/* ---- the client side ---- */

static char last_why[256];
static int retries_told;

static void
on_retry(struct http_xfer *x, const char *why, int n, int of, long wait)
{
	(void)x;
	(void)n;
	(void)of;
	(void)wait;
	snprintf(last_why, sizeof(last_why), "%s", why);
	retries_told++;
}

/* a pool; stop and tell (NULL: on_retry) for test_stop */
static struct http_pool *
pool_with(int unordered, int jobs, volatile int *stop, void (*tell)(
    struct http_xfer *, const char *, int, int, long))
{
	struct http_opts o;
	char err[256];

	if (http_opts_init(&o, "httppool", err, sizeof(err)) < 0)
		return NULL;
	o.jobs = jobs;
	o.timeout = 10;
	o.unordered = unordered;
	o.on_retry = tell != NULL ? tell : on_retry;
	o.stop = stop;
	return http_pool_new(&o, err, sizeof(err));
}

static struct http_pool *
pool(int unordered, int jobs)
{
	return pool_with(unordered, jobs, NULL, NULL);
}

static struct http_xfer *
xfer(const char *fmt, int arg)
{
	struct http_xfer *x = http_xfer_new();
	char url[256], path[128];

	snprintf(path, sizeof(path), fmt, arg);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	x->url = xstrdup(url);
	return x;
}

/* drive p until n transfers are taken (into got) or RUN_MS pass */
static size_t
run(struct http_pool *p, struct http_xfer **got, size_t n)
{
	int64_t end = sys_now_ms() + RUN_MS;
	struct http_xfer *x;
	char err[256];
	size_t k = 0;
	int rounds;

	for (rounds = 0; k < n && sys_now_ms() < end && rounds < 100000;
	    rounds++) {
		if (http_pool_run(p, 50, -1, err, sizeof(err)) < 0)
			break;
		while (k < n && (x = http_pool_take(p)) != NULL)
			got[k++] = x;
	}
	return k;
}

static int
ends(struct http_xfer *x, const char *suffix)
{
	size_t a = strlen(x->url), b = strlen(suffix);

	return a >= b && strcmp(x->url + a - b, suffix) == 0;
}

/* the one of got[n] whose URL ends in suffix, or NULL */
static struct http_xfer *
pick(struct http_xfer **got, size_t n, const char *suffix)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ends(got[i], suffix))
			return got[i];
	return NULL;
}

static void
free_all(struct http_xfer **got, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		http_xfer_free(got[i]);
}

static void
test_order(int unordered)
{
	static const int ms[] = { 900, 0, 300 };
	struct http_pool *p = pool(unordered, 4);
	struct http_xfer *got[3];
	size_t i, n;

	for (i = 0; i < 3; i++)
		http_pool_add(p, xfer("/slow/%d", ms[i]));
	n = run(p, got, 3);
	ok(n == 3, "%s: the three transfers end", unordered ? "unordered" :
	    "ordered");
	if (n == 3 && unordered)
		ok(ends(got[0], "/slow/0") && ends(got[1], "/slow/300") &&
		    ends(got[2], "/slow/900"), "unordered: taken as they "
		    "finish (0, 300, 900 ms)");
	else if (n == 3)
		ok(ends(got[0], "/slow/900") && ends(got[1], "/slow/0") &&
		    ends(got[2], "/slow/300"), "ordered: taken as added");
	for (i = 0; i < n; i++)
		ok(got[i]->result == HTTP_OK && got[i]->status == 200,
		    "transfer %zu: HTTP 200", i);
	free_all(got, n);
	http_pool_free(p);
}

static int ended;

static void
count_end(struct http_xfer *x)
{
	(void)x;
	ended++;
}

/* eight finished, none taken: the window is full only when ordered */
static void
test_room(int unordered)
{
	struct http_pool *p = pool(unordered, 2);
	int64_t end = sys_now_ms() + RUN_MS;
	struct http_xfer *x, *got[8];
	char err[256];
	int i;

	ended = 0;
	for (i = 0; i < 8; i++) {
		x = xfer("/slow/%d", 0);
		x->ended = count_end;
		http_pool_add(p, x);
	}
	ok(!http_pool_room(p), "%s: eight in flight fill the window",
	    unordered ? "unordered" : "ordered");
	for (i = 0; ended < 8 && sys_now_ms() < end && i < 100000; i++)
		if (http_pool_run(p, 50, -1, err, sizeof(err)) < 0)
			break;
	ok(ended == 8, "eight ended");
	ok(http_pool_room(p) == unordered, "%s: %s", unordered ?
	    "unordered" : "ordered", unordered ? "finished ones leave room" :
	    "finished ones not taken keep the window full");
	ok(run(p, got, 8) == 8, "all taken");
	free_all(got, 8);
	http_pool_free(p);
}

static int signs;

/* a fresh URL and X-Sig header for each attempt */
static int
sign(struct http_xfer *x, char *err, size_t errlen)
{
	char url[256], h[64];

	(void)err;
	(void)errlen;
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/sig/1", port);
	free(x->url);
	x->url = xstrdup(url);
	curl_slist_free_all(x->headers);
	snprintf(h, sizeof(h), "X-Sig: try-%d", signs++);
	x->headers = curl_slist_append(NULL, h);
	return 0;
}

/* signs the first attempt, fails on the retry */
static int
sign_fail(struct http_xfer *x, char *err, size_t errlen)
{
	char url[256];

	if (x->attempts == 0) {
		snprintf(url, sizeof(url), "http://127.0.0.1:%d/flaky/2",
		    port);
		free(x->url);
		x->url = xstrdup(url);
		return 0;
	}
	snprintf(err, errlen, "no credentials");
	return -1;
}

static void
test_sign(void)
{
	struct http_pool *p = pool(1, 2);
	struct http_xfer *x = xfer("/nowhere", 0), *got[2];
	char why[256];

	x->sign = sign;
	http_pool_add(p, x);
	x = xfer("/slow/0", 0);
	x->sign = sign_fail;
	http_pool_add(p, x);
	ok(run(p, got, 2) == 2, "sign: both end");
	x = ends(got[0], "/sig/1") ? got[0] : got[1];
	ok(x->status == 200 && x->attempts == 2, "sign: 503 then 200 on "
	    "the URL sign gave");
	ok(signs == 2, "sign: called before each attempt (%d)", signs);
	ok(x->resp.len == 5 && memcmp(x->resp.p, "try-1", 5) == 0,
	    "sign: the retry carried the fresh header");
	x = x == got[0] ? got[1] : got[0];
	ok(x->result == HTTP_FAIL_LOCAL && x->attempts == 1 &&
	    strcmp(x->err, "no credentials") == 0, "sign: -1 on the retry "
	    "fails it unsent, with its words");
	is_str(http_reason(x, why, sizeof(why)), "no credentials",
	    "sign: http_reason gives sign's words, not the 503");
	free_all(got, 2);
	http_pool_free(p);
}

static char part[300000];
static int body_frees;

static void
body_free(struct http_xfer *x)
{
	if (x->body == part)
		body_frees++;
}

static const char *const keep[] = { "ETag", "x-amz-version-id",
    "x-amz-checksum-sha256", "Date", "Content-Type", NULL };

static void
test_upload(void)
{
	struct http_pool *p = pool(1, 2);
	struct http_xfer *x = xfer("/echo/%d", 3), *got[1];
	char sha[65], want[128];
	size_t i;

	for (i = 0; i < sizeof(part); i++)
		part[i] = (char)(i * 7 + i / 251);
	sigv4_sha256_hex(part, sizeof(part), sha);
	snprintf(want, sizeof(want), "%zu %s", sizeof(part), sha);
	x->method = xstrdup("PUT");
	x->upload = 1;
	x->body = part;
	x->bodylen = sizeof(part);
	x->body_free = body_free;
	x->keep = keep;
	http_pool_add(p, x);
	ok(run(p, got, 1) == 1, "upload: ends");
	ok(x->status == 200 && x->attempts == 2, "upload: 503, then 200 "
	    "(%ld, %d attempts)", x->status, x->attempts);
	ok(x->resp.len == strlen(want) && memcmp(x->resp.p, want,
	    x->resp.len) == 0, "upload: the retry sent the whole body "
	    "again (length, sha256)");
	is_str(http_xfer_header(x, "etag"), "\"e300000\"", "keep: ETag");
	is_str(http_xfer_header(x, "X-Amz-Version-Id"), "v1",
	    "keep: x-amz-version-id");
	is_str(http_xfer_header(x, "x-amz-checksum-sha256"), "c2hh",
	    "keep: x-amz-checksum-sha256 (any case)");
	is_str(http_xfer_header(x, "Date"), "Wed, 02 Dec 2026 15:00:00 GMT",
	    "keep: Date");
	is_str(http_xfer_header(x, "Content-Type"), "text/plain",
	    "keep: Content-Type too");
	is_str(x->ctype, "text/plain", "ctype still set");
	ok(http_xfer_header(x, "Server") == NULL, "a header not named: NULL");
	http_xfer_free(x);
	ok(body_frees == 1, "upload: the borrowed body goes to body_free");
	http_pool_free(p);
}

/* S3's way: an error document, even in a 200, says what to do */
static int
judge(struct http_xfer *x, char *why, size_t whylen)
{
	const char *b = x->resp.p ? x->resp.p : "";

	if (x->resp.len > 0 && strstr(b, "<Code>InternalError</Code>")) {
		snprintf(why, whylen, "%ld InternalError", x->status);
		return 1;
	}
	if (x->status >= 200 && x->status < 300)
		return 0;
	snprintf(why, whylen, "%ld %s", x->status, strstr(b,
	    "AccessDenied") ? "AccessDenied" : "error");
	return -1;
}

static void
test_judge(void)
{
	struct http_pool *p = pool(1, 3);
	struct http_xfer *x, *got[3], *a, *d, *s;
	size_t n;

	retries_told = 0;
	x = xfer("/s3err/%d", 5);
	x->judge = judge;
	http_pool_add(p, x);
	x = xfer("/deny", 0);
	x->judge = judge;
	http_pool_add(p, x);
	x = xfer("/s3errall", 0);
	x->method = xstrdup("POST");
	x->judge = judge;
	http_pool_add(p, x);
	n = run(p, got, 3);
	ok(n == 3, "judge: the three end");
	d = pick(got, n, "/deny");
	a = pick(got, n, "/s3errall");
	s = pick(got, n, "/s3err/5");
	ok(s != NULL && s->attempts == 2 && s->verdict == 0 &&
	    s->result == HTTP_OK, "judge: a 200 with an error body is "
	    "retried, then good");
	ok(d != NULL && d->attempts == 1 && d->verdict == -1 &&
	    d->status == 403 && strcmp(d->err, "403 AccessDenied") == 0,
	    "judge: -1 fails for good at once, its why in err");
	ok(a != NULL && a->attempts == 4 && a->verdict == 1,
	    "judge: 1 on a POST retried to the end (%d attempts)",
	    a != NULL ? a->attempts : 0);
	if (a != NULL) {
		char buf[256];

		is_str(http_reason(a, buf, sizeof(buf)), "200 InternalError",
		    "judge: http_reason gives the judge's words");
	}
	ok(retries_told == 4, "on_retry told 4 times (%d)", retries_told);
	is_str(last_why, "200 InternalError", "on_retry: the judge's why");
	free_all(got, n);
	http_pool_free(p);
}

/* no judge: the retry policy on the status, as before */
static void
test_default(void)
{
	struct http_pool *p = pool(0, 2);
	struct http_xfer *got[1];

	http_pool_add(p, xfer("/flaky/%d", 7));
	ok(run(p, got, 1) == 1 && got[0]->status == 200 &&
	    got[0]->attempts == 2 && got[0]->resp.len == 2,
	    "no judge: 503 retried, then 200");
	free_all(got, 1);
	http_pool_free(p);
}

static void *
waker(void *arg)
{
	sleep_ms(100);
	http_pool_wakeup(arg);
	return NULL;
}

/* a thread's wakeup ends a run that would wait a minute */
static void
test_wakeup(void)
{
	struct http_pool *p = pool(1, 2);
	char err[256];
	int64_t t0;
	pthread_t t;
	int rc;

	if (!ok(pthread_create(&t, NULL, waker, p) == 0, "wakeup: a thread"))
		return;
	t0 = sys_now_ms();
	rc = http_pool_run(p, 60000, -1, err, sizeof(err));
	ok(rc == 0 && sys_now_ms() - t0 < 60000, "wakeup: the run returns "
	    "before its 60 s");
	pthread_join(t, NULL);
	/* many wakeups before the poll sees them: one, then a wait again */
	http_pool_wakeup(p);
	http_pool_wakeup(p);
	ok(http_pool_run(p, 0, -1, err, sizeof(err)) == 0,
	    "wakeup: twice, then a run");
	http_pool_free(p);
}

static volatile int stop_flag;

static void
stop_on_retry(struct http_xfer *x, const char *why, int n, int of,
    long wait)
{
	on_retry(x, why, n, of, wait);
	stop_flag = 1;		/* a TERM while the retry waits */
}

/* o->stop: no retry once set; first attempts still go */
static void
test_stop(void)
{
	struct http_pool *p = pool_with(1, 1, &stop_flag, stop_on_retry);
	struct http_xfer *x, *got[3], *a, *b, *c;
	size_t n;

	retries_told = 0;
	stop_flag = 0;
	http_pool_add(p, xfer("/flaky/%d", 11));
	ok(run(p, got, 1) == 1, "stop: a retry waiting ends");
	ok(got[0]->result == HTTP_CANCELED && got[0]->attempts == 1 &&
	    strcmp(got[0]->err, "not sent: the run was stopped before a "
	    "retry") == 0, "stop: set while a retry waits: canceled (%s)",
	    got[0]->err);
	http_xfer_free(got[0]);
	/* stop set: a 503 is final, a denial too; a first attempt
	 * waiting for the one slot still goes */
	retries_told = 0;
	http_pool_add(p, xfer("/flaky/%d", 12));
	x = xfer("/deny", 0);
	x->judge = judge;
	http_pool_add(p, x);
	http_pool_add(p, xfer("/slow/%d", 0));
	n = run(p, got, 3);
	ok(n == 3, "stop: the three end");
	a = pick(got, n, "/flaky/12");
	b = pick(got, n, "/deny");
	c = pick(got, n, "/slow/0");
	ok(a != NULL && a->result == HTTP_OK && a->status == 503 &&
	    a->attempts == 1, "stop: a 503 is not retried");
	ok(b != NULL && b->verdict == -1 && b->attempts == 1,
	    "stop: the judge's -1 as before");
	ok(c != NULL && c->result == HTTP_OK && c->status == 200,
	    "stop: a transfer not yet started still goes");
	ok(retries_told == 0, "stop: on_retry not told (%d)", retries_told);
	free_all(got, n);
	http_pool_free(p);
}

/* a Retry-After over retry_after_max gives up; o->no_retry_after: the
 * backoff alone */
static void
test_retry_after(void)
{
	struct http_pool *p = pool(1, 2), *q;
	struct http_opts o;
	struct http_xfer *got[1];
	char err[256];

	http_pool_add(p, xfer("/after/%d", 13));
	if (!ok(run(p, got, 1) == 1, "Retry-After 3600: ends")) {
		http_pool_free(p);
		return;
	}
	ok(got[0]->attempts == 1 && got[0]->status == 503 &&
	    strstr(got[0]->err, "Retry-After") != NULL, "Retry-After 3600: "
	    "given up (%s)", got[0]->err);
	free_all(got, 1);
	http_pool_free(p);
	if (http_opts_init(&o, "httppool", err, sizeof(err)) < 0)
		return;
	o.timeout = 10;
	o.no_retry_after = 1;
	q = http_pool_new(&o, err, sizeof(err));
	http_pool_add(q, xfer("/after/%d", 14));
	ok(run(q, got, 1) == 1 && got[0]->attempts == 2 &&
	    got[0]->status == 200, "no_retry_after: retried after the "
	    "backoff, then 200");
	free_all(got, 1);
	http_pool_free(q);
}

int
main(void)
{
	pthread_t t;

	setenv("HOOKPIPE_BACKOFF", "1", 1);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!ok(server_start(&t) == 0, "a server on 127.0.0.1"))
		return done_testing();
	test_order(0);
	test_order(1);
	test_room(0);
	test_room(1);
	test_sign();
	test_upload();
	test_judge();
	test_default();
	test_wakeup();
	test_stop();
	test_retry_after();
	atomic_store(&quit, 1);
	pthread_join(t, NULL);
	curl_global_cleanup();
	return done_testing();
}
