#!/bin/sh
# s3-put through a fault-injecting proxy in front of moto: failed parts
# are retried on their own; a part that keeps failing aborts the upload
. tests/lib.sh
plan 22
. tests/s3-fault-proxy.sh

moto_up
at_exit proxy_stop
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
$U mb bkt1 || fail "create bucket"
export HOOKPIPE_BACKOFF=10


head -c $((21 * 1024 * 1024)) /dev/urandom >"$TMP/f21"
h=$(sha256sum <"$TMP/f21" | cut -c1-64)

# transient: part 2 answers 500 then 503, part 3's connection is reset
# twice, part 1 is fine; one 503 on the CreateMultipartUpload
proxy 'partNumber=2&:500:1' 'partNumber=2&:503:1' 'partNumber=3&:reset:2' \
    '?uploads:503:1'
run s3-put --endpoint "$EP" -b bkt1 -k t/f21 -j 3 --part-size 5M \
    --multipart-threshold 5M "$TMP/f21"
is "transient faults: exit 0" "$RC" 0
like "transient faults: record" "$OUT" '"key":"t/f21","etag":"[0-9a-f]{32}-5","bytes":22020096'
is "transient faults: part 2 sent 3 times" \
    "$(grep -c 'PUT [^ ]*partNumber=2&' "$LOG")" 3
is "transient faults: part 3 sent 3 times" \
    "$(grep -c 'PUT [^ ]*partNumber=3&' "$LOG")" 3
is "transient faults: part 1 sent once" \
    "$(grep -c 'PUT [^ ]*partNumber=1&' "$LOG")" 1
like "transient faults: retries warned" "$ERR" \
    'warning: .*f21: 500 InternalError: injected fault on part 2 of s3://bkt1/t/f21, retry 1 of 4'

# CompleteMultipartUpload: 200 carrying an <Error> once, then fine
proxy 'POST /bkt1/t/c200?uploadId=:200error:1'
run s3-put --endpoint "$EP" -b bkt1 -k t/c200 --part-size 5M \
    --multipart-threshold 5M "$TMP/f21"
is "complete 200-with-Error, then ok: exit 0" "$RC" 0
is "complete 200-with-Error: sent twice" \
    "$(grep -c '^POST /bkt1/t/c200?uploadId=' "$LOG")" 2
like "complete 200-with-Error: warned" "$ERR" \
    '200 InternalError: We encountered an internal error.* on CompleteMultipartUpload'

# single PUT: a reset, then fine
printf 'small' >"$TMP/small"
proxy 'PUT /bkt1/t/small:reset:1'
run s3-put --endpoint "$EP" -b bkt1 -k t/small "$TMP/small"
is "single PUT after a reset: exit 0" "$RC" 0

# permanent: part 2 always 503 -> aborted, record failed, exit 6
printf '{"n":1,"fetch":{"path":"%s"}}\n{"n":2,"fetch":{"path":"%s"}}\n' \
    "$TMP/f21" "$TMP/small" >"$TMP/in"
proxy 'partNumber=2&:503:0'
run s3-put --endpoint "$EP" -b bkt1 -k 'p/{n}' --retries 2 --part-size 5M \
    --multipart-threshold 5M <"$TMP/in"
is "permanent fault: exit 6" "$RC" 6
like "permanent fault: record reported failed" "$ERR" \
    '^s3-put: stdin:1: cannot put s3://bkt1/p/1: 503 ServiceUnavailable: injected fault$'
like "permanent fault: the next record still goes" "$OUT" '^\{"n":2,.*"key":"p/2"'
is "permanent fault: failed record not written" \
    "$(printf '%s\n' "$OUT" | grep -c '"n":1')" 0
like "permanent fault: upload aborted" "$(grep '^DELETE' "$LOG")" \
    '^DELETE /bkt1/p/1\?uploadId=[^ ]* -> 204$'
is "permanent fault: part 2 tried 3 times" \
    "$(grep -c 'partNumber=2&' "$LOG")" 3
# complete fails for good (200 + <Error> every time): aborted too
proxy 'POST /bkt1/p/3?uploadId=:200error:0'
run s3-put --endpoint "$EP" -b bkt1 -k p/3 --retries 1 --part-size 5M \
    --multipart-threshold 5M "$TMP/f21"
is "complete always 200-with-Error: exit 6" "$RC" 6
like "complete always 200-with-Error: aborted" "$(grep '^DELETE' "$LOG")" \
    '^DELETE /bkt1/p/3\?uploadId=[^ ]* -> 204$'
# a 4xx on a part is not retried
proxy 'partNumber=1&:400:0'
run s3-put --endpoint "$EP" -b bkt1 -k p/4 --part-size 5M \
    --multipart-threshold 5M "$TMP/f21"
is "part 400: exit 1" "$RC" 1
is "part 400: not retried" "$(grep -c 'partNumber=1&' "$LOG")" 1
like "part 400: aborted" "$(grep '^DELETE' "$LOG")" '^DELETE /bkt1/p/4\?'

got=$($U sha bkt1 t/f21 t/c200 -- uploads bkt1 -- keys bkt1 2>&1)
is "objects right, no multipart upload left, failed keys absent" "$got" \
    "$h
$h
0
p/2
t/c200
t/f21
t/small"

done_testing
