/* arg: option values for main(); see arg.h */
#include "arg.h"
#include "msg.h"
#include "opt.h"
#include "tmpl.h"

long
arg_long(const char *what, const char *s, long lo, long hi,
    const char *usage)
{
	char err[256];
	long v;

	if (opt_long(what, s, lo, hi, &v, err, sizeof(err)) < 0)
		arg_bad(NULL, err, usage);
	return v;
}

double
arg_real(const char *what, const char *s, double lo, double hi,
    const char *usage)
{
	char err[256];
	double v;

	if (opt_real(what, s, lo, hi, &v, err, sizeof(err)) < 0)
		arg_bad(NULL, err, usage);
	return v;
}

size_t
arg_size(const char *what, const char *s, size_t lo, size_t hi,
    const char *usage)
{
	char err[256];
	size_t v;

	if (opt_size(what, s, lo, hi, &v, err, sizeof(err)) < 0)
		arg_bad(NULL, err, usage);
	return v;
}

long long
arg_ms(const char *what, const char *s, long long lo_ms, long long hi_ms,
    const char *usage)
{
	char err[256];
	long long v;

	if (opt_ms(what, s, lo_ms, hi_ms, &v, err, sizeof(err)) < 0)
		arg_bad(NULL, err, usage);
	return v;
}

void
arg_bad(const char *what, const char *err, const char *usage)
{
	if (what != NULL)
		msg_err("%s: %s", what, err);
	else
		msg_err("%s", err);
	msg_usage(usage);
}

struct tmpl *
arg_tmpl(const char *what, const char *s, const char *usage)
{
	char err[1024];
	struct tmpl *t;

	if ((t = tmpl_compile(s, err, sizeof(err))) == NULL)
		arg_bad(what, err, usage);
	return t;
}
