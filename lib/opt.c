/* opt: option values every tool reads the same way */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "opt.h"

int
opt_long(const char *what, const char *s, long lo, long hi, long *out,
    char *err, size_t errlen)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		snprintf(err, errlen, "bad %s '%s': a number from %ld to %ld",
		    what, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
opt_real(const char *what, const char *s, double lo, double hi,
    double *out, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= lo && v <= hi)) {
		snprintf(err, errlen, "bad %s '%s': a number from %g to %g",
		    what, s, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int
opt_size(const char *what, const char *s, size_t lo, size_t hi,
    size_t *out, char *err, size_t errlen)
{
	unsigned long long v = 0, mul = 1;
	char *end = NULL;
	int ok = *s >= '0' && *s <= '9';

	if (ok) {
		errno = 0;
		v = strtoull(s, &end, 10);
		ok = errno == 0;
	}
	if (ok) {
		if (*end == 'k' || *end == 'K')
			mul = 1024, end++;
		else if (*end == 'm' || *end == 'M')
			mul = 1024 * 1024, end++;
		else if (*end == 'g' || *end == 'G')
			mul = 1024ULL * 1024 * 1024, end++;
		if (mul > 1 && end[0] == 'i' && end[1] == 'B')
			end += 2;
		else if (*end == 'B')
			end++;
		ok = *end == '\0' && v <= SIZE_MAX / mul && v * mul >= lo &&
		    v * mul <= hi;
	}
	if (!ok) {
		int n = snprintf(err, errlen, "bad %s '%s': a size in bytes, "
		    "such as 64k or 64MiB", what, s);

		if ((lo > 1 || hi < SIZE_MAX / 2) && n >= 0 &&
		    (size_t)n < errlen)
			snprintf(err + n, errlen - (size_t)n,
			    ", from %zu to %zu", lo, hi);
		return -1;
	}
	*out = (size_t)(v * mul);
	return 0;
}

/* milliseconds as the shortest of "12d", "5m", "30s", "500ms" */
static void
dur_text(char *out, size_t n, long long ms)
{
	static const struct { const char *u; long long ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms != 0 && ms % units[i].ms == 0) {
			snprintf(out, n, "%lld%s", ms / units[i].ms,
			    units[i].u);
			return;
		}
	snprintf(out, n, ms == 0 ? "0" : "%lldms", ms);
}

int
opt_ms(const char *what, const char *s, long long lo_ms, long long hi_ms,
    long long *out_ms, char *err, size_t errlen)
{
	static const struct { const char *u; double ms; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 },
		{ "h", 3600000 }, { "d", 86400000 },
	};
	char *end, lo[32], hi[32];
	double v = -1;
	size_t i;

	if ((*s >= '0' && *s <= '9') || *s == '.') {
		errno = 0;
		v = strtod(s, &end);
		if (errno != 0 || end == s)
			v = -1;
		for (i = 0; v >= 0 && i < sizeof(units) / sizeof(units[0]); i++)
			if (strcmp(end, units[i].u) == 0)
				break;
		if (v >= 0 && i < sizeof(units) / sizeof(units[0]))
			v = v * units[i].ms;
		else
			v = -1;
	}
	if (!(v >= 0 && isfinite(v) && v >= (double)lo_ms &&
	    v <= (double)hi_ms)) {
		dur_text(lo, sizeof(lo), lo_ms);
		dur_text(hi, sizeof(hi), hi_ms);
		snprintf(err, errlen, "bad %s '%s': a duration from %s to %s, "
		    "such as 30, 30s, 500ms or 5m", what, s, lo, hi);
		return -1;
	}
	*out_ms = (long long)llround(v);
	return 0;
}
