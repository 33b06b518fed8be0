/* awscreds: AWS credentials from the environment, a profile, the
 * container endpoint (ECS, EKS Pod Identity) or EC2 IMDS */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "aws.h"
#include "awsint.h"
#include "enc.h"
#include "http.h"
#include "sys.h"
#include "xmem.h"

#define CONTAINER_HOST "http://169.254.170.2"
#define IMDS_V4 "http://169.254.169.254"
#define IMDS_V6 "http://[fd00:ec2::254]"
#define IMDS_TIMEOUT_MS 1000L
#define CONTAINER_TIMEOUT_MS 2000L
#define CONTAINER_TRIES 3
#define FETCH_MAX 65536		/* credential answers are ~1 KiB */
#define REFRESH_PAUSE 10	/* seconds between two refresh attempts */

void
aws_creds_free(struct aws_creds *c)
{
	free(c->key);
	sys_free_secret(c->secret);
	sys_free_secret(c->token);
	free(c->profile);
	memset(c, 0, sizeof *c);
}

static void
set_creds(struct aws_creds *c, const char *key, const char *secret,
    const char *token, const char *source)
{
	c->key = xstrdup(key);
	c->secret = xstrdup(secret);
	c->token = token != NULL && *token != '\0' ? xstrdup(token) : NULL;
	c->source = source;
}

