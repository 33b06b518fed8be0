/* s3mpu: the incomplete multipart uploads of a bucket: list and abort
 * (what a killed s3-put leaves behind) */
#ifndef S3MPU_H
#define S3MPU_H

#include <stddef.h>
#include <time.h>

#include "aws.h"

/* One incomplete upload. */
struct s3mpu {
	char *key;
	char *upload_id;
	char *initiated;	/* as S3 sent it: "2010-11-10T20:48:33.000Z" */
	time_t when;		/* the same, parsed; 0 if it did not parse */
};

/* Where and as whom: set by the caller. */
struct s3mpu_ctx {
	const struct aws_creds *creds;
	const char *region;
	const char *endpoint;	/* from aws_endpoint */
	int style;		/* AWS_S3_* */
	long timeout;		/* seconds a request may take */
	/* the retry policy's (http_retry_init): further attempts on a
	 * temporary failure, the first wait, doubled up to the longest */
	int retries;
	long backoff_ms, backoff_max_ms;
	/* after a failure: 1 if it was temporary (exit 6), else 0 */
	int temp;
};

/*
 * Append the <Upload> entries of one ListMultipartUploadsResult body to
 * *u (*n of them); *next gets the NextKeyMarker and NextUploadIdMarker
 * to ask for when IsTruncated is true, else both NULL.  Returns 0, or
 * -1 if the body is not such a document.
 */
int s3mpu_parse(const char *body, size_t len, struct s3mpu **u, size_t *n,
    char **next_key, char **next_id);

/*
 * Every incomplete upload in bucket whose key starts with prefix (NULL:
 * all), following the pages.  Returns 0 with *u and *n, or -1 with err
 * and c->temp.
 */
int s3mpu_list(struct s3mpu_ctx *c, const char *bucket, const char *prefix,
    struct s3mpu **u, size_t *n, char *err, size_t errlen);

/* AbortMultipartUpload of one upload.  Returns 0, or -1 with err and
 * c->temp (NoSuchUpload counts as done: 0). */
int s3mpu_abort(struct s3mpu_ctx *c, const char *bucket,
    const struct s3mpu *u, char *err, size_t errlen);

/* Whether u was initiated age seconds or more before now (an Initiated
 * that did not parse is never stale: it is left alone). */
int s3mpu_stale(const struct s3mpu *u, time_t now, long age);

void s3mpu_free(struct s3mpu *u, size_t n);

#endif
