/* gcpauth: Google access tokens from a service-account key file (a JWT
 * exchanged at its token_uri) or the metadata server, cached */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "enc.h"
#include "gcpauth.h"
#include "http.h"
#include "jwt.h"
#include "sys.h"
#include "xmem.h"

#define METADATA_PATH "/computeMetadata/v1/instance/service-accounts/" \
	"default/token"
#define GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define JWT_LIFETIME 3600	/* s: Google's most, google-auth's value */
#define ANSWER_MAX 65536	/* token answers are ~1 KiB */
#define TOKEN_MAX 4096		/* Google's are ~250 bytes */
#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define REFRESH_PAUSE 10000	/* ms between refresh attempts that fail */

static void
wipe_buf(struct buf *b)
{
	if (b->p != NULL)
		OPENSSL_cleanse(b->p, b->len);
	buf_free(b);
}

void
gcp_auth_free(struct gcp_auth *a)
{
	free(a->keyfile);
	free(a->email);
	sys_free_secret(a->key);
	free(a->key_id);
	free(a->project);
	free(a->token_uri);
	free(a->scope);
	sys_free_secret(a->header);
	http_client_free(&a->http);
	memset(a, 0, sizeof(*a));
}

void
gcp_auth_invalidate(struct gcp_auth *a)
{
	sys_free_secret(a->header);
	a->header = NULL;
	a->expires_ms = 0;
}

/* A string member of the key file, or NULL (a missing one: err). */
static const char *
key_str(const json_t *j, const char *name, int need, const char *path,
    char *err, size_t errlen)
{
	const char *s = json_string_value(json_object_get(j, name));

	if (s != NULL && *s == '\0')
		s = NULL;
	if (s == NULL && need)
		sys_err(err, errlen, "key file %s: no %s", path, name);
	return s;
}

/* The fields of key file j at path into a; 0 or -1 with err. */
static int
key_fields(struct gcp_auth *a, const json_t *j, const char *path,
    char *err, size_t errlen)
{
	const char *type, *email, *key, *uri, *v;
	char uerr[256], *t;

	if ((type = key_str(j, "type", 1, path, err, errlen)) == NULL)
		return -1;
	if (strcmp(type, "service_account") != 0)
		/* a type is a short word; anything else is not shown */
		return sys_err(err, errlen, "key file %s: type %s is not "
		    "supported (only service_account)", path,
		    strlen(type) < 40 && strspn(type, LOWER "_") ==
		    strlen(type) ? type : "(not a name)");
	if ((email = key_str(j, "client_email", 1, path, err, errlen)) ==
	    NULL || (key = key_str(j, "private_key", 1, path, err,
	    errlen)) == NULL || (uri = key_str(j, "token_uri", 1, path, err,
	    errlen)) == NULL)
		return -1;
	if (http_url_check(uri, uerr, sizeof(uerr)) == -1)
		return sys_err(err, errlen, "key file %s: token_uri: %s", path,
		    uerr);
	/* the key parsed now: a config error at start, not at the first
	 * request */
	if ((t = jwt_sign_raw("{}", 2, "{}", 2, key, strlen(key), uerr,
	    sizeof(uerr))) == NULL)
		return sys_err(err, errlen, "key file %s: private_key: %s",
		    path, uerr);
	free(t);
	a->email = xstrdup(email);
	a->key = xstrdup(key);
	a->token_uri = xstrdup(uri);
	if ((v = key_str(j, "private_key_id", 0, path, err, errlen)) != NULL)
		a->key_id = xstrdup(v);
	if ((v = key_str(j, "project_id", 0, path, err, errlen)) != NULL)
		a->project = xstrdup(v);
	return 0;
}

/* Read and check the service-account key file at path. */
static int
key_load(struct gcp_auth *a, const char *path, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j;
	const char *pk;
	char *text, serr[512];
	size_t len;
	int rc;

	if ((text = sys_slurp(path, GCP_KEYFILE_MAX, &len, serr,
	    sizeof(serr))) == NULL)	/* "cannot open PATH: why" */
		return sys_err(err, errlen, "GOOGLE_APPLICATION_CREDENTIALS: "
		    "%s", serr);
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	OPENSSL_cleanse(text, len);
	free(text);
	/* je.text may quote the file: only its place is told */
	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return sys_err(err, errlen, "key file %s: not a JSON object "
		    "(line %d, column %d)", path, je.line, je.column);
	}
	rc = key_fields(a, j, path, err, errlen);
	if ((pk = json_string_value(json_object_get(j, "private_key"))) !=
	    NULL)
		OPENSSL_cleanse((char *)pk, strlen(pk));
	json_decref(j);
	if (rc == 0)
		a->keyfile = xstrdup(path);
	return rc;
}

