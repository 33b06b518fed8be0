/* sqs: signed requests to one AWS endpoint with retries, and the SQS
 * (JSON 1.0) calls of the queue tools; SNS's are in lib/sns */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "awsauth.h"
#include "enc.h"
#include "msg.h"
#include "sigv4.h"
#include "sqs.h"
#include "sys.h"

#define SQS_JSON_TYPE	"application/x-amz-json-1.0"

/* split scheme://host[:port][/path] into host and path */
static int
split_endpoint(struct sqs_client *c, char *err, size_t errlen)
{
	const char *h, *p;

	h = strstr(c->endpoint, "://");
	if (h == NULL)
		return sys_err(err, errlen, "bad endpoint '%s'", c->endpoint);
	h += 3;
	p = strchr(h, '/');
	if (p == NULL)
		p = h + strlen(h);
	if (p == h || memchr(h, '@', (size_t)(p - h)) != NULL)
		return sys_err(err, errlen, "bad endpoint '%s'", c->endpoint);
	c->host = xstrndup(h, (size_t)(p - h));
	/* curl leaves the default port out of Host: sign what it sends */
	if (strncmp(c->endpoint, "http:", 5) == 0 &&
	    strlen(c->host) > 3 &&
	    strcmp(c->host + strlen(c->host) - 3, ":80") == 0)
		c->host[strlen(c->host) - 3] = '\0';
	else if (strncmp(c->endpoint, "https:", 6) == 0 &&
	    strlen(c->host) > 4 &&
	    strcmp(c->host + strlen(c->host) - 4, ":443") == 0)
		c->host[strlen(c->host) - 4] = '\0';
	c->path = xstrdup(*p == '/' ? p : "/");
	return 0;
}

int
sqs_open(struct sqs_client *c, const char *service,
    const char *explicit_url, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->service = service;
	c->timeout = 30;
	if (http_client_init(&c->http, err, errlen) < 0)
		return -1;
	if (http_retry_init(&c->http.retry, 3, 200, AWSAUTH_BACKOFF_MAX, err,
	    errlen) < 0)
		return -1;
	c->http.retry.all = 1;	/* every request may be sent again */
	c->region = aws_region(NULL);
	if (aws_endpoint(&c->endpoint, service, c->region, explicit_url,
	    NULL, err, errlen) == -1)
		return -1;
	if (split_endpoint(c, err, errlen) == -1)
		return -1;
	if (aws_creds_load(&c->creds, NULL, err, errlen) == -1)
		return -1;
	return 0;
}

int
sqs_setup(struct sqs_client *c, const struct sqs_setup *s, int *code,
    char *err, size_t errlen)
{
	char *ep, why[1024];
	int rc;

	*code = EX_CONFIG;
	if (s->errors != NULL && nd_errors_open(s->errors, err, errlen) == -1)
		return -1;
	*code = EX_SYSTEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	*code = EX_CONFIG;
	ep = strcmp(s->service, "sqs") == 0 ? sqs_endpoint_for(s->endpoint,
	    s->queue) : (s->endpoint ? xstrdup(s->endpoint) : NULL);
	rc = sqs_open(c, s->service, ep, err, errlen);
	free(ep);
	if (rc == -1)
		return -1;
	c->on_retry = s->on_retry;
	c->stop = s->stop;
	if (s->queue == NULL)
		return 0;
	if (sqs_queue_url(c, s->queue, s->url, why, sizeof(why)) == -1) {
		*code = c->fail == SQS_FAIL_CANCELED ? EX_OK :
		    sqs_fail_exit(c);
		snprintf(err, errlen, "cannot find queue %s: %s", s->queue,
		    why);
		return -1;
	}
	return 0;
}

int
sqs_batch_fail(const struct sqs_client *c)
{
	if (c->fail != SQS_FAIL_TEMP)
		return EX_REMOTE;
	nd_set_status(EX_TEMPFAIL);
	return 0;
}

int
sqs_fail_exit(const struct sqs_client *c)
{
	return c->fail == SQS_FAIL_TEMP ? EX_TEMPFAIL : EX_REMOTE;
}

void
sqs_close(struct sqs_client *c)
{
	http_client_free(&c->http);
	aws_creds_free(&c->creds);
	free(c->endpoint);
	free(c->host);
	free(c->path);
	free(c->region);
	buf_free(&c->resp);
	memset(c, 0, sizeof(*c));
}

/* what post() signs: the body's hash and its two signed headers */
struct post {
	struct sqs_client *c;
	const char *ctype, *target, *hash;
};

