/* s3: S3 addressing (path or virtual-hosted style), the multipart ETag,
 * and the set-up every S3 tool does before its first request */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "aws.h"
#include "awsint.h"
#include "enc.h"
#include "sys.h"
#include "xmem.h"

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
		return sys_err(err, errlen, "cannot allocate memory");
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK) {
		sys_err(err, errlen, "invalid endpoint URL %s", endpoint);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
	if (bucket != NULL && *bucket == '\0')
		bucket = NULL;
	if (key != NULL && *key == '\0')
		key = NULL;
	if (bucket == NULL && key != NULL) {
		sys_err(err, errlen, "an object key needs a bucket");
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
			sys_err(err, errlen, "bucket %s cannot be addressed "
			    "virtual-hosted style at %s", bucket, host);
			goto out;
		}
		l->path_style = 0;
	} else if (style == AWS_S3_AUTO) {
		l->path_style = !aws || ip || !dns_bucket(bucket, 0);
	} else {
		sys_err(err, errlen, "unknown S3 addressing style %d", style);
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

int
aws_s3_conf_load(struct aws_s3_conf *s, const char *explicit_url,
    int want_creds, char *err, size_t errlen)
{
	char aerr[1024], *cs;
	int rc = 0;

	memset(s, 0, sizeof(*s));
	s->region = aws_region(NULL);
	if (aws_endpoint(&s->endpoint, "s3", s->region, explicit_url, NULL,
	    err, errlen) < 0)
		return -1;
	s->scheme = strncasecmp(s->endpoint, "http://", 7) == 0 ? "http" :
	    "https";
	cs = aws_config_get(NULL, "s3.addressing_style");
	if ((s->style = aws_s3_style(cs)) < 0)
		rc = sys_err(err, errlen, "bad s3.addressing_style '%s' in "
		    "the AWS config", cs);
	free(cs);
	if (rc == 0 && want_creds &&
	    aws_creds_load(&s->creds, NULL, aerr, sizeof(aerr)) < 0)
		rc = sys_err(err, errlen, "no AWS credentials: %s", aerr);
	return rc;
}

void
aws_s3_conf_free(struct aws_s3_conf *s)
{
	aws_creds_free(&s->creds);
	free(s->region);
	free(s->endpoint);
	memset(s, 0, sizeof(*s));
}
