/* fetchfile: durable downloads into a directory (job-fetch, s3-get): a
 * file with no name (or a hidden one) until it is whole, hashed as it
 * comes, synced off the loop, renamed into place in input order */
#ifndef FETCHFILE_H
#define FETCHFILE_H

#include <stddef.h>
#include <openssl/evp.h>

#include "http.h"

/*
 * The life of one download f (see lib/fetchfile.c):
 *
 *	fetchfile_init(f, d)		before the transfer is added
 *	fetchfile_hold(f, x)		x held until f is committed
 *	fetchfile_resume(f, x, e)	before each attempt (a prepare)
 *	fetchfile_answer(f, x)		an attempt's first bytes (a sink)
 *	fetchfile_write(f, p, n)	the body, as it comes (a sink)
 *	fetchfile_finish(f)		optional: f->sha256 to check
 *	f->final = name; fetchfile_ended(f, keep)	(an ended callback)
 *	... the syncers and the committer: x released with f->outcome
 *	f->sha256, f->bytes		in done
 *	fetchfile_drop(f)		in drop
 *
 * A file that is not kept (fetchfile_ended with keep 0, a failed sync,
 * a failed commit) is never seen under a name of its own.
 */

/* The directory of a run, the tool's, shared by its files. */
struct fetchfile_dir {
	const char *dir;	/* its name, for messages */
	int fd;			/* open O_DIRECTORY */
	int anon_ok;		/* O_TMPFILE files, linked in by
				 * /proc/self/fd */
	int skip_existing;	/* a final name that exists is kept */
	const char *prefix;	/* of temporary names: ".job-fetch" */
	int stream;		/* fd 1 (-o -): no file, nothing synced */
};

enum { FETCHFILE_RUN, FETCHFILE_SYNC, FETCHFILE_READY };
/* how a commit ended: f->outcome */
enum { FETCHFILE_NONE, FETCHFILE_OK, FETCHFILE_SKIPPED, FETCHFILE_FAIL };

struct fetchfile {
	struct fetchfile_dir *d;
	char tmp[64];		/* the temporary name in d, or "" for a
				 * nameless O_TMPFILE file */
	int fd;
	EVP_MD_CTX *md;		/* SHA-256 */
	EVP_MD_CTX *md5;	/* MD5 too, if asked (an S3 ETag) */
	long long bytes;	/* in the file */
	long long kicked;	/* writeback started up to here */
	char *final;		/* the name to rename to; NULL: no file */
	int norange;		/* the server ignored a Range: start over */
	int ioerr;		/* a local file failed (not the network) */
	int finished;		/* the digests are in: */
	char sha256[65];	/* hex */
	unsigned char md5sum[16];	/* with mpsize: S3's multipart one */
	/* fetchfile_md5_parts: the MD5 of each mpsize bytes, into mpmd */
	EVP_MD_CTX *mpmd;
	long long mpsize, mpin;
	int mpparts;		/* parts in md5sum, once finished */
	int outcome;		/* FETCHFILE_*, once released */
	char cerr[600];		/* why it was not committed */
	/* the loop's, the syncers', the committer's, the hasher's */
	struct http_xfer *x;
	struct fetchfile *snext, *onext, *oprev;
	int state;
	int async;		/* the hasher reads the file back */
	int prefixed;		/* ... behind fetchfile_prefix */
	long long hashed;	/* bytes in md; the hasher's while hbusy */
	long long written;	/* bytes the hasher may read (under hmu) */
	int hqueued, hbusy;
	int herr;		/* errno of a read back, 0 */
	struct fetchfile *hnext;
	int serr;		/* errno of fsync, close or a read back */
};

/* Start the syncers (jobs of them, 2 to 8), the committer and the
 * hasher, with every signal blocked in them.  0, or -1 with err. */
int fetchfile_start(int jobs, char *err, size_t errlen);
/* Stop them; every transfer must have been released. */
void fetchfile_stop(void);

/* f for a download into d; with md5, an MD5 beside the SHA-256.  0, or
 * -1 with err (the digests would not start). */
int fetchfile_init(struct fetchfile *f, struct fetchfile_dir *d, int md5,
    char *err, size_t errlen);
/* Hold x (set held) until f is committed: f joins the input order. */
void fetchfile_hold(struct fetchfile *f, struct http_xfer *x);
/* The temporary file, if f has none yet.  0, or -1 with err. */
int fetchfile_open(struct fetchfile *f, char *err, size_t errlen);
/* Start the file and its digests over (a 200 to a Range).  0 or -1. */
int fetchfile_restart(struct fetchfile *f, char *err, size_t errlen);
/* Before an attempt of x: the file, and after a cut a Range for the
 * rest (unless the server ignored one before: then from the start).
 * 0, or -1 with x->err (f->ioerr if the file failed). */
int fetchfile_resume(struct fetchfile *f, struct http_xfer *x, CURL *e);
/* The first bytes of an attempt's 2xx answer: a 206 must start where
 * the file ends; a 200 starts the file over.  0, or -1 with x->err. */
int fetchfile_answer(struct fetchfile *f, struct http_xfer *x);
/* Append p[0..n) to the file and the digests.  0, or -1 with err. */
int fetchfile_write(struct fetchfile *f, const char *p, size_t n, char *err,
    size_t errlen);
/* Write p[0..n) at off, not hashed: a range of a download fetched in
 * parts; fetchfile_rehash once all are in.  0, or -1 with err. */
int fetchfile_pwrite(struct fetchfile *f, const char *p, size_t n,
    long long off, char *err, size_t errlen);
/* The MD5 as S3 makes a multipart upload's ETag: the MD5 of each part's
 * MD5, parts of partsize bytes (the last may be shorter), into
 * f->md5sum with their count in f->mpparts.  Before any byte is
 * hashed (or before fetchfile_rehash); f must hash an MD5.  0 or -1. */
int fetchfile_md5_parts(struct fetchfile *f, long long partsize);
/* No MD5 after all (nothing to check it against): before any byte is
 * hashed. */
void fetchfile_no_md5(struct fetchfile *f);
/* The file is whole from its start up to upto (the parts written by
 * fetchfile_pwrite so far, in order): the hasher may read it back, its
 * writeback starts.  Called with upto growing; fetchfile_rehash at the
 * end then finishes what is left. */
void fetchfile_prefix(struct fetchfile *f, long long upto);
/* The file is whole at size bytes, written by fetchfile_pwrite: hash it
 * (read back by the hasher; fetchfile_ended waits for it). */
void fetchfile_rehash(struct fetchfile *f, long long size);
/*
 * The transfer ended (on the loop's thread): with keep and f->final
 * set, the file goes to be synced and committed, and x is released
 * after; else f leaves the input order and x is released now.
 */
void fetchfile_ended(struct fetchfile *f, int keep);
/* The file is whole: finish its digests (f->sha256, f->md5sum; read
 * back what the hasher has not).  0, or an errno.  Done once; called by
 * fetchfile_ended if the tool has not. */
int fetchfile_finish(struct fetchfile *f);
/* Free what f holds; an uncommitted file goes (not f itself). */
void fetchfile_drop(struct fetchfile *f);

#endif
