#!/bin/sh
# s3-scan under faults, against moto with SigV4 checks behind
# tests/s3-fault-proxy.py: a listing cut mid-way (a reset, a 503) resumes
# without emitting anything twice; a HeadObject that keeps failing loses
# nothing; then kill -9 of each stage of a real pipeline (s3-scan in the
# middle of a listing, the processing step, s3-done, s3-scan between
# passes): every object ends settled, none lost, redeliveries counted
. tests/lib.sh
plan 20
. tests/s3-fault-proxy.sh

moto_up
at_exit proxy_stop
PY=$PEERS_PYTHON
export HOOKPIPE_BACKOFF=10
"$PY" tests/s3-util.py mb killb -- fill killb v/ 1005 || fail "make the bucket"
keys() { sed 's/.*"key":"\([^"]*\)".*/\1/' "$@"; }
count() { wc -l | tr -d ' '; }
status() { s3-scan --state "$1" --status; }

# ---- a listing cut after its first page ----
F=$TMP/f
proxy 'continuation-token=:reset:0'
run s3-scan --endpoint "$EP" --retries 1 -b killb --state "$F" --once
is "cut: exit 6" "$RC" 6
like "cut: says so" "$ERR" '^s3-scan: cannot list bucket killb: '
printf '%s\n' "$OUT" >"$TMP/cut1"
is "cut: the first page's 1,000 emitted" "$(lines "$TMP/cut1")" 1000
proxy
run s3-scan --endpoint "$EP" -b killb --state "$F" --once
printf '%s\n' "$OUT" >"$TMP/cut2"
is "resumed: exit 0, the other 5" "$RC:$(lines "$TMP/cut2")" "0:5"
is "resumed: every object once" "$(keys "$TMP/cut1" "$TMP/cut2" | sort -u |
    count):$(cat "$TMP/cut1" "$TMP/cut2" | count)" "1005:1005"
proxy 'continuation-token=:503:1'
run s3-scan --endpoint "$EP" -b killb --state "$TMP/f2" --once
is "a 503 on page 2, retried: exit 0, 1,005 once" \
    "$RC:$(printf '%s\n' "$OUT" | keys /dev/stdin | sort -u | count)" "0:1005"
is "a 503 on page 2: one 503 then the page" \
    "$(grep -c 'continuation-token.*-> 503' "$LOG"):$(grep -c 'continuation-token.*-> 200' "$LOG")" "1:1"
proxy 'HEAD /killb/v/00007.mp4:500:0'
run s3-scan --endpoint "$EP" --retries 1 -b killb --state "$TMP/f3" --once \
    --type 'video/*'
is "HeadObject fails for good: exit 6" "$RC" 6
like "HeadObject fails: the key named" "$ERR" 'cannot head v/00007.mp4: HTTP 500'
proxy
run s3-scan --endpoint "$EP" -b killb --state "$TMP/f3" --once --type 'video/*'
is "HeadObject fails: the next pass emits all 1,005 once" \
    "$(printf '%s\n' "$OUT" | keys /dev/stdin | sort -u | count):$(printf '%s\n' "$OUT" | count)" "1005:1005"

# ---- kill -9 anywhere in the pipeline ----
K=$TMP/k
: >"$TMP/done.all"
# kill -9 of s3-scan while its second page is on the way: nothing was
# emitted, what the first page held is pending
proxy 'continuation-token=:hold=20:1'
s3-scan --endpoint "$EP" -b killb --state "$K" --once >"$TMP/a.out" 2>&1 &
P=$!
proxy_wait 'continuation-token.*-> held'
kill -9 "$P"
wait "$P"
is "kill -9 mid-listing: nothing emitted" "$(lines "$TMP/a.out")" 0
like "kill -9 mid-listing: the first page pending" "$(status "$K")" \
    '^\{"pending":1000,"processing":0,'
proxy_stop

# the pipeline: s3-scan | a slow processing step | s3-done
start() {
	rm -f "$TMP/p1" "$TMP/p2"
	mkfifo "$TMP/p1" "$TMP/p2"
	s3-scan -b killb --state "$K" --interval 0 --lease 10 >"$TMP/p1" \
	    2>>"$TMP/scan.err" &
	SCAN=$!
	"$PY" -u -c 'import sys, time
for line in sys.stdin:
    sys.stdout.write(line)
    sys.stdout.flush()
    time.sleep(0.004)' <"$TMP/p1" >"$TMP/p2" 2>/dev/null &
	STEP=$!
	s3-done --state "$K" <"$TMP/p2" >>"$TMP/done.all" 2>>"$TMP/done.err" &
	DONE=$!
}
grown() { [ "$(lines "$TMP/done.all")" -ge "$1" ]; }
stop_rest() {
	for p in $SCAN $STEP $DONE; do kill -TERM "$p" 2>/dev/null; done
	wait $SCAN $STEP $DONE 2>/dev/null
}
for victim in STEP DONE SCAN; do
	n=$(( $(lines "$TMP/done.all") + 100 ))
	start
	ok "pipeline runs ($victim to be killed): $n settled" eventually 120 grown "$n"
	eval kill -9 "\$$victim"
	stop_rest
done
rec() {
	s3-scan -b killb --state "$K" --once --lease 10 2>>"$TMP/scan.err" |
	    s3-done --state "$K" >>"$TMP/done.all" 2>>"$TMP/done.err"
	status "$K" | grep -q '"pending":0,"processing":0,"done":1005,'
}
ok "after the kills, every object ends settled" eventually 180 rec
st=$(status "$K")
echo "# $st; s3-done wrote $(lines "$TMP/done.all") records"
is "none lost: every key through s3-done" "$(keys "$TMP/done.all" | sort -u | count)" 1005
red=$(printf '%s' "$st" | sed 's/.*"redelivered":\([0-9]*\).*/\1/')
ok "redeliveries: some (records lost with a killed stage)" [ "$red" -gt 0 ]
ok "redeliveries: the records s3-done saw twice are among them" \
    [ $(( $(lines "$TMP/done.all") - 1005 )) -le "$red" ]
is "no stage reported an error" "$(cat "$TMP/scan.err" "$TMP/done.err")" ""
