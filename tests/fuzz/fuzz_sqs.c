/*
 * fuzz_sqs: SQS (JSON) and SNS (query, XML) answers and container
 * credentials, through the real client code over loopback HTTP.
 *
 * Input: byte 0 picks the HTTP status, byte 1 the call (sqs_call,
 * sns_query, sqs_queue_url, container credentials via aws_creds_load);
 * the rest is the answer's body, served by a server thread on
 * 127.0.0.1.  Checks: success exactly for 2xx answers the call can use;
 * a failure says why on one line and is classed as the status and error
 * code say (lib/sqs.h); the AWS error code is the one the body holds;
 * the body arrives whole; batch entries found carry the Id asked for;
 * credentials are taken exactly when the answer holds usable ones.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sanitizer/lsan_interface.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aws.h"
#include "awsauth.h"
#include "sns.h"
#include "sqs.h"
#include "xmem.h"

static const int statuses[] = { 200, 200, 400, 403, 404, 408, 429, 500,
    503, 413 };
#define NSTATUS (int)(sizeof(statuses) / sizeof(statuses[0]))

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct buf answer;		/* the next response, whole */
static int port;
static struct sqs_client sqs, sns;
static char base[64];

/* Read one request (headers, Content-Length body); 0 or -1 at EOF. */
static int
read_request(int fd, struct buf *in)
{
	char tmp[4096], *end, *cl;
	ssize_t n;
	size_t hlen, blen;

	for (;;) {
		if (in->p != NULL && (end = strstr(in->p, "\r\n\r\n")) !=
		    NULL) {
			hlen = (size_t)(end - in->p) + 4;
			cl = strcasestr(in->p, "\r\nContent-Length:");
			blen = cl != NULL && cl < end ?
			    strtoul(cl + 17, NULL, 10) : 0;
			if (in->len >= hlen + blen) {
				/* every request is signed */
				if (strstr(in->p, "\r\nAuthorization: "
				    "AWS4-HMAC-SHA256 Credential=") == NULL &&
				    strstr(in->p, "GET /creds ") != in->p)
					abort();
				memmove(in->p, in->p + hlen + blen,
				    in->len - hlen - blen);
				in->len -= hlen + blen;
				in->p[in->len] = '\0';
				return 0;
			}
		}
		if ((n = read(fd, tmp, sizeof(tmp))) <= 0)
			return -1;
		buf_add(in, tmp, (size_t)n);
	}
}

static void *
serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	struct buf in = { 0 }, out = { 0 };

	/* the fake server's own buffers: a detached thread still reading
	 * when libFuzzer checks for leaks is not lib code leaking */
	__lsan_disable();
	while (read_request(fd, &in) == 0) {
		pthread_mutex_lock(&mu);
		buf_reset(&out);
		buf_add(&out, answer.p, answer.len);
		pthread_mutex_unlock(&mu);
		if (write(fd, out.p, out.len) != (ssize_t)out.len)
			break;
	}
	close(fd);
	buf_free(&in);
	buf_free(&out);
	return NULL;
}

static void *
listener(void *arg)
{
	int lfd = (int)(intptr_t)arg, fd;
	pthread_t t;

	while ((fd = accept(lfd, NULL, NULL)) >= 0) {
		if (pthread_create(&t, NULL, serve, (void *)(intptr_t)fd) != 0)
			abort();
		pthread_detach(t);
	}
	return NULL;
}

