#!/bin/sh
# wh-listen delivery: under load #2xx == #lines, backpressure from a slow
# reader, a closed stdout (503, exit 7), graceful SIGTERM with requests in flight
. tests/lib.sh
. tests/data/wh-listen/common.sh

# check_run OKFILE RECFILE: 2xx answers and records match one to one
check_run() {
	jq -r '.headers["x-seq"]' "$2" 2>"$TMP/jqerr" | sort > "$TMP/written"
	is "$3: every line is valid JSON" "$(cat "$TMP/jqerr")" ""
	is "$3: no duplicates" "$(uniq -d "$TMP/written" | head -n 3)" ""
	sort "$1" > "$TMP/acked"
	is "$3: #2xx == #lines" "$(wc -l < "$TMP/acked")" "$(wc -l < "$2")"
	same_file "$3: the 2xx answers are the lines written" "$TMP/written" "$TMP/acked"
}

listen
set -- $($PY tests/wh-listen-load.py "$PORT" 16 250 "$TMP/ok")
is "load: 16 x 250 answered 2xx" "$1 $2 $3" "2xx=4000 other=0 errors=0"
stop
is "load: exit 0" "$WL_RC" 0
check_run "$TMP/ok" "$TMP/rec" load

# a slow reader: requests wait, nothing is lost
mkfifo "$TMP/slow"
(sleep 2; cat "$TMP/slow" > "$TMP/slowrec") &
READER=$!
wh-listen -p "$PORT" > "$TMP/slow" 2>"$TMP/log" &
WL_PID=$!
wl_up
start=$(date +%s)
set -- $($PY tests/wh-listen-load.py "$PORT" 8 100 "$TMP/ok2")
is "slow reader: all answered" "$1 $2 $3" "2xx=800 other=0 errors=0"
stop
wait $READER
check_run "$TMP/ok2" "$TMP/slowrec" "slow reader"

# stdout goes away: 503, nothing acknowledged unwritten, exit 7
mkfifo "$TMP/short"
head -n 3 "$TMP/short" > "$TMP/head" &
HEAD=$!
wh-listen -p "$PORT" > "$TMP/short" 2>"$TMP/log" &
WL_PID=$!
wl_up
codes=""
for k in 1 2 3 4 5 6; do
	codes="$codes $(post /x -H "X-Seq: $k" -d '{}')"
	[ $k = 3 ] && wait $HEAD
done
like "stdout closed: first 3 stored, then 503" "$codes" '^ 200 200 200( 503)+( 000)*$'
wait $WL_PID
is "stdout closed: exit 7" "$?" 7
WL_PID=""
like "stdout closed: said so" "$(cat "$TMP/log")" 'cannot write records'

# SIGTERM with a request in flight: it is finished and written, exit 0
listen
$PY - "$PORT" > "$TMP/inflight" <<'PY' &
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"POST /late HTTP/1.1\r\nHost: x\r\nContent-Length: 15\r\n\r\n{\"late\":")
time.sleep(1.0)
s.sendall(b"true}\r\n")
print(s.recv(100).split(b" ")[1].decode())
PY
CLIENT=$!
sleep 0.4
kill -TERM "$WL_PID"
sleep 0.2
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 -d '{}' "$URL/new")
is "after SIGTERM: new connections refused" "$st" 000
wait $CLIENT
is "in-flight request answered 200" "$(cat "$TMP/inflight")" 200
wait $WL_PID
is "SIGTERM with a request in flight: exit 0" "$?" 0
WL_PID=""
is "in-flight request written" "$(jq -c .body "$TMP/rec")" '{"late":true}'
done_testing
