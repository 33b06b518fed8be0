#!/bin/sh
# pubsub-publish against Google's Pub/Sub emulator: 1,000 records, each
# published once in input order with its attributes, pulled back; gcloud
# as an independent client; refused records, unknown topic, exits
. tests/lib.sh
plan 33

pubsub_up
P=hookpipe-test
ps_topic $P events
ps_sub $P events-all events 60

# ---- 1,000 records, in input order, each once ----
seq 1 1000 | sed 's/.*/{"i":&,"tag":"t-&"}/' >"$TMP/in"
run pubsub-publish --project $P --topic events --attr 'i={i}' \
	--attr 'tag={tag}' "$TMP/in"
is "1000: exit 0" "$RC" 0
is "1000: nothing on stderr" "$ERR" ""
is "1000: a record out for each in" "$(lines "$TMP/out")" 1000
jq -r '.i' "$TMP/out" >"$TMP/got"
seq 1 1000 >"$TMP/want"
same_file "1000: records out in input order" "$TMP/got" "$TMP/want"
is "1000: every record names the topic" \
	"$(jq -r '.pubsub_published.topic' "$TMP/out" | sort -u)" \
	"projects/$P/topics/events"
jq -r '.pubsub_published.message_id' "$TMP/out" >"$TMP/mids"
is "1000: message ids unique" "$(sort -u "$TMP/mids" | wc -l | tr -d ' ')" 1000
# the emulator numbers messages as they come: the ids of one topic's
# requests rise in the order of the messages in them
sort -n "$TMP/mids" >"$TMP/mids.sorted"
same_file "1000: message ids in input order" "$TMP/mids" "$TMP/mids.sorted"
jq -r '"\(.i) \(.pubsub_published.message_id)"' "$TMP/out" |
	sort >"$TMP/published"

pubsub-pull -s projects/$P/subscriptions/events-all --once >"$TMP/pulled" \
	2>"$TMP/pull.err"
is "pull back: exit 0" "$?:$(cat "$TMP/pull.err")" "0:"
jq -r '"\(.body.i) \(.pubsub.message_id)"' "$TMP/pulled" | sort >"$TMP/back"
same_file "pull back: every message once, with the id it was published as" \
	"$TMP/back" "$TMP/published"
is "pull back: attributes intact" \
	"$(jq -r 'select(.pubsub.attributes != {"i": "\(.body.i)",
	    "tag": .body.tag}) | .body.i' "$TMP/pulled" | head -n 3)" ""
is "pull back: the record is the data" \
	"$(jq -c 'select(.body | keys != ["i", "tag"])' "$TMP/pulled" |
	    head -n 1)" ""
pubsub-ack <"$TMP/pulled" >/dev/null

# ---- --data, --ordering-key ----
printf '%s\n' '{"s":"plain text","k":"dev-1"}' '{"s":"{\"j\":1}","k":"dev-2"}' |
	pubsub-publish --project $P --topic events --data '{s}' \
	--ordering-key '{k}' >"$TMP/out" 2>"$TMP/err"
is "--data: exit 0" "$?:$(cat "$TMP/err")" "0:"
pubsub-pull -s events-all --project $P --once >"$TMP/pulled"
is "--data: the template's text as data" \
	"$(jq -c '[.body, .pubsub.ordering_key]' "$TMP/pulled" | sort |
	    tr '\n' ' ')" '["plain text","dev-1"] [{"j":1},"dev-2"] '
pubsub-ack <"$TMP/pulled" >/dev/null

# ---- gcloud reads what pubsub-publish sent ----
if command -v gcloud >/dev/null 2>&1; then
	echo '{"from":"hookpipe","n":7}' |
	    pubsub-publish --topic projects/$P/topics/events --attr 'n={n}' \
	    >"$TMP/out"
	ps_gcloud $P pubsub subscriptions pull events-all --auto-ack --limit 10 \
	    --format=json >"$TMP/g.json" 2>"$TMP/g.err"
	is "gcloud pull: the message's data" \
	    "$(jq -r '.[0].message.data' "$TMP/g.json" | base64 -d)" \
	    '{"from":"hookpipe","n":7}'
	is "gcloud pull: its attributes and id" \
	    "$(jq -c '[.[0].message.attributes, .[0].message.messageId]' \
	    "$TMP/g.json")" \
	    "[{\"n\":\"7\"},$(jq -c '.pubsub_published.message_id' "$TMP/out")]"
