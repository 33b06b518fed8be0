#!/bin/sh
# wh-listen --oidc-audience/--oidc-jwks: Google Pub/Sub push requests'
# bearer tokens (RS256 JWTs) checked against a JWKS from a file (read
# again on SIGHUP) or an https URL (tests/wh-listen-oidc.py's fake of
# Google's certs endpoint: cached, fetched again for a new kid); every
# refusal a 401 with no record and nothing of the token in the log
. tests/lib.sh
plan 59
. tests/data/wh-listen/common.sh

O=$TMP/oidc
mkdir "$O"
H="$PY tests/wh-listen-oidc.py"
for k in a1 b1 c1 d1; do $H key "$O" $k; done
$H jwks "$O" a1 > "$O/file.json"
AUD=https://example.com/push
EMAIL=gae-gcp@appspot.gserviceaccount.com
# tok KID [ARGS...]: a push token in $TOK (and kept in $O/tokens)
tok() { TOK=$($H token "$O" "$@"); echo "$TOK" >> "$O/tokens"; }
# push [CURL ARGS...]: a Pub/Sub push body to /push with $TOK, the status
push() {
	post /push -H "Authorization: Bearer $TOK" \
	    -H 'Content-Type: application/json' "$@" \
	    --data-binary '{"message":{"data":"aGVsbG8=","messageId":"1"},"subscription":"projects/p/subscriptions/s"}'
}
# no_token_in_log: no token's signature or claims appear in $TMP/log
no_token_in_log() {
	tr '.' '\n' < "$O/tokens" | awk 'length > 20' | sort -u > "$O/parts"
	! grep -F -f "$O/parts" "$TMP/log"
}

listen --path /push --oidc-audience "$AUD" --oidc-jwks "$O/file.json" \
    --oidc-email "$EMAIL"
tok a1
is "valid push token: 200" "$(push)" 200
is "valid push token: one record" "$(lines)" 1
is "the Authorization header is left out of the record" \
    "$(jq -c '[.headers.authorization, .headers_redacted]' "$TMP/rec")" \
    '[null,["authorization"]]'
tok a1 iss=accounts.google.com
is "Google's other issuer spelling: 200" "$(push)" 200

is "no Authorization: 401" "$(post /push -d '{}')" 401
is "401's text" "$(cat "$TMP/resp")" "bearer token verification failed"
is "401's challenge (RFC 6750 3.1)" "$(curl -s -o /dev/null -D - --max-time 20 \
    -d '{}' "$URL/push" | tr -d '\r' | grep -i '^www-authenticate:')" \
    'WWW-Authenticate: Bearer realm="wh-listen", error="invalid_token"'
is "Basic instead of Bearer: 401" \
    "$(post /push -H 'Authorization: Basic dXNlcjpwYXNz' -d '{}')" 401
tok a1 sig=bad
is "claims changed after signing: 401" "$(push)" 401
tok b1
is "signed by a key not in the JWKS (unknown kid): 401" "$(push)" 401
tok b1 h.kid=a1
is "signed by another key under the JWKS's kid: 401" "$(push)" 401
tok a1 aud=https://example.com/other
is "another audience: 401" "$(push)" 401
tok a1 iss=https://evil.example.com
is "another issuer: 401" "$(push)" 401
tok a1 exp=-3600 iat=-7200
is "expired an hour ago: 401" "$(push)" 401
tok a1 -exp
is "no exp: 401" "$(push)" 401
tok a1 iat=3600 exp=7200
is "issued an hour from now: 401" "$(push)" 401
tok a1 alg=none
is "alg none: 401" "$(push)" 401
tok a1 alg=HS256
is "alg HS256 keyed with the public key: 401" "$(push)" 401
tok a1 email=someone@example.com
is "another service account's email: 401" "$(push)" 401
tok a1 email_verified=false
is "email_verified false: 401" "$(push)" 401
tok a1 -email
is "no email with --oidc-email: 401" "$(push)" 401
is "refused pushes: no record" "$(lines)" 2
is "Bearer with only spaces: 401" \
    "$(post /push -H 'Authorization: Bearer   ' -d '{}')" 401
ok "nothing of any token in the log" no_token_in_log
log=$(cat "$TMP/log")
like "missing header logged" "$log" \
    'POST /push from 127.0.0.1: 401 no Authorization header: a bearer token is wanted'
like "scheme logged" "$log" '401 Authorization is not a Bearer token'
like "bad signature logged" "$log" \
    '401 bearer token refused: the signature does not verify'
like "unknown kid logged" "$log" \
    "401 bearer token refused: no RS256 key in the JWKS has the token's kid"
