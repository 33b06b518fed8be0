#!/bin/sh
# flow: ingress, live: S3 ObjectCreated -> SQS -> sqs-poll --s3-records |
# s3-sign | wh-send | sqs-delete (scripts/examples/ingress.sh), with moto
# and the fake job platform; a message is deleted only after the platform
# accepted the job
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

moto_up
start_fake
H() { py tests/sqs-helper.py "$@"; }
q=$(H queue ingress 2)
B=ingest-bkt
H s3 "$B" "$q"
qcount() { H count "$q"; }
empty() { [ "$(qcount)" = 0 ]; }
posts() { grep -c '"POST"' "$REQLOG"; }
has_posts() { [ "$(posts)" -ge "$1" ]; }

pipe_start ingress env QUEUE=$q JOB_API_URL=http://127.0.0.1:$PORT \
    JOB_API_TOKEN=jobtoken VISIBILITY=2 bash scripts/examples/ingress.sh
P=$PIPE_PID
H put "$B" "in/clip 1.mp4" "in/b.mov"
ok "two jobs started" wait_for 30 has_posts 2
ok "queue emptied" wait_for 15 empty
is "POST /v1/jobs with the Bearer token" \
    "$(reqs 'r["method"] + " " + r["path"] + " " + r["headers"]["authorization"] + " " + r["headers"]["content-type"]')" \
"POST /v1/jobs Bearer jobtoken application/json
POST /v1/jobs Bearer jobtoken application/json"
reqs 'json.dumps(json.loads(r["body"]))' >"$TMP/bodies"
is "bodies: name and source" \
    "$(recs 'r["name"], r["source"]' "$TMP/bodies" | sort)" \
"('b.mov', {'bucket': '$B', 'key': 'in/b.mov', 'size': 6})
('clip 1.mp4', {'bucket': '$B', 'key': 'in/clip 1.mp4', 'size': 6})"
like "data_url presigned for a day" \
    "$(recs 'r["data_url"]' "$TMP/bodies" | sed -n 1p)" \
    "^$MOTO_ENDPOINT/$B/in/.*X-Amz-Expires=86400.*X-Amz-Signature=[0-9a-f]{64}"
# the same URL as botocore's presigner makes at the same instant
d=$(recs 'r["data_url"]' "$TMP/bodies" | sed -n '1s/.*X-Amz-Date=\([0-9TZ]*\).*/\1/p')
k=$(recs 'r["source"]["key"]' "$TMP/bodies" | sed -n 1p)
is "data_url equals botocore's presigned URL" \
    "$(recs 'r["data_url"]' "$TMP/bodies" | sed -n 1p)" \
    "$(py tests/s3-util.py presign GET "$B" "$k" 86400 "$d")"

# the platform is down: the job is not acknowledged, the message stays
pipe_stop "$P"
is "service stops on SIGTERM, exit 0" "$PIPE_RC" 0
is "records written for both, after deletion" \
    "$(recs 'r["s3"]["key"], r["http"]["status"]' "$TMP/ingress.out" | sort)" \
"('in/b.mov', 200)
('in/clip 1.mp4', 200)"
dead=$(free_port)
pipe_start down env QUEUE=$q JOB_API_URL=http://127.0.0.1:$dead \
    JOB_API_TOKEN=jobtoken VISIBILITY=2 HOOKPIPE_BACKOFF=20 \
    bash scripts/examples/ingress.sh
P=$PIPE_PID
H put "$B" "in/late.mp4"
said() { grep -q 'wh-send: stdin:1: cannot send to http://127.0.0.1:[0-9]*/v1/jobs' "$TMP/down.err"; }
ok "failure reported" wait_for 30 said
pipe_stop "$P"
is "message kept in the queue" "$(qcount)" 1
is "nothing deleted, nothing written" "$(lines "$TMP/down.out")" 0

# cron style (ONCE=1) with the platform back: the message is done now.
# Runs are repeated as cron would: a long poll cut off by the SIGTERM
# above may still take the message on the server's side and hide it for a
# while
: >"$REQLOG"
n=0
while [ $n -lt 15 ] && [ "$(posts)" -lt 1 ]; do
	n=$((n + 1))
	run env QUEUE=$q JOB_API_URL=http://127.0.0.1:$PORT \
	    JOB_API_TOKEN=jobtoken ONCE=1 timeout 60 bash scripts/examples/ingress.sh
	[ "$RC" = 0 ] || break
	[ "$(posts)" -ge 1 ] || sleep 1
done
is "ONCE=1: exit 0" "$RC" 0
is "ONCE=1: the late object's job started" \
    "$(reqs 'json.loads(r["body"])["name"]')" "late.mp4"
is "ONCE=1: taken again after the failures" "$(recs 'r["sqs"]["receive_count"] >= 2')" True
is "queue empty at last" "$(qcount)" 0
is "stderr of the good runs empty" "$(cat "$TMP/ingress.err") $ERR" " "
done_testing
