#!/bin/sh
# flow: device data fan-out, live: signed readings -> wh-listen | wh-route |
# sns-publish >> LOG (scripts/examples/device-sns.sh), with moto: the
# messages reach a subscribed queue and their ids are recorded
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

plan 12
moto_up
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
H() { py tests/sqs-helper.py "$@"; }
q=$(H queue readings)
t=$(H topic device-readings "$q")
printf 'device-secret\n' >"$TMP/secret"
LP=$(free_port)
pipe_start device env TOPIC_ARN=$t LISTEN_PORT=$LP LOG=$TMP/published.ndjson \
    DEVICE_SECRET_FILE=$TMP/secret ERRORS=$TMP/failed.ndjson \
    bash scripts/examples/device-sns.sh
P=$PIPE_PID
ok "pipeline listening" wl_up "$LP"

device_posts "$LP"
ok "three message ids recorded" wait_for 20 has_lines "$TMP/published.ndjson" 3
is "the log: device and message id" \
    "$(recs 'r["body"]["device"], len(r["sns_published"]["message_id"])' "$TMP/published.ndjson" | sort)" \
"('d-1', 36)
('d-1', 36)
('d-2', 36)"

# what the topic's subscriber got
run sqs-poll -q readings --once --delete
is "the queue got three messages" "$(lines "$TMP/out")" 3
recs 'r["sns"]["message_id"]' | sort >"$TMP/got-ids"
recs 'r["sns_published"]["message_id"]' "$TMP/published.ndjson" | sort >"$TMP/ids"
same_file "recorded ids are the ids delivered" "$TMP/got-ids" "$TMP/ids"
is "the message is the reading, device as attribute" \
    "$(recs 'r["body"]["device"], r["body"]["temp"], r["sns"]["topic_arn"] == "'"$t"'", r["sns"]["attributes"]' | sort)" \
"('d-1', 21.5, True, {'device': 'd-1'})
('d-1', 21.7, True, {'device': 'd-1'})
('d-2', 19, True, {'device': 'd-2'})"
pipe_stop "$P"
is "SIGTERM to wh-listen ends the pipeline, exit 0" "$PIPE_RC" 0
like "the refused post said on stderr" "$(cat "$TMP/device.err")" 'wh-listen: .*401|signature'
is "nothing failed" "$(lines "$TMP/failed.ndjson")" 0
done_testing
