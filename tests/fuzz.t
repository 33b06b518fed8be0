#!/bin/sh
# fuzz targets: a short libFuzzer run of each tests/fuzz/NAME.c over a copy
# of its seed corpus; a crash, leak, UB report or missing binary fails.
# FUZZ_SECONDS (default 5) sets the time per target.  Memory is an oracle
# too: an input past 1 GiB of RSS or one allocation past 256 MiB fails
# (the seeds hold a billion-laughs rules file that once took 3 GB).
. tests/lib.sh
plan $(ls "$HP_TOP"/tests/fuzz/*.c | wc -l)

secs=${FUZZ_SECONDS:-5}
# a fixed seed, so the same tree explores the same inputs on every run;
# random long runs are `make fuzz FUZZ_SECONDS=N` (FUZZ_SEED=0: random)
seed=${FUZZ_SEED:-1}
if ! command -v clang >/dev/null 2>&1; then
	skip_rest "no clang on this machine: libFuzzer targets not built"
	done_testing
	exit 0
fi
# recoverable UBSan checks stop the run too, so UB counts as a crash
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export UBSAN_OPTIONS

n=0
for src in "$HP_TOP"/tests/fuzz/*.c; do
	[ -e "$src" ] || continue
	name=$(basename "$src" .c)
	n=$((n + 1))
	bin=$HP_BUILD/fuzz/$name
	if [ ! -x "$bin" ]; then
		fail "$name: binary $bin is built" "run: make fuzz-build"
		continue
	fi
	mkdir -p "$TMP/$name/corpus" "$TMP/$name/art"
	if [ -d "$HP_TOP/tests/fuzz/corpus/$name" ]; then
		cp "$HP_TOP"/tests/fuzz/corpus/"$name"/* "$TMP/$name/corpus/" \
		    2>/dev/null
	fi
	seeds=$(ls "$TMP/$name/corpus" | wc -l | tr -d ' ')
	# from $TMP, so nothing libFuzzer writes lands in the tree
	(cd "$TMP" && "$bin" -max_total_time="$secs" -seed="$seed" -timeout=10 \
	    -rss_limit_mb=2048 -malloc_limit_mb=512 \
	    -artifact_prefix="$TMP/$name/art/" \
	    "$TMP/$name/corpus") >"$TMP/$name/log" 2>&1
	rc=$?
	runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$TMP/$name/log")
	if [ "$rc" -eq 0 ] && [ -n "$runs" ]; then
		pass "$name: $runs runs in ${secs}s from $seeds seeds, no crash"
		continue
	fi
	fail "$name: libFuzzer exit status $rc"
	for a in "$TMP/$name/art"/*; do
		[ -f "$a" ] || continue
		printf '#   reproducer %s (hex): %s\n' "$(basename "$a")" \
		    "$(od -An -tx1 -v "$a" | tr -d ' \n' | cut -c1-400)"
	done
	# the report itself, without libFuzzer's frames and shadow bytes
	grep -a -A 24 -m 1 -E 'ERROR:|runtime error' "$TMP/$name/log" |
	    grep -a -v -E 'in fuzzer::|0x[0-9a-f]+: [0-9a-f ]+$' |
	    sed 's/^/#   /'
done
if [ "$n" -eq 0 ]; then
	fail "fuzz targets found in tests/fuzz"
fi

done_testing
