/* opt: option values every tool reads the same way: numbers, sizes,
 * durations, each with one wording for a bad value */
#ifndef OPT_H
#define OPT_H

#include <stddef.h>

/*
 * A whole decimal number within lo..hi.  Returns 0 with *out, or -1 with
 * "bad WHAT 'S': a number from LO to HI" in err (WHAT names the option
 * or variable, e.g. "--delay").
 */
int opt_long(const char *what, const char *s, long lo, long hi, long *out,
    char *err, size_t errlen);

/*
 * A decimal number, fractions allowed ("0.5", "2", "1e-3"), within
 * lo..hi.  Returns 0 with *out, or -1 with "bad WHAT 'S': a number from
 * LO to HI" in err (the limits in %g).
 */
int opt_real(const char *what, const char *s, double lo, double hi,
    double *out, char *err, size_t errlen);

/*
 * A byte count, the one grammar of every size option and variable:
 * digits with an optional k, m or g suffix (KiB, MiB, GiB, either case),
 * spelled alone, with "iB", or with "B": "1048576", "1k", "1KiB", "1m",
 * "1MiB", "1MB" ("MB" is MiB too, as the tools have always read it).
 * Returns 0 with *out, or -1 with "bad WHAT 'S': a size in bytes, such
 * as 64k or 64MiB" in err, and " from LO to HI" when the limits bite.
 */
int opt_size(const char *what, const char *s, size_t lo, size_t hi,
    size_t *out, char *err, size_t errlen);

/*
 * A duration in milliseconds: a number of seconds ("30", "0.5"), or a
 * number with ms, s, m, h or d ("500ms", "30s", "5m", "12h", "7d"),
 * within lo_ms..hi_ms.  Returns 0 with *out_ms, or -1 with "bad WHAT
 * 'S': a duration from LO to HI, such as 30, 30s, 500ms or 5m" in err.
 */
int opt_ms(const char *what, const char *s, long long lo_ms,
    long long hi_ms, long long *out_ms, char *err, size_t errlen);

#endif
