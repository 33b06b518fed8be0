#!/bin/sh
# sigv4-botocore: lib/sigv4 signs like botocore, live, on varied inputs
# (keys with spaces, unicode, + % //, session tokens, expiries, S3, SQS,
# SNS and a generic service); the driver mode is described atop
# tests/unit/sigv4.c, the cases in tests/sigv4-botocore.py
. tests/lib.sh
plan 55

bin=$HP_BUILD/unit/sigv4
if [ ! -x "$bin" ]; then
	fail "driver $bin is built"
	done_testing
	exit
fi
python3 tests/sigv4-botocore.py check "$bin" >"$TMP/check" 2>"$TMP/err"
is "checker ran" "$?" 0
while IFS='	' read -r verdict name detail; do
	case $verdict in
	PASS) pass "$name" ;;
	SKIP) skip "botocore cross-check" "$name"; done_testing; exit ;;
	*) fail "$name" "$detail" ;;
	esac
done <"$TMP/check"
n=$(grep -c . "$TMP/check")
if [ "$n" -ge 40 ]; then pass "$n cases compared"
else fail "$n cases compared, expected 40 or more" "$(cat "$TMP/err")"; fi
done_testing