like "audience logged" "$log" "401 bearer token refused: the token's aud is not"
like "issuer logged" "$log" "401 bearer token refused: the token's iss is not"
like "expiry logged" "$log" '401 bearer token refused: the token has expired'
like "alg logged" "$log" "401 bearer token refused: the token's alg is not RS256"
like "email logged" "$log" '401 bearer token refused: its email is not --oidc-email'
like "email_verified logged" "$log" \
    '401 bearer token refused: its email_verified is not true'
is "/healthz needs no token" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$URL/healthz")" 200

# --- the file again on SIGHUP: a key added, then a bad file kept out
$H jwks "$O" a1 b1 > "$O/file.json.new" && mv "$O/file.json.new" "$O/file.json"
kill -HUP "$WL_PID"
tok b1
b1_ok() { [ "$(push)" = 200 ]; }
ok "SIGHUP: the key added to the file is taken" eventually 10 b1_ok
echo '{"keys": "none"}' > "$O/file.json"
kill -HUP "$WL_PID"
reload_failed() { grep -q 'cannot reload --oidc-jwks, keeping the old keys' "$TMP/log"; }
ok "SIGHUP with a bad JWKS file: said" eventually 10 reload_failed
tok a1
is "the old keys stay" "$(push)" 200
stop
is "records: the good pushes only" "$(lines)" 4

# --- the JWKS by https URL, Google's endpoint faked
$H jwks "$O" a1 > "$O/jwks.json"
$PY tests/wh-listen-oidc.py serve "$O" 2>"$O/serve.err" &
SRV=$!
srv_cleanup() { kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; true; }
at_exit srv_cleanup
eventually 20 test -f "$O/port" || { echo "Bail out! the fake JWKS server did not start"; cat "$O/serve.err"; exit 1; }
CERTS=https://127.0.0.1:$(cat "$O/port")/oauth2/v3/certs
gets() { grep -c 'GET /oauth2/v3/certs' "$O/gets"; }
export WH_LISTEN_OIDC_CA="$O/cert.pem"
listen --path /push --oidc-audience "$AUD" --oidc-jwks "$CERTS"
is "fetched once at start" "$(gets)" 1
tok a1
is "URL: valid token: 200" "$(push)" 200
is "URL: kept, not fetched again" "$(gets)" 1
$H jwks "$O" a1 c1 > "$O/jwks.json.new" && mv "$O/jwks.json.new" "$O/jwks.json"
tok c1
is "key rotation: the new kid's token: 200" "$(push)" 200
is "key rotation: fetched again once" "$(gets)" 2
is "new key: kept" "$(push)" 200
tok d1
is "another unknown kid within the minute: 401" "$(push)" 401
is "another unknown kid within the minute: not fetched" "$(gets)" 2
tok a1
is "the old key still good" "$(push)" 200
is "URL: records" "$(lines)" 4
stop

# --- per path, in the -c file
cat > "$O/listen.yaml" <<EOF
paths:
  /push:
    oidc-audience: $AUD
    oidc-jwks: $O/file2.json
    oidc-issuer: [https://issuer.example.com]
  /open: {}
EOF
$H jwks "$O" a1 > "$O/file2.json"
listen -c "$O/listen.yaml"
tok a1 iss=https://issuer.example.com
is "-c: oidc-issuer's issuer: 200" "$(push)" 200
tok a1
is "-c: Google's issuer, not listed: 401" "$(push)" 401
is "-c: a path without oidc- settings needs no token" \
    "$(post /open -d '{}')" 200
stop

# --- configuration errors: exit 3 before listening
run wh-listen -p "$PORT" --oidc-audience "$AUD"
is "--oidc-audience without --oidc-jwks: exit 3" "$RC" 3
like "said" "$ERR" 'oidc-audience and oidc-jwks go together'
run wh-listen -p "$PORT" --oidc-audience "$AUD" --oidc-jwks "http://127.0.0.1:1/certs"
is "an http JWKS URL: exit 3" "$RC" 3
like "said" "$ERR" 'the JWKS URL http://127.0.0.1:1/certs is not https'
run wh-listen -p "$PORT" --oidc-audience "$AUD" --oidc-jwks "$O/missing.json"
is "a missing JWKS file: exit 3" "$RC" 3
run wh-listen -p "$PORT" --oidc-audience "$AUD" \
    --oidc-jwks "https://127.0.0.1:$(free_port)/oauth2/v3/certs"
is "a JWKS URL that does not answer: exit 3" "$RC" 3
like "said" "$ERR" 'cannot fetch the JWKS https://127.0.0.1:[0-9]+/oauth2/v3/certs'
done_testing
