/* awscfg: the AWS shared config files (INI), profiles, region, endpoints */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws.h"
#include "awsint.h"
#include "sys.h"
#include "xmem.h"

const char *
aws_env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && *v != '\0' ? v : NULL;
}

int
aws_is_true(const char *v)
{
	return v != NULL && strcasecmp(v, "true") == 0;
}

char *
aws_shared_file(const char *var, const char *def)
{
	const char *v = aws_env(var), *home = aws_env("HOME");
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
 * Keys are case-insensitive, "#" and ";" start comments, an empty
 * "parent =" followed by indented "child = v" lines gives "parent.child".
 */
char *
aws_ini_get(const char *file, const char *section, const char *key, int *seen)
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
	if (aws_env("AWS_PROFILE") != NULL)
		return aws_env("AWS_PROFILE");
	return "default";
}

char *
aws_profile_get(const char *name, const char *key, int *seen)
{
	char *file = aws_shared_file("AWS_CONFIG_FILE", "~/.aws/config"), *v;
	struct buf sec = { 0 };

	buf_addf(&sec, "profile %s", name);
	v = aws_ini_get(file, sec.p, key, seen);
	if (v == NULL && strcmp(name, "default") == 0)
		v = aws_ini_get(file, "default", key, seen);
	free(file);
	buf_free(&sec);
	return v;
}

char *
aws_config_get(const char *profile, const char *name)
{
	return aws_profile_get(aws_profile_name(profile), name, NULL);
}

char *
aws_region(const char *profile)
{
	const char *v;
	char *p;

	if ((v = aws_env("AWS_REGION")) != NULL ||
	    (v = aws_env("AWS_DEFAULT_REGION")) != NULL)
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
		return sys_err(err, errlen, "cannot allocate memory");
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
		rc = sys_err(err, errlen, "invalid endpoint URL in %s: %s",
		    from, v);
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
	if ((v = aws_env("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")) != NULL) {
		ignore = aws_is_true(v);
	} else {
		s = aws_profile_get(name, "ignore_configured_endpoint_urls",
		    NULL);
		ignore = aws_is_true(s);
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
		if ((v = aws_env(var.p)) != NULL) {
			rc = endpoint_ok(url, var.p, v, err, errlen);
			goto out;
		}
		if ((v = aws_env("AWS_ENDPOINT_URL")) != NULL) {
			rc = endpoint_ok(url, "AWS_ENDPOINT_URL", v, err,
			    errlen);
			goto out;
		}
		if ((s = aws_profile_get(name, "services", NULL)) != NULL) {
			buf_addf(&sec, "services %s", s);
			buf_reset(&var);
			buf_addf(&var, "%s.endpoint_url", id.p);
			file = aws_shared_file("AWS_CONFIG_FILE",
			    "~/.aws/config");
			p = aws_ini_get(file, sec.p, var.p, NULL);
			free(file);
			free(s);
			if (p != NULL) {
				rc = endpoint_ok(url, "the config file", p,
				    err, errlen);
				free(p);
				goto out;
			}
		}
		if ((p = aws_profile_get(name, "endpoint_url", NULL)) != NULL) {
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
