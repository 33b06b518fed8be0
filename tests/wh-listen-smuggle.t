#!/bin/sh
# wh-listen against request smuggling (RFC 9112 6.1, 6.3, 5.1, 5.2; RFC
# 9110 5.5), raw sockets: a request a proxy in front could frame otherwise
# is refused and its connection closed, so the request hidden behind it
# gets no answer and no record.  The HTTP libraries wh-listen has run on
# do not refuse all of these alone: libmicrohttpd 0.9.75 (Debian 12, before
# h2o) took the first of two lengths, let chunked win over a length, cut
# header values at a NUL and never answered Transfer-Encoding: xchunked;
# h2o 2.2.5 also takes the first of two lengths.
. tests/lib.sh
. tests/data/wh-listen/common.sh
echo "1..35"

raw() { $PY tests/wh-listen-raw.py "$PORT" "$@"; }
listen -t 5
for c in two-lengths same-length-twice length-and-chunked chunked-and-length \
    xchunked chunked-then-other chunked-space chunked-http10 nul-in-value \
    nul-in-last-value nul-line cr-in-value space-before-colon folded; do
	set -- $(raw $c)
	is "$c: 400, connection closed, the second request unanswered" "$1 $2" "400 closed"
done
set -- $(raw gzip-chunked)
is "gzip, chunked: 501, closed, the second request unanswered" "$1 $2" "501 closed"
is "no record for any of them" "$(lines)" 0
is "a line on stderr for each" "$(grep -c ' 40[0] \| 501 ' "$TMP/log")" 15
like "stderr says why: two lengths" "$(cat "$TMP/log")" \
    'POST /hook from 127.0.0.1: 400 Content-Length given 2 times'
like "stderr says why: NUL" "$(cat "$TMP/log")" '400 a header field value with a NUL'
like "stderr says why: length and chunked" "$(cat "$TMP/log")" \
    '400 both Content-Length and Transfer-Encoding'
like "stderr says why: xchunked" "$(cat "$TMP/log")" '400 Transfer-Encoding without chunked last'
# the controls: honest requests back to back are both served
set -- $(raw pipelined)
is "two requests in a row: both 200, kept open" "$1 $2" "200,200 open"
set -- $(raw pipelined-chunked)
is "chunked (any case) then another: both 200" "$1 $2" "200,200 open"
is "... and both written" "$(lines)" 4
is "... the second of each pair at its own path" "$(jq -r .path "$TMP/rec" | sort | uniq -c | tr -s ' ')" \
    " 2 /hook
 2 /smuggled"
is "chunked body reassembled" "$(sed -n 3p "$TMP/rec" | jq -c .body)" '{}'
is "a good request still served" "$(post /hook -H 'X-A: b' -d '{}')" 200
stop
is "exit 0" "$WL_RC" 0

# the same with one server thread
listen -t 5 --threads 1
for c in two-lengths length-and-chunked nul-in-value xchunked; do
	set -- $(raw $c)
	is "threads: $c: refused and closed" "$2" closed
done
set -- $(raw pipelined)
is "threads: two requests in a row: both 200" "$1" "200,200"
stop
is "threads: only the honest ones written" "$(lines)" 2

# GET /healthz is checked the same way
listen
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n' > "$TMP/h"
st=$($PY -c '
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(open(sys.argv[2], "rb").read())
s.settimeout(3)
d = b""
while True:
    c = s.recv(4096)
    if not c: break
    d += c
print(d.split(b" ")[1].decode())' "$PORT" "$TMP/h")
is "GET /healthz with a length and chunked: 400" "$st" 400
stop
[ "$T_FAILED" -eq 0 ]
