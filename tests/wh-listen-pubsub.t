#!/bin/sh
# wh-listen --pubsub: Google's Pub/Sub emulator pushing into wh-listen.
# Each message once as a record with pubsub-pull's pubsub fields and body
# (compared with pubsub-pull's record of the same message); malformed
# pushes 400 and no record; a push refused with 503 (output stalled) or
# not answered (wh-listen down) comes again and is written; -c per path;
# with --oidc-audience; --body-only
. tests/lib.sh
plan 38
. tests/data/wh-listen/common.sh

pubsub_up
P=hookpipe-test
S=projects/$P/subscriptions
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
# pub TOPIC MESSAGES_JSON: one publish request
pub() {
	ps_api POST "projects/$P/topics/$1:publish" "{\"messages\":$2}" \
	    >/dev/null
}
# push_sub NAME TOPIC ENDPOINT: a push subscription
push_sub() {
	ps_api PUT "projects/$P/subscriptions/$1" "{\"topic\":\
\"projects/$P/topics/$2\",\"ackDeadlineSeconds\":10,\"pushConfig\":\
{\"pushEndpoint\":\"$3\"}}" >/dev/null
}
# have FILE N: FILE holds N records or more
have() { [ "$(lines_of "$1")" -ge "$2" ]; }
lines_of() { if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
# bodies FILE: each record's body (or body_base64), sorted
bodies() {
	jq -c '[(.body | if type == "object" then keys else . end),
	    .body_base64]' "$1" | sort
}
# shape FILE: what a push record and a pull record share, sorted
shape() {
	jq -c -S '{m: .pubsub.message_id, p: (.pubsub | del(.ack_id,
	    .subscription)), body, body_base64}' "$1" | sort
}
GOOGLE=$DATA/pubsub/push-google.json