/* before each attempt: credentials fresh, signed at the corrected clock */
static int
sign(struct http_call *q, char *err, size_t errlen)
{
	struct post *p = q->arg;
	struct sqs_client *c = p->c;
	struct sigv4_req r;
	struct sigv4_out o;
	struct sigv4_kv hk[2];
	struct buf line = {0};
	char why[512];
	size_t i;

	c->code[0] = '\0';
	curl_slist_free_all(q->headers);
	q->headers = NULL;
	if (aws_creds_refresh(&c->creds, time(NULL), why, sizeof(why)) ==
	    -1 && c->creds.expires != 0 && c->creds.expires <= time(NULL))
		return sys_err(err, errlen, "%s", why);
	hk[0].name = "Content-Type";
	hk[0].value = p->ctype;
	hk[1].name = "X-Amz-Target";
	hk[1].value = p->target;
	memset(&r, 0, sizeof(r));
	r.method = "POST";
	r.host = c->host;
	r.path = c->path;
	r.headers = hk;
	r.nheaders = p->target != NULL ? 2 : 1;
	r.payload_hash = p->hash;
	memset(&o, 0, sizeof(o));
	if (awsauth_sign(&c->creds, c->region, c->service, 0, &r, &o, why,
	    sizeof(why)) == -1) {
		sigv4_out_free(&o);
		return sys_err(err, errlen, "cannot sign: %s", why);
	}
	for (i = 0; i < o.nheaders; i++)
		q->headers = curl_slist_append(q->headers, o.headers[i]);
	sigv4_out_free(&o);
	for (i = 0; i < r.nheaders; i++) {
		buf_reset(&line);
		buf_addf(&line, "%s: %s", hk[i].name, hk[i].value);
		q->headers = curl_slist_append(q->headers, line.p);
	}
	buf_free(&line);
	return 0;
}

/* an answer that is not 2xx: the error document's code and words */
static int
judge(struct http_call *q, char *why, size_t whylen)
{
	struct sqs_client *c = ((struct post *)q->arg)->c;
	const char *p = c->resp.p ? c->resp.p : "";
	char *code, *message;
	int got;

	/* moto answers XML even to JSON requests */
	got = aws_json_error(p, c->resp.len, &code, &message);
	if (got != 1) {
		free(code);
		free(message);
		got = aws_xml_error(p, c->resp.len, &code, &message);
	}
	if (got == 0 && code == NULL) {
		/* moto: <ErrorResponse><Errors><Error> */
		code = aws_xml_text(c->resp.p, c->resp.len, "Code");
		message = aws_xml_text(c->resp.p, c->resp.len, "Message");
		got = code != NULL ? 1 : 0;
	}
	if (got == 1 && code != NULL) {
		snprintf(c->code, sizeof(c->code), "%s", code);
		if (code[0] == '\0' && message == NULL)
			/* an empty code: still a reason */
			snprintf(why, whylen, "HTTP %ld: an error with an "
			    "empty code", q->status);
		else
			snprintf(why, whylen, "%s%s%s", code, message ? ": " :
			    "", message ? message : "");
	} else {
		/* not an AWS error document: show a bit */
		snprintf(why, whylen, "HTTP %ld%s%.*s", q->status,
		    c->resp.len ? ": " : "", (int)(c->resp.len < 200 ?
		    c->resp.len : 200), p);
	}
	/* the server's text goes on one line of stderr */
	for (got = 0; why[got] != '\0'; got++)
		if (why[got] == '\n' || why[got] == '\r')
			why[got] = ' ';
	free(code);
	free(message);
	/* a clock the server says is off: signed again at the corrected
	 * time by the retry */
	return http_retry_temp(&c->http.retry, CURLE_OK, q->status, 0) ||
	    awsauth_temp_code(c->code) || awsauth_skewed(c->code, q->date[0] ?
	    q->date : NULL);
}

int
sqs_post(struct sqs_client *c, const char *ctype, const char *target,
    const char *body, size_t len, long wait, int abortable, char *err,
    size_t errlen)
{
	char hash[65];
	struct post p = { c, ctype, target, hash };
	struct http_call q;
	struct buf url = {0};
	int rc;

	sigv4_sha256_hex(body, len, hash);
	buf_adds(&url, c->endpoint);
	if (strchr(strstr(c->endpoint, "://") + 3, '/') == NULL)
		buf_addc(&url, '/');
	memset(&q, 0, sizeof(q));
	q.url = url.p;
	q.body = body;
	q.bodylen = len;
	q.wait_ms = wait * 1000;
	q.abortable = abortable;
	q.prepare = sign;
	q.judge = judge;
	q.arg = &p;
	q.out = &c->resp;
	c->http.timeout_ms = c->timeout * 1000;
	c->http.stop = c->stop;
	c->http.on_retry = c->on_retry;
	c->code[0] = '\0';
	rc = http_once(&c->http, &q);
	curl_slist_free_all(q.headers);
	buf_free(&url);
	c->status = q.status;
	snprintf(c->date, sizeof(c->date), "%s", q.date);
	if (rc == 0) {
		c->fail = SQS_FAIL_NONE;
		return 0;
	}
	c->fail = q.result == HTTP_CANCELED ? SQS_FAIL_CANCELED :
	    q.result == HTTP_FAIL_TEMP ? SQS_FAIL_TEMP : SQS_FAIL_REMOTE;
	return sys_err(err, errlen, "%s", q.err);
}

int
sqs_call(struct sqs_client *c, const char *op, json_t *req, json_t **resp,
    long wait, int abortable, char *err, size_t errlen)
{
	char target[128];

	snprintf(target, sizeof(target), "AmazonSQS.%s", op);
	return aws_json_call(c, target, req, resp, wait, abortable, err,
	    errlen);
}

