/*
 * fuzz_awsini: the AWS config and credentials files (lib/awscfg.c INI
 * reader) through the public lookups: aws_config_get, aws_region,
 * aws_endpoint, aws_creds_load.
 *
 * Input: config bytes, NUL, credentials bytes, NUL, then "name\nkey\n
 * value\nnested" (the round trip).  Each file is a section written from
 * the round-trip fields followed by the fuzzed bytes.  Checks: the value
 * written is the value read (first one wins, as in botocore), plain and
 * as a nested "parent.child" setting, and the same keys come back as
 * credentials; every value is trimmed and on one line; endpoints are
 * http(s) URLs without a trailing '/'; errors are one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aws.h"
#include "xmem.h"

static int cfd = -1, kfd = -1;

static void
put(int fd, const char *env, const struct buf *b)
{
	char path[64];

	if (ftruncate(fd, 0) != 0 || pwrite(fd, b->p, b->len, 0) !=
	    (ssize_t)b->len)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	setenv(env, path, 1);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const unset[] = { "AWS_ACCESS_KEY_ID",
	    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
	    "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_REGION",
	    "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3",
	    "AWS_ENDPOINT_URL_SQS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "AWS_CONTAINER_CREDENTIALS_FULL_URI", NULL };
	int i;

	(void)argc;
	(void)argv;
	for (i = 0; unset[i] != NULL; i++)
		unsetenv(unset[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	if ((cfd = memfd_create("config", 0)) < 0 ||
	    (kfd = memfd_create("credentials", 0)) < 0)
		abort();
	return 0;
}

/* Round-trip fields the files can hold as they are. */
static int
word(const char *s, int value)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (value ? s[i] < '!' || s[i] > '~' || s[i] == '#' ||
		    s[i] == ';' : !((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		    s[i] == '-'))
			return 0;
	}
	return i > 0 && i < 64;
}

/* A value as the reader must give it: trimmed, one line. */
static void
check_value(const char *v)
{
	size_t n;

	if (v == NULL)
		return;
	n = strlen(v);
	if (strchr(v, '\n') != NULL || v[0] == ' ' || v[0] == '\t' ||
	    (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' ||
	    v[n - 1] == '\r')))
		abort();
}

static void
check_endpoint(const char *service, const char *profile)
{
	char err[512], *url = NULL;
	size_t n;

	err[0] = '\0';
	if (aws_endpoint(&url, service, NULL, NULL, profile, err,
	    sizeof(err)) == 0) {
		n = strlen(url);
		if ((strncasecmp(url, "http://", 7) != 0 &&
		    strncasecmp(url, "https://", 8) != 0) ||
		    url[strcspn(url, ":") + 3] == '/' || url[n - 1] == '/')
			abort();
	} else if (url != NULL || err[0] == '\0' ||
	    strchr(err, '\n') != NULL) {
		abort();
	}
	free(url);
}

static void
check_creds(const char *profile, const char *key, const char *secret)
{
	struct aws_creds c;
	char err[1024];

	err[0] = '\0';
	if (aws_creds_load(&c, profile, err, sizeof(err)) == 0) {
		if (c.key == NULL || c.key[0] == '\0' || c.secret == NULL ||
		    c.secret[0] == '\0' || strcmp(c.source, "profile") != 0)
			abort();
		check_value(c.key);
		check_value(c.secret);
		check_value(c.token);
		if (key != NULL && (strcmp(c.key, key) != 0 ||
		    strcmp(c.secret, secret) != 0))
			abort();
	} else if (key != NULL || err[0] == '\0' ||
	    strchr(err, '\n') != NULL) {
		abort();
	}
	aws_creds_free(&c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy, *craw, *kraw, *rt, *f[4], *p, *v;
	struct buf conf = { 0 }, cred = { 0 }, full = { 0 };
	const char *end;
	int i, ok, nested;

	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	end = copy + size;
	craw = copy;
	kraw = craw + strlen(craw);
	kraw += kraw < end;
	rt = kraw + strlen(kraw);
	rt += rt < end;
	for (i = 0, p = rt; i < 4; i++) {
		f[i] = p;
		if ((p = strchr(p, '\n')) != NULL)
			*p++ = '\0';
		else
			p = (char *)"";
	}
	ok = word(f[0], 0) && word(f[1], 0) && word(f[2], 1);
	nested = ok && word(f[3], 0);

	buf_adds(&conf, "");
	buf_adds(&cred, "");
	if (ok) {
		buf_addf(&conf, "[profile %s]\n", f[0]);
		if (nested)
			buf_addf(&conf, "%s =\n  %s = %s\n", f[3], f[1], f[2]);
		else
			buf_addf(&conf, "%s = %s\n", f[1], f[2]);
		buf_addf(&cred, "[%s]\naws_access_key_id = %s\n"
		    "aws_secret_access_key = %s%s\n", f[0], f[2], f[2],
		    nested ? "x" : "");
	}
	buf_adds(&conf, craw);
	buf_adds(&cred, kraw);
	put(cfd, "AWS_CONFIG_FILE", &conf);
	put(kfd, "AWS_SHARED_CREDENTIALS_FILE", &cred);

	if (ok) {
		if (nested)
			buf_addf(&full, "%s.%s", f[3], f[1]);
		else
			buf_adds(&full, f[1]);
		v = aws_config_get(f[0], full.p);
		if (v == NULL || strcmp(v, f[2]) != 0)
			abort();
		free(v);
		buf_reset(&full);
		buf_addf(&full, "%s%s", f[2], nested ? "x" : "");
		check_creds(f[0], f[2], full.p);
	}
	/* the fuzzed bytes on their own terms */
	v = aws_region(NULL);
	if (v == NULL || v[0] == '\0')
		abort();
	check_value(v);
	free(v);
	v = aws_config_get("dev", "s3.addressing_style");
	check_value(v);
	free(v);
	check_endpoint("s3", NULL);
	check_endpoint("sqs", "dev");
	check_creds(NULL, NULL, NULL);
	check_creds("dev", NULL, NULL);

	buf_free(&conf);
	buf_free(&cred);
	buf_free(&full);
	free(copy);
	return 0;
}