# ---- messages through a push subscription, and the same by pull ----
listen --pubsub --path /push
ps_topic $P dev
ps_sub $P dev-pull dev 600
push_sub dev-push dev "$URL/push"
BIN=$(printf '\377\376\000b' | base64)
pub dev "[{\"data\":\"$(b64 '{"job":"j-1","n":12345678901234567890123}')\",
	\"attributes\":{\"kind\":\"x\",\"n\":\"1\"}},
	{\"data\":\"$(b64 'plain text')\"},
	{\"data\":\"$BIN\"},
	{\"data\":\"$(b64 '[1,2]')\"},
	{\"data\":\"$(b64 '42')\"},
	{\"attributes\":{\"only\":\"attr\"}}]"
ok "six messages pushed: six records" eventually 60 have "$TMP/rec" 6
is "each message once" "$(jq -r .pubsub.message_id "$TMP/rec" | sort -u |
    wc -l | tr -d ' '):$(lines)" 6:6
like "the record: its members, pubsub's fields, the body last" \
    "$(grep '"kind"' "$TMP/rec")" \
    "^\\{\"id\":\"$S/dev-push/[0-9]+\",\"received_at\":\"[^\"]+\",\"method\":\"POST\",\"path\":\"/push\",.*\"remote_addr\":\"127.0.0.1\",\"pubsub\":\\{\"message_id\":\"[0-9]+\",\"publish_time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\",\"attributes\":\\{\"kind\":\"x\",\"n\":\"1\"\\},\"subscription\":\"$S/dev-push\"\\},\"body\":\\{\"job\":\"j-1\",\"n\":12345678901234567890123\\}\\}\$"
is "id: the subscription and the message id" \
    "$(jq -r 'select(.id != .pubsub.subscription + "/" +
    .pubsub.message_id) | .id' "$TMP/rec")" ""
is "no ack_id: the push's ack is the answer" \
    "$(jq -c '.pubsub | has("ack_id")' "$TMP/rec" | sort -u)" false
bodies "$TMP/rec" >"$TMP/got"
printf '%s\n' '["",null]' '["42",null]' '["plain text",null]' '[[1,2],null]' \
    "[null,\"$BIN\"]" '[["job","n"],null]' |
    sort >"$TMP/want"
same_file "bodies: JSON parsed, text a string, bytes base64, none empty" \
    "$TMP/got" "$TMP/want"
cp "$TMP/rec" "$TMP/rec.push"
run pubsub-pull -s $S/dev-pull --once
is "pubsub-pull: the same six" "$RC:$(lines_of "$TMP/out")" 0:6
shape "$TMP/rec.push" >"$TMP/push.shape"
shape "$TMP/out" >"$TMP/pull.shape"
same_file "pushed and pulled: the same pubsub fields and body" \
    "$TMP/push.shape" "$TMP/pull.shape"

# ---- pushes as Google documents them, and malformed ones ----
is "Google's example push: 200" \
    "$(post /push -H 'Content-Type: application/json' \
    --data-binary @"$GOOGLE")" 200
is "Google's example: unwrapped" "$(tail -n 1 "$TMP/rec" | jq -c \
    '[.id, .pubsub, .body]')" \
    '["projects/myproject/subscriptions/mysubscription/2070443601311540",{"message_id":"2070443601311540","publish_time":"2021-02-26T19:13:55.749Z","attributes":{"key":"value"},"subscription":"projects/myproject/subscriptions/mysubscription"},"Hello Cloud Pub/Sub! Here is my message!"]'
is "the same push again: 200, written once" \
    "$(post /push --data-binary @"$GOOGLE"):$(lines)" 200:7
jq -c '.deliveryAttempt = 5 | .message.messageId = "77"' "$GOOGLE" \
    >"$TMP/attempt.json"
post /push --data-binary @"$TMP/attempt.json" >/dev/null
is "deliveryAttempt: delivery_attempt" \
    "$(tail -n 1 "$TMP/rec" | jq -c .pubsub.delivery_attempt)" 5
bad() {	# bad NAME BODY: 400 and the reason logged
	is "$1: 400" "$(post /push --data-binary "$2")" 400
}
M='"messageId":"9","data":"aGk="'
bad "not JSON" 'hello'
bad "not an object" '[{"message":{}}]'
bad "no message" '{"subscription":"projects/p/subscriptions/s"}'
bad "data not base64" "{\"message\":{\"messageId\":\"9\",\"data\":\"@@@@\"},\"subscription\":\"projects/p/subscriptions/s\"}"
bad "no messageId" '{"message":{"data":"aGk="},"subscription":"projects/p/subscriptions/s"}'
bad "no subscription" "{\"message\":{$M}}"
bad "an attribute not a string" "{\"message\":{$M,\"attributes\":{\"a\":1}},\"subscription\":\"projects/p/subscriptions/s\"}"
is "malformed: no record, the answer says why" \
    "$(lines):$(cat "$TMP/resp")" "8:body is not a Pub/Sub push"
like "malformed: the reason logged" "$(cat "$TMP/log")" \
    "POST /push from 127.0.0.1: 400 the message's data is not base64"
stop

# ---- at least once: wh-listen down, then back ----
pub dev "[{\"data\":\"$(b64 'while down')\"}]"
refused() { grep -q "Failed to push to endpoint '$URL/push': Connection refused" \
    "$PEERS_DIR/pubsub.log"; }
ok "down: the emulator's push is refused" eventually 30 refused
listen --pubsub --path /push
back() { grep -q '"while down"' "$TMP/rec"; }
ok "down: the message comes again once wh-listen is back" eventually 60 back
is "down: written once" "$(grep -c '"while down"' "$TMP/rec")" 1
stop

# ---- at least once: 503 when output stalls, then written ----
cat >"$TMP/c.yaml" <<Y
paths:
  /push:
    pubsub: true
  /fill: {}
Y
mkfifo "$TMP/fifo"
# held open but not read: the pipe fills
exec 3<>"$TMP/fifo"
wh-listen -p "$PORT" -c "$TMP/c.yaml" --write-timeout 0.5 >"$TMP/fifo" \
    2>"$TMP/log" &
WL_PID=$!
wl_up
TXT='Content-Type: text/plain'
# fill: posts of SIZE bytes until one gets 503 (40 at most); each size
# after the other, so that even a short line no longer fits
fill() {
	head -c "$1" /dev/zero | tr '\0' x >"$TMP/big"
	_n=0
	while [ $_n -lt 40 ] && [ "$(post /fill -H "$TXT" \
	    --data-binary @"$TMP/big")" = 200 ]; do
		_n=$((_n + 1))
	done
	[ $_n -lt 40 ]
}
fill_all() { fill 20000 && fill 2000 && fill 100; }
ok "stall: the pipe is full, requests get 503" fill_all
# a subscription of its own: the emulator's backoff for dev-push, which
# has been refused, does not delay this one
ps_topic $P stall
push_sub stall-push stall "$URL/push"
pub stall "[{\"data\":\"$(b64 'after 503')\",\"attributes\":{\"at\":\"503\"}}]"
stalled() { grep -q 'POST /push from 127.0.0.1: 503' "$TMP/log"; }
ok "stall: the push is answered 503" eventually 30 stalled
cat <&3 >"$TMP/drained" &
CAT_PID=$!
exec 3>&-
written() { grep -q '"after 503"' "$TMP/drained"; }
ok "stall: pushed again and written once the output drains" \
    eventually 60 written
is "stall: written once, unwrapped on the pubsub path" \
    "$(grep '"after 503"' "$TMP/drained" | jq -c '.pubsub.attributes')" \
    '{"at":"503"}'
is "-c: a path without pubsub keeps the body as sent" \
    "$(head -n 1 "$TMP/drained" | jq -c '[has("pubsub"), (.body |
    length)]')" '[false,20000]'
stop
kill "$CAT_PID" 2>/dev/null
wait "$CAT_PID" 2>/dev/null

# ---- with --oidc-audience: the token first ----
O=$TMP/oidc
mkdir "$O"
$PY tests/wh-listen-oidc.py key "$O" k1
$PY tests/wh-listen-oidc.py jwks "$O" k1 >"$O/jwks.json"
TOK=$($PY tests/wh-listen-oidc.py token "$O" k1)
listen --pubsub --path /push --oidc-audience https://example.com/push \
    --oidc-jwks "$O/jwks.json"
is "oidc: a push without a token: 401" \
    "$(post /push --data-binary @"$GOOGLE")" 401
is "oidc: a malformed push with a token: 400" \
    "$(post /push -H "Authorization: Bearer $TOK" -d '{}')" 400
is "oidc: a push with a token: 200" \
    "$(post /push -H "Authorization: Bearer $TOK" \
    --data-binary @"$GOOGLE")" 200
is "oidc: one record, unwrapped" \
    "$(lines):$(jq -c .body "$TMP/rec")" \
    '1:"Hello Cloud Pub/Sub! Here is my message!"'
stop

# ---- --body-only: the data alone; the emulator's own push body ----
listen --pubsub --body-only --path /push
is "--body-only: text data is not an object: 400" \
    "$(post /push --data-binary @"$GOOGLE")" 400
jq -c --arg d "$(b64 '{"a":[1,2]}')" '.message.data = $d' "$GOOGLE" \
    >"$TMP/obj.json"
is "--body-only: object data: 200" \
    "$(post /push --data-binary @"$TMP/obj.json")" 200
is "--body-only: the record is the data" "$(cat "$TMP/rec")" '{"a":[1,2]}'
stop
listen --pubsub --path /push
post /push --data-binary @"$DATA/pubsub/push-emulator.json" >/dev/null
is "the emulator's push of attributes only: empty body" \
    "$(jq -c '[.pubsub.attributes, .body]' "$TMP/rec")" '[{"only":"attr"},""]'
stop

run wh-listen --sns --pubsub
is "--sns with --pubsub: exit 2" "$RC" 2
done_testing
