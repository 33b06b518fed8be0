/* pubsub: Google Cloud Pub/Sub REST calls (v1 JSON) with the one retry
 * policy, the emulator, the Authorization hook and resource names */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "msg.h"
#include "nd.h"
#include "pubsub.h"
#include "sys.h"

/*
 * The gRPC codes Google's client libraries retry for publish, pull,
 * acknowledge and modifyAckDeadline (HTTP 409, 499, 500, 503, 504 and
 * 429 carry them in REST; the status says it whatever the HTTP code).
 */
static const char *const temp_codes[] = {
	"ABORTED", "CANCELLED", "DEADLINE_EXCEEDED", "INTERNAL",
	"RESOURCE_EXHAUSTED", "UNAVAILABLE", "UNKNOWN", NULL
};

static int
temp_code(const char *code)
{
	size_t i;

	for (i = 0; temp_codes[i] != NULL; i++)
		if (strcmp(code, temp_codes[i]) == 0)
			return 1;
	return 0;
}

int
pubsub_open(struct pubsub_client *c, const char *explicit_url, char *err,
    size_t errlen)
{
	const char *emu = getenv("PUBSUB_EMULATOR_HOST");
	const char *ep = explicit_url;
	struct buf b = {0};
	size_t n;

	memset(c, 0, sizeof(*c));
	c->timeout = 30;
	if (http_client_init(&c->http, err, errlen) < 0)
		return -1;
	/* Google's libraries retry these calls, publish too */
	if (http_retry_init(&c->http.retry, 3, 200, 20000, err, errlen) < 0)
		goto fail;
	c->http.retry.all = 1;
	c->emulator = emu != NULL && *emu != '\0';
	if (ep == NULL && (ep = getenv("PUBSUB_ENDPOINT")) != NULL &&
	    *ep == '\0')
		ep = NULL;
	if (ep == NULL && c->emulator) {
		if (strpbrk(emu, "/?#@ ") != NULL) {
			sys_err(err, errlen, "bad PUBSUB_EMULATOR_HOST '%s': "
			    "not host:port", emu);
			goto fail;
		}
		buf_addf(&b, "http://%s", emu);
		ep = b.p;
	}
	if (ep == NULL)
		ep = PUBSUB_ENDPOINT_DEFAULT;
	if (http_url_check(ep, err, errlen) < 0)
		goto fail;
	c->endpoint = xstrdup(ep);
	buf_free(&b);
	n = strlen(c->endpoint);
	while (n > 0 && c->endpoint[n - 1] == '/')
		c->endpoint[--n] = '\0';
	return 0;
fail:
	buf_free(&b);
	pubsub_close(c);
	return -1;
}

void
pubsub_close(struct pubsub_client *c)
{
	http_client_free(&c->http);
	gcp_auth_free(&c->gcp);
	free(c->endpoint);
	buf_free(&c->resp);
	memset(c, 0, sizeof(*c));
}

/* pubsub_auth_fn on lib/gcpauth: the token's header value, -1 for a
 * failure that may pass, -2 for credentials refused */
static int
gcp_hook(void *arg, char *hdr, size_t hdrlen, char *err, size_t errlen)
{
	static const char pre[] = "Authorization: ";
	struct gcp_auth *a = arg;
	const char *line, *v;
	char why[1024];

	/* 1: a refresh failed but the token held is good for a while */
	if (gcp_auth_header(a, &line, why, sizeof(why)) >= 0) {
		if (line == NULL || strncmp(line, pre, sizeof(pre) - 1) != 0 ||
		    strlen(v = line + sizeof(pre) - 1) >= hdrlen)
			return sys_err(err, errlen, "no usable token");
		memcpy(hdr, v, strlen(v) + 1);
		return 0;
	}
	/* what was used, named: the key file, never its content */
	if (a->mode == GCP_AUTH_KEY)
		sys_err(err, errlen, "key file %s: %s", a->keyfile, why);
	else
		sys_err(err, errlen, "no GOOGLE_APPLICATION_CREDENTIALS, "
		    "metadata server: %s", why);
	return a->temp ? -1 : -2;
}

static void
gcp_hook_invalidate(void *arg)
{
	gcp_auth_invalidate(arg);
}

/*
 * The Authorization of the tools: none for the emulator, else Google
 * credentials (lib/gcpauth) behind the hook.  A bad key file is a
 * configuration error; the token itself is fetched at the first call.
 */
