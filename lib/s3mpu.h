/* s3mpu: the incomplete multipart uploads of a bucket: list and abort
 * (what a killed s3-put leaves behind) */
#ifndef S3MPU_H
#define S3MPU_H

#include <stddef.h>
#include <time.h>

#include "aws.h"
#include "s3req.h"

/* One incomplete upload. */
struct s3mpu {
	char *key;
	char *upload_id;
	char *initiated;	/* as S3 sent it: "2010-11-10T20:48:33.000Z" */
	time_t when;		/* the same, parsed; 0 if it did not parse */
};

/* Where and as whom: lib/s3req's context, under the name s3-put knows */
#define s3mpu_ctx s3req_ctx

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
