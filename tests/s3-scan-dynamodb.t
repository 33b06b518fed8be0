#!/bin/sh
# s3-scan and s3-done on a DynamoDB table (--state dynamodb://T) against
# moto with SigV4 checks: exactly once across runs; two workers on one
# table, each with its own s3-done: every object processed once; a
# worker killed -9 with its leases held: they come back after the lease,
# none lost; --status, --requeue, --failed; a missing table
. tests/lib.sh
plan 17
moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
export HOOKPIPE_BACKOFF=10
$U mb ddbb -- fill ddbb a- 60 || fail "make the bucket"
keys() { sed 's/.*"key":"\([^"]*\)".*/\1/' "$@"; }
S=dynamodb://hp-scan

run s3-scan -b ddbb --state $S --once
like "no table: exit 3, says how to make it" "$RC:$ERR" \
    "^3:.*hp-scan does not exist \(--create-table makes it\)"

run s3-scan --state $S --create-table --status
is "--create-table (before any pipeline opens it): an empty table" "$RC:$OUT" \
    '0:{"pending":0,"processing":0,"done":0,"failed":0,"skipped":0,"redelivered":0}'

# ---- exactly once across runs ----
s3-scan -b ddbb --state $S --once --prefix a-0000 |
    s3-done --state $S >"$TMP/r1" 2>"$TMP/e1"
s3-scan -b ddbb --state $S --once | s3-done --state $S >"$TMP/r2" \
    2>>"$TMP/e1"
is "two runs: every object once" "$(cat "$TMP/r1" "$TMP/r2" | keys | sort -u |
    wc -l | tr -d ' '):$(cat "$TMP/r1" "$TMP/r2" | wc -l | tr -d ' ')" "60:60"
is "  the first run took only its prefix" "$(wc -l <"$TMP/r1" | tr -d ' ')" 10
is "  status" "$(s3-scan --state $S --status)" \
    '{"pending":0,"processing":0,"done":60,"failed":0,"skipped":0,"redelivered":0}'
run s3-scan -b ddbb --state $S --once
is "  a later scan: nothing" "$RC:$OUT" "0:"
is "  stderr empty" "$(cat "$TMP/e1")" ""

# ---- two workers on one table, new objects ----
$U fill ddbb b- 200 || fail "more objects"
s3-scan -b ddbb --state $S --once --lease 600 | s3-done --state $S \
    >"$TMP/w1" 2>"$TMP/e2" &
p1=$!
s3-scan -b ddbb --state $S --once --lease 600 | s3-done --state $S \
    >"$TMP/w2" 2>>"$TMP/e2" &
p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
is "two workers: exit 0 both" "$r1 $r2" "0 0"
is "  every new object once, over both" \
    "$(cat "$TMP/w1" "$TMP/w2" | keys | sort -u | wc -l | tr -d ' '):$(cat \
    "$TMP/w1" "$TMP/w2" | wc -l | tr -d ' ')" "200:200"
is "  stderr empty" "$(cat "$TMP/e2")" ""

# ---- a killed worker's leases come back ----
# killed -9 while it leases, its pipeline stalled: what it leased waits
# for its lease to end, the rest goes to the next worker at once
$U fill ddbb c- 120 || fail "more objects"
mkfifo "$TMP/mid"
s3-scan -b ddbb --state $S --once --lease 20 >"$TMP/mid" 2>"$TMP/e3" &
kp=$!
sleep 600 <"$TMP/mid" &
cp=$!
eventually 60 sh -c "[ \$(s3-scan --state $S --status | jq .processing) -ge 20 ]"
kill -9 $kp $cp
wait $kp 2>/dev/null
is "killed by SIGKILL while leasing" "$?" 137
t0=$(date +%s)	# its last lease began before this
H=$(s3-scan --state $S --status | jq .processing)
like "  it held leases" "$H" '^[1-9][0-9]*$'
s3-scan -b ddbb --state $S --once --lease 60 | s3-done --state $S \
    >"$TMP/w3" 2>"$TMP/e3b"
is "  within its lease the next worker takes the rest, none of its" \
    "$(keys "$TMP/w3" | grep -c '^c-')" $((120 - H))
w=$((t0 + 21 - $(date +%s)))
[ "$w" -gt 0 ] && sleep "$w"	# its leases run out
s3-scan -b ddbb --state $S --once --lease 60 | s3-done --state $S \
    >"$TMP/w4" 2>>"$TMP/e3b"
is "  after its lease: its objects again, none lost" \
    "$(cat "$TMP/w3" "$TMP/w4" | keys | grep '^c-' | sort -u | wc -l |
    tr -d ' '):$(s3-scan --state $S --status | jq .done)" "120:380"
is "  counted as redelivered" "$(s3-scan --state $S --status | jq .redelivered)" "$H"

# ---- --requeue and --failed ----
$U fill ddbb d- 5 || fail "more objects"
s3-scan -b ddbb --state $S --once --lease 600 >"$TMP/d"
run s3-scan --state $S --requeue
like "--requeue: the 5 Pending again" "$RC:$OUT$ERR" '^0:.*5'
s3-scan -b ddbb --state $S --once | s3-done --state $S --failed >/dev/null
like "--failed: kept apart in --status" "$(s3-scan --state $S --status)" \
    '"failed":5,'
done_testing
