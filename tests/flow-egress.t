#!/bin/sh
# flow: egress, live: webhooks -> wh-listen | wh-route | job-fetch | s3-put
# (scripts/examples/egress.sh) against the fake job platform and moto
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

plan 21
moto_up
start_fake
# the complete jobs the platform knows ("expired" is not one of them)
seed_jobs j-1 j-2 redir
B=egress-out
py tests/s3-util.py mb "$B"
want() { printf 'output of job %s\n' "$1" | sha256sum | cut -c1-64; }
LP=$(free_port)
pipe_start egress env BUCKET=$B JOB_API_URL=$API \
    JOB_API_TOKEN=jobtoken LISTEN_PORT=$LP SPOOL=$TMP/spool \
    bash scripts/examples/egress.sh
P=$PIPE_PID
ok "pipeline listening" wl_up "$LP"

ev() { printf '{"id":"%s","event":"%s","msg":"%s"}' "$1" "$2" "${3:-done}"; }
codes=""
for j in j-1 j-2 redir; do
	codes="$codes $(hook "$LP" /jobs "$(ev "$j" job_complete)")"
done
# a duplicate delivery, an event of another kind, an expired job
codes="$codes $(hook "$LP" /jobs "$(ev j-1 job_complete 'again')")"
codes="$codes $(hook "$LP" /jobs "$(ev j-3 job_failed)")"
codes="$codes $(hook "$LP" /jobs "$(ev expired job_complete)")"
codes="$codes $(hook "$LP" /elsewhere "$(ev j-4 job_complete)")"
is "webhooks answered" "$codes" " 200 200 200 200 200 200 404"

nkeys() { py tests/s3-util.py keys "$B" | wc -l | tr -d ' '; }
three() { [ "$(nkeys)" -ge 3 ]; }
ok "outputs land in S3" wait_for 30 three
ok "the expired job in fetch-failed.ndjson" \
    wait_for 10 has_lines "$TMP/spool/fetch-failed.ndjson" 1
# s3-put must write each record once its upload is done, not when the
# next line comes (live pipeline)
ok "every upload reported while the pipeline runs" \
    wait_for 10 has_lines "$TMP/egress.out" 4

is "objects in S3, one per job" "$(py tests/s3-util.py keys "$B")" \
"jobs/j-1/output
jobs/j-2/output
jobs/redir/output"
is "their SHA-256 is the platform's output" \
    "$(py tests/s3-util.py sha "$B" jobs/j-1/output jobs/j-2/output \
    jobs/redir/output)" "$(want j-1; want j-2; want redir)"
is "platform asked with the Bearer token; job_failed and /elsewhere ignored" \
    "$(reqs 'r["method"] + " " + r["path"].split("?")[0] + " " + r["headers"].get("authorization", "-")' | sort)" \
"GET /signed/redir -
GET /v1/jobs/expired/output Bearer jobtoken
GET /v1/jobs/j-1/output Bearer jobtoken
GET /v1/jobs/j-1/output Bearer jobtoken
GET /v1/jobs/j-2/output Bearer jobtoken
GET /v1/jobs/redir/output Bearer jobtoken"
like "expired job: reason kept for replay" \
    "$(recs 'r["body"]["id"] + " " + r["error"]["tool"] + " " + r["error"]["message"]' "$TMP/spool/fetch-failed.ndjson")" \
    '^expired job-fetch .*expired or missing'
like "expired job: said on stderr" "$(cat "$TMP/egress.err")" \
    'job-fetch: .*job expired is expired or missing'
# a second pipeline on the same port: wh-listen cannot listen (7), the
# other stages end at once with 0, and the script says 7 (pipefail: with
# POSIX sh it was 0, and systemd would not have restarted the service)
run env BUCKET=$B JOB_API_URL=$API JOB_API_TOKEN=jobtoken \
    LISTEN_PORT=$LP SPOOL=$TMP/spool2 timeout 20 bash scripts/examples/egress.sh
is "port taken: the script exits with wh-listen's 7" "$RC" 7
like "port taken: says why" "$ERR" "wh-listen: cannot listen on 127.0.0.1 port $LP"
# a duplicate after the first copy is stored, then the operator stops the
# service: what was received is still fetched and uploaded
is "late duplicate accepted" "$(hook "$LP" /jobs "$(ev j-2 job_complete)")" 200
pipe_stop "$P"
# the expired job failed during the run: job-fetch ends with 1, and so
# does the script (it is in fetch-failed.ndjson for a replay)
is "SIGTERM to wh-listen ends the whole pipeline, exit 1 for the failed job" "$PIPE_RC" 1
is "no process of the pipeline left" \
    "$(ps -o pid= -g "$P" 2>/dev/null | wc -l | tr -d ' ')" 0
is "late duplicate uploaded before the end" \
    "$(recs 'r["body"]["id"]' "$TMP/egress.out" | sort | tr '\n' ' ')" \
    "j-1 j-1 j-2 j-2 redir "
is "upload records carry key and SHA-256" \
    "$(recs 'r["s3"]["key"], r["fetch"]["sha256"] == __import__("hashlib").sha256(("output of job %s\n" % r["body"]["id"]).encode()).hexdigest()' "$TMP/egress.out" | sort -u)" \
"('jobs/j-1/output', True)
('jobs/j-2/output', True)
('jobs/redir/output', True)"
is "still one object per job" "$(nkeys)" 3
is "j-2 unchanged" "$(py tests/s3-util.py sha "$B" jobs/j-2/output)" "$(want j-2)"
is "spool emptied by --delete-source" \
    "$(ls "$TMP/spool" | grep -v 'failed.ndjson$' | wc -l | tr -d ' ')" 0
is "nothing unexpected on stderr" \
    "$(grep -v 'job expired is expired or missing' "$TMP/egress.err")" ""
done_testing
