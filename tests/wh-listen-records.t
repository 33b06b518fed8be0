#!/bin/sh
# wh-listen: the records written, paths, methods, limits, options, exit codes
. tests/lib.sh
plan 77
. tests/data/wh-listen/common.sh

listen --path /hook --path /slack
is "JSON body sent as text/plain" "$(post '/hook?a=1&b=x%20y&a=2' \
    -H 'Content-Type: text/plain; charset=UTF-8' -H 'X-Custom-Thing: Va lue' \
    -H 'x-amz-sns-message-id: sns-123' --data-binary '{"k":[1,2.5,"é"],"n":null}')" 200
is "form body" "$(post /slack --data-binary \
    'command=%2Fhook&text=hello+world&user_name=r%C3%A9mi&empty=')" 200
is "plain text body" "$(post /hook -H 'Content-Type: text/plain' \
    --data-binary 'just text, not JSON')" 200
printf 'bin\377\376\000data' > "$TMP/bin"
is "non-UTF-8 body" "$(post /hook -X PUT -H 'Content-Type: application/octet-stream' \
    --data-binary @"$TMP/bin")" 200
is "form content type but JSON body" "$(post /slack --data-binary '[1,2]')" 200
is "empty body" "$(post /hook -H 'Content-Type:' --data-binary '')" 200
is "github delivery id" "$(post /hook -H 'X-GitHub-Delivery: 72d3162e-cc78' \
    -H 'Content-Type: application/json' --data-binary '"str"')" 200
is "huge integer stays a number" "$(post /hook -H 'Content-Type: application/json' \
    --data-binary '{"big":123456789012345678901234567890}')" 200
is "real past a double's range" "$(post /hook \
    -H 'Content-Type: application/json' --data-binary '{"r":-1.5e400}')" 200
is "object with a leading zero" "$(post /hook -H 'Content-Type: application/json' \
    --data-binary '{"a":01}')" 200
printf '{"a":"x\001"}' > "$TMP/ctl"
is "object with a bare control character" "$(post /hook \
    -H 'Content-Type: application/json' --data-binary @"$TMP/ctl")" 200
is "GET /healthz" "$(curl -s -w '%{http_code}' "$URL/healthz")" "ok
200"
is "HEAD /healthz" "$(curl -s -o /dev/null -I -w '%{http_code}' "$URL/healthz")" 200
is "POST /healthz is 405" "$(post /healthz -d '{}')" 405
is "unknown path is 404" "$(post /nope -d '{}')" 404
is "GET on a path is 405" "$(curl -s -o /dev/null -w '%{http_code}' "$URL/hook")" 405
like "405 says Allow: POST, PUT" "$(curl -s -D - -o /dev/null -X DELETE "$URL/hook")" \
    'Allow: POST, PUT'
is "nothing written for refused requests" "$(lines)" 11
stop TERM
is "SIGTERM: exit 0" "$WL_RC" 0

jq -c . "$TMP/rec" > "$TMP/all" || fail "every line is JSON"
r1=$(sed -n 1p "$TMP/rec")
is "record keys in order" "$(printf '%s' "$r1" | jq -c keys_unsorted)" \
    '["id","received_at","method","path","query","headers","remote_addr","body"]'
is "id from x-amz-sns-message-id" "$(printf '%s' "$r1" | jq -r .id)" sns-123
like "received_at is RFC 3339 UTC with ms" "$(printf '%s' "$r1" | jq -r .received_at)" \
    '^20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{3}Z$'
is "method" "$(printf '%s' "$r1" | jq -r .method)" POST
is "path without the query" "$(printf '%s' "$r1" | jq -r .path)" /hook
is "query: decoded, repeated keys as an array" \
    "$(printf '%s' "$r1" | jq -c .query)" '{"a":["1","2"],"b":"x y"}'
is "headers lower-cased" "$(printf '%s' "$r1" | jq -r '.headers["x-custom-thing"]')" "Va lue"
is "remote_addr" "$(printf '%s' "$r1" | jq -r .remote_addr)" 127.0.0.1
is "JSON body parsed whatever the Content-Type" "$(printf '%s' "$r1" | jq -c .body)" \
    '{"k":[1,2.5,"é"],"n":null}'
r=$(sed -n 2p "$TMP/rec")
is "form body is an object" "$(printf '%s' "$r" | jq -c .body)" \
    '{"command":"/hook","text":"hello world","user_name":"rémi","empty":""}'
like "no sender id: a random UUID" "$(printf '%s' "$r" | jq -r .id)" \
    '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'
is "text body is a string" "$(sed -n 3p "$TMP/rec" | jq -c .body)" '"just text, not JSON"'
r=$(sed -n 4p "$TMP/rec")
is "non-UTF-8 body: body_base64, no body" \
    "$(printf '%s' "$r" | jq -c '[.method, .body, .body_base64]')" \
    "[\"PUT\",null,\"$(base64 < "$TMP/bin")\"]"
is "JSON wins over the form content type" "$(sed -n 5p "$TMP/rec" | jq -c .body)" '[1,2]'
is "empty body is an empty string" "$(sed -n 6p "$TMP/rec" | jq -c .body)" '""'
is "id from X-GitHub-Delivery" "$(sed -n 7p "$TMP/rec" | jq -c '[.id, .body]')" \
    '["72d3162e-cc78","str"]'
is "huge integer kept exactly" "$(sed -n 8p "$TMP/rec" | sed 's/.*"body"://')" '{"big":123456789012345678901234567890}}'
is "a real past a double's range stays a number (valid JSON, as nd_parse reads it)" \
    "$(sed -n 9p "$TMP/rec" | sed 's/.*"body"://')" '{"r":-1.5e400}}'
