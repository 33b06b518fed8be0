#!/bin/sh
# wh-listen: credential headers are left out of records by default, the
# record names them, --keep-header and --redact-header change the list
. tests/lib.sh
. tests/data/wh-listen/common.sh
echo "1..14"

# Authorization: the Basic example of RFC 7617 2; Cookie: RFC 6265 3.1;
# X-Gitlab-Token and X-Gitlab-Event as GitLab's webhook docs send them
# (the token is the webhook's secret, sent verbatim)
send() {
	post /hook "$@" -H 'Content-Type: application/json' \
	    -H 'Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==' \
	    -H 'Proxy-Authorization: Basic dGVzdDoxMjPCow==' \
	    -H 'Cookie: SID=31d4d96e407aad42; lang=en-US' \
	    -H 'X-API-Key: k-5f2b9c' -H 'X-Gitlab-Token: glsecret-77a1' \
	    -H 'X-Gitlab-Event: Push Hook' -d '{"object_kind":"push"}'
}
secrets='QWxhZGRpbjpvcGVuIHNlc2FtZQ|dGVzdDoxMjPCow|31d4d96e407aad42|k-5f2b9c|glsecret-77a1'

listen
is "request with credentials: 200" "$(send -H 'Cookie: second=1')" 200
is "request without: 200" "$(post /hook -H 'X-Gitlab-Event: Push Hook' -d '{}')" 200
stop
r1=$(sed -n 1p "$TMP/rec")
is "no credential in the output" "$(grep -cE "$secrets|second=1" "$TMP/rec")" 0
is "credential headers gone from headers" \
    "$(printf '%s' "$r1" | jq -c '.headers | [has("authorization", "proxy-authorization", "cookie", "x-api-key", "x-gitlab-token")]')" \
    '[false,false,false,false,false]'
is "other headers kept" "$(printf '%s' "$r1" | jq -r '.headers["x-gitlab-event"]')" "Push Hook"
is "the record names what was left out, each once" \
    "$(printf '%s' "$r1" | jq -c '.headers_redacted | sort')" \
    '["authorization","cookie","proxy-authorization","x-api-key","x-gitlab-token"]'
is "headers_redacted follows headers" "$(printf '%s' "$r1" | jq -c keys_unsorted)" \
    '["id","received_at","method","path","query","headers","headers_redacted","remote_addr","body"]'
is "nothing left out: no headers_redacted" \
    "$(sed -n 2p "$TMP/rec" | jq -c 'has("headers_redacted")')" false

listen --keep-header Authorization --redact-header X-Gitlab-Event
is "with --keep-header: 200" "$(send)" 200
stop
r1=$(sed -n 1p "$TMP/rec")
is "--keep-header keeps that one (any case)" \
    "$(printf '%s' "$r1" | jq -r .headers.authorization)" 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='
is "... and the others still go" \
    "$(printf '%s' "$r1" | jq -c '.headers_redacted | sort')" \
    '["cookie","proxy-authorization","x-api-key","x-gitlab-event","x-gitlab-token"]'
is "--redact-header adds one" "$(printf '%s' "$r1" | jq -c '.headers | has("x-gitlab-event")')" false

# verification reads the request, not the record: a secret header can
# carry the MAC and still be left out
printf 'It'"'"'s a Secret to Everybody' > "$TMP/sec"
body='Hello, World!'
mac=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$(cat "$TMP/sec")" -r | cut -d' ' -f1)
listen --verify hmac-sha256 --sig-header X-Api-Key --secret-file "$TMP/sec"
is "MAC in a left-out header still verifies" \
    "$(post /hook -H "X-Api-Key: $mac" --data-binary "$body")" 200
stop
is "... and is not written" "$(grep -c "$mac" "$TMP/rec")" 0
[ "$T_FAILED" -eq 0 ]
