/* s3list: a bucket's objects, ListObjectsV2 (or v1) page by page, and
 * their Content-Type by HeadObject */
#ifndef S3LIST_H
#define S3LIST_H

#include <stddef.h>

#include "s3req.h"

/* One object of a listing. */
struct s3obj {
	char *key;
	char *etag;		/* without S3's quotes */
	char *last_modified;	/* as S3 sent it: "2026-12-02T18:00:00.000Z" */
	long long size;
	char *ctype;		/* s3list_head's; NULL when none */
	int gone;		/* s3list_head: 404, deleted since listed */
};

/*
 * Append the <Contents> of one ListBucketResult body (v1: ListObjects,
 * else ListObjectsV2) to *o (*n of them); *next gets what to ask for
 * next when IsTruncated is true (v2: NextContinuationToken; v1: the
 * last key, as no delimiter is sent), else NULL.  Keys are decoded when
 * the answer's EncodingType is url.  0, or -1 if the body is not such a
 * document.
 */
int s3list_parse(const char *body, size_t len, int v1, struct s3obj **o,
    size_t *n, char **next);

/* Called with each page's objects (the callee may keep them: it frees
 * them, s3list_free); 0 to go on, -1 with err to stop. */
typedef int s3list_page_fn(void *arg, struct s3obj *o, size_t n,
    char *err, size_t errlen);

/*
 * List bucket (keys starting with prefix; NULL: all), following the
 * pages on one kept-alive connection; each page goes to fn before the
 * next is asked for.  Returns 0, or -1 with err, c->temp, and *code
 * S3's error code when it gave one (malloc'd: "NoSuchBucket").
 */
int s3list_list(struct s3req_ctx *c, const char *bucket, const char *prefix,
    int v1, s3list_page_fn *fn, void *arg, char **code, char *err,
    size_t errlen);

/*
 * HeadObject of o[0..n) in bucket, jobs at once: each o[i].ctype, or
 * gone.  Returns 0, or -1 with err and c->temp when one could not be
 * asked (the others may be filled).
 */
int s3list_head(struct s3req_ctx *c, const char *bucket, struct s3obj *o,
    size_t n, int jobs, char *err, size_t errlen);

/* Free what o[0..n) hold (not o). */
void s3list_free(struct s3obj *o, size_t n);

#endif
