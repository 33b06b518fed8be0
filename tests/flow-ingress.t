#!/bin/sh
# flow: ingress, live: S3 ObjectCreated -> SQS -> sqs-poll --s3-records |
# s3-sign | wh-send (data by URL) | wh-send (job request) | sqs-delete
# (scripts/examples/ingress.sh), with moto and the fake job platform
# (tests/fake/jobplatform.py, after voxel51/api-py); a message is deleted
# only after the platform accepted the job
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

plan 23
moto_up
start_fake
H() { py tests/sqs-helper.py "$@"; }
q=$(H queue ingress 2)
B=ingest-bkt
H s3 "$B" "$q"
qcount() { H count "$q"; }
empty() { [ "$(qcount)" = 0 ]; }
posts() { grep -c '"POST", "path": "/v1/jobs"' "$REQLOG"; }
has_posts() { [ "$(posts)" -ge "$1" ]; }

# S VAR=VALUE... CMD: with the settings (a word list: setsid runs it)
S="env QUEUE=$q JOB_API_URL=$API JOB_API_TOKEN=jobtoken JOB_ANALYTIC=voxel51/vehicle-sense MIME_TYPE=video/mp4"
pipe_start ingress $S JOB_PARAMS='{"accel": 1.5}' VISIBILITY=2 \
    bash scripts/examples/ingress.sh
P=$PIPE_PID
H put "$B" "in/clip 1.mp4" "in/b.mov"
ok "two jobs started" wait_for 30 has_posts 2
ok "queue emptied" wait_for 15 empty
is "data by URL, then the job request; Bearer token" \
    "$(reqs 'r["method"] + " " + r["path"] + " " + r["headers"]["authorization"] + " " + r["headers"]["content-type"].split(";")[0]' | sort | uniq -c | sed 's/^ *//')" \
"2 POST /v1/data/url Bearer jobtoken application/json
2 POST /v1/jobs Bearer jobtoken multipart/form-data"
# what the platform holds now, asked through its API as the library would
api() { curl -sf -H 'Authorization: Bearer jobtoken' "$API$1"; }
ok "the records name the jobs" wait_for 10 has_lines "$TMP/ingress.out" 2
recs 'r["http"]["body"]["job"]["id"]' "$TMP/ingress.out" >"$TMP/jids"
for j in $(cat "$TMP/jids"); do
	api "/v1/jobs/$j"; echo
	api "/v1/jobs/$j/request"; echo
done >"$TMP/jobs"
is "jobs started on upload (auto_start): QUEUED, named after the key" \
    "$(recs 'r["job"]["name"] + " " + r["job"]["state"] if "job" in r else None' "$TMP/jobs" | grep -v None | sort)" \
"b.mov QUEUED
clip 1.mp4 QUEUED"
is "job requests: the analytic, its input on the data, the parameters" \
    "$(recs '(r["analytic"], list(r["inputs"]), r["parameters"]) if "analytic" in r else None' "$TMP/jobs" | grep -v None | sort -u)" \
    "('voxel51/vehicle-sense', ['video'], {'accel': 1.5})"
for d in $(recs 'r["inputs"]["video"]["data-id"] if "inputs" in r else ""' "$TMP/jobs"); do
	[ -n "$d" ] && api "/v1/data/$d" && echo
done >"$TMP/data"
is "data: filename, MIME type, size" \
    "$(recs 'r["data"]["name"], r["data"]["mimetype"], r["data"]["size"]' "$TMP/data" | sort)" \
"('b.mov', 'video/mp4', 6)
('clip 1.mp4', 'video/mp4', 6)"
like "data's signed_url presigned for a day" \
    "$(recs 'r["data"]["signed_url"]' "$TMP/data" | sed -n 1p)" \
    "^$MOTO_ENDPOINT/$B/in/.*X-Amz-Expires=86400.*X-Amz-Signature=[0-9a-f]{64}"
# the same URL as botocore's presigner makes at the same instant
u=$(recs 'r["data"]["signed_url"]' "$TMP/data" | sed -n 1p)
d=$(printf '%s\n' "$u" | sed -n 's/.*X-Amz-Date=\([0-9TZ]*\).*/\1/p')
k=$(recs 'r["data"]["name"]' "$TMP/data" | sed -n 1p)
is "signed_url equals botocore's presigned URL" "$u" \
    "$(py tests/s3-util.py presign GET "$B" "in/$k" 86400 "$d")"
is "data_ttl: when the URL stops working (X-Amz-Date + a day)" \
    "$(recs 'r["data"]["expiration_date"]' "$TMP/data" | sed -n 1p)" \
    "$(python3 -c 'import sys, datetime as t; print((t.datetime.strptime(sys.argv[1], "%Y%m%dT%H%M%SZ") + t.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$d")"

# the platform is down: the job is not acknowledged, the message stays
pipe_stop "$P"
is "service stops on SIGTERM, exit 0" "$PIPE_RC" 0
is "records written for both, after deletion" \
    "$(recs 'r["s3"]["key"], r["http"]["status"]' "$TMP/ingress.out" | sort)" \
"('in/b.mov', 200)
('in/clip 1.mp4', 200)"
dead=$(free_port)
pipe_start down $S JOB_API_URL=http://127.0.0.1:$dead VISIBILITY=2 \
    HOOKPIPE_BACKOFF=20 bash scripts/examples/ingress.sh
P=$PIPE_PID
H put "$B" "in/late.mp4"
said() { grep -q 'wh-send: stdin:1: cannot send to http://127.0.0.1:[0-9]*/v1/data/url' "$TMP/down.err"; }
ok "failure reported" wait_for 30 said
pipe_stop "$P"
is "message kept in the queue" "$(qcount)" 1
is "nothing deleted, nothing written" "$(lines "$TMP/down.out")" 0

# cron style (ONCE=1) with the platform back: the message is done now.
# Runs are repeated as cron would: a long poll cut off by the SIGTERM
# above may still take the message on the server's side and hide it for a
# while
# a refused token (the platform's 401): wh-send stops (5), so does the
# run; repeated as cron would until the message is visible again
n=0
while [ $n -lt 15 ]; do
	n=$((n + 1))
	run $S JOB_API_TOKEN=wrong ONCE=1 VISIBILITY=1 timeout 60 bash scripts/examples/ingress.sh
	[ "$RC" = 0 ] || break
	sleep 1
done
is "bad token: the run exits 5" "$RC" 5
like "bad token: said" "$ERR" 'wh-send: .*HTTP 401'
is "bad token: the message kept" "$(qcount)" 1
: >"$REQLOG"
n=0
while [ $n -lt 15 ] && [ "$(posts)" -lt 1 ]; do
	n=$((n + 1))
	run $S ONCE=1 timeout 60 bash scripts/examples/ingress.sh
	[ "$RC" = 0 ] || break
	[ "$(posts)" -ge 1 ] || sleep 1
done
is "ONCE=1: exit 0" "$RC" 0
is "ONCE=1: the late object's job started" \
    "$(reqs 'json.loads(r["body"])["filename"] if r["path"] == "/v1/data/url" else r["path"]')" "late.mp4
/v1/jobs"
is "ONCE=1: taken again after the failures" "$(recs 'r["sqs"]["receive_count"] >= 2')" True
is "queue empty at last" "$(qcount)" 0
is "stderr of the good runs empty" "$(cat "$TMP/ingress.err") $ERR" " "
done_testing
