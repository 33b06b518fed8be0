#!/bin/sh
# Pub/Sub faults through tests/s3-fault-proxy.py in front of the emulator,
# with Google's JSON error bodies: the statuses Google's client libraries
# retry are retried whatever the HTTP code (409 ABORTED), the others are
# not; a batch refused as INVALID_ARGUMENT is sent again message by
# message, and a message refused alone is a record error; a failed
# acknowledge reports every record it held; the Authorization hook
. tests/lib.sh
plan 26
. tests/s3-fault-proxy.sh

pubsub_up
PY=python3
PROXY_UPSTREAM=$PUBSUB_URL
at_exit proxy_stop
export HOOKPIPE_BACKOFF=10
P=hookpipe-test
T=projects/$P/topics/faults
S=projects/$P/subscriptions/faults-a
ps_topic $P faults
ps_sub $P faults-a faults 600
printf '%s\n' '{"i":1}' '{"i":2}' '{"i":3}' >"$TMP/in"
npub() { grep -c "^POST /v1/$T:publish -> $1" "$LOG"; }

# ---- ABORTED (409) is worth a retry ----
proxy ':publish:409=ABORTED:1'
run pubsub-publish --endpoint "$EP" --topic $T "$TMP/in"
is "409 ABORTED: exit 0, three published" "$RC:$(lines "$TMP/out")" "0:3"
like "409 ABORTED: the retry announced in Google's words" "$ERR" \
	"^pubsub-publish: warning: ABORTED: injected ABORTED, retry 1 of 3"
is "409 ABORTED: refused once, then sent" "$(npub 409):$(npub 200)" "1:1"

# ---- FAILED_PRECONDITION (400) is not ----
proxy ':publish:400=FAILED_PRECONDITION:0'
run pubsub-publish --endpoint "$EP" --topic $T --errors "$TMP/failed" \
	"$TMP/in"
is "400 FAILED_PRECONDITION: exit 5" "$RC" 5
is "400 FAILED_PRECONDITION: one request, no retry" "$(npub 400)" 1
is "400 FAILED_PRECONDITION: every record in --errors" \
	"$(lines "$TMP/failed")" 3

# ---- a batch refused as INVALID_ARGUMENT: each message alone ----
proxy ':publish:400=INVALID_ARGUMENT:1'
run pubsub-publish --endpoint "$EP" --topic $T "$TMP/in"
is "INVALID_ARGUMENT once: exit 0" "$RC:$ERR" "0:"
is "INVALID_ARGUMENT once: the three published, in order" \
	"$(jq -c .i "$TMP/out" | tr '\n' ' ')" "1 2 3 "
is "INVALID_ARGUMENT once: the batch, then one request a message" \
	"$(npub 400):$(npub 200)" "1:3"

# ---- a message refused alone is a record error; the others go ----
proxy ':publish:400=INVALID_ARGUMENT:2'
run pubsub-publish --endpoint "$EP" --topic $T --errors "$TMP/refused" \
	"$TMP/in"
is "refused alone: exit 1, the others published" \
	"$RC:$(jq -c .i "$TMP/out" | tr '\n' ' ')" "1:2 3 "
like "refused alone: reported with its line and Google's words" "$ERR" \
	"^pubsub-publish: $TMP/in:1: cannot publish: INVALID_ARGUMENT: injected INVALID_ARGUMENT\$"
is "refused alone: in --errors" "$(jq -c '[.i, .error.line]' "$TMP/refused")" \
	"[1,1]"

# ---- 401 without a token to refresh: refused ----
proxy ':publish:401=UNAUTHENTICATED:0'
run pubsub-publish --endpoint "$EP" --topic $T "$TMP/in"
is "401: exit 5" "$RC" 5
is "401: not sent again (no token to refresh)" "$(npub 401)" 1

# ---- the Authorization hook (build/unit/pubsub drives lib/pubsub with
# an auth and an invalidate callback): a 401 refreshes the token once ----
proxy ':publish:401=UNAUTHENTICATED:1'
PUBSUB_TEST_URL=$EP PUBSUB_TEST_TOPIC=$T PUBSUB_TEST_401=once \
	run "$HP_BUILD/unit/pubsub"
is "auth, 401 once: the unit test passes" "$RC:$(grep -c '^ok' "$TMP/out")" \
	"0:2"
is "auth, 401 once: refused, then sent with a fresh token" \
	"$(npub 401):$(npub 200)" "1:1"
proxy ':publish:401=UNAUTHENTICATED:0'
PUBSUB_TEST_URL=$EP PUBSUB_TEST_TOPIC=$T PUBSUB_TEST_401=always \
	run "$HP_BUILD/unit/pubsub"
is "auth, 401 always: the unit test passes" \
	"$RC:$(grep -c '^ok' "$TMP/out")" "0:3"
is "auth, 401 always: two attempts, one refresh" "$(npub 401)" 2

# ---- each message published once: 3 + 3 + 2 + the unit test's 1 ----
run pubsub-pull -s $S --once
is "published once each: six messages and the unit test's" \
	"$(jq -c 'if (.body | type) == "object" then .body.i else .body end' \
	"$TMP/out" | sort | tr '\n' ' ')" \
	'"auth" 1 1 2 2 2 3 3 3 '
cp "$TMP/out" "$TMP/pulled"

# ---- pull: 503 four times is a temporary failure ----
proxy ':pull:503=UNAVAILABLE:0'
run pubsub-pull --endpoint "$EP" -s $S --once
is "pull 503: exit 6" "$RC" 6
is "pull 503: four attempts" \
	"$(grep -c "^POST /v1/$S:pull -> 503" "$LOG")" 4

# ---- acknowledge: INTERNAL every time ----
proxy ':acknowledge:500=INTERNAL:0'
run pubsub-ack --endpoint "$EP" --errors "$TMP/ackfailed" "$TMP/pulled"
is "ack 500: exit 6" "$RC" 6
is "ack 500: nothing passed on" "$OUT" ""
like "ack 500: each record reported with its line" "$ERR" \
	"pubsub-ack: $TMP/pulled:9: cannot acknowledge its message: INTERNAL: injected INTERNAL \\(after 4 attempts\\)"
is "ack 500: every record in --errors" "$(lines "$TMP/ackfailed")" 9
is "ack 500: four attempts" \
	"$(grep -c "^POST /v1/$S:acknowledge -> 500" "$LOG")" 4
done_testing
