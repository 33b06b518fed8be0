#!/bin/sh
# wh-listen --tls-cert/--tls-key: HTTPS
. tests/lib.sh
plan 7
. tests/data/wh-listen/common.sh

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
wh-listen -p "$PORT" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" \
    > "$TMP/rec" 2> "$TMP/log" &
WL_PID=$!
wl_up "https://127.0.0.1:$PORT"
is "HTTPS POST" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" \
    -d '{"tls":1}' "https://127.0.0.1:$PORT/x")" 200
is "plain HTTP to the TLS port is not served" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -d '{}' "$URL/x")" 000
stop
is "HTTPS: exit 0" "$WL_RC" 0
is "HTTPS: record" "$(jq -c .body "$TMP/rec")" '{"tls":1}'
run wh-listen -p "$PORT" --tls-cert "$TMP/cert.pem"
is "--tls-cert without --tls-key: exit 2" "$RC" 2
run wh-listen -p "$PORT" --tls-cert "$TMP/nope.pem" --tls-key "$TMP/key.pem"
is "unreadable certificate: exit 3" "$RC" 3
echo garbage > "$TMP/bad.pem"
run wh-listen -p "$PORT" --tls-cert "$TMP/bad.pem" --tls-key "$TMP/key.pem"
is "bad certificate: exit 3" "$RC" 3
done_testing
