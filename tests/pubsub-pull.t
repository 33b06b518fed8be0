#!/bin/sh
# pubsub-pull | pubsub-ack against Google's Pub/Sub emulator: records and
# body decoding, drained exactly once, dropped records redelivered after
# the ack deadline, --nack, -n, SIGTERM during a long pull, exits
. tests/lib.sh
plan 34

pubsub_up
P=hookpipe-test
S=projects/$P/subscriptions
G() {
	CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB=$PUBSUB_URL/ \
	CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true CLOUDSDK_CORE_PROJECT=$P \
	CLOUDSDK_CONFIG=$TMP/gcloud gcloud "$@"
}
# pub TOPIC DATA_BASE64 [ATTRS_JSON]: one message, as the REST API takes it
pub() {
	ps_api POST "projects/$P/topics/$1:publish" \
	    "{\"messages\":[{\"data\":\"$2\"${3:+,\"attributes\":$3}}]}" >/dev/null
}
b64() { printf '%s' "$1" | base64 | tr -d '\n'; }
ids() { jq -r '.body.i' "$1" | sort -n; }
ps_topic $P jobs
ps_sub $P jobs-a jobs 600

# ---- the record, and the body decoded ----
pub jobs "$(b64 '{"job":"j-1","n":12345678901234567890123}')" '{"kind":"x"}'
pub jobs "$(b64 'plain text')"
pub jobs "$(printf '\377\376\000b' | base64)"
pub jobs "$(b64 '[1,2]')"
pub jobs "$(b64 '42')"
run pubsub-pull -s $S/jobs-a --once
is "decode: exit 0" "$RC:$ERR" "0:"
is "decode: five records" "$(lines "$TMP/out")" 5
like "record: the pubsub fields" "$(head -n 1 "$TMP/out")" \
	"^\\{\"pubsub\":\\{\"message_id\":\"[0-9]+\",\"publish_time\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\",\"attributes\":\\{\"kind\":\"x\"\\},\"ack_id\":\"[^\"]+\",\"subscription\":\"$S/jobs-a\"\\},\"body\":"
is "decode: a JSON object is parsed, big numbers kept" \
	"$(sed -n 1p "$TMP/out" | sed 's/.*"body"://')" \
	'{"job":"j-1","n":12345678901234567890123}}'
is "decode: text is a string" "$(sed -n 2p "$TMP/out" | jq -c .body)" \
	'"plain text"'
is "decode: bytes that are not UTF-8 are body_base64" \
	"$(sed -n 3p "$TMP/out" | jq -c '[.body, .body_base64]')" \
	"[null,\"$(printf '\377\376\000b' | base64)\"]"
is "decode: an array is parsed, a bare number is text" \
	"$(sed -n '4,5p' "$TMP/out" | jq -c .body | tr '\n' ' ')" '[1,2] "42" '
pubsub-ack <"$TMP/out" >"$TMP/acked" 2>"$TMP/err"
is "ack: exit 0, every record passed on" \
	"$?:$(cat "$TMP/err"):$(lines "$TMP/acked")" "0::5"

# ---- 200 messages drained exactly once: pull --once | ack ----
seq 1 200 | sed 's/.*/{"i":&}/' |
	pubsub-publish --project $P --topic jobs >/dev/null
{ pubsub-pull -s $S/jobs-a --once 2>"$TMP/e1"; echo $? >"$TMP/rc1"; } |
	{ pubsub-ack >"$TMP/out" 2>"$TMP/e2"; echo $? >"$TMP/rc2"; }
is "drain: exits" "$(cat "$TMP/rc1") $(cat "$TMP/rc2")" "0 0"
is "drain: nothing on stderr" "$(cat "$TMP/e1" "$TMP/e2")" ""
seq 1 200 >"$TMP/want"
ids "$TMP/out" >"$TMP/got"
same_file "drain: each message exactly once" "$TMP/got" "$TMP/want"
run pubsub-pull -s $S/jobs-a --once
is "drain: nothing left" "$RC:$OUT" "0:"

# ---- gcloud publishes, pubsub-pull reads ----
if command -v gcloud >/dev/null 2>&1; then
	G pubsub topics publish jobs --message '{"from":"gcloud"}' \
	    --attribute 'k=v,z=w' >/dev/null 2>"$TMP/g.err"
	run pubsub-pull -s jobs-a --project $P --once
	is "gcloud publish: the body" "$(jq -c .body "$TMP/out")" \
	    '{"from":"gcloud"}'
	is "gcloud publish: the attributes" \
	    "$(jq -c .pubsub.attributes "$TMP/out")" '{"k":"v","z":"w"}'
	pubsub-ack <"$TMP/out" >/dev/null
else
	skip "gcloud publish: the body" "gcloud is not installed"
	skip "gcloud publish: the attributes" "gcloud is not installed"
fi

# ---- records dropped mid-pipeline come back after the deadline ----
seq 101 120 | sed 's/.*/{"i":&}/' |
	pubsub-publish --project $P --topic jobs >/dev/null
