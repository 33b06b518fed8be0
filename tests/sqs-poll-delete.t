#!/bin/sh
# sqs-poll | sqs-delete against moto (SigV4 checked): every message once,
# dropped records come back, --once, -n, --delete, --lock, SIGTERM, exits
. tests/lib.sh
plan 41

moto_up
H() { "$PEERS_PYTHON" tests/sqs-helper.py "$@"; }
ids() { sed -n 's/.*"body":{"i":\([0-9]*\)}.*/\1/p' "$1" | sort -n; }

# ---- 1,000 messages, each emitted exactly once, queue empty after ----
# moto spends O(queue length) per message sent or deleted, so 1,000 sent
# first would take minutes: the consumer runs while boto3 sends them
q=$(H queue core)
{ sqs-poll -q core --wait 1 --idle-exit 5 2>"$TMP/e1"; echo $? >"$TMP/rc1"; } |
	{ sqs-delete >"$TMP/out" 2>"$TMP/e2"; echo $? >"$TMP/rc2"; } &
pipe=$!
H send "$q" 1000
wait $pipe
is "1000: sqs-poll exit" "$(cat "$TMP/rc1")" 0
is "1000: sqs-delete exit" "$(cat "$TMP/rc2")" 0
is "1000: no messages on stderr" "$(cat "$TMP/e1" "$TMP/e2")" ""
is "1000: records out" "$(wc -l <"$TMP/out" | tr -d ' ')" 1000
seq 0 999 >"$TMP/want"
ids "$TMP/out" >"$TMP/got"
same_file "1000: each message exactly once" "$TMP/got" "$TMP/want"
is "1000: queue empty" "$(H count "$q")" 0

# ---- --once drains what is there and exits ----
H send "$q" 200 1000
{ sqs-poll -q core --once 2>"$TMP/e1"; echo $? >"$TMP/rc1"; } |
	{ sqs-delete >"$TMP/out" 2>"$TMP/e2"; echo $? >"$TMP/rc2"; }
is "--once: exits" "$(cat "$TMP/rc1") $(cat "$TMP/rc2")" "0 0"
seq 1000 1199 >"$TMP/want"
ids "$TMP/out" >"$TMP/got"
same_file "--once: each message exactly once" "$TMP/got" "$TMP/want"
is "--once: queue empty" "$(H count "$q")" 0
line=$(head -n 1 "$TMP/out")
like "record: sqs fields" "$line" \
	"^\\{\"sqs\":\\{\"queue_url\":\"${q}\",\"message_id\":\"[0-9a-f-]{36}\",\"receipt_handle\":\"[^\"]+\",\"receive_count\":1,\"sent_at\":\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{3}Z\",\"attributes\":\\{\\}\\},\"body\":\\{\"i\":[0-9]+\\}\\}\$"

# ---- records dropped mid-pipeline come back after the visibility ----
q=$(H queue drop 2)
H send "$q" 20
sqs-poll -q drop --once | wh-route -w 'body.i<10' | sqs-delete >"$TMP/out"
ids "$TMP/out" >"$TMP/got"
seq 0 9 >"$TMP/want"
same_file "drop: only the routed records deleted" "$TMP/got" "$TMP/want"
sleep 3
sqs-poll -q drop --once >"$TMP/back"
ids "$TMP/back" >"$TMP/got"
seq 10 19 >"$TMP/want"
same_file "drop: the dropped ones come back" "$TMP/got" "$TMP/want"
is "drop: with receive_count 2" \
	"$(grep -c '"receive_count":2,' "$TMP/back")" 10
sqs-delete <"$TMP/back" >/dev/null
is "drop: queue empty after deleting them" "$(H count "$q")" 0

# ---- --once on an empty queue, --idle-exit ----
H queue empty >/dev/null
run timeout 30 sqs-poll -q empty --once
is "--once: empty queue: exit 0" "$RC" 0
is "--once: nothing written" "$OUT" ""
run timeout 30 sqs-poll -q empty --wait 1 --idle-exit 2
is "--idle-exit: exit 0" "$RC" 0