/* the SigV4 suite's example keys */
static void
set_keys(void)
{
	setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
	setenv("AWS_SECRET_ACCESS_KEY",
	    "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	pthread_t t;
	char err[512];
	int lfd;

	(void)argc;
	(void)argv;
	set_keys();
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	unsetenv("AWS_PROFILE");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SQS");
	unsetenv("AWS_ENDPOINT_URL_SNS");
	curl_global_init(CURL_GLOBAL_DEFAULT);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(lfd, 16) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
		abort();
	port = ntohs(a.sin_port);
	if (pthread_create(&t, NULL, listener, (void *)(intptr_t)lfd) != 0)
		abort();
	pthread_detach(t);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", port);
	if (sqs_open(&sqs, "sqs", base, err, sizeof(err)) == -1 ||
	    sns_open(&sns, base, err, sizeof(err)) == -1) {
		fprintf(stderr, "fuzz_sqs: %s\n", err);
		abort();
	}
	sqs.http.retry.retries = sns.http.retry.retries = 0;		/* no sleeping between tries */
	sqs.timeout = sns.timeout = 5;
	return 0;
}

static void
one_line(const char *err)
{
	if (err[0] == '\0' || strpbrk(err, "\r\n") != NULL)
		abort();
}

/* The class a failed answer must get, from its status and body. */
static void
check_failure(const struct sqs_client *c, long status, const char *body,
    size_t len, const char *err)
{
	char *code = NULL, *message = NULL;
	int want_temp;

	one_line(err);
	if (c->fail == SQS_FAIL_NONE || c->fail == SQS_FAIL_CANCELED ||
	    c->status != status)
		abort();
	if (status >= 200 && status < 300) {
		if (c->fail != SQS_FAIL_REMOTE)
			abort();
		return;
	}
	/* a JSON error document names the code the client reports */
	if (aws_json_error(body, len, &code, &message) == 1) {
		if (code == NULL || strchr(code, '#') != NULL ||
		    strncmp(c->code, code, sizeof(c->code) - 1) != 0)
			abort();
	}
	free(code);
	free(message);
	/* the one list of codes that mean "later" (lib/awsauth) */
	want_temp = status == 408 || status == 429 || status >= 500 ||
	    awsauth_temp_code(c->code);
	if (c->fail != (want_temp ? SQS_FAIL_TEMP : SQS_FAIL_REMOTE))
		abort();
}

/* Entries found in a batch answer's lists carry the Id asked for. */
static void
check_batch(json_t *resp)
{
	static const char *const lists[] = { "Successful", "Failed" };
	static const char *const ids[] = { "0", "1", "m-1", "" };
	json_t *e;
	size_t i, j;

	for (i = 0; i < 2; i++)
		for (j = 0; j < 4; j++) {
			e = sqs_batch_entry(json_object_get(resp, lists[i]),
			    ids[j]);
			if (e != NULL && (json_string_value(json_object_get(e,
			    "Id")) == NULL || strcmp(json_string_value(
			    json_object_get(e, "Id")), ids[j]) != 0))
				abort();
		}
}

/* Could these credentials be used, by the rules of lib/aws.h? */
static int
usable_creds(long status, const char *body, size_t len, time_t *exp)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	const char *k, *s, *code, *e;
	int ok;

	*exp = 0;
	if (status != 200 || !json_is_object(j)) {
		json_decref(j);
		return 0;
	}
	k = json_string_value(json_object_get(j, "AccessKeyId"));
	s = json_string_value(json_object_get(j, "SecretAccessKey"));
	code = json_string_value(json_object_get(j, "Code"));
	e = json_string_value(json_object_get(j, "Expiration"));
	ok = k != NULL && *k != '\0' && s != NULL && *s != '\0' &&
	    (code == NULL || strcmp(code, "Success") == 0) &&
	    (e == NULL || aws_parse_time(e, exp) == 0);
	json_decref(j);
	return ok;
}

/* A parsed time prints and parses back to itself. */
static void
check_time(time_t t)
{
	struct tm tm;
	char s[64];
	time_t u;

	if (t < 0 || t > 253402300799LL || gmtime_r(&t, &tm) == NULL)
		return;
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (aws_parse_time(s, &u) != 0 || u != t)
		abort();
}

static void
container(long status, const char *body, size_t len)
{
	struct aws_creds cr;
	char err[512], url[96];
	time_t exp;
	int rc, want;

	snprintf(url, sizeof(url), "%s/creds", base);
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	err[0] = '\0';
	rc = aws_creds_load(&cr, NULL, err, sizeof(err));
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	set_keys();
	want = usable_creds(status, body, len, &exp);
	if (rc == 0) {
		if (!want || strcmp(cr.source, "container") != 0 ||
		    cr.expires != exp || cr.key == NULL || cr.secret == NULL)
			abort();
		check_time(exp);
	} else {
		one_line(err);
		if (want)
			abort();
	}
	aws_creds_free(&cr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 2;
	size_t len = size - 2;
	char err[1024], *url;
	json_t *req, *resp;
	long status;
	int rc, call;

	if (size < 2)
		return 0;
	status = statuses[data[0] % NSTATUS];
	call = data[1] % 4;
	pthread_mutex_lock(&mu);
	buf_reset(&answer);
	buf_addf(&answer, "HTTP/1.1 %ld Fuzz\r\nContent-Type: %s\r\n"
	    "Content-Length: %zu\r\n\r\n", status, call == 1 ? "text/xml" :
	    "application/x-amz-json-1.0", len);
	buf_add(&answer, body, len);
	pthread_mutex_unlock(&mu);

	err[0] = '\0';
	if (call == 0) {
		req = json_pack("{s:s,s:i}", "QueueUrl", base,
		    "MaxNumberOfMessages", 10);
		rc = sqs_call(&sqs, "DeleteMessageBatch", req, &resp, 0, 0,
		    err, sizeof(err));
		json_decref(req);
		if (rc == 0) {
			if (status != 200 || !json_is_object(resp))
				abort();
			check_batch(resp);
			json_decref(resp);
		} else {
			check_failure(&sqs, status, body, len, err);
		}
	} else if (call == 1) {
		rc = sns_query(&sns, "Action=Publish&Message=x", 24, err,
		    sizeof(err));
		if ((rc == 0) != (status == 200))
			abort();
		if (rc == -1)
			check_failure(&sns, status, body, len, err);
		/* the answer arrives whole, for the caller to parse */
		if (sns.resp.len != len || (len > 0 &&
		    memcmp(sns.resp.p, body, len) != 0))
			abort();
		if (rc == 0)
			free(aws_xml_text(sns.resp.p, sns.resp.len,
			    "MessageId"));
	} else if (call == 2) {
		rc = sqs_queue_url(&sqs, "fuzz-queue", &url, err,
		    sizeof(err));
		if (rc == 0) {
			if (status != 200 || url == NULL)
				abort();
			free(url);
		} else {
			if (url != NULL)
				abort();
			check_failure(&sqs, status, body, len, err);
		}
	} else {
		container(status, body, len);
	}
	return 0;
}
