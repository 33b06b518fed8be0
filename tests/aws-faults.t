#!/bin/sh
# AWS faults through tests/s3-fault-proxy.py in front of moto, for s3-put,
# sqs-send, sns-publish and sqs-delete: a server clock an hour ahead is
# corrected from its Date and the request signed again; throttling with a
# 4xx status is retried and ends in exit 6, not 5; a batch whose request
# keeps failing reports every record it held (stderr and --errors)
. tests/lib.sh
plan 36
. tests/s3-fault-proxy.sh

moto_up
at_exit proxy_stop
PY=$PEERS_PYTHON
H() { "$PY" tests/sqs-helper.py "$@"; }
export HOOKPIPE_BACKOFF=10
"$PY" tests/s3-util.py mb skb || fail "create bucket"


# ---- 12.9 clock skew: the server's clock is an hour ahead ----
printf 'skewed' >"$TMP/small"
head -c $((11 * 1024 * 1024)) /dev/urandom >"$TMP/f11"
proxy ':skew:0'
run s3-put --endpoint "$EP" -b skb -k t/small "$TMP/small"
is "skew: s3-put exit 0" "$RC" 0
is "skew: first PUT refused as RequestTimeTooSkewed" \
    "$(grep -c '^PUT /skb/t/small -> 403 RequestTimeTooSkewed' "$LOG")" 1
is "skew: then signed at the server's time and stored" \
    "$(grep -c '^PUT /skb/t/small -> 200' "$LOG")" 1
run s3-put --endpoint "$EP" -b skb -k t/f11 --part-size 5M \
    --multipart-threshold 5M "$TMP/f11"
is "skew: multipart in a new process: exit 0" "$RC" 0
is "skew: multipart: one refusal, every later request signed right" \
    "$(grep -c 'RequestTimeTooSkewed' "$LOG")" 2
q=$(H queue skq)
printf '{"i":1}\n{"i":2}\n' >"$TMP/two"
run sqs-send --endpoint "$EP" -q "$q" "$TMP/two"
is "skew: sqs-send exit 0" "$RC" 0
is "skew: SQS said InvalidSignatureException once" \
    "$(grep -c '400 InvalidSignatureException' "$LOG")" 1
is "skew: both messages in the queue" "$(H count "$q")" 2
t=$(H topic skt "$q")
run sns-publish --endpoint "$EP" --topic "$t" "$TMP/two"
is "skew: sns-publish exit 0" "$RC" 0
is "skew: SNS said SignatureDoesNotMatch (expired) once" \
    "$(grep -c '403 SignatureDoesNotMatch' "$LOG")" 1
H purge "$q" >/dev/null
# a wrong secret is not a skew: the server's Date agrees with ours
proxy
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run s3-put \
    --endpoint "$EP" -b skb -k t/bad "$TMP/small"
is "wrong secret: s3-put still exit 5" "$RC" 5
is "wrong secret: one request, no retry" "$(lines "$LOG")" 1

# ---- 13.10 throttling with a 4xx status: retried, then exit 6 ----
proxy 'PUT /skb/t/thr:400=ThrottlingException:1'
run s3-put --endpoint "$EP" -b skb -k t/thr "$TMP/small"
is "s3-put: 400 ThrottlingException retried: exit 0" "$RC" 0
proxy 'PUT /skb/t/slow:503=SlowDown:0'
run s3-put --endpoint "$EP" -b skb -k t/slow --retries 1 "$TMP/small"
is "s3-put: SlowDown every time: exit 6" "$RC" 6
proxy 'POST /:400=ThrottlingException:0'
run sqs-send --endpoint "$EP" -q "$q" --errors "$TMP/send.err" "$TMP/two"
is "sqs-send: ThrottlingException every time: exit 6" "$RC" 6
like "sqs-send: retried" "$ERR" 'ThrottlingException.*retry 3 of 3'
is "sqs-send --errors: both records" "$(lines "$TMP/send.err")" 2
like "sqs-send --errors: with the error" "$(head -n 1 "$TMP/send.err")" \
    '^\{"i":1,"error":\{"tool":"sqs-send","message":"cannot send: ThrottlingException'
run sqs-send -q "$q" "$TMP/send.err"
is "sqs-send: the --errors file replayed: exit 0" "$RC" 0
is "sqs-send: replayed, both in the queue" "$(H count "$q")" 2
H purge "$q" >/dev/null
proxy 'POST /:400=Throttling:0'
run sns-publish --endpoint "$EP" --topic "$t" --errors "$TMP/pub.err" \
    "$TMP/two"
is "sns-publish: Throttling every time: exit 6" "$RC" 6
is "sns-publish --errors: both records" "$(lines "$TMP/pub.err")" 2
run sns-publish --topic "$t" "$TMP/pub.err"
is "sns-publish: the --errors file replayed: exit 0" "$RC" 0
H purge "$q" >/dev/null

# ---- 12.10 sqs-delete: every request reset: every record reported ----
q=$(H queue dq 30)
H send "$q" 20
sqs-poll -q dq --once -n 20 >"$TMP/twenty" 2>/dev/null
is "delete: 20 received" "$(lines "$TMP/twenty")" 20
proxy 'POST /:reset:0'
run sqs-delete --endpoint "$EP" --errors "$TMP/del.err" "$TMP/twenty"
is "delete, all reset: exit 6" "$RC" 6
is "delete, all reset: nothing passed on" "$OUT" ""
is "delete, all reset: every record in --errors" "$(lines "$TMP/del.err")" 20
is "delete, all reset: every line number on stderr" \
    "$(printf '%s\n' "$ERR" | sed -n 's/.*twenty:\([0-9]*\): cannot delete its message.*/\1/p' | sort -n | tr '\n' ' ')" \
    "$(seq 1 20 | tr '\n' ' ')"
run sqs-delete "$TMP/del.err"
is "delete: the --errors file replayed: exit 0" "$RC" 0
is "delete: replayed: queue empty" "$(H count "$q")" 0

# ---- 13.10: SIGTERM with a batch pending: sqs-delete finishes it ----
H send "$q" 3 100
sqs-poll -q dq --once -n 3 >"$TMP/three" 2>/dev/null
proxy 'AmazonSQS.DeleteMessageBatch:hold=3:1'
{ cat "$TMP/three"; sleep 30; } |
    sqs-delete --endpoint "$EP" >"$TMP/td.out" 2>"$TMP/td.err" &
pid=$!	# a pipeline's $!: its last process, sqs-delete
proxy_wait '-> held'
kill -TERM $pid
wait $pid
is "TERM with a batch pending: exit 0" "$?" 0
is "TERM with a batch pending: its 3 records written" \
    "$(lines "$TMP/td.out")" 3
is "TERM with a batch pending: nothing on stderr" "$(cat "$TMP/td.err")" ""
is "TERM with a batch pending: the messages deleted" "$(H count "$q")" 0

# ---- 12/13.11: a TERM while GetQueueUrl is pending: exit 0 ----
proxy 'GetQueueUrl:hold=30:1'
sqs-poll --endpoint "$EP" -q dq --wait 1 >"$TMP/gq.out" 2>"$TMP/gq.err" &
pid=$!
proxy_wait '-> held'
kill -TERM $pid
wait $pid
is "TERM during GetQueueUrl: exit 0, as sqs-poll(1) says" "$?" 0
is "TERM during GetQueueUrl: nothing on stderr" "$(cat "$TMP/gq.err")" ""
done_testing