/* The metadata server's token URL, host from GCE_METADATA_HOST. */
static int
metadata_url(struct gcp_auth *a, char *err, size_t errlen)
{
	const char *host = getenv("GCE_METADATA_HOST");
	struct buf u = { 0 };
	char uerr[256];

	if (host == NULL || *host == '\0')
		host = GCP_METADATA_HOST;
	if (strcspn(host, "/?#@ \t\r\n") != strlen(host))
		return sys_err(err, errlen, "GCE_METADATA_HOST is not "
		    "host[:port]");
	buf_addf(&u, "http://%s" METADATA_PATH "?scopes=", host);
	enc_pct(&u, a->scope, strlen(a->scope), 0);
	if (http_url_check(u.p, uerr, sizeof(uerr)) == -1) {
		buf_free(&u);
		return sys_err(err, errlen, "GCE_METADATA_HOST: %s", uerr);
	}
	a->token_uri = u.p;
	return 0;
}

int
gcp_auth_init(struct gcp_auth *a, enum gcp_auth_mode mode,
    const char *scope, char *err, size_t errlen)
{
	const char *path = getenv("GOOGLE_APPLICATION_CREDENTIALS");
	int rc;

	memset(a, 0, sizeof(*a));
	a->scope = xstrdup(scope != NULL ? scope : GCP_SCOPE_PUBSUB);
	a->mode = mode;
	if (mode == GCP_AUTH_NONE)
		return 0;
	if (mode != GCP_AUTH_ENV) {
		gcp_auth_free(a);
		return sys_err(err, errlen, "gcp_auth_init: bad mode");
	}
	if (path != NULL && *path != '\0') {
		a->mode = GCP_AUTH_KEY;
		rc = key_load(a, path, err, errlen);
	} else {
		a->mode = GCP_AUTH_METADATA;
		rc = metadata_url(a, err, errlen);
	}
	if (rc == 0 && (rc = http_client_init(&a->http, err, errlen)) == 0)
		rc = http_retry_init(&a->http.retry, 3, 500, 30000, err,
		    errlen);
	if (rc == -1) {
		gcp_auth_free(a);
		return -1;
	}
	a->http.body_max = ANSWER_MAX;
	/* the exchange is safe to send again: a POST retried as a GET */
	a->http.retry.all = 1;
	if (a->mode == GCP_AUTH_METADATA) {
		a->http.noproxy = "*";	/* link-local: never a proxy */
		a->http.connect_timeout_ms = 3000;
		a->http.timeout_ms = 10000;
	}
	return 0;
}

/* The assertion: an RS256 JWT of the key's, for scope, now. */
static char *
assertion(struct gcp_auth *a, char *err, size_t errlen)
{
	json_int_t now = (json_int_t)time(NULL);
	json_t *c = json_pack("{s:s, s:s, s:s, s:I, s:I}", "iss", a->email,
	    "scope", a->scope, "aud", a->token_uri, "iat", now, "exp",
	    now + JWT_LIFETIME);
	char jerr[JWT_ERR_MAX], *t;

	t = jwt_sign(c, a->key_id, a->key, strlen(a->key), jerr,
	    sizeof(jerr));
	json_decref(c);
	if (t == NULL)
		sys_err(err, errlen, "key file %s: cannot sign the JWT: %s",
		    a->keyfile, jerr);
	return t;
}

/* how much of server text s goes into a message: one line, at most max */
static int
span(const char *s, size_t max)
{
	size_t n = strcspn(s, "\r\n");

	return (int)(n < max ? n : max);
}

/* an answer that is not 2xx: Google's {"error","error_description"} */
static int
judge(struct http_call *q, char *why, size_t whylen)
{
	struct gcp_auth *a = q->arg;
	json_error_t je;
	json_t *j = NULL;
	const char *e, *d;

	if (q->out != NULL && q->out->len > 0)
		j = json_loadb(q->out->p, q->out->len, 0, &je);
	e = json_string_value(json_object_get(j, "error"));
	d = json_string_value(json_object_get(j, "error_description"));
	if (e != NULL && d != NULL)
		snprintf(why, whylen, "HTTP %ld %.*s: %.*s", q->status,
		    span(e, 64), e, span(d, 200), d);
	else if (e != NULL)
		snprintf(why, whylen, "HTTP %ld %.*s", q->status, span(e, 64),
		    e);
	else
		snprintf(why, whylen, "HTTP %ld", q->status);
	json_decref(j);
	return http_retry_temp(&a->http.retry, CURLE_OK, q->status, 1);
}