static int
auth_wire(struct pubsub_client *c, char *err, size_t errlen)
{
	if (c->emulator)
		return 0;
	if (gcp_auth_init(&c->gcp, GCP_AUTH_ENV, GCP_SCOPE_PUBSUB, err,
	    errlen) == -1)
		return -1;
	c->auth = gcp_hook;
	c->invalidate = gcp_hook_invalidate;
	c->auth_arg = &c->gcp;
	return 0;
}

int
pubsub_setup(struct pubsub_client *c, const struct pubsub_setup *s,
    int *code, char *err, size_t errlen)
{
	*code = EX_CONFIG;
	if (s->errors != NULL && nd_errors_open(s->errors, err, errlen) == -1)
		return -1;
	*code = EX_SYSTEM;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		return sys_err(err, errlen, "cannot start libcurl");
	*code = EX_CONFIG;
	if (pubsub_open(c, s->endpoint, err, errlen) == -1)
		return -1;
	c->on_retry = s->on_retry;
	c->stop = s->stop;
	if (auth_wire(c, err, errlen) == -1) {
		pubsub_close(c);
		return -1;
	}
	return 0;
}

int
pubsub_fail_exit(const struct pubsub_client *c)
{
	return c->fail == PUBSUB_FAIL_TEMP ? EX_TEMPFAIL : EX_REMOTE;
}

/* a project: letters, digits and - . _ ~ + % : ("domain.com:project") */
static int
project_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > 255)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789-._~+%:", s[i]) == NULL)
			return 0;
	return 1;
}

/* a topic or subscription: 3 to 255 letters, digits and - . _ ~ + %,
 * a letter first, not "goog" first (Pub/Sub's rule: another name is
 * refused as INVALID_ARGUMENT, for every message of a request) */
static int
resource_ok(const char *s, size_t n)
{
	return n >= 3 && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' &&
	    *s <= 'Z')) && strncmp(s, "goog", 4) != 0 && project_ok(s, n) &&
	    memchr(s, ':', n) == NULL;
}

char *
pubsub_name(const char *kind, const char *project, const char *name,
    char *err, size_t errlen)
{
	struct buf b = {0};
	const char *p, *k;

	if (strncmp(name, "projects/", 9) == 0) {
		p = name + 9;
		k = strchr(p, '/');
		if (k == NULL || !project_ok(p, (size_t)(k - p)) ||
		    strncmp(k + 1, kind, strlen(kind)) != 0 ||
		    k[1 + strlen(kind)] != '/' || !resource_ok(k + 2 +
		    strlen(kind), strlen(k + 2 + strlen(kind))))
			goto bad;
		return xstrdup(name);
	}
	if (project == NULL) {
		snprintf(err, errlen, "'%s' is not projects/PROJECT/%s/NAME "
		    "and no --project", name, kind);
		return NULL;
	}
	if (!project_ok(project, strlen(project))) {
		snprintf(err, errlen, "bad project '%s'", project);
		return NULL;
	}
	if (!resource_ok(name, strlen(name)))
		goto bad;
	buf_addf(&b, "projects/%s/%s/%s", project, kind, name);
	return b.p;
bad:
	snprintf(err, errlen, "bad name '%s': not projects/PROJECT/%s/NAME "
	    "with NAME 3 to 255 letters, digits and -._~+%%, a letter first",
	    name, kind);
	return NULL;
}

/* before each attempt: the headers, with a fresh Authorization */
static int
prepare(struct http_call *q, char *err, size_t errlen)
{
	struct pubsub_client *c = q->arg;
	char hdr[8192], why[1536];
	struct buf line = {0};
	int rc;

	c->code[0] = '\0';
	curl_slist_free_all(q->headers);
	q->headers = NULL;
	if (q->body != NULL)
		q->headers = curl_slist_append(q->headers,
		    "Content-Type: application/json");
	if (c->auth == NULL)
		return 0;
	if ((rc = c->auth(c->auth_arg, hdr, sizeof(hdr), why,
	    sizeof(why))) < 0) {
		c->auth_refused = rc == -2;
		return sys_err(err, errlen, "cannot get a Google token: %s",
		    why);
	}
	buf_addf(&line, "Authorization: %s", hdr);
	OPENSSL_cleanse(hdr, strlen(hdr));
	q->headers = curl_slist_append(q->headers, line.p);
	OPENSSL_cleanse(line.p, line.len);
	buf_free(&line);
	return 0;
}

