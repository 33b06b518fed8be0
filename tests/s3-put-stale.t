#!/bin/sh
# s3-put killed with kill -9 mid-multipart leaves an incomplete upload
# (nothing can abort it); --list-uploads shows it, --abort-stale removes
# it.  moto reports every upload's Initiated as 2010-11-10T20:48:33.000Z
# (the S3 API reference's example), so against moto every upload is old:
# the "a young upload is kept" side is checked in build/unit/s3mpu.
# The prefixes have no "/": moto 5.2 refuses the signature of a
# ListMultipartUploads whose prefix has one, boto3's own included.
. tests/lib.sh
plan 32
. tests/s3-fault-proxy.sh

moto_up
stop_all() {
	proxy_stop
	[ -n "${PUT_PID:-}" ] && kill -9 "$PUT_PID" 2>/dev/null
}
at_exit stop_all
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
$U mb stale || fail "create bucket"
export HOOKPIPE_BACKOFF=10

head -c $((16 * 1024 * 1024)) /dev/urandom >"$TMP/f16"
# part 2 is held by the proxy: the upload is surely under way when killed
proxy 'partNumber=2&:hold=60:1'
s3-put --endpoint "$EP" -b stale -k in/f16 -j 2 --part-size 5M \
    --multipart-threshold 5M "$TMP/f16" >"$TMP/put.out" 2>"$TMP/put.err" &
PUT_PID=$!
proxy_wait 'partNumber=2&.* -> held'
kill -9 $PUT_PID
wait $PUT_PID 2>/dev/null
is "kill -9 mid-multipart: killed" "$?" 137
PUT_PID=
is "kill -9: the upload is left behind (S3 bills its parts)" \
    "$($U uploads stale)" 1
is "kill -9: no object" "$($U keys stale)" ""
printf 'x' >"$TMP/one"
s3-put -b stale -k other/one --part-size 5M --multipart-threshold 0 \
    "$TMP/one" >/dev/null 2>&1
# SIGTERM mid-multipart (13.10): the upload under way is finished, the
# record written; nothing is left behind
head -c $((11 * 1024 * 1024)) /dev/urandom >"$TMP/f11"
printf '{"n":1,"fetch":{"path":"%s"}}\n{"n":2,"fetch":{"path":"%s"}}\n' \
    "$TMP/f11" "$TMP/one" >"$TMP/recs"
proxy 'PUT /stale/term/1?partNumber=2&:hold=5:1'
{ cat "$TMP/recs"; sleep 30; } | s3-put --endpoint "$EP" -b stale \
    -k 'term/{n}' -j 1 --part-size 5M --multipart-threshold 5M \
    --errors "$TMP/term.err" >"$TMP/term.out" 2>"$TMP/term.stderr" &
PUT_PID=$!
proxy_wait 'partNumber=2&.* -> held'
kill -TERM $PUT_PID	# $! of a pipeline: its last process, s3-put
wait $PUT_PID
PUT_PID=
like "TERM mid-multipart: the upload finished, its record written" \
    "$(head -n 1 "$TMP/term.out")" \
    '^\{"n":1,.*"s3":\{"bucket":"stale","key":"term/1","etag":"[0-9a-f]{32}-3","bytes":11534336'
is "TERM mid-multipart: the object is there" \
    "$($U keys stale | grep -c '^term/1$')" 1
is "TERM: every record written or in --errors" \
    "$(($(wc -l <"$TMP/term.out") + $(cat "$TMP/term.err" 2>/dev/null | wc -l)))" 2
is "TERM: no incomplete upload left (only the kill -9 one)" \
    "$($U uploads stale)" 1

# SIGTERM while a part waits for its retry (backoff 60 s): no retry is
# sent; the upload fails (exit 6) and is aborted, nothing left behind
proxy 'PUT /stale/wait/f11?partNumber=2&:503:0'
HOOKPIPE_BACKOFF=60000 s3-put --endpoint "$EP" -b stale -k wait/ -j 1 \
    --part-size 5M --multipart-threshold 5M "$TMP/f11" \
    >"$TMP/wait.out" 2>"$TMP/wait.err" &