# ---- -n and --delete ----
q=$(H queue nq)
H send "$q" 25
run sqs-poll -q nq -n 5 --delete
is "-n 5: exit" "$RC" 0
is "-n 5: five records" "$(wc -l <"$TMP/out" | tr -d ' ')" 5
is "--delete: deleted at once" "$(H count "$q")" 20
run sqs-poll -q "$q" -n 12 --visibility 1
is "-n 12 by URL: twelve records" "$(wc -l <"$TMP/out" | tr -d ' ')" 12
sleep 2
run sqs-poll -q nq --once --visibility 60
is "--visibility 1: they came back" "$(wc -l <"$TMP/out" | tr -d ' ')" 20

# ---- output comes before the next long poll ----
q=$(H queue live)
H send "$q" 3
sqs-poll -q live --wait 20 >"$TMP/live" 2>"$TMP/live.err" &
pid=$!
# the event: the three records are out (the bound is only a safety net;
# a TERM before them must give 0 too, see aws-faults.t)
i=0
while [ $i -lt 1200 ] && [ "$(lines "$TMP/live")" -lt 3 ]; do
	sleep 0.05
	i=$((i + 1))
done
is "records written while the next long poll waits" \
	"$(lines "$TMP/live")" 3
# ---- SIGTERM: stop receiving, exit 0 ----
kill -TERM $pid
wait $pid
is "SIGTERM during a long poll: exit 0" "$?" 0
is "SIGTERM: nothing on stderr" "$(cat "$TMP/live.err")" ""

# ---- --lock: a second run exits 0 at once ----
sqs-poll -q empty --wait 3 --idle-exit 3 --lock "$TMP/lock" \
	>"$TMP/first" 2>&1 &
pid=$!
# the event: the first run holds the lock (its flock in /proc/locks;
# trying the lock ourselves could make the first run find it taken)
locked() {
	[ -e "$1" ] && grep -q ":$(stat -c %i "$1") " /proc/locks
}
i=0
while [ $i -lt 1200 ] && ! locked "$TMP/lock"; do
	sleep 0.05
	i=$((i + 1))
done
run timeout 10 sqs-poll -q empty --wait 3 --lock "$TMP/lock"
is "--lock: second run exit 0" "$RC" 0
like "--lock: says why" "$ERR" "^sqs-poll: .*/lock is locked"
is "--lock: second run writes nothing" "$OUT" ""
wait $pid
is "--lock: first run ends normally" "$?" 0
run timeout 10 sqs-poll -q empty --wait 1 --once --lock "$TMP/lock"
is "--lock: free again once the first ended" "$RC:$ERR" "0:"
run sqs-poll -q empty --once --lock "$TMP/no/such/dir/lock"
is "--lock in a missing directory: exit 7" "$RC" 7

# ---- exit codes ----
run sqs-poll -q empty --wait 21
is "--wait 21: exit 2" "$RC" 2
run sqs-poll --once
is "no -q: exit 2" "$RC" 2
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
	sqs-poll -q empty --once
is "no credentials: exit 3" "$RC" 3
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run sqs-poll -q "$q" --once
is "wrong secret: exit 5" "$RC" 5
like "wrong secret: AWS code and message" "$ERR" \
	"^sqs-poll: cannot receive from .*: SignatureDoesNotMatch: The request signature"
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run sqs-poll -q empty --once
is "wrong secret, queue by name: exit 5" "$RC" 5
run sqs-poll -q no-such-queue --once
is "unknown queue: exit 5" "$RC" 5
like "unknown queue: says so" "$ERR" "cannot find queue no-such-queue: .*QueueDoesNotExist"
port=$(free_port)
HOOKPIPE_BACKOFF=10 run sqs-poll --endpoint "http://127.0.0.1:$port" \
	-q empty --once
is "network down: exit 6" "$RC" 6
like "network down: retries announced" "$ERR" "warning: .*retry 3 of 3"
done_testing
