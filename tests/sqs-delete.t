#!/bin/sh
# sqs-delete: batches flushed when input pauses, Failed[] per record, exit
# codes; kill -9 of the consumer pipeline loses nothing
. tests/lib.sh
plan 23

moto_up
H() { "$PEERS_PYTHON" tests/sqs-helper.py "$@"; }
ids() { sed -n 's/.*"body":{"i":\([0-9]*\)}.*/\1/p' "$1" | sort -n; }

# ---- kill -9 mid-stream: after the timeout the unacknowledged return ----
q=$(H queue kq 3)
H send "$q" 120
mkfifo "$TMP/f1" "$TMP/f2"
sqs-poll -q kq --wait 1 >"$TMP/f1" 2>/dev/null &
p1=$!
# a stage that handles 25 records and then hangs, like a stuck consumer
{ head -n 25; sleep 60; } <"$TMP/f1" >"$TMP/f2" &
p2=$!
sqs-delete <"$TMP/f2" >"$TMP/acked" 2>"$TMP/acked.err" &
p3=$!
i=0
while [ $i -lt 100 ] && [ "$(lines "$TMP/acked")" -lt 25 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "kill -9: 25 records acknowledged before" "$(lines "$TMP/acked")" 25
kill -9 $p1 $p2 $p3 2>/dev/null
pkill -9 -P $p2 2>/dev/null
wait $p1 $p2 $p3 2>/dev/null
is "kill -9: no error before the kill" "$(cat "$TMP/acked.err")" ""
sleep 4
sqs-poll -q kq --once | sqs-delete >"$TMP/again"
ids "$TMP/acked" >"$TMP/a"
ids "$TMP/again" >"$TMP/b"
sort -n "$TMP/a" "$TMP/b" >"$TMP/got"
seq 0 119 >"$TMP/want"
same_file "kill -9: every message once, acknowledged or received again" \
	"$TMP/got" "$TMP/want"
# the stuck stage read records it never passed on: they are back
ok "kill -9: records read but not acknowledged come with receive_count 2" \
	grep -q '"receive_count":2,' "$TMP/again"
is "kill -9: queue empty at the end" "$(H count "$q")" 0

# ---- records leave as soon as input pauses ----
q=$(H queue pq)
H send "$q" 3
sqs-poll -q pq --once --visibility 30 >"$TMP/three"
{ head -n 1 "$TMP/three"; sleep 10; tail -n 2 "$TMP/three"; } |
	sqs-delete >"$TMP/out" &
pid=$!
i=0
while [ $i -lt 90 ] && [ "$(lines "$TMP/out")" -lt 1 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "pause: the first record is out while input idles" "$(lines "$TMP/out")" 1
wait $pid
is "pause: then the other two" "$(lines "$TMP/out")" 3
is "pause: all deleted" "$(H count "$q")" 0

# ---- Failed entries, bad records, -e, -q ----
q=$(H queue fq)
H send "$q" 2
sqs-poll -q fq --once >"$TMP/two"
{
	head -n 1 "$TMP/two"
	printf '{"sqs":{"queue_url":"%s","receipt_handle":"bogus"},"n":1}\n' "$q"
	printf '{"no":"sqs"}\n'
	printf 'not json\n'
	tail -n 1 "$TMP/two" | sed 's/"queue_url":"[^"]*",//'
} >"$TMP/mixed"
run sqs-delete -q fq --errors "$TMP/errs" "$TMP/mixed"
is "Failed entries and bad records: exit 1" "$RC" 1
is "the good ones pass (one by -q)" "$(ids "$TMP/out" | tr '\n' ' ')" "0 1 "
like "Failed[] reported per record" "$ERR" \
	"sqs-delete: .*mixed:2: cannot delete its message: ReceiptHandleIsInvalid"
like "no receipt handle reported" "$ERR" "mixed:3: no sqs.receipt_handle"
like "bad JSON reported" "$ERR" "mixed:4: invalid JSON"
is "--errors: the three failed records" "$(lines "$TMP/errs")" 3
is "queue empty" "$(H count "$q")" 0
run sqs-delete -e "$TMP/mixed"
is "-e: exit 4 at the bad record" "$RC" 4
run sqs-delete --bogus
is "bad option: exit 2" "$RC" 2
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
	sqs-delete "$TMP/two"
is "no credentials: exit 3" "$RC" 3
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run sqs-delete "$TMP/two"
is "wrong secret: exit 5" "$RC" 5
like "wrong secret: AWS error" "$ERR" \
	"cannot delete messages from .*: SignatureDoesNotMatch: "
is "wrong secret: nothing passed on" "$OUT" ""
port=$(free_port)
HOOKPIPE_BACKOFF=10 run sqs-delete --endpoint "http://127.0.0.1:$port" \
	"$TMP/two"
is "network down: exit 6" "$RC" 6
is "network down: nothing passed on" "$OUT" ""
done_testing
