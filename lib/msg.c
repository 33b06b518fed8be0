/* msg: diagnostics on stderr and the exit codes every tool shares */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "msg.h"

#ifndef HOOKPIPE_VERSION
#define HOOKPIPE_VERSION "0.1.0"
#endif

const char *msg_prog = "hookpipe";
int msg_quiet;
void (*msg_erase_status)(void);

static int log_json = -1;	/* -1: not yet known */

int
msg_log_format(const char *name)
{
	if (strcmp(name, "text") == 0)
		log_json = 0;
	else if (strcmp(name, "json") == 0)
		log_json = 1;
	else
		return -1;
	return 0;
}

/* a line in text form or JSON, cut at its size */
struct line {
	char p[8192];
	size_t n;
};

static void
add(struct line *l, const char *s, size_t n)
{
	if (n > sizeof(l->p) - 1 - l->n)
		n = sizeof(l->p) - 1 - l->n;
	memcpy(l->p + l->n, s, n);
	l->n += n;
}

/* s as a JSON string: control characters escaped, bytes that are not
 * UTF-8 as U+FFFD, so that every line parses */
static void
add_jstr(struct line *l, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	char e[8];

	add(l, "\"", 1);
	while (i < n) {
		if (u[i] < 0x80) {
			if ((k = enc_json_esc(u[i], e)) > 0)
				add(l, e, k);
			else
				add(l, s + i, 1);
			i++;
		} else if ((k = enc_utf8_seq(u + i, n - i)) > 0) {
			add(l, s + i, k);
			i += k;
		} else {
			add(l, "\\ufffd", 6);
			i++;
		}
	}
	add(l, "\"", 1);
}

static void
add_field(struct line *l, const char *key, const char *val)
{
	add(l, ",\"", 2);
	add(l, key, strlen(key));
	add(l, "\":", 2);
	add_jstr(l, val);
}

static void
add_num(struct line *l, const char *key, long v)
{
	char t[64];
	int n;

	n = snprintf(t, sizeof(t), ",\"%s\":%ld", key, v);
	if (n > 0 && (size_t)n < sizeof(t))
		add(l, t, (size_t)n);
}

static int
want_json(void)
{
	const char *e;

	if (log_json < 0)
		log_json = (e = getenv(MSG_LOG_FORMAT_ENV)) != NULL &&
		    strcmp(e, "json") == 0;
	return log_json;
}

void
msg_report(const char *level, const struct msg_fields *f, const char *text)
{
	static const struct msg_fields none;
	struct line l;
	char pre[512];

	if (strcmp(level, "warning") == 0 && msg_quiet)
		return;
	if (f == NULL)
		f = &none;
	l.n = 0;
	if (!want_json()) {
		snprintf(pre, sizeof(pre), "%s: %s", msg_prog,
		    strcmp(level, "warning") == 0 ? "warning: " : "");
		add(&l, pre, strlen(pre));
		if (f->source != NULL && f->line > 0) {
			snprintf(pre, sizeof(pre), "%s:%ld: ", f->source,
			    f->line);
			add(&l, pre, strlen(pre));
		}
		add(&l, text, strlen(text));
	} else {
		add(&l, "{\"tool\":", 8);
		add_jstr(&l, msg_prog);
		add_field(&l, "level", level);
		add_field(&l, "msg", text);
		if (f->source != NULL)
			add_field(&l, "source", f->source);
		if (f->line > 0)
			add_num(&l, "line", f->line);
		if (f->record_id != NULL)
			add_field(&l, "record_id", f->record_id);
		if (f->route != NULL)
			add_field(&l, "route", f->route);
		if (f->status > 0)
			add_num(&l, "status", f->status);
		add(&l, "}", 1);
	}
	/* one write per message, so lines from concurrent tools stay whole */
	l.p[l.n] = '\0';
	if (msg_erase_status != NULL)
		msg_erase_status();
	fprintf(stderr, "%s\n", l.p);
}

static void
vmsg(const char *level, const char *fmt, va_list ap)
{
	char text[4096];

	vsnprintf(text, sizeof(text), fmt, ap);
	msg_report(level, NULL, text);
}

void
msg_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error", fmt, ap);
	va_end(ap);
}

void
msg_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning", fmt, ap);
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
	vmsg("error", fmt, ap);
	va_end(ap);
	fflush(stdout);
	exit(code);
}

void
msg_usage(const char *usage)
{
	if (want_json())
		msg_report("error", NULL, usage);
	else
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