PUT_PID=$!
eventually 60 grep -q 'on part 2 of .*, retry 1 of 4' "$TMP/wait.err"
kill -TERM $PUT_PID
wait $PUT_PID
is "TERM while a retry waits: exit 6" "$?" 6
PUT_PID=
like "TERM while a retry waits: the retry is not sent" \
    "$(cat "$TMP/wait.err")" \
    'cannot put s3://stale/wait/f11: not sent: the run was stopped before a retry'
is "TERM while a retry waits: part 2 asked for once" \
    "$(grep -c 'partNumber=2&' "$LOG")" 1
like "TERM while a retry waits: the upload aborted" "$(cat "$LOG")" \
    'DELETE /stale/wait/f11\?uploadId=[^ ]* -> 204'
is "TERM while a retry waits: no upload left (only the kill -9 one)" \
    "$($U uploads stale)" 1

run s3-put -b stale -k in --list-uploads
is "--list-uploads: exit 0" "$RC" 0
like "--list-uploads: the upload, under the prefix only" "$OUT" \
    '^\{"s3_upload":\{"bucket":"stale","key":"in/f16","upload_id":"[^"]+","initiated":"2010-11-10T20:48:33.000Z","aborted":false\}\}$'
run s3-put -b stale -k in --abort-stale 1d -n
is "--abort-stale -n: exit 0" "$RC" 0
like "--abort-stale -n: says what would go, aborts nothing" "$OUT" \
    '"key":"in/f16".*"aborted":false'
is "--abort-stale -n: still there" "$($U uploads stale)" 1
# the listing behind a server clock an hour ahead: refused once, signed
# again at the server's time; a SlowDown retried
proxy ':skew:0'
run s3-put --endpoint "$EP" -b stale -k in --list-uploads
is "--list-uploads, skewed clock: exit 0" "$RC" 0
like "--list-uploads, skewed clock: the upload" "$OUT" '"key":"in/f16"'
is "--list-uploads, skewed clock: one refusal, then listed" \
    "$(grep -c 'RequestTimeTooSkewed' "$LOG"):$(grep -c '^GET .* -> 200' "$LOG")" \
    "1:1"
proxy 'GET /stale?:503=SlowDown:1'
run s3-put --endpoint "$EP" -b stale -k in --list-uploads
is "--list-uploads, one SlowDown: retried, exit 0" \
    "$RC:$(grep -c '^GET .* -> 503 SlowDown' "$LOG")" "0:1"
proxy 'GET /stale?:503=SlowDown:0'
run s3-put --endpoint "$EP" -b stale -k in --retries 1 --list-uploads
is "--list-uploads, SlowDown every time: exit 6" "$RC" 6
like "--list-uploads, SlowDown every time: S3's words" "$ERR" \
    'cannot list the multipart uploads of s3://stale/in: 503 SlowDown: injected SlowDown'
run s3-put -b stale -k in --abort-stale 1d
is "--abort-stale: exit 0" "$RC" 0
like "--abort-stale: the record says aborted" "$OUT" \
    '^\{"s3_upload":\{"bucket":"stale","key":"in/f16",.*"aborted":true\}\}$'
is "--abort-stale: no upload left" "$($U uploads stale)" 0
run s3-put -b stale --list-uploads
is "--list-uploads on an empty bucket: nothing" "$RC:$OUT" "0:"
run s3-put -b stale --abort-stale 1x
is "--abort-stale 1x: exit 2" "$RC" 2
like "--abort-stale 1x: the duration wording" "$ERR" \
    "^s3-put: bad --abort-stale '1x': a duration from 0 to 36500d"
run s3-put -b stale --list-uploads "$TMP/one"
is "--list-uploads with a file: exit 2" "$RC" 2
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run s3-put -b stale \
    --list-uploads
is "--list-uploads, wrong secret: exit 5" "$RC" 5
port=$(free_port)
run s3-put --endpoint "http://127.0.0.1:$port" -b stale --retries 1 \
    --list-uploads
is "--list-uploads, network down: exit 6" "$RC" 6
done_testing