pubsub-pull -s $S/jobs-a -n 20 --ack-deadline 5 2>"$TMP/e1" | head -n 8 |
	pubsub-ack >"$TMP/acked"
is "drop: pubsub-pull ends quietly when the pipe closes" "$(cat "$TMP/e1")" ""
ids "$TMP/acked" >"$TMP/first"
is "drop: the eight that reached pubsub-ack acknowledged" \
	"$(lines "$TMP/first")" 8
seq 101 120 | grep -vxF -f "$TMP/first" >"$TMP/want"
# the event: the twelve others are back (--ack-deadline 5 s on a 600 s
# subscription); the bound is only a safety net
: >"$TMP/back"
back12() {
	pubsub-pull -s $S/jobs-a --once --ack-deadline 600 >>"$TMP/back" &&
	    [ "$(lines "$TMP/back")" -ge 12 ]
}
eventually 120 back12
ids "$TMP/back" >"$TMP/got"
same_file "drop: the twelve dropped come back, the acknowledged do not" \
	"$TMP/got" "$TMP/want"

# ---- --nack gives them back at once ----
pubsub-ack --nack <"$TMP/back" >"$TMP/nacked" 2>"$TMP/err"
is "--nack: exit 0, records passed on" "$?:$(cat "$TMP/err"):$(lines \
	"$TMP/nacked")" "0::12"
: >"$TMP/again"
again12() {
	pubsub-pull -s $S/jobs-a --once >>"$TMP/again" &&
	    [ "$(lines "$TMP/again")" -ge 12 ]
}
# back long before the 600 s deadline they were given
eventually 60 again12
ids "$TMP/again" >"$TMP/got"
same_file "--nack: the twelve come back at once" "$TMP/got" "$TMP/want"
pubsub-ack <"$TMP/again" >/dev/null

# ---- -n ----
seq 1 25 | sed 's/.*/{"i":&}/' |
	pubsub-publish --project $P --topic jobs >/dev/null
run pubsub-pull -s $S/jobs-a -n 5 --ack-deadline 600
is "-n 5: five records" "$RC:$(lines "$TMP/out")" "0:5"
run pubsub-pull -s $S/jobs-a --once
is "-n 5: the other twenty still there" "$(lines "$TMP/out")" 20
pubsub-ack <"$TMP/out" >/dev/null

# ---- records out before the next pull; SIGTERM during a long pull ----
seq 1 3 | sed 's/.*/{"i":&}/' |
	pubsub-publish --project $P --topic jobs >/dev/null
pubsub-pull -s $S/jobs-a >"$TMP/live" 2>"$TMP/live.err" &
pid=$!
three() { [ "$(lines "$TMP/live")" -ge 3 ]; }
eventually 60 three
is "records written while the next pull waits" "$(lines "$TMP/live")" 3
kill -TERM $pid
# the emulator holds an empty pull 90 s: the TERM must end it before
ended() { ! kill -0 $pid 2>/dev/null; }
eventually 45 ended
is "SIGTERM during a long pull: the run ends" "$?" 0
wait $pid
is "SIGTERM: exit 0" "$?" 0
is "SIGTERM: nothing on stderr" "$(cat "$TMP/live.err")" ""
pubsub-ack <"$TMP/live" >/dev/null

# ---- pubsub-ack's record errors ----
printf '%s\n' '{"x":1}' "$(head -n 1 "$TMP/live")" >"$TMP/in"
run pubsub-ack --errors "$TMP/failed" "$TMP/in"
is "ack: a record without ack_id: exit 1" "$RC" 1
like "ack: reported with its line" "$ERR" \
	"^pubsub-ack: $TMP/in:1: no pubsub.ack_id\$"
is "ack: the good one passed on, the bad one in --errors" \
	"$(lines "$TMP/out"):$(jq -c .x "$TMP/failed")" "1:1"

# ---- exits ----
run pubsub-pull --once
is "no -s: exit 2" "$RC" 2
run pubsub-pull -s $S/jobs-a --ack-deadline 601
is "--ack-deadline 601: exit 2" "$RC" 2
run pubsub-pull -s $S/no-such-sub --once
is "unknown subscription: exit 5" "$RC" 5
like "unknown subscription: says so" "$ERR" \
	"^pubsub-pull: cannot pull from $S/no-such-sub: NOT_FOUND: "
run env -u PUBSUB_EMULATOR_HOST \
	GOOGLE_APPLICATION_CREDENTIALS=$TMP/no-key.json pubsub-ack -s $S/jobs-a \
	"$TMP/in"
is "pubsub-ack without the emulator, a key file not there: exit 3" "$RC" 3
port=$(free_port)
HOOKPIPE_BACKOFF=10 run pubsub-pull --endpoint "http://127.0.0.1:$port" \
	-s $S/jobs-a --once
is "network down: exit 6" "$RC" 6
done_testing