/* access_token, expires_in, token_type of a 2xx answer into a */
static int
take_token(struct gcp_auth *a, const struct buf *body, const char *url,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(body->p, body->len, 0, &je);
	const char *tok = json_string_value(json_object_get(j,
	    "access_token"));
	const char *type = json_string_value(json_object_get(j,
	    "token_type"));
	json_t *ein = json_object_get(j, "expires_in");
	json_int_t secs = json_is_integer(ein) ? json_integer_value(ein) :
	    ein == NULL ? JWT_LIFETIME : -1;
	struct buf h = { 0 };
	size_t i, n = tok != NULL ? strlen(tok) : 0;
	int rc = -1;

	for (i = 0; i < n && tok[i] > ' ' && tok[i] < 127; i++)
		;
	if (j == NULL || !json_is_object(j))
		sys_err(err, errlen, "token endpoint %s: the answer is not a "
		    "JSON object", url);
	else if (n == 0 || n > TOKEN_MAX || i != n)
		sys_err(err, errlen, "token endpoint %s: no usable "
		    "access_token in the answer", url);
	else if (type != NULL && strcasecmp(type, "Bearer") != 0)
		sys_err(err, errlen, "token endpoint %s: token_type is not "
		    "Bearer", url);
	else if (secs <= 0 || secs > 86400 * 366)
		sys_err(err, errlen, "token endpoint %s: bad expires_in",
		    url);
	else {
		buf_addf(&h, "Authorization: Bearer %s", tok);
		sys_free_secret(a->header);
		a->header = h.p;
		a->expires_ms = sys_now_ms() + (int64_t)secs * 1000;
		rc = 0;
	}
	if (tok != NULL)
		OPENSSL_cleanse((char *)tok, n);
	json_decref(j);
	return rc;
}

/* One token request: the JWT exchange or the metadata GET. */
static int
fetch_token(struct gcp_auth *a, char *err, size_t errlen)
{
	struct http_call q;
	struct buf body = { 0 }, form = { 0 };
	struct curl_slist *hl = NULL;
	char *jwt = NULL, *url = http_url_show(a->token_uri, 0);
	int rc = -1;

	memset(&q, 0, sizeof(q));
	a->temp = 0;
	if (a->mode == GCP_AUTH_KEY) {
		if ((jwt = assertion(a, err, errlen)) == NULL)
			goto out;
		buf_adds(&form, "grant_type=");
		enc_pct(&form, GRANT, strlen(GRANT), 0);
		buf_adds(&form, "&assertion=");
		enc_pct(&form, jwt, strlen(jwt), 0);
		q.method = "POST";
		q.body = form.p;
		q.bodylen = form.len;
		hl = curl_slist_append(hl, "Content-Type: "
		    "application/x-www-form-urlencoded");
	} else {
		q.method = "GET";
		hl = curl_slist_append(hl, "Metadata-Flavor: Google");
	}
	hl = curl_slist_append(hl, "Accept: application/json");
	q.url = a->token_uri;
	q.headers = hl;
	q.out = &body;
	q.judge = judge;
	q.arg = a;
	a->fetches++;
	if (http_once(&a->http, &q) == -1) {
		a->temp = q.result == HTTP_FAIL_TEMP || (q.result == HTTP_OK &&
		    http_status_temp(q.status));
		sys_err(err, errlen, "token endpoint %s: %s", url, q.err);
		goto out;
	}
	rc = take_token(a, &body, url, err, errlen);
out:
	sys_free_secret(jwt);
	wipe_buf(&form);
	wipe_buf(&body);
	curl_slist_free_all(hl);
	free(url);
	return rc;
}

int
gcp_auth_header(struct gcp_auth *a, const char **line, char *err,
    size_t errlen)
{
	int64_t now = sys_now_ms();

	*line = NULL;
	if (a->mode == GCP_AUTH_NONE)
		return 0;
	if (a->header != NULL &&
	    now < a->expires_ms - GCP_REFRESH_MARGIN * 1000) {
		*line = a->header;
		return 0;
	}
	/* a refresh that failed a moment ago is not tried at every call */
	if (a->header != NULL && now < a->expires_ms && a->tried_ms != 0 &&
	    now - a->tried_ms < REFRESH_PAUSE) {
		*line = a->header;
		return 0;
	}
	a->tried_ms = now;
	if (fetch_token(a, err, errlen) == 0) {
		a->tried_ms = 0;
		*line = a->header;
		return 0;
	}
	if (a->header != NULL && sys_now_ms() < a->expires_ms) {
		*line = a->header;
		return 1;
	}
	return -1;
}
