/* msg: diagnostics on stderr and the exit codes every tool shares */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "msg.h"

#ifndef HOOKPIPE_VERSION
#define HOOKPIPE_VERSION "0.1.0"
#endif

const char *msg_prog = "hookpipe";
int msg_quiet;
void (*msg_erase_status)(void);

static void
vmsg(const char *pre, const char *fmt, va_list ap)
{
	char line[4096];
	int n;

	/* one write per message, so lines from concurrent tools stay whole */
	n = snprintf(line, sizeof(line), "%s: %s", msg_prog, pre);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (msg_erase_status != NULL)
		msg_erase_status();
	fprintf(stderr, "%s\n", line);
}

void
msg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	if (msg_quiet)
		return;
	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}

void
msg_retry(const char *why, int n, int of, long wait_ms)
{
	msg_warn("%s, retry %d of %d in %ld ms", why, n, of, wait_ms);
}

void
msg_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
	fflush(stdout);
	exit(code);
}

void
msg_usage(const char *usage)
{
	fprintf(stderr, "%s\n", usage);
	exit(EX_USAGE);
}

void
msg_help(const char *usage)
{
	printf("%s\n", usage);
	exit(EX_OK);
}

void
msg_version(void)
{
	printf("%s (hookpipe) %s\n", msg_prog, HOOKPIPE_VERSION);
	exit(EX_OK);
}
