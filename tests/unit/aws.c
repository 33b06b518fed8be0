/* aws unit test: profiles, precedence, region, endpoints, S3, XML */
/*
 * Without arguments: the TAP test, run from the repository root; it
 * never touches the network (IMDS disabled, no container settings).
 * With arguments it is a driver for tests/aws-creds.t, using the
 * environment as it finds it:
 *
 *   aws creds [PROFILE]	load credentials and print
 *				"source key secret token expires" (token "-")
 *   aws refresh		load, then aws_creds_refresh(now): print the
 *				first line, "refresh RC", and the second line
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "aws.h"
#include "sigv4.h"
#include "xmem.h"
#include "tap.h"

#define DIR "tests/data/aws"

static const char *const vars[] = { "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_SQS",
	"AWS_ENDPOINT_URL_SNS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	"AWS_EC2_METADATA_V1_DISABLED" };

/* Only the fixtures count: no variable of the caller, no network. */
static void
clean_env(void)
{
	size_t i;

	for (i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", DIR "/credentials", 1);
	setenv("AWS_CONFIG_FILE", DIR "/config", 1);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = { 0 };
	char tmp[4096];
	size_t n;

	buf_adds(&b, "");
	if (f != NULL) {
		while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
			buf_add(&b, tmp, n);
		fclose(f);
	}
	*len = b.len;
	return b.p;
}

/* Load with profile; check source and key, or that it fails. */
static void
creds_is(const char *profile, const char *source, const char *key,
    const char *secret, const char *token, const char *name)
{
	struct aws_creds c;
	char err[512] = "";
	int rc = aws_creds_load(&c, profile, err, sizeof err);

	if (source == NULL) {
		ok(rc == -1 && strstr(err, key) != NULL,
		    "%s: fails with \"%s\": %s", name, key, err);
		return;
	}
	if (!ok(rc == 0, "%s: loaded %s", name, err))
		return;
	ok(strcmp(c.source, source) == 0 && strcmp(c.key, key) == 0 &&
	    strcmp(c.secret, secret) == 0 && (token == NULL ? c.token ==
	    NULL : c.token != NULL && strcmp(c.token, token) == 0) &&
	    c.expires == 0, "%s: %s %s %s %s", name, c.source, c.key,
	    c.secret, c.token ? c.token : "-");
	aws_creds_free(&c);
}

static void
creds(void)
{
	clean_env();
	creds_is(NULL, "profile", "AKIDDEFAULT", "secretdefault", NULL,
	    "default profile, inline comment dropped");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "secretenv", 1);
	setenv("AWS_SESSION_TOKEN", "tokenenv", 1);
	creds_is(NULL, "env", "AKIDENV", "secretenv", "tokenenv",
	    "environment first");
	setenv("AWS_PROFILE", "dev", 1);
	creds_is(NULL, "env", "AKIDENV", "secretenv", "tokenenv",
	    "environment beats AWS_PROFILE");
	creds_is("dev", "profile", "AKIDDEV", "secret/dev+x=", "tokendev",
	    "an explicit profile beats the environment");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	creds_is(NULL, NULL, "AWS_SECRET_ACCESS_KEY is not", NULL, NULL,
	    "half the environment");
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", "", 1);
	unsetenv("AWS_SESSION_TOKEN");
	creds_is(NULL, "profile", "AKIDDEV", "secret/dev+x=", "tokendev",
	    "AWS_PROFILE=dev, key names case-insensitive, empty var unset");
	unsetenv("AWS_PROFILE");
	creds_is("cfgonly", "profile", "AKIDCFG", "secretcfg", NULL,
	    "keys from the config file");
	creds_is("spaced", "profile", "AKIDSPACED", "secretspaced", NULL,
	    "[  spaced  ] section");
	creds_is("half", NULL, "aws_secret_access_key", NULL, NULL,
	    "key without secret");
	creds_is("role", NULL, "uses role_arn", NULL, NULL,
	    "assume-role profile refused");
	creds_is("nope", NULL, "profile nope not found", NULL, NULL,
	    "missing explicit profile");
	setenv("AWS_PROFILE", "nope2", 1);
	creds_is(NULL, NULL, "profile nope2 not found", NULL, NULL,
	    "missing AWS_PROFILE");
	unsetenv("AWS_PROFILE");
	setenv("AWS_SHARED_CREDENTIALS_FILE", DIR "/none", 1);
	setenv("AWS_CONFIG_FILE", DIR "/none", 1);
	creds_is(NULL, NULL, "IMDS is disabled", NULL, NULL,
	    "nothing anywhere");
	unsetenv("AWS_SHARED_CREDENTIALS_FILE");
	unsetenv("AWS_CONFIG_FILE");
	setenv("HOME", DIR "/home", 1);
	creds_is(NULL, "profile", "AKIDHOME", "secrethome", NULL,
	    "~/.aws/credentials by default");
	setenv("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials", 1);
	creds_is(NULL, "profile", "AKIDHOME", "secrethome", NULL,
	    "~ expanded in AWS_SHARED_CREDENTIALS_FILE");

	clean_env();
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://10.1.2.3/c", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", DIR "/none", 1);
	creds_is(NULL, NULL, "plain http only to loopback", NULL, NULL,
	    "container: http to a non-loopback address refused");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/c", 1);
	creds_is(NULL, NULL, "must be http or https", NULL, NULL,
	    "container: ftp refused");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/", 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\nb", 1);
	creds_is(NULL, NULL, "not a legal header value", NULL, NULL,
	    "container: newline in the token refused");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "v2/x", 1);
	creds_is(NULL, NULL, "must start with /", NULL, NULL,
	    "container: relative URI without /");
	clean_env();
}

