#!/bin/sh
# flow: device data to Google Cloud Pub/Sub, live: signed readings ->
# wh-listen | wh-route | pubsub-publish >> LOG
# (scripts/examples/device-pubsub.sh), with the Pub/Sub emulator: gcloud,
# an independent client, pulls what was published, each reading once
# with its attributes, under the ids the log recorded
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

plan 12
pubsub_up
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
P=hookpipe-test
ps_topic $P device-readings
ps_sub $P readings-all device-readings 60
printf 'device-secret\n' >"$TMP/secret"
LP=$(free_port)
pipe_start device env TOPIC=projects/$P/topics/device-readings \
    LISTEN_PORT=$LP LOG=$TMP/published.ndjson DEVICE_SECRET_FILE=$TMP/secret \
    ERRORS=$TMP/failed.ndjson bash scripts/examples/device-pubsub.sh
PP=$PIPE_PID
ok "pipeline listening" wl_up "$LP"

device_posts "$LP"
ok "three message ids recorded" wait_for 20 has_lines "$TMP/published.ndjson" 3
is "the log: device, topic, a message id" \
    "$(recs 'r["body"]["device"], r["pubsub_published"]["topic"], r["pubsub_published"]["message_id"] > ""' "$TMP/published.ndjson" | sort)" \
"('d-1', 'projects/$P/topics/device-readings', True)
('d-1', 'projects/$P/topics/device-readings', True)
('d-2', 'projects/$P/topics/device-readings', True)"

# what the subscription got, read by gcloud
if command -v gcloud >/dev/null 2>&1; then
	ps_gcloud $P pubsub subscriptions pull readings-all --auto-ack \
	    --limit 10 --format=json >"$TMP/g.json" 2>"$TMP/g.err"
	is "gcloud: three messages" "$(jq length "$TMP/g.json")" 3
	jq -r '.[].message.messageId' "$TMP/g.json" | sort >"$TMP/got-ids"
	recs 'r["pubsub_published"]["message_id"]' "$TMP/published.ndjson" |
	    sort >"$TMP/ids"
	same_file "gcloud: the ids are the ids recorded" "$TMP/got-ids" \
	    "$TMP/ids"
	is "gcloud: the data is the reading, device as attribute and key" \
	    "$(jq -c '.[].message | [(.data | @base64d | fromjson),
	        .attributes, .orderingKey]' "$TMP/g.json" | sort)" \
'[{"device":"d-1","temp":21.5,"ts":"2026-11-28T01:00:00Z"},{"device":"d-1"},"d-1"]
[{"device":"d-1","temp":21.7,"ts":"2026-11-28T01:01:00Z"},{"device":"d-1"},"d-1"]
[{"device":"d-2","temp":19,"humidity":40,"ts":"2026-11-28T01:00:01Z"},{"device":"d-2"},"d-2"]'
else
	skip "gcloud: three messages" "gcloud is not installed"
	skip "gcloud: the ids are the ids recorded" "gcloud is not installed"
	skip "gcloud: the data is the reading" "gcloud is not installed"
fi
pipe_stop "$PP"
is "SIGTERM to wh-listen ends the pipeline, exit 0" "$PIPE_RC" 0
like "the refused post said on stderr" "$(cat "$TMP/device.err")" \
    'wh-listen: .*401|signature'
is "nothing failed" "$(lines "$TMP/failed.ndjson")" 0
done_testing
