/* unit tests for lib/opt: numbers, sizes, durations, one wording each */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "opt.h"
#include "tap.h"

static void
test_long(void)
{
	char err[256];
	long v;

	ok(opt_long("-n", "42", 0, 100, &v, err, sizeof(err)) == 0 && v == 42,
	    "42");
	ok(opt_long("-n", "-3", -5, 5, &v, err, sizeof(err)) == 0 && v == -3,
	    "negative");
	ok(opt_long("-n", "101", 0, 100, &v, err, sizeof(err)) == -1,
	    "over hi");
	is_str(err, "bad -n '101': a number from 0 to 100", "the wording");
	ok(opt_long("-n", "4x", 0, 100, &v, err, sizeof(err)) == -1, "4x");
	ok(opt_long("-n", "", 0, 100, &v, err, sizeof(err)) == -1, "empty");
	ok(opt_long("-n", "99999999999999999999", 0, 100, &v, err,
	    sizeof(err)) == -1, "overflow");
}

static void
test_size(void)
{
	static const struct { const char *s; size_t v; } good[] = {
		{ "1048576", 1048576 }, { "1k", 1024 }, { "1K", 1024 },
		{ "1KiB", 1024 }, { "1m", 1048576 }, { "1MiB", 1048576 },
		{ "8MiB", 8388608 }, { "1MB", 1048576 }, { "2g", 2147483648u },
		{ "5B", 5 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "-1", "1x", "1 k", "k", "1kb", "1iB", "1Mi", "1.5m", " 1",
		"99999999999999999999", "18014398509481984k",
	};
	char err[256];
	size_t i, v;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(opt_size("--x", good[i].s, 0, SIZE_MAX, &v, err,
		    sizeof(err)) == 0 && v == good[i].v, "size %s", good[i].s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(opt_size("--x", bad[i], 0, SIZE_MAX, &v, err,
		    sizeof(err)) == -1, "not a size: '%s'", bad[i]);
	opt_size("--max-line", "12x", 1, SIZE_MAX / 2, &v, err, sizeof(err));
	is_str(err, "bad --max-line '12x': a size in bytes, such as 64k or "
	    "64MiB", "the wording, no limits");
	ok(opt_size("--max-body", "2g", 0, 1 << 30, &v, err,
	    sizeof(err)) == -1, "over hi");
	is_str(err, "bad --max-body '2g': a size in bytes, such as 64k or "
	    "64MiB, from 0 to 1073741824", "the wording with limits");
}

static void
test_ms(void)
{
	static const struct { const char *s; long long ms; } good[] = {
		{ "30", 30000 }, { "30s", 30000 }, { "500ms", 500 },
		{ "5m", 300000 }, { "12h", 43200000 }, { "7d", 604800000 },
		{ "0.5", 500 }, { "1.5s", 1500 }, { "0", 0 },
	};
	static const char *const bad[] = {
		"", "-1", "5x", "5 s", "s", "1e", "nan", "inf", "5sm", "9e99",
	};
	char err[256];
	long long v;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ok(opt_ms("-t", good[i].s, 0, 30LL * 86400000, &v, err,
		    sizeof(err)) == 0 && v == good[i].ms, "duration %s",
		    good[i].s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ok(opt_ms("-t", bad[i], 0, 30LL * 86400000, &v, err,
		    sizeof(err)) == -1, "not a duration: '%s'", bad[i]);
	ok(opt_ms("-t", "2h", 1000, 3600000, &v, err, sizeof(err)) == -1,
	    "over hi");
	is_str(err, "bad -t '2h': a duration from 1s to 1h, such as 30, 30s, "
	    "500ms or 5m", "the wording");
}

int
main(void)
{
	test_long();
	test_size();
	test_ms();
	return done_testing();
}