/* 1: found, 0: none set, -1: half set. */
static int
creds_env(struct aws_creds *c, char *err, size_t errlen)
{
	const char *k = aws_env("AWS_ACCESS_KEY_ID");
	const char *s = aws_env("AWS_SECRET_ACCESS_KEY");
	const char *t = aws_env("AWS_SESSION_TOKEN");

	if (k == NULL && s == NULL)
		return 0;
	if (k == NULL || s == NULL)
		return sys_err(err, errlen, "%s is set but %s is not",
		    k ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    k ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (t == NULL)
		t = aws_env("AWS_SECURITY_TOKEN");	/* the old name */
	set_creds(c, k, s, t, "env");
	return 1;
}

/* Static keys of a profile; 1 found, 0 none, -1 error. */
static int
creds_profile(struct aws_creds *c, const char *name, int must_exist,
    char *err, size_t errlen)
{
	static const char *const unsupported[] = { "role_arn",
	    "credential_process", "sso_session", "sso_start_url",
	    "web_identity_token_file" };
	char *cfile = aws_shared_file("AWS_SHARED_CREDENTIALS_FILE",
	    "~/.aws/credentials");
	char *k, *s, *t, *u;
	const char *where = cfile;
	int seen = 0, rc = 0;
	size_t i;

	k = aws_ini_get(cfile, name, "aws_access_key_id", &seen);
	s = aws_ini_get(cfile, name, "aws_secret_access_key", &seen);
	t = aws_ini_get(cfile, name, "aws_session_token", &seen);
	if (k == NULL && s == NULL) {
		free(t);
		k = aws_profile_get(name, "aws_access_key_id", &seen);
		s = aws_profile_get(name, "aws_secret_access_key", &seen);
		t = aws_profile_get(name, "aws_session_token", &seen);
		where = "the config file";
	}
	if (k != NULL && s != NULL && *k != '\0' && *s != '\0') {
		set_creds(c, k, s, t, "profile");
		rc = 1;
	} else if (k != NULL || s != NULL) {
		rc = sys_err(err, errlen, "profile %s in %s has %s but not %s",
		    name, where, k ? "aws_access_key_id" :
		    "aws_secret_access_key", k ? "aws_secret_access_key" :
		    "aws_access_key_id");
	} else {
		for (i = 0; i < sizeof unsupported / sizeof unsupported[0];
		    i++) {
			u = aws_profile_get(name, unsupported[i], &seen);
			if (u != NULL) {
				free(u);
				rc = sys_err(err, errlen, "profile %s uses "
				    "%s, which is not supported; export "
				    "AWS_ACCESS_KEY_ID and friends instead",
				    name, unsupported[i]);
				break;
			}
		}
		if (rc == 0 && !seen && must_exist)
			rc = sys_err(err, errlen, "profile %s not found in %s "
			    "or the config file", name, cfile);
	}
	free(k);
	sys_free_secret(s);
	sys_free_secret(t);
	free(cfile);
	return rc;
}

/*
 * One small HTTP exchange with the metadata services on c (one kept-alive
 * connection for a token and what it opens): 0 with *status and the
 * answer's body for any status, or -1 with err (no answer).
 */
static int
fetch(struct http_client *c, const char *method, const char *url,
    struct curl_slist *hdrs, long *status, struct buf *body, char *err,
    size_t errlen)
{
	struct http_call q;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.headers = hdrs;
	q.out = body;
	buf_adds(body, "");
	http_once(c, &q);
	*status = q.status;
	if (q.result == HTTP_OK)
		return 0;
	if (body->p != NULL)
		OPENSSL_cleanse(body->p, body->len);
	buf_free(body);
	if (q.result == HTTP_FAIL_LOCAL)
		return sys_err(err, errlen, "%s: answer larger than %d bytes",
		    url, FETCH_MAX);
	return sys_err(err, errlen, "%s: %s", url, q.err);
}

/* c for the metadata services: no retries (the caller's), no proxy */
static int
fetch_client(struct http_client *c, long timeout_ms, char *err,
    size_t errlen)
{
	if (http_client_init(c, err, errlen) < 0)
		return -1;
	c->timeout_ms = c->connect_timeout_ms = timeout_ms;
	/* link-local and loopback services: never through a proxy */
	c->noproxy = "*";
	c->body_max = FETCH_MAX;
	return 0;
}

/* AccessKeyId, SecretAccessKey, Token, Expiration of a JSON answer. */
static int
creds_json(struct aws_creds *c, const struct buf *body, const char *source,
    const char *url, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = json_loadb(body->p, body->len, 0, &je);
	const char *k, *s, *t, *e, *code;
	time_t exp = 0;
	int rc = 0;

	if (j == NULL || !json_is_object(j)) {
		json_decref(j);
		return sys_err(err, errlen, "%s: answer is not a JSON object",
		    url);
	}
	k = json_string_value(json_object_get(j, "AccessKeyId"));
	s = json_string_value(json_object_get(j, "SecretAccessKey"));
	t = json_string_value(json_object_get(j, "Token"));
	e = json_string_value(json_object_get(j, "Expiration"));
	code = json_string_value(json_object_get(j, "Code"));
	/* the service's text is quoted up to a line end: one line */
	if (code != NULL && strcmp(code, "Success") != 0)
		rc = sys_err(err, errlen, "%s: Code %.*s", url,
		    (int)strcspn(code, "\r\n"), code);
	else if (k == NULL || s == NULL || *k == '\0' || *s == '\0')
		rc = sys_err(err, errlen, "%s: no AccessKeyId or "
		    "SecretAccessKey in the answer", url);
	else if (e != NULL && aws_parse_time(e, &exp) == -1)
		rc = sys_err(err, errlen, "%s: bad Expiration %.*s", url,
		    (int)strcspn(e, "\r\n"), e);
	if (rc == 0) {
		set_creds(c, k, s, t, source);
		c->expires = exp;
	}
	json_decref(j);
	return rc;
}

static int
allowed_addr(const struct sockaddr *sa)
{
	static const unsigned char ecs6[16] = { 0xfd, 0, 0x0e, 0xc2, 0, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0x23 };
	const struct sockaddr_in *a4;
	const struct sockaddr_in6 *a6;
	uint32_t a;

	if (sa->sa_family == AF_INET) {
		a4 = (const struct sockaddr_in *)(const void *)sa;
		a = ntohl(a4->sin_addr.s_addr);
		return (a >> 24) == 127 || a == 0xa9feaa02 ||	/* .170.2 */
		    a == 0xa9feaa17;				/* .170.23 */
	}
	if (sa->sa_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)(const void *)sa;
		return IN6_IS_ADDR_LOOPBACK(&a6->sin6_addr) ||
		    memcmp(&a6->sin6_addr, ecs6, 16) == 0;
	}
	return 0;
}

/*
 * AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http to loopback,
 * the ECS or the EKS Pod Identity agent; every address of a name counts.
 */
