/* s3-get: the tool's private header: one object (struct get), the
 * options, and what each file gives the others (main.c options and
 * set-up, get.c one GET per object and the records, parts.c big objects
 * in ranged parts on a thread of their own) */
#ifndef S3_GET_H
#define S3_GET_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "aws.h"
#include "fetchfile.h"
#include "httprun.h"
#include "msg.h"
#include "nd.h"
#include "s3req.h"
#include "sys.h"
#include "tmpl.h"
#include "xmem.h"

/* the options and what start-up made of them (main.c) */
extern struct fetchfile_dir fdir;	/* -o, open; or stdout (-o -) */
extern struct s3req_ctx ctx;		/* region, endpoint, credentials */
extern struct tmpl *namet;		/* --name */
extern size_t psize;			/* --part-size */
extern struct http_opts hopts;		/* -j, --timeout, --retries */

/* one object */
struct get {
	struct fetchfile ff;
	char *bucket, *key;
	char *want_etag;	/* the record's, unquoted; NULL */
	long long want_size;	/* the record's; -1 */
	char *name;		/* the final name */
	struct aws_s3_loc loc;
	struct s3req rq;
	struct sigv4_kv h[2];	/* x-amz-checksum-mode, If-Match */
	char pin[200];		/* If-Match: the ETag of the first answer */
	/* what the answers said */
	long long total;	/* the object's size; -1 until known */
	char *etag;		/* unquoted */
	char *sum;		/* x-amz-checksum-sha256, or NULL */
	int encrypted;		/* SSE-KMS or SSE-C: the ETag is no MD5 */
	const char *verified;	/* "sha256", "md5", "size" */
	/* the parts (parts.c): the outcome, set before the release */
	int ranged;
	int pfail;		/* 0, or the record's exit code */
	unsigned char *pdone;	/* pdone[i]: part i is in */
	long long pin_n;	/* parts 0..pin_n are all in */
	struct get *pnext;
	char perr[600];
};

/* get.c */
struct http_xfer *build(struct nd_rec *r, void *arg, char *err,
    size_t errlen);
int done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen);
void drop(struct http_xfer *x, void *arg);
void pin_etag(struct get *g, const char *etag);
void note_etag(struct get *g, const char *etag);
int get_sign(struct s3req *rq, struct get *g, struct http_xfer *x,
    char *err, size_t errlen);
int verify(struct get *g, char *err, size_t errlen);
int mp_etag(const char *e);
int s3_judge(struct http_xfer *x, char *why, size_t whylen);

/* parts.c */
void parts_submit(struct get *g);
int parts_start(struct http_pool *loop, char *err, size_t errlen);
void parts_stop(void);

#endif
