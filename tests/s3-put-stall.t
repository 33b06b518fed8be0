#!/bin/sh
# s3-put: an upload that stalls mid-body (the server read half of it, then
# nothing: tests/s3-fault-proxy.py's "stall") counts as a timeout after
# --timeout seconds (s3-put(1)) and is retried, for a single PUT and for a
# part of a multipart upload
. tests/lib.sh
plan 8
PROXY_PID=
stop_proxy() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; }
moto_up
at_exit stop_proxy
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
$U mb bkt1
export HOOKPIPE_BACKOFF=10
proxy() {
	LOG=$TMP/proxy.log
	: >"$LOG"
	"$PY" tests/s3-fault-proxy.py "$MOTO_ENDPOINT" "$TMP/port" "$LOG" \
	    "$@" 2>"$TMP/proxy.err" &
	PROXY_PID=$!
	up() { [ -s "$TMP/port" ]; }
	eventually 20 up
	EP=http://127.0.0.1:$(cat "$TMP/port")
}

head -c $((12 * 1024 * 1024)) /dev/urandom >"$TMP/f12"
h=$(sha256sum <"$TMP/f12" | cut -c1-64)
proxy 'PUT /bkt1/one:stall:1' 'partNumber=2&:stall:1'
s=$(date +%s)
run s3-put --endpoint "$EP" -b bkt1 -k one -t 2 --multipart-threshold 64M "$TMP/f12"
e=$(date +%s)
is "single PUT stalled mid-body, then retried: exit 0" "$RC" 0
ok "the stall cut by -t 2 ($((e - s)) s), not the server's 120 s" test $((e - s)) -lt 30
like "the stall said, as a retry" "$ERR" 'warning: .*retry 1 of'
is "single PUT: stalled once, then stored" "$(grep '^PUT /bkt1/one' "$LOG" | sed 's/.* -> //' | tr '\n' ' ')" "stall 200 "
s=$(date +%s)
run s3-put --endpoint "$EP" -b bkt1 -k multi -t 2 --part-size 5M --multipart-threshold 5M "$TMP/f12"
e=$(date +%s)
is "part 2 stalled mid-body, then retried: exit 0" "$RC" 0
ok "the part's stall cut by -t 2 ($((e - s)) s)" test $((e - s)) -lt 30
is "part 2: stalled once, then stored" "$(grep 'partNumber=2&' "$LOG" | sed 's/.* -> //' | tr '\n' ' ')" "stall 200 "
is "both objects whole" "$($U sha bkt1 one multi)" "$h
$h"
done_testing
