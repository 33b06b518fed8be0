/* aws: credentials, region, endpoints, S3 addressing and AWS error bodies */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include <curl/curl.h>
#include <expat.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws.h"
#include "enc.h"
#include "sigv4.h"
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

static int
fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* A variable's value, NULL when unset or empty (as the SDKs treat it). */
static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

static int
is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

static void
xfree_secret(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

/* ~/x or an environment override; "~/" in the override is expanded. */
static char *
shared_file(const char *var, const char *def)
{
	const char *v = env(var), *home = env("HOME");
	struct buf b = { 0 };

	if (v == NULL)
		v = def;
	if (v[0] == '~' && v[1] == '/' && home != NULL) {
		buf_adds(&b, home);
		buf_adds(&b, v + 1);
	} else {
		buf_adds(&b, v);
	}
	return b.p;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' ||
	    e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* "profile   x " -> "profile x": section names compare normalised. */
static void
norm_section(struct buf *b, char *s)
{
	char *w;

	s = trim(s);
	buf_reset(b);
	buf_adds(b, "");
	w = s + strcspn(s, " \t");
	if (*w != '\0') {
		buf_add(b, s, (size_t)(w - s));
		buf_addc(b, ' ');
		buf_adds(b, trim(w));
	} else {
		buf_adds(b, s);
	}
}

/*
 * The value of key in [section] of an INI file read the way botocore
 * reads it: keys are case-insensitive, "#" and ";" start comments, an
 * empty "parent =" followed by indented "child = v" lines gives
 * "parent.child".  *seen is set when the section exists.
 */
static char *
ini_get(const char *file, const char *section, const char *key, int *seen)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, *p, *eq, *k, *v, *c, *result = NULL;
	size_t cap = 0;
	struct buf sec = { 0 }, parent = { 0 }, full = { 0 };
	int in = 0, indented;

	if (f == NULL)
		return NULL;
	buf_adds(&parent, "");
	while (result == NULL && getline(&line, &cap, f) != -1) {
		indented = line[0] == ' ' || line[0] == '\t';
		p = trim(line);
		if (*p == '\0' || *p == '#' || *p == ';')
			continue;
		if (*p == '[' && !indented) {
			c = strrchr(p, ']');
			in = 0;
			buf_reset(&parent);
			if (c == NULL)
				continue;
			*c = '\0';
			norm_section(&sec, p + 1);
			in = strcmp(sec.p, section) == 0;
			if (in && seen != NULL)
				*seen = 1;
			continue;
		}
		if (!in || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		k = trim(p);
		v = trim(eq + 1);
		/* inline comments: a secret never holds a blank */
		for (c = v; *c != '\0'; c++)
			if ((*c == '#' || *c == ';') && c > v &&
			    (c[-1] == ' ' || c[-1] == '\t')) {
				*c = '\0';
				v = trim(v);
				break;
			}
		for (c = k; *c != '\0'; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c += 'a' - 'A';
		buf_reset(&full);
		if (indented) {
			if (parent.len == 0)
				continue;	/* continuation of a value */
			buf_addf(&full, "%s.%s", parent.p, k);
		} else {
			buf_adds(&full, k);
			buf_reset(&parent);
			if (*v == '\0')
				buf_adds(&parent, k);
		}
		if (strcmp(full.p, key) == 0)
			result = xstrdup(v);
	}
	if (line != NULL)
		OPENSSL_cleanse(line, cap);
	free(line);
	fclose(f);
	buf_free(&sec);
	buf_free(&parent);
	buf_free(&full);
	return result;
}

const char *
aws_profile_name(const char *profile)
{
	if (profile != NULL && *profile != '\0')
		return profile;
	if (env("AWS_PROFILE") != NULL)
		return env("AWS_PROFILE");
	return "default";
}

/* name in the config file: [default] or [profile default], [profile x]. */
static char *
config_get(const char *name, const char *key, int *seen)
{
	char *file = shared_file("AWS_CONFIG_FILE", "~/.aws/config"), *v;
	struct buf sec = { 0 };

	buf_addf(&sec, "profile %s", name);
	v = ini_get(file, sec.p, key, seen);
	if (v == NULL && strcmp(name, "default") == 0)
		v = ini_get(file, "default", key, seen);
	free(file);
	buf_free(&sec);
	return v;
}

char *
aws_config_get(const char *profile, const char *name)
{
	return config_get(aws_profile_name(profile), name, NULL);
}

char *
aws_region(const char *profile)
{
	const char *v;
	char *p;

	if ((v = env("AWS_REGION")) != NULL ||
	    (v = env("AWS_DEFAULT_REGION")) != NULL)
		return xstrdup(v);
	if ((p = aws_config_get(profile, "region")) != NULL && *p != '\0')
		return p;
	free(p);
	return xstrdup("us-east-1");
}

/* Check an endpoint URL and copy it without trailing slashes. */
static int
endpoint_ok(char **url, const char *from, const char *v, char *err,
    size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *q = NULL;
	size_t n;
	int rc = 0;

	if (u == NULL)
		return fail(err, errlen, "cannot allocate memory");
	/* curl also takes "http:/h" and "http:h"; who splits the URL at
	 * "://" later (lib/sqs.c, the Host signed) does not */
	if (curl_url_set(u, CURLUPART_URL, v, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) ||
	    strncasecmp(v, scheme, strlen(scheme)) != 0 ||
	    strncmp(v + strlen(scheme), "://", 3) != 0 ||
	    v[strlen(scheme) + 3] == '/' ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    *host == '\0' ||
	    curl_url_get(u, CURLUPART_QUERY, &q, 0) == CURLUE_OK ||
	    strchr(v, '#') != NULL)
		rc = fail(err, errlen, "invalid endpoint URL in %s: %s", from,
		    v);
	curl_free(scheme);
	curl_free(host);
	curl_free(q);
	curl_url_cleanup(u);
	if (rc == 0) {
		n = strlen(v);
		while (n > 0 && v[n - 1] == '/')
			n--;
		*url = xstrndup(v, n);
	}
	return rc;
}

int
aws_endpoint(char **url, const char *service, const char *region,
    const char *explicit_url, const char *profile, char *err, size_t errlen)
{
	const char *name = aws_profile_name(profile), *v;
	struct buf var = { 0 }, id = { 0 }, sec = { 0 };
	char *s, *p, *file, *reg = NULL;
	int ignore, rc;

	*url = NULL;
	if (explicit_url != NULL)
		return endpoint_ok(url, "option", explicit_url, err, errlen);
	if ((v = env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) != NULL) {
		ignore = is_true(v);
	} else {
		s = config_get(name, "ignore_configured_endpoint_urls", NULL);
		ignore = is_true(s);
		free(s);
	}
	if (!ignore) {
		/* the service id: "s3" -> S3 in variables, s3 in files */
		buf_adds(&var, "AWS_ENDPOINT_URL_");
		buf_adds(&id, "");
		for (v = service; *v != '\0'; v++) {
			buf_addc(&var, *v == '-' || *v == ' ' ? '_' :
			    (*v >= 'a' && *v <= 'z' ? *v - 'a' + 'A' : *v));
			buf_addc(&id, *v == '-' || *v == ' ' ? '_' :
			    (*v >= 'A' && *v <= 'Z' ? *v - 'A' + 'a' : *v));
		}
		if ((v = env(var.p)) != NULL) {
			rc = endpoint_ok(url, var.p, v, err, errlen);
			goto out;
		}
		if ((v = env("AWS_ENDPOINT_URL")) != NULL) {
			rc = endpoint_ok(url, "AWS_ENDPOINT_URL", v, err,
			    errlen);
			goto out;
		}
		if ((s = config_get(name, "services", NULL)) != NULL) {
			buf_addf(&sec, "services %s", s);
			buf_reset(&var);
			buf_addf(&var, "%s.endpoint_url", id.p);
			file = shared_file("AWS_CONFIG_FILE",
			    "~/.aws/config");
			p = ini_get(file, sec.p, var.p, NULL);
			free(file);
			free(s);
			if (p != NULL) {
				rc = endpoint_ok(url, "the config file", p,
				    err, errlen);
				free(p);
				goto out;
			}
		}
		if ((p = config_get(name, "endpoint_url", NULL)) != NULL) {
			rc = endpoint_ok(url, "the config file", p, err,
			    errlen);
			free(p);
			goto out;
		}
	}
	if (region == NULL)
		region = reg = aws_region(profile);
	buf_reset(&var);
	buf_addf(&var, "https://%s.%s.amazonaws.com%s", service, region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
	*url = xstrdup(var.p);
	rc = 0;
out:
	free(reg);
	buf_free(&var);
	buf_free(&id);
	buf_free(&sec);
	return rc;
}

/* ------------------------------------------------------------------ */
/* credentials */

void
aws_creds_free(struct aws_creds *c)
{
	free(c->key);
	xfree_secret(c->secret);
	xfree_secret(c->token);
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
	const char *k = env("AWS_ACCESS_KEY_ID");
	const char *s = env("AWS_SECRET_ACCESS_KEY");
	const char *t = env("AWS_SESSION_TOKEN");

	if (k == NULL && s == NULL)
		return 0;
	if (k == NULL || s == NULL)
		return fail(err, errlen, "%s is set but %s is not",
		    k ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    k ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (t == NULL)
		t = env("AWS_SECURITY_TOKEN");	/* the old name */
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
	char *cfile = shared_file("AWS_SHARED_CREDENTIALS_FILE",
	    "~/.aws/credentials");
	char *k, *s, *t, *u;
	const char *where = cfile;
	int seen = 0, rc = 0;
	size_t i;

	k = ini_get(cfile, name, "aws_access_key_id", &seen);
	s = ini_get(cfile, name, "aws_secret_access_key", &seen);
	t = ini_get(cfile, name, "aws_session_token", &seen);
	if (k == NULL && s == NULL) {
		free(t);
		k = config_get(name, "aws_access_key_id", &seen);
		s = config_get(name, "aws_secret_access_key", &seen);
		t = config_get(name, "aws_session_token", &seen);
		where = "the config file";
	}
	if (k != NULL && s != NULL && *k != '\0' && *s != '\0') {
		set_creds(c, k, s, t, "profile");
		rc = 1;
	} else if (k != NULL || s != NULL) {
		rc = fail(err, errlen, "profile %s in %s has %s but not %s",
		    name, where, k ? "aws_access_key_id" :
		    "aws_secret_access_key", k ? "aws_secret_access_key" :
		    "aws_access_key_id");
	} else {
		for (i = 0; i < sizeof unsupported / sizeof unsupported[0];
		    i++) {
			u = config_get(name, unsupported[i], &seen);
			if (u != NULL) {
				free(u);
				rc = fail(err, errlen, "profile %s uses %s, "
				    "which is not supported; export "
				    "AWS_ACCESS_KEY_ID and friends instead",
				    name, unsupported[i]);
				break;
			}
		}
		if (rc == 0 && !seen && must_exist)
			rc = fail(err, errlen, "profile %s not found in %s "
			    "or the config file", name, cfile);
	}
	free(k);
	xfree_secret(s);
	xfree_secret(t);
	free(cfile);
	return rc;
}

struct fetch {
	struct buf body;
	int toobig;
};

static size_t
fetch_write(char *p, size_t size, size_t n, void *arg)
{
	struct fetch *f = arg;

	if (f->body.len + size * n > FETCH_MAX) {
		f->toobig = 1;
		return 0;
	}
	buf_add(&f->body, p, size * n);
	return size * n;
}

/* One small HTTP exchange with the metadata services. */
static int
fetch(const char *method, const char *url, struct curl_slist *hdrs,
    long timeout_ms, long *status, struct buf *body, char *err,
    size_t errlen)
{
	CURL *h = curl_easy_init();
	char ebuf[CURL_ERROR_SIZE] = "";
	struct fetch f = { { 0 }, 0 };
	CURLcode rc;

	*status = 0;
	if (h == NULL)
		return fail(err, errlen, "cannot start libcurl");
	buf_adds(&f.body, "");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
	/* link-local and loopback services: never through a proxy */
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, ebuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &f);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hookpipe/" HOOKPIPE_VERSION);
	if (hdrs != NULL)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (strcmp(method, "GET") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		buf_free(&f.body);
		if (f.toobig)
			return fail(err, errlen, "%s: answer larger than %d "
			    "bytes", url, FETCH_MAX);
		return fail(err, errlen, "%s: %s", url,
		    ebuf[0] ? ebuf : curl_easy_strerror(rc));
	}
	*body = f.body;
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
		return fail(err, errlen, "%s: answer is not a JSON object",
		    url);
	}
	k = json_string_value(json_object_get(j, "AccessKeyId"));
	s = json_string_value(json_object_get(j, "SecretAccessKey"));
	t = json_string_value(json_object_get(j, "Token"));
	e = json_string_value(json_object_get(j, "Expiration"));
	code = json_string_value(json_object_get(j, "Code"));
	/* the service's text is quoted up to a line end: one line */
	if (code != NULL && strcmp(code, "Success") != 0)
		rc = fail(err, errlen, "%s: Code %.*s", url,
		    (int)strcspn(code, "\r\n"), code);
	else if (k == NULL || s == NULL || *k == '\0' || *s == '\0')
		rc = fail(err, errlen, "%s: no AccessKeyId or "
		    "SecretAccessKey in the answer", url);
	else if (e != NULL && aws_parse_time(e, &exp) == -1)
		rc = fail(err, errlen, "%s: bad Expiration %.*s", url,
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
		return fail(err, errlen, "cannot allocate memory");
	if (curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		fail(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not "
		    "a URL");
		goto out;
	}
	if (strcmp(scheme, "https") == 0) {
		rc = 0;
		goto out;
	}
	if (strcmp(scheme, "http") != 0) {
		fail(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI must "
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
		rc = fail(err, errlen, "AWS_CONTAINER_CREDENTIALS_FULL_URI: "
		    "plain http only to loopback, 169.254.170.2 or "
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
	const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *v = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
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
		return fail(err, errlen, "the container authorization token "
		    "is not a legal header value");
	}
	*tok = b.p;
	return 0;
}

/* 1: found, 0: not configured, -1: error. */
static int
creds_container(struct aws_creds *c, char *err, size_t errlen)
{
	const char *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct buf url = { 0 }, hdr = { 0 }, body = { 0 };
	struct curl_slist *hl = NULL;
	char *tok = NULL;
	long status = 0;
	int rc, i;

	if (rel != NULL) {
		if (rel[0] != '/')
			return fail(err, errlen, "AWS_CONTAINER_CREDENTIALS_"
			    "RELATIVE_URI must start with /");
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
		xfree_secret(tok);
	}
	hl = curl_slist_append(hl, "Accept: application/json");
	for (i = 0, rc = -1; i < CONTAINER_TRIES && rc == -1; i++) {
		rc = fetch("GET", url.p, hl, CONTAINER_TIMEOUT_MS, &status,
		    &body, err, errlen);
		if (rc == 0 && status >= 500) {
			buf_free(&body);
			rc = fail(err, errlen, "%s: HTTP %ld", url.p, status);
		} else if (rc == 0 && status != 200) {
			buf_free(&body);
			rc = fail(err, errlen, "%s: HTTP %ld", url.p, status);
			break;
		}
	}
	if (rc == 0) {
		rc = creds_json(c, &body, "container", url.p, err, errlen);
		if (rc == 0)
			rc = 1;
	}
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
	const char *base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = env("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	struct buf url = { 0 }, hdr = { 0 }, body = { 0 }, role = { 0 };
	struct curl_slist *hl = NULL;
	long status;
	size_t n;
	int rc = -1;

	if (is_true(env("AWS_EC2_METADATA_DISABLED")))
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
	if (fetch("PUT", url.p, hl, IMDS_TIMEOUT_MS, &status, &body, err,
	    errlen) == -1)
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
	    !is_true(env("AWS_EC2_METADATA_V1_DISABLED"))) {
		/* IMDSv1 only: go on without a token */
	} else {
		fail(err, errlen, "%s: HTTP %ld", url.p, status);
		goto out;
	}
	buf_free(&body);

	buf_reset(&url);
	buf_add(&url, base, n);
	buf_adds(&url, "/latest/meta-data/iam/security-credentials/");
	if (fetch("GET", url.p, hl, IMDS_TIMEOUT_MS, &status, &body, err,
	    errlen) == -1)
		goto out;
	if (status == 404 || (status == 200 && body.len == 0)) {
		fail(err, errlen, "%s: no IAM role attached to the instance",
		    url.p);
		goto out;
	}
	if (status != 200) {
		fail(err, errlen, "%s: HTTP %ld", url.p, status);
		goto out;
	}
	enc_pct(&role, body.p, strcspn(body.p, "\r\n"), 0);
	buf_free(&body);
	buf_adds(&url, role.p);
	if (fetch("GET", url.p, hl, IMDS_TIMEOUT_MS, &status, &body, err,
	    errlen) == -1)
		goto out;
	if (status != 200) {
		fail(err, errlen, "%s: HTTP %ld", url.p, status);
		goto out;
	}
	if (creds_json(c, &body, "imds", url.p, err, errlen) == 0)
		rc = 1;
out:
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
		    env("AWS_PROFILE") != NULL, err, errlen);
	if (rc == 0)
		rc = creds_container(c, err, errlen);
	if (rc == 0) {
		rc = creds_imds(c, ierr, sizeof ierr);
		if (rc == 0)
			rc = fail(err, errlen, "no credentials found: none "
			    "in the environment, profile %s or container "
			    "settings, and IMDS is disabled", name);
		else if (rc == -1)
			rc = fail(err, errlen, "no credentials found: none "
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

/* ------------------------------------------------------------------ */
/* S3 addressing */

int
aws_s3_style(const char *s)
{
	if (s == NULL || strcmp(s, "auto") == 0)
		return AWS_S3_AUTO;
	if (strcmp(s, "path") == 0)
		return AWS_S3_PATH;
	if (strcmp(s, "virtual") == 0)
		return AWS_S3_VIRTUAL;
	return -1;
}

/* A bucket that can be a host label: 3-63 of a-z 0-9 - (dots if ok). */
static int
dns_bucket(const char *b, int dots)
{
	size_t n = strlen(b), i;
	struct in_addr a;

	if (n < 3 || n > 63 || b[0] == '-' || b[n - 1] == '-' ||
	    b[0] == '.' || b[n - 1] == '.' || inet_pton(AF_INET, b, &a) == 1)
		return 0;
	for (i = 0; i < n; i++)
		if (!((b[i] >= 'a' && b[i] <= 'z') || (b[i] >= '0' &&
		    b[i] <= '9') || b[i] == '-' || (dots && b[i] == '.' &&
		    b[i + 1] != '.')))
			return 0;
	return 1;
}

static int
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

void
aws_s3_loc_free(struct aws_s3_loc *l)
{
	free(l->url);
	free(l->host);
	free(l->path);
	memset(l, 0, sizeof *l);
}

int
aws_s3_address(struct aws_s3_loc *l, const char *endpoint, const char *bucket,
    const char *key, int style, char *err, size_t errlen)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	struct buf hp = { 0 }, p = { 0 }, url = { 0 };
	struct in_addr a4;
	size_t n;
	int ip, aws, rc = -1;

	memset(l, 0, sizeof *l);
	if (u == NULL)
		return fail(err, errlen, "cannot allocate memory");
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		fail(err, errlen, "invalid endpoint URL %s", endpoint);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
	if (bucket != NULL && *bucket == '\0')
		bucket = NULL;
	if (key != NULL && *key == '\0')
		key = NULL;
	if (bucket == NULL && key != NULL) {
		fail(err, errlen, "an object key needs a bucket");
		goto out;
	}
	ip = host[0] == '[' || inet_pton(AF_INET, host, &a4) == 1;
	aws = ends_with(host, ".amazonaws.com") ||
	    ends_with(host, ".amazonaws.com.cn");
	if (bucket == NULL) {
		l->path_style = 1;
	} else if (style == AWS_S3_PATH) {
		l->path_style = 1;
	} else if (style == AWS_S3_VIRTUAL) {
		if (ip || !dns_bucket(bucket, 1)) {
			fail(err, errlen, "bucket %s cannot be addressed "
			    "virtual-hosted style at %s", bucket, host);
			goto out;
		}
		l->path_style = 0;
	} else if (style == AWS_S3_AUTO) {
		l->path_style = !aws || ip || !dns_bucket(bucket, 0);
	} else {
		fail(err, errlen, "unknown S3 addressing style %d", style);
		goto out;
	}

	buf_adds(&hp, "");
	if (!l->path_style)
		buf_addf(&hp, "%s.", bucket);
	buf_adds(&hp, host);
	if (port != NULL)
		buf_addf(&hp, ":%s", port);
	/* a base path of the endpoint ("http://h/s3") stays in front */
	n = strlen(path);
	while (n > 0 && path[n - 1] == '/')
		n--;
	buf_add(&p, path, n);
	if (bucket != NULL && l->path_style) {
		buf_addc(&p, '/');
		enc_pct(&p, bucket, strlen(bucket), 0);
	}
	if (key != NULL) {
		buf_addc(&p, '/');
		enc_pct(&p, key, strlen(key), 1);
	}
	if (p.len == 0)
		buf_addc(&p, '/');
	buf_addf(&url, "%s://%s%s", scheme, hp.p, p.p);
	l->url = url.p;
	l->host = hp.p;
	l->path = p.p;
	rc = 0;
out:
	if (rc == -1) {
		buf_free(&hp);
		buf_free(&p);
		buf_free(&url);
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return rc;
}

void
aws_s3_etag_multipart(const unsigned char *md5s, size_t nparts, char *out,
    size_t outlen)
{
	unsigned char md[16];
	unsigned int mdlen = sizeof md;
	char hex[33];

	EVP_Digest(md5s, 16 * nparts, md, &mdlen, EVP_md5(), NULL);
	enc_hex(hex, md, sizeof md);
	snprintf(out, outlen, "%s-%zu", hex, nparts);
}

/* ------------------------------------------------------------------ */
/* XML and JSON error bodies */

struct xp {
	struct aws_xml x;	/* first: aws_xml_parse's */
	int depth;
	char *root;
	const char *want;	/* text mode: the element wanted */
	char *found;
	int cap;		/* depth of the element being captured */
	struct buf text;
	int errdepth;		/* error mode: depth of <Error> */
	int field;		/* 1 Code, 2 Message */
	char *code, *message;
};

const char *
aws_xml_local(const char *name)
{
	const char *p = strrchr(name, '|');

	return p != NULL ? p + 1 : name;
}

static void XMLCALL
x_start(void *arg, const XML_Char *name, const XML_Char **attrs)
{
	struct xp *x = arg;
	const char *ln = aws_xml_local(name);

	(void)attrs;
	x->depth++;
	if (x->depth == 1)
		x->root = xstrdup(ln);
	if (x->cap != 0)
		return;
	if (x->want != NULL) {
		if (x->found == NULL && strcmp(ln, x->want) == 0)
			x->cap = x->depth;
	} else if (x->errdepth == 0 && strcmp(ln, "Error") == 0 &&
	    (x->depth == 1 || ((x->depth == 2 || x->depth == 3) &&
	    strcmp(x->root, "ErrorResponse") == 0))) {
		/* <ErrorResponse><Error> (SNS, SQS query) and, from moto,
		 * <ErrorResponse><Errors><Error> */
		x->errdepth = x->depth;
	} else if (x->errdepth != 0 && x->depth == x->errdepth + 1) {
		if (strcmp(ln, "Code") == 0 && x->code == NULL)
			x->field = 1;
		else if (strcmp(ln, "Message") == 0 && x->message == NULL)
			x->field = 2;
		if (x->field != 0)
			x->cap = x->depth;
	}
	if (x->cap != 0)
		buf_reset(&x->text);
}

static void XMLCALL
x_end(void *arg, const XML_Char *name)
{
	struct xp *x = arg;

	(void)name;
	if (x->cap == x->depth) {
		buf_adds(&x->text, "");
		if (x->want != NULL)
			x->found = xstrdup(x->text.p);
		else if (x->field == 1)
			x->code = xstrdup(x->text.p);
		else if (x->field == 2)
			x->message = xstrdup(x->text.p);
		x->cap = 0;
		x->field = 0;
	}
	if (x->depth == x->errdepth)
		x->errdepth = -1;	/* only the first <Error> counts */
	x->depth--;
}

static void XMLCALL
x_text(void *arg, const XML_Char *s, int len)
{
	struct xp *x = arg;

	if (x->cap != 0 && len > 0)
		buf_add(&x->text, s, (size_t)len);
}

/* AWS never sends a DTD; refusing one rules out entity tricks. */
static void XMLCALL
x_doctype(void *arg, const XML_Char *name, const XML_Char *sysid,
    const XML_Char *pubid, int has_internal_subset)
{
	struct aws_xml *x = arg;

	(void)name;
	(void)sysid;
	(void)pubid;
	(void)has_internal_subset;
	x->bad = 1;
	XML_StopParser(x->p, XML_FALSE);
}

int
aws_xml_parse(struct aws_xml *x, const char *body, size_t len,
    XML_StartElementHandler start, XML_EndElementHandler end,
    XML_CharacterDataHandler text)
{
	int rc = 0;

	/* S3 keeps a connection alive with blanks before a late <Error> */
	while (len > 0 && (*body == ' ' || *body == '\t' || *body == '\r' ||
	    *body == '\n')) {
		body++;
		len--;
	}
	if (len == 0 || len > INT_MAX)
		return -1;
	x->bad = 0;
	x->p = XML_ParserCreateNS(NULL, '|');
	if (x->p == NULL)
		return -1;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, start, end);
	XML_SetCharacterDataHandler(x->p, text);
	XML_SetStartDoctypeDeclHandler(x->p, x_doctype);
	if (XML_Parse(x->p, body, (int)len, XML_TRUE) != XML_STATUS_OK ||
	    x->bad)
		rc = -1;
	XML_ParserFree(x->p);
	x->p = NULL;
	return rc;
}

static int
xml_parse(struct xp *x, const char *body, size_t len)
{
	return aws_xml_parse(&x->x, body, len, x_start, x_end, x_text);
}

static void
xp_free(struct xp *x)
{
	free(x->root);
	free(x->found);
	free(x->code);
	free(x->message);
	buf_free(&x->text);
}

int
aws_xml_error(const char *body, size_t len, char **code, char **message)
{
	struct xp x;
	int rc;

	memset(&x, 0, sizeof x);
	*code = *message = NULL;
	if (xml_parse(&x, body, len) == -1) {
		rc = -1;
	} else if (x.errdepth != 0) {
		*code = x.code;
		*message = x.message;
		x.code = x.message = NULL;
		rc = 1;
	} else {
		rc = 0;
	}
	xp_free(&x);
	return rc;
}

char *
aws_xml_text(const char *body, size_t len, const char *name)
{
	struct xp x;
	char *r = NULL;

	memset(&x, 0, sizeof x);
	x.want = name;
	if (xml_parse(&x, body, len) == 0) {
		r = x.found;
		x.found = NULL;
	}
	xp_free(&x);
	return r;
}

int
aws_json_error(const char *body, size_t len, char **code, char **message)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, 0, &je);
	const char *t, *m, *h;
	int rc = 0;

	*code = *message = NULL;
	if (j == NULL)
		return -1;
	t = json_string_value(json_object_get(j, "__type"));
	if (t == NULL)
		t = json_string_value(json_object_get(j, "code"));
	m = json_string_value(json_object_get(j, "message"));
	if (m == NULL)
		m = json_string_value(json_object_get(j, "Message"));
	if (t != NULL) {
		/* "com.amazonaws.sqs#QueueDoesNotExist" -> the last part */
		h = strrchr(t, '#');
		*code = xstrdup(h != NULL ? h + 1 : t);
		*message = m != NULL ? xstrdup(m) : NULL;
		rc = 1;
	}
	json_decref(j);
	return rc;
}

/* Read exactly n digits. */
static int
digits(const char **s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		*v = *v * 10 + (**s - '0');
	}
	return 0;
}

int
aws_parse_time(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;
	time_t r;

	if (digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) ||
	    *s++ != '-' || digits(&s, 2, &d))
		return -1;
	if (*s != 'T' && *s != 't' && *s != ' ')
		return -1;
	s++;
	if (digits(&s, 2, &h) || *s++ != ':' || digits(&s, 2, &mi) ||
	    *s++ != ':' || digits(&s, 2, &se))
		return -1;
	if (*s == '.')
		for (s++; *s >= '0' && *s <= '9'; s++)
			;
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (digits(&s, 2, &oh))
			return -1;
		if (*s == ':')
			s++;
		if (digits(&s, 2, &om))
			return -1;
	}
	if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	r = timegm(&tm);
	if (r == (time_t)-1)
		return -1;
	*t = r - sign * (oh * 3600 + om * 60);
	return 0;
}