int
aws_json_call(struct sqs_client *c, const char *target, json_t *req,
    json_t **resp, long wait, int abortable, char *err, size_t errlen)
{
	const char *op = strchr(target, '.') ? strchr(target, '.') + 1 :
	    target;
	char *body;
	json_error_t je;
	int rc;

	*resp = NULL;
	body = json_dumps(req, JSON_COMPACT);
	if (body == NULL) {
		c->fail = SQS_FAIL_REMOTE;
		return sys_err(err, errlen, "cannot encode the %s request", op);
	}
	rc = sqs_post(c, SQS_JSON_TYPE, target, body, strlen(body), wait,
	    abortable, err, errlen);
	free(body);
	if (rc == -1)
		return -1;
	if (c->resp.len == 0) {
		*resp = json_object();
		return 0;
	}
	*resp = json_loadb(c->resp.p, c->resp.len, 0, &je);
	if (*resp == NULL || !json_is_object(*resp)) {
		json_decref(*resp);
		*resp = NULL;
		c->fail = SQS_FAIL_REMOTE;
		return sys_err(err, errlen, "bad %s answer: %s", op,
		    je.text[0] ? je.text : "not an object");
	}
	return 0;
}

int
sqs_queue_url(struct sqs_client *c, const char *q, char **url, char *err,
    size_t errlen)
{
	json_t *req, *resp;
	const char *u;
	int rc;

	*url = NULL;
	if (strncmp(q, "http://", 7) == 0 || strncmp(q, "https://", 8) == 0) {
		*url = xstrdup(q);
		return 0;
	}
	req = json_pack("{s:s}", "QueueName", q);
	if (req == NULL) {
		c->fail = SQS_FAIL_REMOTE;
		return sys_err(err, errlen, "bad queue name");
	}
	/* abortable: a run told to stop need not wait for the answer */
	rc = sqs_call(c, "GetQueueUrl", req, &resp, 0, 1, err, errlen);
	json_decref(req);
	if (rc == -1)
		return -1;
	u = json_string_value(json_object_get(resp, "QueueUrl"));
	if (u == NULL) {
		json_decref(resp);
		c->fail = SQS_FAIL_REMOTE;
		return sys_err(err, errlen, "no QueueUrl in the answer");
	}
	*url = xstrdup(u);
	json_decref(resp);
	return 0;
}

int
sqs_max_size(struct sqs_client *c, const char *qurl, long *max, char *err,
    size_t errlen)
{
	json_t *req, *resp;
	const char *v;
	char *end;
	long n = -1;
	int rc;

	req = json_pack("{s:s, s:[s]}", "QueueUrl", qurl, "AttributeNames",
	    "MaximumMessageSize");
	if (req == NULL) {
		c->fail = SQS_FAIL_REMOTE;
		return sys_err(err, errlen, "bad queue URL");
	}
	rc = sqs_call(c, "GetQueueAttributes", req, &resp, 0, 0, err, errlen);
	json_decref(req);
	if (rc == -1)
		return -1;
	v = json_string_value(json_object_get(json_object_get(resp,
	    "Attributes"), "MaximumMessageSize"));
	if (v != NULL) {
		errno = 0;
		n = strtol(v, &end, 10);
		if (errno != 0 || end == v || *end != '\0')
			n = -1;
	}
	json_decref(resp);
	if (n < SQS_SIZE_MIN || n > SQS_SIZE_MAX) {
		c->fail = SQS_FAIL_REMOTE;
		return sys_err(err, errlen, "no MaximumMessageSize of %d to %d "
		    "in the answer", SQS_SIZE_MIN, SQS_SIZE_MAX);
	}
	*max = n;
	return 0;
}

char *
sqs_endpoint_for(const char *explicit, const char *q)
{
	const char *h;
	size_t n;

	if (explicit != NULL)
		return xstrdup(explicit);
	if (q == NULL || getenv("AWS_ENDPOINT_URL_SQS") != NULL ||
	    getenv("AWS_ENDPOINT_URL") != NULL)
		return NULL;
	if (strncmp(q, "http://", 7) == 0)
		h = q + 7;
	else if (strncmp(q, "https://", 8) == 0)
		h = q + 8;
	else
		return NULL;
	/* a queue URL names its service's host: send the requests there */
	n = strcspn(h, "/?#");
	if (n == 0)
		return NULL;
	return xstrndup(q, (size_t)(h - q) + n);
}

json_t *
sqs_batch_entry(json_t *list, const char *id)
{
	const char *eid;
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		eid = json_string_value(json_object_get(e, "Id"));
		if (eid != NULL && strcmp(eid, id) == 0)
			return e;
	}
	return NULL;
}

int
sqs_batch_error(json_t *failed, const char *id, const char **code,
    const char **message)
{
	json_t *e;

	if ((e = sqs_batch_entry(failed, id)) == NULL)
		return 0;
	*code = json_string_value(json_object_get(e, "Code"));
	*message = json_string_value(json_object_get(e, "Message"));
	if (*code == NULL)
		*code = "failed";
	return 1;
}
