#!/bin/sh
# flow: egress via SQS, live: an edge (wh-listen | wh-route | sqs-send) and
# two workers (sqs-poll | job-fetch | s3-put | sqs-delete) of
# scripts/examples/egress-sqs.sh, with moto and the fake job platform
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

plan 16
moto_up
start_fake
seed_jobs s-1 s-2 s-3 s-4
H() { py tests/sqs-helper.py "$@"; }
q=$(H queue egress-jobs)
B=egress-sqs-out
py tests/s3-util.py mb "$B"
want() { printf 'output of job %s\n' "$1" | sha256sum | cut -c1-64; }
qcount() { H count "$q"; }
nkeys() { py tests/s3-util.py keys "$B" | wc -l | tr -d ' '; }
keys_ge() { [ "$(nkeys)" -ge "$1" ]; }
qempty() { [ "$(qcount)" = 0 ]; }

LP=$(free_port)
pipe_start edge env QUEUE=$q LISTEN_PORT=$LP bash scripts/examples/egress-sqs.sh edge
E=$PIPE_PID
for w in 1 2; do
	pipe_start "worker$w" env QUEUE=$q BUCKET=$B \
	    JOB_API_URL=$API JOB_API_TOKEN=jobtoken \
	    SPOOL=$TMP/spool$w VISIBILITY=30 \
	    bash scripts/examples/egress-sqs.sh worker
	eval "W$w=\$PIPE_PID"
done
ok "edge listening" wl_up "$LP"

ev() { printf '{"id":"%s","event":"%s","msg":"m"}' "$1" "$2"; }
c=""
for j in s-1 s-2 s-3 s-4 s-2; do
	c="$c $(hook "$LP" /jobs "$(ev "$j" job_complete)")"
done
c="$c $(hook "$LP" /jobs "$(ev s-5 job_failed)")"
is "webhooks answered" "$c" " 200 200 200 200 200 200"
ok "edge queued five messages" wait_for 15 has_lines "$TMP/edge.out" 5
is "sqs-send recorded the message ids" \
    "$(recs 'len(r["sqs_sent"]["message_id"])' "$TMP/edge.out" | sort -u)" 36
ok "outputs land in S3" wait_for 30 keys_ge 4
is "one object per job" "$(py tests/s3-util.py keys "$B")" \
"jobs/s-1/output
jobs/s-2/output
jobs/s-3/output
jobs/s-4/output"
is "SHA-256 of each" \
    "$(py tests/s3-util.py sha "$B" jobs/s-1/output jobs/s-2/output jobs/s-3/output jobs/s-4/output)" \
    "$(want s-1; want s-2; want s-3; want s-4)"
# needs s3-put to write each record once it is uploaded (not when the next
# line comes): then sqs-delete deletes the last message of a burst at once
ok "queue emptied while the workers run" wait_for 10 qempty
pipe_stop "$E"
is "edge stops on SIGTERM, exit 0" "$PIPE_RC" 0
pipe_stop "$W1"
is "worker 1 stops on SIGTERM, exit 0" "$PIPE_RC" 0
pipe_stop "$W2"
is "worker 2 stops on SIGTERM, exit 0" "$PIPE_RC" 0
is "queue empty after the workers stopped" "$(qcount)" 0
is "five deliveries done between the two workers" \
    "$(cat "$TMP/worker1.out" "$TMP/worker2.out" | wc -l | tr -d ' ')" 5
is "the platform asked five times, with the token" \
    "$(reqs 'r["path"] + " " + r["headers"]["authorization"]' | sort | uniq -c | sed 's/^ *//')" \
"1 /v1/jobs/s-1/output Bearer jobtoken
2 /v1/jobs/s-2/output Bearer jobtoken
1 /v1/jobs/s-3/output Bearer jobtoken
1 /v1/jobs/s-4/output Bearer jobtoken"
is "spools empty" "$(ls -A "$TMP/spool1" "$TMP/spool2" | grep -vc -e '^$' -e ':$')" 0
is "stderr empty" "$(cat "$TMP/edge.err" "$TMP/worker1.err" "$TMP/worker2.err")" ""
done_testing
