/* job-fetch: the tool's private header: one download (struct fetch),
 * the options, and what each file of the tool gives the others
 * (main.c options, fetch.c transfers, hash.c the hasher thread,
 * commit.c durability and input order) */
#ifndef JOB_FETCH_H
#define JOB_FETCH_H

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>

#include "cdisp.h"
#include "enc.h"
#include "httprun.h"
#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "sys.h"
#include "tmpl.h"
#include "xmem.h"

/* the options (main.c) */
extern const char *dir;
extern int dirfd_;
extern int anon_ok;	/* O_TMPFILE files, linked in by /proc/self/fd */
extern const char *api;
extern char *token;
extern struct curl_slist *secret;	/* --header-file */
extern struct tmpl *idt, *urlt, *namet;
extern int skip_existing, nflag;

enum { KICK_BYTES = 8 << 20 };	/* writeback started every 8 MiB */

enum { F_RUN, F_SYNC, F_READY };	/* struct fetch's state */
enum { C_NONE, C_OK, C_SKIPPED, C_FAIL };	/* its commit's outcome */


/* one download */
struct fetch {
	char *id;
	char *name;		/* from --name, or NULL until the headers */
	char tmp[64];		/* the temporary file's name in dir, or ""
				 * for an O_TMPFILE file (no name yet) */
	int fd;
	EVP_MD_CTX *md;
	long long bytes;
	long long kicked;	/* writeback started up to here */
	int skipped;
	int norange;		/* the server ignored a Range: start over */
	int ioerr;		/* the transfer failed on a local file */
	/* the commit; under mu until released */
	struct http_xfer *x;
	struct fetch *snext, *onext, *oprev;
	int state;
	/* hashing: before async, as the bytes come; after, by the hasher */
	int async;		/* the hasher reads the file back */
	long long hashed;	/* bytes in md; the hasher's while hbusy */
	long long written;	/* bytes the hasher may read (under hmu) */
	int hqueued, hbusy;	/* under hmu */
	int herr;		/* errno of a read back, 0 */
	struct fetch *hnext;
	char *final;		/* the name to rename to; NULL: no file */
	int serr;		/* errno of fsync or close, 0 */
	int outcome;
	char cerr[600];
};


/*
 * SHA-256 off the event loop for big outputs.  The first HASH_INLINE
 * bytes of a download are hashed as they come; past that, the hasher
 * thread reads the file back from the page cache behind the writes, so
 * receiving and hashing use two cores (a 1 GiB output: 0.6 s of hashing
 * no longer adds to the download).  ended() finishes the digest before
 * the file goes to the syncers.
 */
enum { HASH_INLINE = 4 << 20, HASH_CHUNK = 1 << 20, HASH_TURN = 8 << 20 };
extern int hstarted;	/* the hasher thread runs */

/* hash.c */
void hash_post(struct fetch *f);
void hash_quiesce(struct fetch *f);
int hash_finish(struct fetch *f);
void hash_start(void);
void hash_stop(void);

/* fetch.c: the http_tool callbacks */
struct http_xfer *build(struct nd_rec *r, void *arg, char *err,
    size_t errlen);
int done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen);
void drop(struct http_xfer *x, void *arg);
char *final_name(struct fetch *f, struct http_xfer *x);

/* commit.c */
void commit_hold(struct fetch *f);
void ended(struct http_xfer *x);
void threads_start(int jobs);
void threads_stop(void);

#endif
