/* tap: a minimal TAP producer for the C unit tests in tests/unit */
#ifndef TAP_H
#define TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

/* Report one test: "ok N - name" or "not ok N - name". Returns cond. */
static int __attribute__((format(printf, 2, 3), unused))
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	printf("%sok %d - ", cond ? "" : "not ", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

/* Compare two strings; on mismatch print both as TAP diagnostics. */
static int __attribute__((unused))
is_str(const char *got, const char *want, const char *name)
{
	int c = got != NULL && want != NULL ? strcmp(got, want) == 0 :
	    got == want;

	ok(c, "%s", name);
	if (!c)
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)",
		    want ? want : "(null)");
	return c;
}

/* Print the plan last ("1..N") and return the exit status for main. */
static int __attribute__((unused))
done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
	return tap_failed != 0;
}

#endif
