/* sigv4: AWS Signature Version 4 (header and presigned-URL) on libcrypto */
#ifndef SIGV4_H
#define SIGV4_H

#include <stddef.h>
#include <time.h>

#include "xmem.h"

#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"
#define SIGV4_EXPIRES_MAX 604800	/* 7 days, the S3 limit */

/* A name and a value: a header, or a query parameter. */
struct sigv4_kv {
	const char *name;
	const char *value;	/* query only: NULL for "?uploads" */
};

/* Who signs, where: credentials, scope and rules. */
struct sigv4_signer {
	const char *key;	/* access key id */
	const char *secret;	/* secret access key */
	const char *token;	/* session token or NULL */
	const char *region;	/* "us-east-1" */
	const char *service;	/* "s3", "sqs", "sns"... */
	int flags;		/* SIGV4_* below */
};

/*
 * S3 rules: the path is not normalised and is encoded once, and
 * x-amz-content-sha256 is sent (header mode).  Also on whenever
 * service is "s3".
 */
#define SIGV4_S3	0x1

/*
 * One request.  path is the path exactly as it goes on the request line,
 * already percent-encoded (build it with enc_pct(.., 1)), e.g.
 * "/bkt/my%20key"; "" means "/".  The canonical path is derived from it:
 * S3 decodes it and encodes it once more the AWS way (so a well-encoded
 * path is used as is); other services remove dot segments and empty
 * segments and encode it again ("%20" becomes "%2520").
 * query holds raw (decoded) names and values: the signer encodes them.
 * headers are the extra headers that will be sent and are to be signed
 * (Content-Type, X-Amz-Target, Range, x-amz-meta-*...); they must not
 * include Authorization, X-Amz-Date, X-Amz-Security-Token or (S3)
 * X-Amz-Content-Sha256, which the signer adds.
 */
struct sigv4_req {
	const char *method;		/* "GET", "PUT", "POST"... */
	const char *scheme;		/* for the URL only; NULL: "https" */
	const char *host;		/* the Host header: host[:port], the
					 * port only when not the default */
	const char *path;
	const struct sigv4_kv *query;
	size_t nquery;
	const struct sigv4_kv *headers;
	size_t nheaders;
	const char *payload_hash;	/* hex SHA-256 of the body, or
					 * "UNSIGNED-PAYLOAD"; NULL: the
					 * empty body (presign S3: unsigned) */
};

/* What the signer produced; zero it before the first use. */
struct sigv4_out {
	struct buf creq;	/* canonical request */
	struct buf sts;		/* string to sign */
	struct buf authz;	/* Authorization value (header mode) */
	struct buf query;	/* query string for the URL, without "?";
				 * presign: with the X-Amz-* parameters */
	struct buf url;		/* scheme://host/path[?query] */
	char amzdate[17];	/* 20150830T123600Z */
	char signature[65];	/* hex */
	char *headers[5];	/* "Name: value" lines to send (header mode):
				 * X-Amz-Date, [X-Amz-Content-Sha256],
				 * [X-Amz-Security-Token], Authorization;
				 * NULL-terminated */
	size_t nheaders;
};

/* Sign req for an Authorization header at time when; fills out. */
int sigv4_sign(const struct sigv4_signer *s, const struct sigv4_req *req,
    time_t when, struct sigv4_out *out, char *err, size_t errlen);

/*
 * Presign req (query auth) valid for expires seconds (1..604800) from
 * when; out->url is the URL to hand out, out->query its query string.
 */
int sigv4_presign(const struct sigv4_signer *s, const struct sigv4_req *req,
    time_t when, long expires, struct sigv4_out *out, char *err,
    size_t errlen);

/* Free what out holds; it can be reused after. */
void sigv4_out_free(struct sigv4_out *out);

/* AWS UriEncode, hex and base64 are lib/enc.h's. */

/* Hex SHA-256 of p[0..n) into out[65]. */
void sigv4_sha256_hex(const void *p, size_t n, char out[65]);

/* HMAC-SHA256 of msg under key into out[32]. */
void sigv4_hmac_sha256(const void *key, size_t klen, const void *msg,
    size_t mlen, unsigned char out[32]);

/* Signing key: HMAC chain "AWS4"+secret, date8, region, service. */
void sigv4_signing_key(const char *secret, const char *date8,
    const char *region, const char *service, unsigned char out[32]);

/* Incremental digests of a stream (body hash, S3 ETag). */
#define SIGV4_SHA256	0x1
#define SIGV4_MD5	0x2

struct sigv4_hash {
	void *sha256;			/* EVP_MD_CTX *, or NULL */
	void *md5;
	unsigned char sha256_sum[32];	/* set by sigv4_hash_final */
	unsigned char md5_sum[16];
	char sha256_hex[65];
	char md5_hex[33];
};

/* Start the digests named in which (SIGV4_SHA256 | SIGV4_MD5). */
int sigv4_hash_init(struct sigv4_hash *h, int which, char *err,
    size_t errlen);
/* Feed n bytes. */
int sigv4_hash_update(struct sigv4_hash *h, const void *p, size_t n);
/* Finish: fill the sums and hex strings, free the contexts. */
int sigv4_hash_final(struct sigv4_hash *h);
/* Free the contexts without finishing (error paths); safe twice. */
void sigv4_hash_free(struct sigv4_hash *h);

#endif
