/* nd: the NDJSON record loop: read lines, parse objects, write records */
#ifndef ND_H
#define ND_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* A line reader over one file descriptor, lines up to max bytes. */
struct nd_reader {
	int fd;
	const char *name;	/* "stdin" or the file operand */
	long lineno;		/* line number of the last line returned */
	char *buf;
	size_t start, end, cap;
	int eof;
	int flush;		/* before a read: ND_FLUSH_ALL (0) or _STDOUT */
	size_t max;		/* longest line, from nd_max_line() */
	size_t scanned;		/* bytes after start known to have no "\n" */
	int skip;		/* dropping an over-long line up to its "\n" */
};

#define ND_FLUSH_ALL	0	/* nd_flush(): stdout and the on_flush sinks */
#define ND_FLUSH_STDOUT	1	/* stdout only (for threads relaying lines) */

/* Set up r to read fd; name is used in messages. */
void nd_reader_init(struct nd_reader *r, int fd, const char *name);
/*
 * Return the next line in *line and *len without its "\n" or "\r\n", NUL
 * terminated (valid until the next call).  Blank lines are returned too.
 * Returns 1 for a line, 0 at end of file, -1 on a read error (errno set),
 * ND_LONG for a line longer than r->max: it was read past and dropped,
 * never held whole (*line is "", lineno counts it; nd_too_long() says
 * it).  Before a read that may block, buffered output is written out
 * (see the flush field).
 */
int nd_reader_next(struct nd_reader *r, char **line, size_t *len);
#define ND_LONG	2

/*
 * The line limit: --max-line, else $HOOKPIPE_MAX_LINE, else
 * ND_MAX_LINE.  The default is above the largest payload the common
 * senders document (GitHub: 25 MB) with room for JSON escaping, and
 * bounds a reader's memory to a small multiple of it.
 */
#define ND_MAX_LINE	((size_t)64 << 20)
#define ND_MAX_LINE_ENV	"HOOKPIPE_MAX_LINE"
size_t nd_max_line(void);
/* For getopt_long: the --max-line entry of a tool's long options, and
 * its handler (a bad size: message and usage, exit 2). */
#define ND_OPT_MAX_LINE	1000
#define ND_LONGOPT_MAX_LINE \
	{"max-line", required_argument, NULL, ND_OPT_MAX_LINE}
void nd_max_line_opt(const char *arg, const char *usage);
/*
 * The options every tool shares beside --max-line (hookpipe(7)):
 * --metrics FILE, --metrics-interval SEC, --log-format text|json.  A
 * tool puts ND_LONGOPTS_COMMON in its long options and, in its switch,
 * ND_CASES_COMMON nd_common_opt(c, optarg, usage); break;
 */
#define ND_OPT_METRICS		1001
#define ND_OPT_METRICS_INTERVAL	1002
#define ND_OPT_LOG_FORMAT	1003
#define ND_LONGOPTS_COMMON \
	{"metrics", required_argument, NULL, ND_OPT_METRICS}, \
	{"metrics-interval", required_argument, NULL, \
	    ND_OPT_METRICS_INTERVAL}, \
	{"log-format", required_argument, NULL, ND_OPT_LOG_FORMAT}
#define ND_CASES_COMMON \
	case ND_OPT_METRICS: case ND_OPT_METRICS_INTERVAL: \
	case ND_OPT_LOG_FORMAT:
/* A bad value: message and usage, exit 2. */
void nd_common_opt(int c, const char *arg, const char *usage);
/* The message for an ND_LONG line. */
void nd_too_long(char *err, size_t errlen);
void nd_reader_free(struct nd_reader *r);
/* Whether nd_reader_next would return without reading (a whole line is
 * buffered, or the input has ended). */
int nd_reader_ready(const struct nd_reader *r);
/* Whether a line holds only blanks (the record loop skips those). */
int nd_blank(const char *s, size_t n);

/*
 * Parse a line as a JSON object.  Returns the object, or NULL with a
 * message ("invalid JSON at column 17: ...", "not a JSON object") in err.
 */
