#!/bin/sh
# wh-listen --tls-cert/--tls-key: HTTPS, and the pair reloaded on SIGHUP
# without dropping connections
. tests/lib.sh
plan 26
. tests/data/wh-listen/common.sh

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
wh-listen -p "$PORT" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key.pem" \
    > "$TMP/rec" 2> "$TMP/log" &
WL_PID=$!
wl_up "https://127.0.0.1:$PORT"
is "HTTPS POST" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" \
    -d '{"tls":1}' "https://127.0.0.1:$PORT/x")" 200
is "curl offering h2 (ALPN): HTTP/1.1 is chosen" "$(curl -s -o /dev/null --http2 \
    -w '%{http_code} %{http_version}' --cacert "$TMP/cert.pem" -d '{"tls":2}' \
    "https://127.0.0.1:$PORT/x")" "200 1.1"
is "plain HTTP to the TLS port is not served" \
    "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 -d '{}' "$URL/x")" 000
tls11() { echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 2>&1 | grep -c '^-----BEGIN CERTIFICATE'; }
is "TLS 1.1 is refused" "$(tls11)" 0
tls12() { echo | openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 2>/dev/null | grep -c 'Protocol *: TLSv1.2'; }
is "TLS 1.2 is served" "$(tls12)" 1
stop
is "HTTPS: exit 0" "$WL_RC" 0
is "HTTPS: records" "$(jq -c .body "$TMP/rec" | tr "\n" " ")" '{"tls":1} {"tls":2} '
run wh-listen -p "$PORT" --tls-cert "$TMP/cert.pem"
is "--tls-cert without --tls-key: exit 2" "$RC" 2
run wh-listen -p "$PORT" --tls-cert "$TMP/nope.pem" --tls-key "$TMP/key.pem"
is "unreadable certificate: exit 3" "$RC" 3
echo garbage > "$TMP/bad.pem"
run wh-listen -p "$PORT" --tls-cert "$TMP/bad.pem" --tls-key "$TMP/key.pem"
is "bad certificate: exit 3" "$RC" 3

# an encrypted key: refused, never a passphrase prompt
openssl genrsa -aes128 -passout pass:x -out "$TMP/enc.pem" 2048 2>/dev/null
run wh-listen -p "$PORT" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/enc.pem"
is "encrypted key: exit 3" "$RC" 3
like "encrypted key: said" "$ERR" "enc.pem: not a PEM private key: it is encrypted"
# a chain cut short after its first certificate, and one too long
{ cat "$TMP/cert.pem"; head -c 300 "$TMP/cert.pem"; } > "$TMP/cut.pem"
run wh-listen -p "$PORT" --tls-cert "$TMP/cut.pem" --tls-key "$TMP/key.pem"
is "chain cut short: exit 3" "$RC" 3
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do cat "$TMP/cert.pem"; done > "$TMP/long.pem"
run wh-listen -p "$PORT" --tls-cert "$TMP/long.pem" --tls-key "$TMP/key.pem"
like "17 certificates: refused" "$RC $ERR" "^3 .*of 16 at most"

# the key of another certificate: refused at start
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$TMP/key2.pem" -out "$TMP/cert2.pem" 2>/dev/null
run wh-listen -p "$PORT" --tls-cert "$TMP/cert.pem" --tls-key "$TMP/key2.pem"
is "key not the certificate's: exit 3" "$RC" 3
like "key not the certificate's: said" "$ERR" "key2.pem is not the certificate's"

# SIGHUP: new handshakes get the new pair, a connection up keeps its own
# and is served on; the files are renamed into place as certbot does
fp() { openssl x509 -in "$1" -outform DER | openssl dgst -sha256 | sed 's/.*= *//'; }
cp "$TMP/cert.pem" "$TMP/live.pem"; cp "$TMP/key.pem" "$TMP/livekey.pem"
wh-listen -p "$PORT" --tls-cert "$TMP/live.pem" --tls-key "$TMP/livekey.pem" \
    > "$TMP/rec" 2> "$TMP/log" &
WL_PID=$!
wl_up "https://127.0.0.1:$PORT"
$PY "$HP_TOP/tests/wh-listen-tlsreload.py" "$PORT" "$WL_PID" "$TMP/live.pem" \
    "$TMP/livekey.pem" "$TMP/cert2.pem" "$TMP/key2.pem" > "$TMP/reload" 2>&1
val() { sed -n "s/^$1 //p" "$TMP/reload"; }
is "reload: first request" "$(val first)" 200
is "reload: first connection under the first certificate" "$(val first_cert)" "$(fp "$TMP/cert.pem")"
is "reload: new connections get the new certificate" "$(val new_cert)" "$(fp "$TMP/cert2.pem")"
is "reload: a new connection is served" "$(val new_conn)" 200
is "reload: the connection made before is served on" "$(val old_conn)" 200
is "reload: and keeps its certificate" "$(val old_conn_cert)" "$(fp "$TMP/cert.pem")"
# a bad pair on SIGHUP: the current one stays, said on stderr
cp "$TMP/key.pem" "$TMP/livekey.pem"
kill -HUP "$WL_PID"
said() { grep -q 'cannot reload the TLS certificate, keeping the old one' "$TMP/log"; }
ok "bad pair on reload: said" eventually 10 said
is "bad pair on reload: still served" "$(curl -s -o /dev/null -w '%{http_code}' -k \
    -d '{"n":4}' "https://127.0.0.1:$PORT/x")" 200
stop
is "reload: exit 0" "$WL_RC" 0
is "reload: every request recorded" "$(jq -c .body.n "$TMP/rec" | tr '\n' ' ')" "1 2 3 4 "
done_testing