is "a leading zero is not JSON: the body is text" "$(sed -n 10p "$TMP/rec" | jq -c .body)" \
    '"{\"a\":01}"'
is "a bare control character is not JSON: the body is text" \
    "$(sed -n 11p "$TMP/rec" | jq -c .body)" '"{\"a\":\"x\u0001\"}"'
ids=$(jq -r .id "$TMP/rec" | sort | uniq -d)
is "ids are unique" "$ids" ""

# --body-only, --status, --max-body, no --path: every path served
listen --body-only --status 204 --max-body 1k
is "--status 204" "$(post /any/path -d '{"a":{"b":1}}')" 204
is "--body-only refuses a non-object" "$(post /x -d '[1]')" 400
is "body at the limit accepted" "$(post /x --data-binary \
    "{\"p\":\"$(head -c 1016 /dev/zero | tr '\0' x)\"}")" 204
is "body over the limit: 413" "$(post /x --data-binary \
    "{\"p\":\"$(head -c 1017 /dev/zero | tr '\0' x)\"}")" 413
is "chunked body over the limit: 413" "$(head -c 5000 /dev/zero | post /x \
    -H 'Transfer-Encoding: chunked' --data-binary @-)" 413
stop INT
is "SIGINT: exit 0" "$WL_RC" 0
is "--body-only writes the body alone" "$(head -n 1 "$TMP/rec")" '{"a":{"b":1}}'
is "--body-only: two records" "$(lines)" 2
like "413 logged with method, path and peer" "$(cat "$TMP/log")" \
    'wh-listen: POST /x from 127.0.0.1: 413 body too large'

# usage and start-up failures
run wh-listen --bogus
is "unknown option: exit 2" "$RC" 2
like "usage on stderr" "$ERR" '^usage: wh-listen'
run wh-listen -p 99999
is "bad port: exit 2" "$RC" 2
like "bad port: the shared wording" "$ERR" \
    "^wh-listen: bad --port '99999': a number from 0 to 65535\$"
run wh-listen --max-body 0
is "--max-body 0: exit 2" "$RC" 2
like "--max-body 0: the shared size wording" "$ERR" \
    "^wh-listen: bad --max-body '0': a size in bytes, such as 64k or 64MiB, from 1 to 1099511627776\$"
run wh-listen --ack-timeout 1x
like "bad --ack-timeout: the shared duration wording" "$ERR" \
    "^wh-listen: bad --ack-timeout '1x': a duration from 1ms to 1d, such as 30, 30s, 500ms or 5m\$"
run wh-listen --status 500
is "--status outside 2xx: exit 2" "$RC" 2
run wh-listen --threads 17
is "--threads over 16: exit 2" "$RC" 2
like "--threads 17: the shared wording" "$ERR" \
    "^wh-listen: bad --threads '17': a number from 1 to 16\$"
run wh-listen --verify nosuch --secret-env X
is "unknown scheme: exit 2" "$RC" 2
run wh-listen extra
is "operand: exit 2" "$RC" 2
run wh-listen -h
is "-h: exit 0" "$RC" 0
like "-h: usage on stdout" "$OUT" '^usage: wh-listen'
run wh-listen -V
like "-V: version" "$OUT" '^wh-listen \(hookpipe\) '
run env -u NO_SUCH_SECRET wh-listen --verify github --secret-env NO_SUCH_SECRET
is "missing secret variable: exit 3" "$RC" 3
like "missing secret: message" "$ERR" 'NO_SUCH_SECRET is not set'
run wh-listen --verify github
is "verify without a secret: exit 3" "$RC" 3
run wh-listen --verify github --secret-file "$TMP/nope"
is "unreadable secret file: exit 3" "$RC" 3
P2=$(free_port)
python3 -c "
import socket,time,sys
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1',$P2)); s.listen(1); time.sleep(3)" &
BUSY=$!
wait_port "$P2"
run wh-listen -p "$P2"
is "port in use: exit 7" "$RC" 7
like "port in use: message" "$ERR" "cannot listen on 127.0.0.1 port $P2"
kill "$BUSY" 2>/dev/null
# a body printed over lines (LF and CRLF, as editors and Windows senders
# write them): one line still, line breaks between tokens made spaces
listen
printf '{\r\n  "a": 1,\n  "s": "x\\ny",\r\n  "b": [1,\n2]\n}\n' > "$TMP/pretty"
is "a body over lines: 200" "$(post /hook -H 'Content-Type: application/json' \
    --data-binary @"$TMP/pretty")" 200
stop TERM
is "a body over lines: one record line" "$(lines)" 1
is "a body over lines: kept as sent, line breaks made spaces" \
    "$(sed 's/.*"body"://' "$TMP/rec")" '{    "a": 1,   "s": "x\ny",    "b": [1, 2] }}'
# a field sent on several lines is one value, joined in order (RFC 9110
# 5.3), whatever the case of its name; a credential repeated stays out
listen
is "a repeated field: 200" "$(post /hook -H 'Accept: text/html' \
    -H 'X-Many: one' -H 'x-many: two' -H 'X-MANY: three' \
    -H 'Cookie: a=1' -H 'Cookie: b=2' -d '{}')" 200
stop TERM
is "a repeated field: joined, comma and space" \
    "$(jq -c '[.headers["x-many"], .headers.accept]' "$TMP/rec")" '["one, two, three","text/html"]'
is "a repeated credential: named once, its values nowhere" \
    "$(jq -c '[.headers_redacted, (tostring | test("a=1|b=2"))]' "$TMP/rec")" '[["cookie"],false]'
run sh -c 'wh-listen -p 1 >&-'
is "stdout closed at start: exit 7" "$RC" 7
done_testing
