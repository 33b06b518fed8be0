/* msg: diagnostics on stderr and the exit codes every tool shares */
#ifndef MSG_H
#define MSG_H

enum {
	EX_OK = 0,		/* every record handled */
	EX_PARTIAL = 1,		/* some records failed, each reported */
	EX_USAGE = 2,		/* bad option or arguments */
	EX_CONFIG = 3,		/* config or required environment invalid */
	EX_DATA = 4,		/* bad record while -e was given */
	EX_REMOTE = 5,		/* remote side refused for good */
	EX_TEMPFAIL = 6,	/* network, timeout, 408/429/5xx */
	EX_SYSTEM = 7		/* memory, I/O, bind, fork */
};

extern const char *msg_prog;	/* tool name, set first thing in main() */
extern int msg_quiet;		/* -q: drop warnings */
/* set by lib/progress while its status line is on the terminal: called
 * before each message, to erase it */
extern void (*msg_erase_status)(void);

/*
 * The form of stderr lines: text ("prog: msg", the default), or one JSON
 * object a line (--log-format json, or $HOOKPIPE_LOG_FORMAT=json for a
 * whole pipeline): {"tool", "level", "msg"} and the fields below that a
 * message has.  msg_log_format sets it: 0, or -1 for another word.
 */
#define MSG_LOG_FORMAT_ENV	"HOOKPIPE_LOG_FORMAT"
int msg_log_format(const char *name);

/* What a message is about, shown apart in JSON lines (NULL / 0: none). */
struct msg_fields {
	const char *source;	/* the input ("stdin", a file) of line */
	long line;		/* > 0: its line number */
	const char *record_id;	/* the record's "id" */
	const char *route;	/* wh-route's route */
	long status;		/* > 0: the HTTP status that decided it */
};
/* One line at level "error" or "warning" (dropped under msg_quiet);
 * text: "prog: [warning: ][source:line: ]text". */
void msg_report(const char *level, const struct msg_fields *f,
    const char *text);

/* Print "prog: fmt" and a newline on stderr. */
void msg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: warning: fmt" unless msg_quiet. */
void msg_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print "prog: warning: WHY, retry N of OF in MS ms": the on_retry of
 * a tool's blocking requests (struct http_client, lib/sqs). */
void msg_retry(const char *why, int n, int of, long wait_ms);
/* Print "prog: fmt" and exit with code. */
_Noreturn void msg_die(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Usage line on stderr, exit 2. */
_Noreturn void msg_usage(const char *usage);
/* Usage line on stdout, exit 0. */
_Noreturn void msg_help(const char *usage);
/* "prog (hookpipe) VERSION" on stdout, exit 0. */
_Noreturn void msg_version(void);

#endif
