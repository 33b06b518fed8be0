#!/bin/sh
# wh-listen against bad HTTP from a raw socket: each gets the right status
# or is closed, and the server keeps serving
. tests/lib.sh
plan 35
. tests/data/wh-listen/common.sh

raw() { $PY tests/wh-listen-raw.py "$PORT" "$@"; }
alive() {
	is "$1: still serving" "$(post /hook -H 'Content-Type: application/json' \
	    -d '{"alive":1}')" 200
}
listen --max-body 1m -t 2
st=$(raw garbage | cut -d' ' -f1)
like "garbage request line: 400 or closed" "$st" '^(400|closed)$'
alive garbage
st=$(raw no-version | cut -d' ' -f1)
like "request line without version: 4xx or closed" "$st" '^(4[0-9][0-9]|closed)$'
alive "no version"
st=$(raw bigheader | cut -d' ' -f1)
like "100 KB header: 413/431 or closed" "$st" '^(413|431|closed)$'
alive "100 KB header"
is "chunked body accepted" "$(raw chunked | cut -d' ' -f1)" 200
is "chunked body reassembled" "$(tail -n 1 "$TMP/rec" | jq -c .body)" '{"a":"c"}'
st=$(raw bad-chunk | cut -d' ' -f1)
like "bad chunk size: 400 or closed" "$st" '^(400|closed)$'
alive "bad chunk"
is "Content-Length over the limit: 413" "$(raw over-limit | cut -d' ' -f1)" 413
st=$(raw chunked-over-limit | cut -d' ' -f1)
like "chunked body over the limit: 413 or closed" "$st" '^(413|closed)$'
alive "chunked over the limit"
is "unknown method: 405" "$(raw bad-method | cut -d' ' -f1)" 405
# each answered as soon as its line is written: a request behind another
# on one connection must not wait for the writer thread's 50 ms tick
# (that was 250 ms for ten)
set -- $(raw pipelined-10 5)
is "ten requests in one write: ten 200s" "$1" 10
ok "... none waiting for a tick (under 150 ms: $2)" [ "$2" -lt 150 ]
set -- $(raw mid-body 10)
like "client stopping mid-body: closed" "$1" '^(closed|408)$'
like "... within the --timeout" "$2" '^[1-5]\.'
alive "mid-body"
set -- $(raw slowloris 12)
is "slowloris: closed" "$1" closed
like "slowloris: cut near --timeout 2, not later" "$2" '^[1-5]\.'
alive slowloris
# slowloris many at once does not starve others (max-conn above them)
pids=""
for k in 1 2 3 4 5 6; do raw slowloris 12 > "$TMP/slow.$k" & pids="$pids $!"; done
# connections established to wh-listen's port
conns() { ss -Htn state established "( sport = :$PORT )" 2>/dev/null | wc -l; }
six() { [ "$(conns)" -ge 6 ]; }
ok "six slowloris clients connected" eventually 10 six
alive "six slowloris clients"
for p in $pids; do wait $p; done
is "six slowloris clients all cut" "$(cat "$TMP"/slow.* | grep -c '^closed')" 6
is "records: only the good ones" "$(lines)" 19
jq -e . "$TMP/rec" > /dev/null && pass "every line is JSON" || fail "every line is JSON"
stop
is "exit 0 after all that" "$WL_RC" 0

# --max-conn: connections beyond it wait (listen queue) until one closes
listen --max-conn 2 -t 3
# two connections held until told to let go (a file), 20 s at most
$PY -c "
import os, socket, time
a = [socket.create_connection(('127.0.0.1', $PORT)) for i in range(2)]
open('$TMP/held', 'w').close()
end = time.monotonic() + 20
while not os.path.exists('$TMP/release') and time.monotonic() < end:
    time.sleep(0.02)" &
HOLD=$!
held() { [ -e "$TMP/held" ] && [ "$(conns)" -ge 2 ]; }
ok "--max-conn 2: two connections held" eventually 10 held
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 -d '{}' "$URL/x")
like "--max-conn 2: a third connection is not served meanwhile" "$st" '^(000|503)$'
: >"$TMP/release"
st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 8 -d '{}' "$URL/x")
is "--max-conn: served once they close" "$st" 200
wait $HOLD
stop

# HTTP/1 only: an Upgrade to h2c is served as HTTP/1.1 (h2o's upgrade is
# off: the header block is checked as HTTP/1 bytes); HTTP/2 with prior
# knowledge is refused, and said so
listen
is "Upgrade: h2c: served over HTTP/1.1" "$(curl -s -o /dev/null --http2 \
    -w '%{http_code} %{http_version}' -d '{"a":1}' "$URL/x")" "200 1.1"
st=$(curl -s -o /dev/null --max-time 3 --http2-prior-knowledge \
    -w '%{http_code}' -d '{"a":2}' "$URL/x")
like "HTTP/2 with prior knowledge: not served" "$st" '^(000|400)$'
stop
is "only the HTTP/1.1 one written" "$(jq -c .body "$TMP/rec")" '{"a":1}'
like "prior knowledge: stderr says why" "$(cat "$TMP/log")" 'HTTP/2 with prior knowledge'
done_testing
