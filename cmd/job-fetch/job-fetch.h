/* job-fetch: the tool's private header: one download (struct fetch),
 * the options, and what each file of the tool gives the others
 * (main.c options, fetch.c transfers; the file, its digests and its
 * durable commit are lib/fetchfile's) */
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
#include "fetchfile.h"
#include "httprun.h"
#include "arg.h"
#include "msg.h"
#include "nd.h"
#include "sys.h"
#include "tmpl.h"
#include "xmem.h"

/* the options (main.c) */
extern const char *dir;
extern struct fetchfile_dir fdir;	/* dir, open, and how files go in */
extern const char *api;
extern char *token;
extern struct curl_slist *secret;	/* --header-file */
extern struct tmpl *idt, *urlt, *namet;
extern int skip_existing, nflag;

/* one download: its file (lib/fetchfile) and what job-fetch adds */
struct fetch {
	struct fetchfile ff;
	char *id;
	char *name;		/* from --name, or NULL until the headers */
	int skipped;
};

/* fetch.c: the http_tool callbacks */
struct http_xfer *build(struct nd_rec *r, void *arg, char *err,
    size_t errlen);
int done(struct nd_rec *r, struct http_xfer *x, void *arg, char *err,
    size_t errlen);
void drop(struct http_xfer *x, void *arg);

#endif