static void
region_is(const char *profile, const char *want, const char *name)
{
	char *r = aws_region(profile);

	is_str(r, want, name);
	free(r);
}

static void
region(void)
{
	char *v;

	clean_env();
	region_is(NULL, "eu-west-3", "region of the default profile");
	region_is("dev", "ap-southeast-2", "region of profile dev");
	region_is("spaced2", "us-west-1", "[profile   spaced2  ]");
	region_is("cfgonly", "sa-east-1", "[cfgonly] is not [profile "
	    "cfgonly]");
	region_is("role", "us-east-1", "no region: us-east-1");
	setenv("AWS_PROFILE", "dev", 1);
	region_is(NULL, "ap-southeast-2", "AWS_PROFILE picks the profile");
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	region_is(NULL, "eu-north-1", "AWS_DEFAULT_REGION beats the profile");
	setenv("AWS_REGION", "me-south-1", 1);
	region_is(NULL, "me-south-1", "AWS_REGION beats AWS_DEFAULT_REGION");
	clean_env();
	v = aws_config_get(NULL, "s3.addressing_style");
	is_str(v, "path", "nested setting s3.addressing_style");
	free(v);
	v = aws_config_get(NULL, "endpoint_url");
	ok(v == NULL, "a nested endpoint_url is not the profile's");
	free(v);
	setenv("HOME", DIR "/home", 1);
	unsetenv("AWS_CONFIG_FILE");
	region_is(NULL, "ca-central-1", "[profile default] in ~/.aws/config");
	clean_env();
}

static void
endpoint_is(const char *svc, const char *region, const char *explicit,
    const char *profile, const char *want, const char *name)
{
	char *url = NULL, err[256] = "";
	int rc = aws_endpoint(&url, svc, region, explicit, profile, err,
	    sizeof err);

	if (want == NULL)
		ok(rc == -1 && url == NULL, "%s: refused: %s", name, err);
	else if (ok(rc == 0, "%s: %s", name, err))
		is_str(url, want, name);
	free(url);
}

