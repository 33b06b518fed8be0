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
