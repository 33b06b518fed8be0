/*
 * s3-put's private header: options and input (main.c), the upload
 * state machine (upload.c), part preparation (part.c), the requests
 * (built, signed, judged) on lib/http's pool and the loop (transfer.c),
 * --list-uploads and --abort-stale (stale.c).
 * Prototypes are grouped by the file that defines them.
 */
#ifndef S3_PUT_H
#define S3_PUT_H

#include <stdint.h>
#include <sys/types.h>
#include <curl/curl.h>
#include <jansson.h>

#include "aws.h"
#include "http.h"
#include "metrics.h"
#include "msg.h"
#include "nd.h"
#include "sigv4.h"
#include "xmem.h"

#define MIB		(1024 * 1024)
#define PART_MIN	((size_t)5 * MIB)
#define PART_MAX	((size_t)5 * 1024 * MIB)
#define PARTS_MAX	10000
#define RESP_MAX	(1024 * 1024)
#define PREP_MIN	((size_t)256 * 1024)	/* less: hashed inline */
#define PREP_CHUNK	((size_t)1024 * 1024)	/* read, hash by this */
#define WORKERS_MAX	8

#define PERR_SIZE	(-1)		/* the file changed size */
#define PERR_HASH	(-2)		/* the digests would not start */

/* the options and what start-up made of them; set by main.c only */
struct options {
	const char *bucket, *key, *file;
	const char *ctype, *cache, *class, *sse, *kms, *endpoint_opt;
	int inm, delete, nflag, eflag;
	int checksum;			/* SHA-256 checksums S3 checks, keeps */
	size_t psize, threshold;
	int jobs, retries;
	long timeout;
	struct http_retry retry;	/* lib/http's: waits, retries */
	char **meta_names, **meta_values;
	size_t nmeta;
	int opmode;			/* file operands given */
	struct aws_s3_conf s3;		/* region, endpoint, credentials */
};

/* the run: owned by upload.c (the counters change only in inflight()) */
struct run {
	struct http_pool *pool;		/* lib/http's: every request */
	int active;			/* requests in flight or waiting */
	int slots;			/* most requests at once: jobs + 1 */
	int stopping;			/* exit code that ended the input */
	int input_done;
};

enum ustate { U_NEW, U_PUT, U_CREATE, U_PARTS, U_COMPLETE, U_ABORT, U_DONE };
enum rkind { R_PUT, R_CREATE, R_PART, R_COMPLETE, R_ABORT };

struct part {
	unsigned char md5[16];
	char sha64[48];			/* its SHA-256 as S3 echoed it, or "" */
	char *etag;			/* as S3 sent it, quotes included */
	int done;
};

/* one file to upload: a record or an operand */
struct upload {
	struct upload *next;
	json_t *obj;			/* the record (record mode) */
	char *line;
	size_t len;
	long lineno;
	char *file, *bucket, *key, *ctype, *s3url;
	struct aws_s3_loc loc;
	int fd;
	int is_stdin;
	off_t size;			/* -1: unknown (a stream) */
	size_t psize;
	enum ustate st;			/* changed by upload_enter() only */
	char *upload_id;
	struct part *parts;
	size_t nparts, cap, ndone;
	int inflight;			/* changed by inflight() only */
	int eof;
	uint64_t bytes;
	char *pend;			/* first chunk of a stream */
	size_t pendlen;
	unsigned char md5[16];		/* single PUT */
	char *etag, *version_id;
	int failed;
	int code;			/* exit status the failure calls for */
	char *errmsg;
};

/* one request; lib/http's transfer x sends it (retries, signed again each
 * time) and holds its answer: status, body, the headers kept */
struct req {
	struct upload *u;
	enum rkind kind;
	int partno;
	char *body;			/* until x takes it */
	size_t len;
	int pooled;			/* body came from the buffer pool */
	char sha[65];
	unsigned char sha256[32];	/* the same, raw */
	char md5b64[32];
	char sha64[48];			/* x-amz-checksum-sha256 */
	struct http_xfer *x;		/* NULL until started */
	struct req *pnext;		/* in a preparation queue */
	int rfd;			/* >= 0: pread the body from here */
	off_t roff;
	int rlast;			/* last part: the file must end */
	int perr;			/* 0, errno, or a PERR_ */
	unsigned char md5[16];		/* set by the worker */
};

/* main.c */
extern struct options opt;
extern const char usage[];
int		 read_input(void);
int		 input_waitfd(void);

/* upload.c */
extern struct run run;
struct upload	*upload_new(void);
void		 enqueue(struct upload *);
void		 ufail(struct upload *, int, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
void		 upload_enter(struct upload *, enum ustate, char *, size_t);
void		 inflight(struct upload *, int);
void		 step(struct upload *);
void		 upload_answer(struct req *, int, int, const char *);
void		 where(const struct upload *, char *, size_t);
int		 kms(void);
void		 fill(void);
int		 flush_done(void);

/* part.c */
char		*pool_get(size_t, int *);
void		 pool_put(char *);
void		 pool_init(void);
void		 pool_free(void);
void		 prep_submit(struct req *);
void		 prep_collect(void);
void		 prep_stop(void);
void		 hash_body(struct req *, unsigned char[16]);
void		 next_part(struct upload *);

/* transfer.c */
size_t		 object_headers(const struct upload *, struct sigv4_kv *);
void		 req_start(struct req *);
void		 req_new_at(struct upload *, enum rkind, int, char *, size_t,
		    int, int, off_t, int);
void		 req_new(struct upload *, enum rkind, int, char *, size_t);
void		 req_free(struct req *);
void		 transfers_open(void);
void		 transfers_close(void);
int		 loop(void);

/* stale.c */
int		 uploads(long);

#endif