static void
endpoint(void)
{
	clean_env();
	endpoint_is("s3", "us-east-1", NULL, NULL,
	    "https://s3.us-east-1.amazonaws.com", "s3 default");
	endpoint_is("sqs", NULL, NULL, NULL,
	    "https://sqs.eu-west-3.amazonaws.com", "region from the profile");
	endpoint_is("sns", "cn-north-1", NULL, NULL,
	    "https://sns.cn-north-1.amazonaws.com.cn", "China");
	endpoint_is("s3", "us-east-1", NULL, "dev", "http://127.0.0.1:4566",
	    "profile endpoint_url, trailing / dropped");
	endpoint_is("sqs", "us-east-1", NULL, "dev", "http://127.0.0.1:9324",
	    "services section beats endpoint_url");
	endpoint_is("sns", "us-east-1", NULL, "dev", "http://127.0.0.1:9911",
	    "services section, sns");
	endpoint_is("s3", "us-east-1", NULL, "ignore",
	    "https://s3.us-east-1.amazonaws.com",
	    "ignore_configured_endpoint_urls in the profile");
	endpoint_is("s3", "us-east-1", NULL, "bad", NULL,
	    "ftp endpoint_url");
	endpoint_is("s3", "us-east-1", "http:/i/127.0.0.1:4566/", NULL, NULL,
	    "http:/host, which curl alone reads as a URL");
	endpoint_is("s3", "us-east-1", "http:///127.0.0.1", NULL, NULL,
	    "http:///host");
	endpoint_is("s3", "us-east-1", "HTTP://127.0.0.1:4566/", NULL,
	    "HTTP://127.0.0.1:4566", "upper-case scheme");
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/", 1);
	endpoint_is("sqs", "us-east-1", NULL, "dev", "http://127.0.0.1:5000",
	    "AWS_ENDPOINT_URL beats the config file");
	setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:5001", 1);
	endpoint_is("sqs", "us-east-1", NULL, "dev", "http://127.0.0.1:5001",
	    "AWS_ENDPOINT_URL_SQS beats AWS_ENDPOINT_URL");
	endpoint_is("s3", "us-east-1", NULL, "dev", "http://127.0.0.1:5000",
	    "AWS_ENDPOINT_URL_SQS is for sqs only");
	endpoint_is("sqs", "us-east-1", "https://explicit.example:8443/",
	    "dev", "https://explicit.example:8443", "explicit beats all");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "TRUE", 1);
	endpoint_is("sqs", "us-east-1", NULL, "dev",
	    "https://sqs.us-east-1.amazonaws.com",
	    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	endpoint_is("sqs", "us-east-1", "http://127.0.0.1:7", NULL,
	    "http://127.0.0.1:7", "explicit even when ignoring");
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "false", 1);
	unsetenv("AWS_ENDPOINT_URL");
	unsetenv("AWS_ENDPOINT_URL_SQS");
	endpoint_is("s3", "us-east-1", NULL, "ignore", "http://127.0.0.1:1",
	    "the variable false beats the profile's true");
	setenv("AWS_ENDPOINT_URL_S3", "not a url", 1);
	endpoint_is("s3", "us-east-1", NULL, NULL, NULL, "not a URL");
	setenv("AWS_ENDPOINT_URL_S3", "http://h/?q=1", 1);
	endpoint_is("s3", "us-east-1", NULL, NULL, NULL, "URL with a query");
	clean_env();
}

struct s3case {
	const char *endpoint, *bucket, *key;
	int style;
	const char *url, *host, *path;	/* url NULL: refused */
	int path_style;
};

