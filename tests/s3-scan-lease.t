#!/bin/sh
# s3-scan's leases with s3-done against moto with SigV4 checks: exactly
# once through a pipeline across runs, a lease that runs out, --requeue,
# s3-done --failed, records s3-done cannot settle, both tools on the
# file at once
. tests/lib.sh
plan 26

moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
export HOOKPIPE_BACKOFF=10
$U mb leaseb -- fill leaseb a- 20 || fail "make the bucket"
keys() { sed 's/.*"key":"\([^"]*\)".*/\1/' "$@"; }
status() { s3-scan --state "$1" --status; }

# ---- exactly once across runs, new objects between them ----
S=$TMP/x
: >"$TMP/done.all"
for r in 1 2 3; do
	s3-scan -b leaseb --state "$S" --once | s3-done --state "$S" \
	    >>"$TMP/done.all" 2>"$TMP/err$r"
	$U fill leaseb b$r- 5
done
s3-scan -b leaseb --state "$S" --once | s3-done --state "$S" \
    >>"$TMP/done.all" 2>>"$TMP/err3"
is "runs: every object settled once" "$(lines "$TMP/done.all")" 35
is "runs: no object twice" "$(keys "$TMP/done.all" | sort -u | wc -l |
    tr -d ' ')" 35
is "runs: status" "$(status "$S")" \
    '{"pending":0,"processing":0,"done":35,"failed":0,"skipped":0,"redelivered":0}'
is "runs: stderr empty" "$(cat "$TMP/err1" "$TMP/err2" "$TMP/err3")" ""
run s3-scan -b leaseb --state "$S" --once
is "runs: a later scan: nothing" "$RC:$OUT" "0:"
is "s3-done passes each record on unchanged" "$(sed -n 1p "$TMP/done.all" |
    cut -c1-43)" '{"s3":{"bucket":"leaseb","key":"a-00000.mp4'

# ---- a lease that runs out: what s3-done never saw comes again ----
L=$TMP/l
run s3-scan -b leaseb --state "$L" --once --lease 1 --prefix a-
is "lease: 20 emitted" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 20
printf '%s\n' "$OUT" | sed -n 1,15p | s3-done --state "$L" >/dev/null
printf '%s\n' "$OUT" | sed -n 16,20p >"$TMP/unsettled"
like "lease: 15 settled, 5 still processing" "$(status "$L")" \
    '^\{"pending":0,"processing":5,"done":15,'
: >"$TMP/again"
again() {
	s3-scan -b leaseb --state "$L" --once --lease 3600 --prefix a- \
	    >>"$TMP/again"
	[ "$(lines "$TMP/again")" -ge 5 ]
}
ok "lease: after it ran out, the five unsettled come again" eventually 60 again
is "lease: exactly those five" "$(keys "$TMP/again" | sort)" \
    "$(keys "$TMP/unsettled" | sort)"
like "lease: five redeliveries counted" "$(status "$L")" \
    '"processing":5,"done":15,"failed":0,"skipped":0,"redelivered":5\}$'

# ---- --requeue: every processing object pending at once ----
run s3-scan --state "$L" --requeue
is "--requeue: says how many" "$OUT" '{"requeued":5}'
run s3-scan -b leaseb --state "$L" --once --prefix a-
is "--requeue: the next scan emits them" "$(printf '%s\n' "$OUT" |
    keys /dev/stdin | sort)" "$(keys "$TMP/unsettled" | sort)"

# ---- --failed: kept apart, never again ----
printf '%s\n' "$OUT" >"$TMP/req"
sed -n 1,2p "$TMP/req" >"$TMP/bad"
run s3-done --state "$L" --failed "$TMP/bad"
is "--failed: exit 0, records passed on" "$RC:$(lines "$TMP/out")" "0:2"
sed -n 3,5p "$TMP/req" >"$TMP/good"
s3-done --state "$L" "$TMP/good" >/dev/null
like "--failed: counted apart" "$(status "$L")" \
    '"pending":0,"processing":0,"done":18,"failed":2,'
run s3-scan --state "$L" --requeue
is "--failed: not requeued" "$OUT" '{"requeued":0}'
run s3-scan -b leaseb --state "$L" --once --lease 1 --prefix a-
is "--failed: never emitted again" "$RC:$OUT" "0:"

# ---- what s3-done cannot settle ----
printf '%s\n' '{"s3":{"bucket":"leaseb","key":"a-00000.mp4","etag":"0000"}}' \
    'not json' '{"s3":{"bucket":"leaseb"}}' >"$TMP/odd"
run s3-done --state "$L" --errors "$TMP/errs" "$TMP/odd"
is "unknown, bad JSON, no key: exit 1" "$RC" 1
is "... nothing passed on" "$OUT" ""
like "... an unknown object named" "$ERR" \
    "s3-done: $TMP/odd:1: s3://leaseb/a-00000.mp4 \\(ETag 0000\\): not in the scan state"
is "... three records in --errors" "$(lines "$TMP/errs")" 3
run s3-done --state "$L" -e "$TMP/odd"
is "-e: exit 4 at the bad line" "$RC" 4
run s3-done
is "s3-done without --state: exit 2" "$RC" 2

# ---- both open at once: a scan every pass while s3-done settles ----
B=$TMP/both
$U fill leaseb c- 30
mkfifo "$TMP/f1"
s3-scan -b leaseb --state "$B" --interval 0 --prefix c- >"$TMP/f1" 2>"$TMP/scan.err" &
SCAN=$!
s3-done --state "$B" <"$TMP/f1" >"$TMP/both.out" 2>"$TMP/done.err" &
DONE=$!
settled() { status "$B" | grep -q '"done":30,'; }
ok "at once: s3-done settles all 30 while s3-scan scans" eventually 120 settled
kill -TERM "$SCAN"
wait "$SCAN" "$DONE"
is "at once: 30 records through, no error" "$(lines "$TMP/both.out"):$(cat "$TMP/scan.err" "$TMP/done.err")" "30:"

# two processes setting up a new state file at once (a pipeline's first
# run): the switch to WAL found it locked in 4 of 60 tries before
: >"$TMP/lk.err"
i=0
while [ $i -lt 40 ]; do
	rm -f "$TMP/lk.db" "$TMP/lk.db-wal" "$TMP/lk.db-shm"
	s3-done --state "$TMP/lk.db" </dev/null 2>>"$TMP/lk.err" &
	s3-scan --state "$TMP/lk.db" --status >/dev/null 2>>"$TMP/lk.err"
	wait
	i=$((i + 1))
done
is "a new file opened by two at once, 40 times: never locked" "$(cat "$TMP/lk.err")" ""
