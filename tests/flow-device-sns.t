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

cat >"$TMP/readings" <<'R'
{"device":"d-1","temp":21.5,"ts":"2026-11-28T01:00:00Z"}
{"device":"d-2","temp":19,"humidity":40,"ts":"2026-11-28T01:00:01Z"}
{"device":"d-1","temp":21.7,"ts":"2026-11-28T01:01:00Z"}
R
# the devices sign their posts (wh-send does what device firmware would)
run wh-send -u "http://127.0.0.1:$LP/readings" --sign hmac-sha256 \
    --secret-file "$TMP/secret" --sig-header X-Signature \
    --sig-prefix sha256= "$TMP/readings"
is "signed readings accepted" "$(recs 'r["http"]["status"]')" "200
200
200"
is "unsigned reading refused" "$(hook "$LP" /readings '{"device":"evil","temp":99}')" 401
is "reading without a device id accepted, not published" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "X-Signature: sha256=$(printf '{"temp":1}' | openssl dgst -sha256 -hmac device-secret | sed 's/.*= //')" \
    --data-binary '{"temp":1}' "http://127.0.0.1:$LP/readings")" 200
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