static const struct s3case s3cases[] = {
	{ "https://s3.us-east-1.amazonaws.com", "bkt", "a b/c.txt",
	    AWS_S3_AUTO, "https://bkt.s3.us-east-1.amazonaws.com/a%20b/c.txt",
	    "bkt.s3.us-east-1.amazonaws.com", "/a%20b/c.txt", 0 },
	{ "https://s3.us-east-1.amazonaws.com", "my.bucket", "k",
	    AWS_S3_AUTO, "https://s3.us-east-1.amazonaws.com/my.bucket/k",
	    "s3.us-east-1.amazonaws.com", "/my.bucket/k", 1 },
	{ "https://s3.us-east-1.amazonaws.com", "My_Bucket", "k",
	    AWS_S3_AUTO, "https://s3.us-east-1.amazonaws.com/My_Bucket/k",
	    "s3.us-east-1.amazonaws.com", "/My_Bucket/k", 1 },
	{ "https://s3.us-east-1.amazonaws.com", "bkt", "k", AWS_S3_PATH,
	    "https://s3.us-east-1.amazonaws.com/bkt/k",
	    "s3.us-east-1.amazonaws.com", "/bkt/k", 1 },
	{ "https://s3.us-east-1.amazonaws.com", "bkt", NULL, AWS_S3_AUTO,
	    "https://bkt.s3.us-east-1.amazonaws.com/",
	    "bkt.s3.us-east-1.amazonaws.com", "/", 0 },
	{ "https://s3.cn-north-1.amazonaws.com.cn", "bkt", "k", AWS_S3_AUTO,
	    "https://bkt.s3.cn-north-1.amazonaws.com.cn/k",
	    "bkt.s3.cn-north-1.amazonaws.com.cn", "/k", 0 },
	{ "http://127.0.0.1:4570", "bkt", "dir/x+y%z", AWS_S3_AUTO,
	    "http://127.0.0.1:4570/bkt/dir/x%2By%25z", "127.0.0.1:4570",
	    "/bkt/dir/x%2By%25z", 1 },
	{ "http://127.0.0.1:4570", "bkt", NULL, AWS_S3_AUTO,
	    "http://127.0.0.1:4570/bkt", "127.0.0.1:4570", "/bkt", 1 },
	{ "http://127.0.0.1:4570", NULL, NULL, AWS_S3_AUTO,
	    "http://127.0.0.1:4570/", "127.0.0.1:4570", "/", 1 },
	{ "http://localhost:9000/", "bkt", "/lead//x", AWS_S3_AUTO,
	    "http://localhost:9000/bkt//lead//x", "localhost:9000",
	    "/bkt//lead//x", 1 },
	{ "https://minio.example.com:443", "bkt", "k", AWS_S3_AUTO,
	    "https://minio.example.com/bkt/k", "minio.example.com", "/bkt/k",
	    1 },
	{ "http://minio.example.com:80/base/", "bkt", "k", AWS_S3_AUTO,
	    "http://minio.example.com/base/bkt/k", "minio.example.com",
	    "/base/bkt/k", 1 },
	{ "http://[::1]:9000", "bkt", "\xc3\xa9t\xc3\xa9", AWS_S3_AUTO,
	    "http://[::1]:9000/bkt/%C3%A9t%C3%A9", "[::1]:9000",
	    "/bkt/%C3%A9t%C3%A9", 1 },
	{ "http://minio.local:9000", "bkt", "k", AWS_S3_VIRTUAL,
	    "http://bkt.minio.local:9000/k", "bkt.minio.local:9000", "/k", 0 },
	{ "http://minio.local:9000", "b.k.t", "k", AWS_S3_VIRTUAL,
	    "http://b.k.t.minio.local:9000/k", "b.k.t.minio.local:9000",
	    "/k", 0 },
	{ "http://127.0.0.1:9000", "bkt", "k", AWS_S3_VIRTUAL, NULL, NULL,
	    NULL, 0 },
	{ "https://s3.us-east-1.amazonaws.com", "Bad_Bucket", "k",
	    AWS_S3_VIRTUAL, NULL, NULL, NULL, 0 },
	{ "https://s3.us-east-1.amazonaws.com", NULL, "k", AWS_S3_AUTO,
	    NULL, NULL, NULL, 0 },
	{ "not a url", "bkt", "k", AWS_S3_AUTO, NULL, NULL, NULL, 0 },
	{ "https://s3.us-east-1.amazonaws.com", "192.168.1.1", "k",
	    AWS_S3_AUTO, "https://s3.us-east-1.amazonaws.com/192.168.1.1/k",
	    "s3.us-east-1.amazonaws.com", "/192.168.1.1/k", 1 },
};