json_t *nd_parse(const char *line, size_t len, char *err, size_t errlen);

/* Output (numbers too big for jansson written back as the digits read,
 * see bignum.h): buffered stdout, written a whole line at a time. */
void nd_write(const json_t *rec);		/* compact JSON and "\n" */
void nd_write_raw(const char *line, size_t len);	/* adds "\n" */
/* Write out what is buffered.  EPIPE ends the run quietly (nd_status());
 * any other error exits 7. */
void nd_flush(void);
/* Write out stdout's buffer only, not the extra sinks. */
void nd_flush_stdout(void);
/* Called by nd_flush() too: extra sinks (files, children) to flush. */
void nd_on_flush(void (*fn)(void *), void *arg);
/* Lock around output from several threads (nd_write takes it itself). */
void nd_lock(void);
void nd_unlock(void);

/* Failed records: "--errors FILE" appends them with an "error" field;
 * a new file is made mode 0600 (less if the umask says so). */
int nd_errors_open(const char *path, char *err, size_t errlen);

/* Where a record came from, for messages. */
struct nd_rec {
	json_t *obj;		/* the parsed record (NULL if it did not parse) */
	const char *line;	/* the raw line */
	size_t len;
	const char *src;	/* "stdin" or a file name */
	long lineno;
	const char *route;	/* for messages: wh-route's route, or NULL */
	long status;		/* for messages: the HTTP status, or 0 */
};

/*
 * Report a failed record: "prog: src:line: message" on stderr, the
 * record to the --errors file, and remember EX_PARTIAL for nd_status().
 */
void nd_fail(const struct nd_rec *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* A record kept past its turn (a batch waiting for its answer), with
 * where it came from, for nd_held_fail. */
struct nd_held {
	json_t *obj;
	char *src;
	long lineno;
};
/* Keep r in h (a reference to r->obj, a copy of r->src). */
void nd_hold(struct nd_held *h, const struct nd_rec *r);
/* nd_fail for a kept record. */
void nd_held_fail(const struct nd_held *h, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Let it go (h zeroed). */
void nd_held_free(struct nd_held *h);
/* Let the n records of a malloc'd array go, and the array. */
void nd_held_free_all(struct nd_held *h, size_t n);

/* Remember a worse exit status (the highest code wins, EX_PARTIAL < others). */
void nd_set_status(int code);
int nd_status(void);

/* Per-record work: return 0 when handled (the callback wrote or dropped
 * the record), ND_FAIL after filling err (the loop reports it), or an
 * exit code >= 3 to stop the run at once after reporting err. */
#define ND_FAIL 1
typedef int (*nd_fn)(struct nd_rec *r, void *arg, char *err, size_t errlen);

/* Options shared by the record loop. */
struct nd_opts {
	int eflag;		/* stop at the first bad record, exit 4 */
	int raw;		/* pass records to fn unparsed (obj == NULL) */
	/*
	 * Called when no input has come for idle_ms, and once at the end
	 * (also when stopping): a tool that batches sends its batch.
	 * Nonzero stops the run with that exit code after printing err.
	 */
	int (*idle)(void *arg, char *err, size_t errlen);
	int idle_ms;
};

/*
 * Run fn over every record of the files (argv-style, "-" is stdin; none
 * means stdin).  Handles SIGINT/SIGTERM (finish the record, flush, stop),
 * ignores SIGPIPE.  Returns the exit status for main().
 */
int nd_run(char **files, int nfiles, nd_fn fn, void *arg,
    const struct nd_opts *o);
/*
 * Call each on every input of the files (argv-style, "-" is stdin, none
 * means stdin) in turn, until one returns non-zero or nd_stop is set; a
 * file that does not open is reported and marks the run EX_PARTIAL.
 * Returns the last each's value.  nd_run and http_run read through it.
 */
int nd_files(char **files, int nfiles, int (*each)(int fd,
    const char *name, void *ctx), void *ctx);
/* Set by SIGINT/SIGTERM once nd_signals() is installed. */
extern volatile int nd_stop;
void nd_signals(void);

#endif