/* an answer that is not 2xx: Google's error status and message */
static int
judge(struct http_call *q, char *why, size_t whylen)
{
	struct pubsub_client *c = q->arg;
	json_t *doc, *e;
	const char *st = NULL, *m = NULL, *p = c->resp.p ? c->resp.p : "";
	size_t i;

	doc = json_loadb(p, c->resp.len, 0, NULL);
	e = json_object_get(doc, "error");
	if (json_is_object(e)) {
		st = json_string_value(json_object_get(e, "status"));
		m = json_string_value(json_object_get(e, "message"));
	}
	if (st != NULL || m != NULL) {
		snprintf(c->code, sizeof(c->code), "%s", st ? st : "");
		snprintf(why, whylen, "%s%s%s", st ? st : "", st && m ?
		    ": " : "", m ? m : "");
	} else {
		snprintf(why, whylen, "HTTP %ld%s%.*s", q->status,
		    c->resp.len ? ": " : "", (int)(c->resp.len < 200 ?
		    c->resp.len : 200), p);
	}
	json_decref(doc);
	/* the server's text goes on one line of stderr */
	for (i = 0; why[i] != '\0'; i++)
		if (why[i] == '\n' || why[i] == '\r')
			why[i] = ' ';
	if (q->status == 401 && c->invalidate != NULL && !c->refreshed) {
		/* a token revoked or expired early: one fresh one */
		c->invalidate(c->auth_arg);
		c->refreshed = 1;
		return 1;
	}
	return http_retry_temp(&c->http.retry, CURLE_OK, q->status, 0) ||
	    temp_code(c->code);
}

/* the answer as an object: {} for an empty one */
static int
answer(struct pubsub_client *c, json_t **resp, char *err, size_t errlen)
{
	json_error_t je;

	if (c->resp.len == 0) {
		*resp = json_object();
		return 0;
	}
	*resp = json_loadb(c->resp.p, c->resp.len, 0, &je);
	if (*resp != NULL && json_is_object(*resp))
		return 0;
	json_decref(*resp);
	*resp = NULL;
	c->fail = PUBSUB_FAIL_REMOTE;
	return sys_err(err, errlen, "bad answer: %s", je.text[0] ? je.text :
	    "not an object");
}

int
pubsub_call(struct pubsub_client *c, const char *method, const char *name,
    const char *verb, json_t *req, json_t **resp, long wait, int abortable,
    char *err, size_t errlen)
{
	struct http_call q;
	struct buf url = {0};
	char *body = NULL;
	int rc;

	if (resp != NULL)
		*resp = NULL;
	if (req != NULL && (body = json_dumps(req, JSON_COMPACT)) == NULL) {
		c->fail = PUBSUB_FAIL_REMOTE;
		return sys_err(err, errlen, "cannot encode the request");
	}
	buf_addf(&url, "%s/v1/%s%s%s", c->endpoint, name, verb ? ":" : "",
	    verb ? verb : "");
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url.p;
	q.body = body;
	q.bodylen = body ? strlen(body) : 0;
	q.wait_ms = wait * 1000;
	q.abortable = abortable;
	q.prepare = prepare;
	q.judge = judge;
	q.arg = c;
	q.out = &c->resp;
	c->http.timeout_ms = c->timeout * 1000;
	c->http.stop = c->stop;
	c->http.on_retry = c->on_retry;
	c->refreshed = 0;
	c->auth_refused = 0;
	rc = http_once(&c->http, &q);
	curl_slist_free_all(q.headers);
	buf_free(&url);
	free(body);
	c->status = q.status;
	if (rc == -1) {
		c->fail = q.result == HTTP_CANCELED ? PUBSUB_FAIL_CANCELED :
		    c->auth_refused ? PUBSUB_FAIL_REMOTE :
		    q.result == HTTP_FAIL_TEMP || (q.result ==
		    HTTP_FAIL_LOCAL && q.status == 0) ? PUBSUB_FAIL_TEMP :
		    PUBSUB_FAIL_REMOTE;
		return sys_err(err, errlen, "%s", q.err);
	}
	c->fail = PUBSUB_FAIL_NONE;
	return resp != NULL ? answer(c, resp, err, errlen) : 0;
}

int
pubsub_deadline(struct pubsub_client *c, const char *sub, json_t *ids,
    long seconds, char *err, size_t errlen)
{
	json_t *req = json_pack("{s:O, s:I}", "ackIds", ids,
	    "ackDeadlineSeconds", (json_int_t)seconds);
	int rc;

	rc = pubsub_call(c, NULL, sub, "modifyAckDeadline", req, NULL, 0, 0,
	    err, errlen);
	json_decref(req);
	return rc;
}
