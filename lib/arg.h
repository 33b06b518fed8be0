/* arg: option values for main(): lib/opt's grammar and wording, and a bad
 * value ends the run the way every tool ends on a bad option (the message,
 * the usage line, exit 2).  The command-line side only: library code calls
 * lib/opt and returns the error. */
#ifndef ARG_H
#define ARG_H

#include <stddef.h>

struct tmpl;

/* A whole number within lo..hi (opt_long), else exit 2 with usage. */
long arg_long(const char *what, const char *s, long lo, long hi,
    const char *usage);
/* A decimal number within lo..hi (opt_real), else exit 2 with usage. */
double arg_real(const char *what, const char *s, double lo, double hi,
    const char *usage);
/* A byte count within lo..hi (opt_size), else exit 2 with usage. */
size_t arg_size(const char *what, const char *s, size_t lo, size_t hi,
    const char *usage);
/* A duration in ms within lo_ms..hi_ms (opt_ms), else exit 2 with usage. */
long long arg_ms(const char *what, const char *s, long long lo_ms,
    long long hi_ms, const char *usage);

/* A value the option's own parser refused with err: "WHAT: err" (err
 * alone when what is NULL), the usage line, exit 2. */
_Noreturn void arg_bad(const char *what, const char *err,
    const char *usage);

/* A template (tmpl_compile), else its message, after "WHAT: " when what
 * is not NULL, and exit 2 with usage. */
struct tmpl *arg_tmpl(const char *what, const char *s, const char *usage);

#endif
