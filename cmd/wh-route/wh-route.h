/* wh-route: the tool's private header: a sink (a route's file or
 * command), the options and rules, and what each file of the tool gives
 * the others (main.c options, sink.c files and children, route.c the
 * per-record routing, claim.c remember/recall and --settle, filter.c -w) */
#ifndef WH_ROUTE_H
#define WH_ROUTE_H

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stddef.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bignum.h"
#include "jcanon.h"
#include "jscan.h"
#include "msg.h"
#include "nd.h"
#include "opt.h"
#include "path.h"
#include "rules.h"
#include "state.h"
#include "sys.h"
#include "tmpl.h"
#include "xmem.h"


extern const char usage[];

/* a record in a sink's buffer, reported if it does not get out whole */
struct pend {
	size_t end;		/* where its line ends in the buffer */
	json_t *rec;		/* the input record, for --errors */
	char *line;		/* or its line, when no tree was built */
	size_t len;
	const char *src;
	long lineno;
};

/* a child process or a file a route writes to */
struct sink {
	const char *name;	/* route name */
	const char *target;	/* file name or command */
	int fd;			/* file, or the child's stdin */
	struct buf out;
	struct pend *pend;	/* the records in out */
	size_t npend, cappend;
	int dead;
	int errnum;		/* why it is dead */
	pid_t pid;
	int outfd;		/* the child's stdout, relayed by a thread */
	pthread_t relay;
	int started;
};

/* the options and rules (main.c) */
extern struct rules rules;
extern struct state *state;	/* remember/recall */
extern int state_flags;		/* state_open's */
extern long lease;		/* seconds a recall's claim holds */
extern struct sink *sinks;	/* one per route */
extern struct rules_cond **wconds;
extern size_t nw;
extern int vflag, strict;
extern struct jscan *scan;	/* checks each line, finds the fields */
extern struct jcanon *canon;	/* is a matched line compact already */

/* sink.c */
void open_sinks(const char *file);
void flush_sinks(void *arg);
int deliver(const struct rules_route *rt, struct sink *s, struct nd_rec *r,
    json_t *rec, const struct buf *text, char *err, size_t errlen);
void finish_children(void);

/* claim.c */
void open_state(const char *file, const char *path);
int recall(const struct rules_route *rt, json_t *rec, json_t **val,
    json_t **claim, char *err, size_t errlen);
int remember(const struct rules_route *rt, json_t *rec, char *err,
    size_t errlen);
int settle_main(const char *statefile, int routing, const char *errors,
    char **files, int nfiles, struct nd_opts *o);

/* route.c */
int check(struct nd_rec *r, char *err, size_t errlen);
int matches(const struct rules_cond *c, const struct nd_rec *r);
void scan_path(const struct path *p, void *arg);
int route_one(struct nd_rec *r, void *arg, char *err, size_t errlen);

/* filter.c */
void *arena_alloc(size_t n);
void arena_free(void *p);
int filter_one(struct nd_rec *r, void *arg, char *err, size_t errlen);

#endif