static int
full_uri_ok(const char *uri, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	struct addrinfo hints, *res = NULL, *ai;
	int rc = -1, n = 0;
	size_t len;

	if (u == NULL)
		return sys_err(err, errlen, "cannot allocate memory");
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		sys_err(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI is "
		    "not a URL");
		goto out;
	}
	if (strcmp(scheme, "https") == 0) {
		rc = 0;
		goto out;
	}
	if (strcmp(scheme, "http") != 0) {
		sys_err(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI must "
		    "be http or https");
		goto out;
	}
	len = strlen(host);
	if (host[0] == '[' && len > 2) {	/* [::1] */
		memmove(host, host + 1, len - 2);
		host[len - 2] = '\0';
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) == 0) {
		rc = 0;
		for (ai = res; ai != NULL; ai = ai->ai_next, n++)
			if (!allowed_addr(ai->ai_addr))
				rc = -1;
		freeaddrinfo(res);
	}
	if (rc == -1 || n == 0) {
		rc = sys_err(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_"
		    "URI: plain http only to loopback, 169.254.170.2 or "
		    "169.254.170.23, not %s", host);
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The Authorization value for the container endpoint, or NULL. */
static int
container_token(char **tok, char *err, size_t errlen)
{
	const char *file = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = aws_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	struct buf b = { 0 };

	*tok = NULL;
	if (file == NULL && v == NULL)
		return 0;
	if (file != NULL) {
		if ((b.p = sys_slurp(file, FETCH_MAX, &b.len, err,
		    errlen)) == NULL)
			return -1;
		b.cap = b.len + 1;
		/* one final newline is an editor's, not the token's */
		if (b.len > 0 && b.p[b.len - 1] == '\n')
			b.p[--b.len] = '\0';
		if (b.len > 0 && b.p[b.len - 1] == '\r')
			b.p[--b.len] = '\0';
	} else {
		buf_adds(&b, v);
	}
	if (b.len == 0 || strlen(b.p) != b.len ||
	    strpbrk(b.p, "\r\n") != NULL) {
		OPENSSL_cleanse(b.p, b.len);
		buf_free(&b);
		return sys_err(err, errlen, "the container authorization "
		    "token is not a legal header value");
	}
	*tok = b.p;
	return 0;
}

/* 1: found, 0: not configured, -1: error. */
static int
creds_container(struct aws_creds *c, char *err, size_t errlen)
{
	const char *rel = aws_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = aws_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct buf url = { 0 }, hdr = { 0 }, body = { 0 };
	struct curl_slist *hl = NULL;
	struct http_client h;
	char *tok = NULL;
	long status = 0;
	int rc, i;

	if (rel != NULL) {
		if (rel[0] != '/')
			return sys_err(err, errlen, "AWS_CONTAINER_"
			    "CREDENTIALS_RELATIVE_URI must start with /");
		buf_addf(&url, CONTAINER_HOST "%s", rel);
	} else if (full != NULL) {
		if (full_uri_ok(full, err, errlen) == -1)
			return -1;
		buf_adds(&url, full);
	} else {
		return 0;
	}
	if (container_token(&tok, err, errlen) == -1) {
		buf_free(&url);
		return -1;
	}
	if (tok != NULL) {
		buf_addf(&hdr, "Authorization: %s", tok);
		hl = curl_slist_append(hl, hdr.p);
		OPENSSL_cleanse(hdr.p, hdr.len);
		sys_free_secret(tok);
	}
	hl = curl_slist_append(hl, "Accept: application/json");
	/* a failure or 5xx asked again at once, on the same connection */
	i = fetch_client(&h, CONTAINER_TIMEOUT_MS, err, errlen) == -1 ?
	    CONTAINER_TRIES : 0;
	for (rc = -1; i < CONTAINER_TRIES && rc == -1; i++) {
		rc = fetch(&h, "GET", url.p, hl, &status, &body, err, errlen);
		if (rc == 0 && status >= 500) {
			buf_free(&body);
			rc = sys_err(err, errlen, "%s: HTTP %ld", url.p,
			    status);
		} else if (rc == 0 && status != 200) {
			buf_free(&body);
			rc = sys_err(err, errlen, "%s: HTTP %ld", url.p,
			    status);
			break;
		}
	}
	if (rc == 0) {
		rc = creds_json(c, &body, "container", url.p, err, errlen);
		if (rc == 0)
			rc = 1;
	}
	http_client_free(&h);
	curl_slist_free_all(hl);
	if (body.p != NULL)
		OPENSSL_cleanse(body.p, body.len);
	buf_free(&body);
	buf_free(&url);
	if (hdr.p != NULL)
		OPENSSL_cleanse(hdr.p, hdr.len);
	buf_free(&hdr);
	return rc;
}

/* 1: found, 0: disabled, -1: error (not on EC2, no role...). */
static int
creds_imds(struct aws_creds *c, char *err, size_t errlen)
{
	const char *base = aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = aws_env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	struct buf url = { 0 }, hdr = { 0 }, body = { 0 }, role = { 0 };
	struct curl_slist *hl = NULL;
	struct http_client h;
	long status;
	size_t n;
	int rc = -1;

	if (aws_is_true(aws_env("AWS_EC2_METADATA_DISABLED")))
		return 0;
	if (base == NULL)
		base = mode != NULL && strcasecmp(mode, "IPv6") == 0 ?
		    IMDS_V6 : IMDS_V4;
	n = strlen(base);
	while (n > 0 && base[n - 1] == '/')
		n--;
	buf_add(&url, base, n);
	buf_adds(&url, "/latest/api/token");
	hl = curl_slist_append(NULL, "X-aws-ec2-metadata-token-ttl-seconds: "
	    "21600");
	/* the token and the two GETs it opens: one connection */
	if (fetch_client(&h, IMDS_TIMEOUT_MS, err, errlen) == -1 ||
	    fetch(&h, "PUT", url.p, hl, &status, &body, err, errlen) == -1)
		goto out;
	curl_slist_free_all(hl);
	hl = NULL;
	while (body.len > 0 && (body.p[body.len - 1] == '\n' ||
	    body.p[body.len - 1] == '\r' || body.p[body.len - 1] == ' '))
		body.p[--body.len] = '\0';
	if (status == 200 && body.len > 0 && strpbrk(body.p, "\r\n") ==
	    NULL) {
		buf_addf(&hdr, "X-aws-ec2-metadata-token: %s", body.p);
		hl = curl_slist_append(NULL, hdr.p);
	} else if ((status == 403 || status == 404 || status == 405) &&
	    !aws_is_true(aws_env("AWS_EC2_METADATA_V1_DISABLED"))) {
		/* IMDSv1 only: go on without a token */
	} else {
		sys_err(err, errlen, "%s: HTTP %ld", url.p, status);
		goto out;
	}
	buf_free(&body);

	buf_reset(&url);
	buf_add(&url, base, n);
	buf_adds(&url, "/latest/meta-data/iam/security-credentials/");
	if (fetch(&h, "GET", url.p, hl, &status, &body, err, errlen) == -1)
		goto out;
	if (status == 404 || (status == 200 && body.len == 0)) {
		sys_err(err, errlen, "%s: no IAM role attached to the "
		    "instance", url.p);
		goto out;
	}
	if (status != 200) {
		sys_err(err, errlen, "%s: HTTP %ld", url.p, status);
		goto out;
	}
	enc_pct(&role, body.p, strcspn(body.p, "\r\n"), 0);
	buf_free(&body);
	buf_adds(&url, role.p);
	if (fetch(&h, "GET", url.p, hl, &status, &body, err, errlen) == -1)
		goto out;
	if (status != 200) {
		sys_err(err, errlen, "%s: HTTP %ld", url.p, status);
		goto out;
	}
	if (creds_json(c, &body, "imds", url.p, err, errlen) == 0)
		rc = 1;
out:
	http_client_free(&h);
	curl_slist_free_all(hl);
	if (body.p != NULL)
		OPENSSL_cleanse(body.p, body.len);
	if (hdr.p != NULL)
		OPENSSL_cleanse(hdr.p, hdr.len);
	buf_free(&body);
	buf_free(&hdr);
	buf_free(&url);
	buf_free(&role);
	return rc;
}

int
aws_creds_load(struct aws_creds *c, const char *profile, char *err,
    size_t errlen)
{
	const char *name = aws_profile_name(profile);
	char ierr[512] = "";
	int rc = 0;

	memset(c, 0, sizeof *c);
	if (profile != NULL && *profile == '\0')
		profile = NULL;
	/* an explicit profile (an option) beats the environment's keys */
	if (profile == NULL)
		rc = creds_env(c, err, errlen);
	if (rc == 0)
		rc = creds_profile(c, name, profile != NULL ||
		    aws_env("AWS_PROFILE") != NULL, err, errlen);
	if (rc == 0)
		rc = creds_container(c, err, errlen);
	if (rc == 0) {
		rc = creds_imds(c, ierr, sizeof ierr);
		if (rc == 0)
			rc = sys_err(err, errlen, "no credentials found: none "
			    "in the environment, profile %s or container "
			    "settings, and IMDS is disabled", name);
		else if (rc == -1)
			rc = sys_err(err, errlen, "no credentials found: none "
			    "in the environment, profile %s or container "
			    "settings, and none from IMDS (%s)", name, ierr);
	}
	if (rc == -1) {
		aws_creds_free(c);
		return -1;
	}
	if (profile != NULL)
		c->profile = xstrdup(profile);
	return 0;
}

int
aws_creds_refresh(struct aws_creds *c, time_t now, char *err, size_t errlen)
{
	struct aws_creds n;

	if (c->expires == 0 || now < c->expires - AWS_REFRESH_MARGIN)
		return 0;
	/* the service may hand out the same keys until near expiry: pause */
	if (c->tried != 0 && now >= c->tried && now - c->tried <
	    REFRESH_PAUSE && now < c->expires)
		return 0;
	c->tried = now;
	if (aws_creds_load(&n, c->profile, err, errlen) == -1)
		return -1;
	aws_creds_free(c);
	*c = n;
	c->tried = now;
	return 1;
}