else
	skip "gcloud pull: the message's data" "gcloud is not installed"
	skip "gcloud pull: its attributes and id" "gcloud is not installed"
fi

# ---- a message Pub/Sub would refuse is a record error ----
printf '%s\n' '{"s":"a"}' '{"s":""}' '{"s":"c"}' >"$TMP/in"
run pubsub-publish --project $P --topic events --data '{s}' \
	--errors "$TMP/failed" "$TMP/in"
is "empty message: exit 1" "$RC" 1
like "empty message: reported with its line" "$ERR" \
	"^pubsub-publish: $TMP/in:2: empty message: no data and no attributes\$"
is "empty message: not passed on, the others are" \
	"$(jq -r .s "$TMP/out" | tr '\n' ' ')" "a c "
is "empty message: in --errors with why" \
	"$(jq -c '[.s, .error.line, .error.message]' "$TMP/failed")" \
	'["",2,"empty message: no data and no attributes"]'
pubsub-pull -s events-all --project $P --once >"$TMP/pulled"
is "empty message: only the others published" \
	"$(jq -r .body "$TMP/pulled" | sort | tr '\n' ' ')" "a c "
pubsub-ack <"$TMP/pulled" >/dev/null
run pubsub-publish --project $P --topic events --attr 'a={s}' --data '{s}' \
	"$TMP/in"
is "no data but an attribute: published" "$RC:$(lines "$TMP/out")" "0:3"

# ---- unknown topic: every record reported, exit 5 ----
rm -f "$TMP/failed"
run pubsub-publish --project $P --topic no-such-topic --errors "$TMP/failed" \
	"$TMP/in"
is "unknown topic: exit 5" "$RC" 5
like "unknown topic: says so" "$ERR" \
	"pubsub-publish: cannot publish to projects/$P/topics/no-such-topic: NOT_FOUND: Topic not found"
is "unknown topic: nothing reported published" "$OUT" ""
is "unknown topic: the records in --errors" "$(lines "$TMP/failed")" 3

# ---- a pause in the input sends the batch: records are not held ----
mkfifo "$TMP/fifo"
pubsub-publish --project $P --topic events <"$TMP/fifo" >"$TMP/live" \
	2>"$TMP/live.err" &
pid=$!
exec 3>"$TMP/fifo"
echo '{"live":1}' >&3
one() { [ "$(lines "$TMP/live")" -ge 1 ]; }
eventually 60 one
is "pause: the record published while the input stays open" \
	"$(lines "$TMP/live"):$(jq -c .live "$TMP/live")" "1:1"
exec 3>&-
wait $pid
is "pause: exit 0 when the input ends" "$?:$(cat "$TMP/live.err")" "0:"

# ---- set-up and options ----
# (Google credentials that work: tests/pubsub-auth.t)
run env -u PUBSUB_EMULATOR_HOST \
	GOOGLE_APPLICATION_CREDENTIALS=$TMP/no-key.json pubsub-publish \
	--project $P --topic events "$TMP/in"
is "no emulator, a key file that is not there: exit 3" "$RC" 3
like "a key file that is not there: named" "$ERR" \
	"^pubsub-publish: GOOGLE_APPLICATION_CREDENTIALS: cannot open $TMP/no-key.json: No such file or directory\$"
run pubsub-publish --topic events "$TMP/in"
is "a short topic without --project: exit 2" "$RC" 2
run pubsub-publish --project $P --topic events --attr novalue "$TMP/in"
is "--attr without =: exit 2" "$RC" 2
port=$(free_port)
HOOKPIPE_BACKOFF=10 run pubsub-publish --endpoint "http://127.0.0.1:$port" \
	--project $P --topic events "$TMP/in"
is "network down: exit 6" "$RC" 6
like "network down: retries announced" "$ERR" "warning: .*retry 3 of 3"
done_testing