static void
s3(void)
{
	struct aws_s3_loc l;
	char err[256], name[300], etag[64];
	unsigned char md5s[32];
	size_t i;
	int rc;

	for (i = 0; i < sizeof s3cases / sizeof s3cases[0]; i++) {
		const struct s3case *c = &s3cases[i];

		err[0] = '\0';
		rc = aws_s3_address(&l, c->endpoint, c->bucket, c->key,
		    c->style, err, sizeof err);
		snprintf(name, sizeof name, "s3 address %s %s %s style %d",
		    c->endpoint, c->bucket ? c->bucket : "-",
		    c->key ? c->key : "-", c->style);
		if (c->url == NULL) {
			ok(rc == -1 && l.url == NULL, "%s: refused: %s", name,
			    err);
			continue;
		}
		if (!ok(rc == 0, "%s: %s", name, err))
			continue;
		is_str(l.url, c->url, name);
		is_str(l.host, c->host, name);
		is_str(l.path, c->path, name);
		ok(l.path_style == c->path_style, "%s: path style %d", name,
		    l.path_style);
		aws_s3_loc_free(&l);
	}
	ok(aws_s3_style("path") == AWS_S3_PATH && aws_s3_style(NULL) ==
	    AWS_S3_AUTO && aws_s3_style("virtual") == AWS_S3_VIRTUAL &&
	    aws_s3_style("auto") == AWS_S3_AUTO && aws_s3_style("x") == -1,
	    "aws_s3_style");

	/* md5("part one"), md5("part two"); expected from Python hashlib */
	{
		struct sigv4_hash h;

		sigv4_hash_init(&h, SIGV4_MD5, err, sizeof err);
		sigv4_hash_update(&h, "part one", 8);
		sigv4_hash_final(&h);
		memcpy(md5s, h.md5_sum, 16);
		sigv4_hash_init(&h, SIGV4_MD5, err, sizeof err);
		sigv4_hash_update(&h, "part two", 8);
		sigv4_hash_final(&h);
		memcpy(md5s + 16, h.md5_sum, 16);
	}
	aws_s3_etag_multipart(md5s, 2, etag, sizeof etag);
	is_str(etag, "0732917abc3288784e318ac0aab1757a-2", "multipart ETag");
}

static void
xml_error_is(const char *file, int want, const char *code,
    const char *message)
{
	size_t len;
	char *body = slurp(file, &len), *c, *m;
	int rc = aws_xml_error(body, len, &c, &m);

	ok(rc == want, "%s: aws_xml_error %d", file, rc);
	is_str(c, code, "code");
	is_str(m, message, "message");
	free(c);
	free(m);
	free(body);
}

static void
xml(void)
{
	size_t len;
	char *body, *t, *c, *m;

	xml_error_is(DIR "/s3-error-nosuchkey.xml", 1, "NoSuchKey",
	    "The specified key does not exist.");
	xml_error_is(DIR "/s3-complete-error-200.xml", 1, "InternalError",
	    "We encountered an internal error. Please try again.");
	xml_error_is(DIR "/sqs-error.xml", 1,
	    "AWS.SimpleQueueService.NonExistentQueue",
	    "The specified queue does not exist for this wsdl version.");
	/* moto wraps the error in <Errors> */
	xml_error_is(DIR "/moto-error-errors.xml", 1, "InvalidClientTokenId",
	    "The security token included in the request is invalid.");
	xml_error_is(DIR "/s3-complete-ok.xml", 0, NULL, NULL);
	xml_error_is(DIR "/s3-initiate.xml", 0, NULL, NULL);
	xml_error_is(DIR "/doctype.xml", -1, NULL, NULL);
	xml_error_is(DIR "/sqs-error.json", -1, NULL, NULL);

	body = slurp(DIR "/s3-initiate.xml", &len);
	t = aws_xml_text(body, len, "UploadId");
	is_str(t, "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA",
	    "UploadId, default namespace");
	free(t);
	t = aws_xml_text(body, len, "Nope");
	ok(t == NULL, "absent element: NULL");
	ok(aws_xml_text(body, len - 40, "UploadId") == NULL,
	    "truncated XML: NULL");
	free(body);
	body = slurp(DIR "/s3-complete-ok.xml", &len);
	t = aws_xml_text(body, len, "ETag");
	is_str(t, "\"3858f62230ac3c915f300c664312c11f-9\"", "ETag, &quot;");
	free(t);
	free(body);
	body = slurp(DIR "/s3-error-nosuchkey.xml", &len);
	t = aws_xml_text(body, len, "Key");
	is_str(t, "a & b.txt", "entity decoded");
	free(t);
	free(body);
	ok(aws_xml_error("", 0, &c, &m) == -1, "empty body: not XML");
	ok(aws_xml_error("<a><Error><Code>X</Code></Error></a>", 36, &c, &m)
	    == 0 && c == NULL, "<Error> deeper than the root: no error");
	ok(aws_xml_error("<Error><Code>A</Code><Code>B</Code></Error>", 43,
	    &c, &m) == 1 && c != NULL && strcmp(c, "A") == 0 && m == NULL,
	    "first Code wins, no Message");
	free(c);
	ok(aws_xml_error("<Error><Detail><Code>D</Code></Detail></Error>",
	    46, &c, &m) == 1 && c == NULL, "only direct children count");

	body = slurp(DIR "/sqs-error.json", &len);
	ok(aws_json_error(body, len, &c, &m) == 1, "JSON error");
	is_str(c, "QueueDoesNotExist", "JSON __type after #");
	is_str(m, "The specified queue does not exist.", "JSON message");
	free(c);
	free(m);
	free(body);
	ok(aws_json_error("{\"Messages\":[]}", 15, &c, &m) == 0 &&
	    c == NULL, "JSON without __type");
	ok(aws_json_error("<x/>", 4, &c, &m) == -1, "not JSON");
	ok(aws_json_error("{\"__type\":\"Throttling\",\"Message\":\"slow\"}",
	    40, &c, &m) == 1 && strcmp(c, "Throttling") == 0 &&
	    strcmp(m, "slow") == 0, "__type without #, Message");
	free(c);
	free(m);
}

static void
times(void)
{
	time_t t = 0;

	ok(aws_parse_time("2026-11-23T01:02:03Z", &t) == 0 &&
	    t == 1795395723, "parse Z");
	ok(aws_parse_time("2026-11-23T01:02:03.123456Z", &t) == 0 &&
	    t == 1795395723, "parse fraction");
	ok(aws_parse_time("2026-11-23T03:02:03+02:00", &t) == 0 &&
	    t == 1795395723, "parse +02:00");
	ok(aws_parse_time("2026-11-22T23:02:03-0200", &t) == 0 &&
	    t == 1795395723, "parse -0200");
	ok(aws_parse_time("2026-11-23T01:02:03", &t) == 0 &&
	    t == 1795395723, "no zone: UTC");
	ok(aws_parse_time("2026-13-23T01:02:03Z", &t) == -1, "bad month");
	ok(aws_parse_time("2026-11-23", &t) == -1, "date only");
	ok(aws_parse_time("2026-11-23T01:02:03Zjunk", &t) == -1,
	    "trailing junk");
	ok(aws_parse_time("", &t) == -1, "empty");
}

static void
print_creds(const struct aws_creds *c)
{
	printf("%s %s %s %s %lld\n", c->source, c->key, c->secret,
	    c->token ? c->token : "-", (long long)c->expires);
}

static int
drive(int argc, char **argv)
{
	struct aws_creds c;
	char err[512];
	int rc;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(argv[1], "creds") == 0 && argc <= 3) {
		if (aws_creds_load(&c, argc == 3 ? argv[2] : NULL, err,
		    sizeof err) == -1) {
			fprintf(stderr, "aws: %s\n", err);
			return 1;
		}
		print_creds(&c);
	} else if (strcmp(argv[1], "refresh") == 0 && argc == 2) {
		if (aws_creds_load(&c, NULL, err, sizeof err) == -1) {
			fprintf(stderr, "aws: %s\n", err);
			return 1;
		}
		print_creds(&c);
		rc = aws_creds_refresh(&c, time(NULL), err, sizeof err);
		printf("refresh %d%s%s\n", rc, rc == -1 ? " " : "",
		    rc == -1 ? err : "");
		print_creds(&c);
		rc = aws_creds_refresh(&c, time(NULL), err, sizeof err);
		printf("again %d\n", rc);
	} else {
		fprintf(stderr, "usage: see the top of tests/unit/aws.c\n");
		return 2;
	}
	aws_creds_free(&c);
	curl_global_cleanup();
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc > 1)
		return drive(argc, argv);
	creds();
	region();
	endpoint();
	s3();
	xml();
	times();
	return done_testing();
}
