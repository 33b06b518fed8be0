#!/bin/sh
# wh-listen with what real senders send, signed by their own libraries
# (tests/oracle): Svix's header names, Stripe's pretty-printed events kept
# for verifying again, GitHub's form deliveries, ids from Stripe's and
# Slack's bodies with their retries written once, replays inside the
# window (also across a restart), and a 413 that names its option
. tests/lib.sh
. tests/data/wh-listen/common.sh

echo "1..37"
ORACLE=$HP_TOP/tests/oracle/sign.mjs
W=$DATA/wh-listen
send() {	# send PATH HEADERFILE BODYFILE [CONTENT-TYPE]: the status
	curl -s -o "$TMP/resp" -w '%{http_code}' --max-time 20 \
	    -H "Content-Type: ${4:-application/json}" -H @"$2" \
	    --data-binary @"$3" "$URL$1"
}
sign() {	# sign SCHEME SECRETFILE BODYFILE ID TS > headers
	node "$ORACLE" sign "$@"
}
# until the wall clock reads at least $1 (seconds, fractions allowed)
clock_at() {
	$PY -c 'import sys, time
t = float(sys.argv[1])
while time.time() < t:
    time.sleep(0.02)' "$1"
}

# --- Svix: Webhook.sign() of the svix library, svix-* headers (11.3)
node "$ORACLE" gen svix "$TMP/sv" 0
sign svix "$TMP/sv/secret" "$W/stripe-event.json" msg_svix1 "$(date +%s)" \
    > "$TMP/sv.h"
listen --verify standard --secret-file "$TMP/sv/secret"
is "svix-signed delivery accepted by --verify standard" \
    "$(send /sv "$TMP/sv.h" "$W/stripe-event.json")" 200
is "svix headers, other body: 401" \
    "$(send /sv "$TMP/sv.h" "$W/slack-event.json")" 401
grep -v '^svix-timestamp' "$TMP/sv.h" > "$TMP/sv2.h"
is "svix-id without svix-timestamp: 401" \
    "$(send /sv "$TMP/sv2.h" "$W/stripe-event.json")" 401
stop
is "svix: one record" "$(lines)" 1
is "svix: the id is svix-id" "$(jq -r .id "$TMP/rec")" msg_svix1
like "svix: missing timestamp logged" "$(cat "$TMP/log")" \
    '401 no svix-timestamp header'

# --- Stripe: its pretty-printed event (11.4), the id (13.10)
node "$ORACLE" gen stripe "$TMP/st" 0
now=$(date +%s)
sign stripe "$TMP/st/secret" "$W/stripe-event.json" x "$now" > "$TMP/st.h"
# Stripe's retry: the same event, signed again at a later time
sign stripe "$TMP/st/secret" "$W/stripe-event.json" x $((now + 1)) \
    > "$TMP/st2.h"
listen --verify stripe --secret-file "$TMP/st/secret" --raw-body
is "stripe event accepted" "$(send /st "$TMP/st.h" "$W/stripe-event.json")" 200
is "stripe retry answered 200" \
    "$(send /st "$TMP/st2.h" "$W/stripe-event.json")" 200
stop
is "stripe retry written once" "$(lines)" 1
is "stripe: the id is the event's id" "$(jq -r .id "$TMP/rec")" \
    evt_1NG8Du2eZvKYlo2CUI79vXWy
jq -j .raw_body "$TMP/rec" > "$TMP/st.raw"
ok "--raw-body: the bytes sent" cmp "$TMP/st.raw" "$W/stripe-event.json"
run node "$ORACLE" stripe-construct "$TMP/st/secret" "$TMP/st.raw" "$TMP/st.h"
is "stripe.webhooks.constructEvent verifies the recorded raw_body" \
    "$RC:$OUT" "0:evt_1NG8Du2eZvKYlo2CUI79vXWy"
# the default body: the text sent, blanks around it dropped, CR/LF spaces
ok "body text: as sent, line breaks as spaces" $PY -c '
import sys
line = open(sys.argv[1], "rb").read()
want = open(sys.argv[2], "rb").read().strip(b" \t\r\n")
want = want.replace(b"\r", b" ").replace(b"\n", b" ")
sys.exit(0 if line.endswith(b",\"body\":" + want + b"}\n") else 1)' \
    "$TMP/rec" "$W/stripe-event.json"
listen --verify stripe --secret-file "$TMP/st/secret"
send /st "$TMP/st.h" "$W/stripe-event.json" > /dev/null
stop
is "without --raw-body: no raw_body" "$(jq -c 'has("raw_body")' "$TMP/rec")" \
    false

# --- Slack: an event_callback, its retry with X-Slack-Retry-Num (13.10)
node "$ORACLE" gen slack "$TMP/sl" 0
now=$(date +%s)
sign slack "$TMP/sl/secret" "$W/slack-event.json" x "$now" > "$TMP/sl.h"
{ sign slack "$TMP/sl/secret" "$W/slack-event.json" x $((now + 1))
  echo 'X-Slack-Retry-Num: 1'
  echo 'X-Slack-Retry-Reason: http_timeout'; } > "$TMP/sl2.h"
listen --verify slack --secret-file "$TMP/sl/secret"
is "slack event accepted" "$(send /sl "$TMP/sl.h" "$W/slack-event.json")" 200
is "slack retry answered 200" \
    "$(send /sl "$TMP/sl2.h" "$W/slack-event.json")" 200
stop
is "slack retry written once" "$(lines)" 1
is "slack: the id is event_id" "$(jq -r .id "$TMP/rec")" Ev08MFMKH6

# --- GitHub's form delivery (11.5): @octokit/webhooks-examples' push
node "$ORACLE" github-form push > "$TMP/gh.form"
printf 'gh form secret' > "$TMP/gh.secret"
sign github "$TMP/gh.secret" "$TMP/gh.form" \
    72d3162e-cc78-11e3-81ab-4c9367dc0958 0 > "$TMP/gh.h"
listen --verify github --secret-file "$TMP/gh.secret"
is "form-encoded push accepted" "$(send /gh "$TMP/gh.h" "$TMP/gh.form" \
    application/x-www-form-urlencoded)" 200
stop
is "routable: wh-route -w 'body.payload.ref?'" \
    "$(wh-route -w 'body.payload.ref?' < "$TMP/rec" | jq -r .body.payload.ref)" \
    refs/tags/simple-tag
ok "body.payload is the example's JSON, numbers and all" $PY -c '
import json, sys, urllib.parse
rec = json.loads(open(sys.argv[1]).read())
form = urllib.parse.parse_qs(open(sys.argv[2]).read())
sys.exit(0 if rec["body"]["payload"] == json.loads(form["payload"][0])
    and list(rec["body"]) == ["payload"] else 1)' "$TMP/rec" "$TMP/gh.form"
listen --path /f
post /f --data-binary 'payload=not+json&a=1' > /dev/null
post /f --data-binary 'payload=%7B%22n%22%3A12345678901234567890%7D&a=1' \
    > /dev/null
stop
is "a payload that is not JSON stays a string" \
    "$(head -n 1 "$TMP/rec" | jq -c .body)" '{"payload":"not json","a":"1"}'
like "a JSON payload keeps its digits" "$(tail -n 1 "$TMP/rec")" \
    '"body":\{"payload":\{"n":12345678901234567890\},"a":"1"\}\}$'

# --- replays inside the window (12.6): remembered until ts + tolerance
node "$ORACLE" gen standard "$TMP/rp" 0
t0=$(date +%s)
sign standard "$TMP/rp/secret" "$TMP/rp/body" msg_future $((t0 + 4)) \
    > "$TMP/rp.h"
listen --verify standard --secret-file "$TMP/rp/secret" --tolerance 5
is "timestamp now+4 with --tolerance 5: 200" \
    "$(send /rp "$TMP/rp.h" "$TMP/rp/body")" 200
clock_at $((t0 + 6)).5
is "replay at +6.5 s, still verifiable: answered 200" \
    "$(send /rp "$TMP/rp.h" "$TMP/rp/body")" 200
stop
is "replay at +6.5 s not written again" "$(lines)" 1

# the last whole second: signed at t0-3 with --tolerance 5 it verifies
# while time(2) reads t0+2, that is until t0+3, so a replay at t0+2.3
# is still one (when the machine is too slow to send it before t0+3 it
# gets 401 "too old" instead, and the check is skipped)
t0=$(date +%s)
sign standard "$TMP/rp/secret" "$TMP/rp/body" msg_edge $((t0 - 3)) \
    > "$TMP/rp.h"
listen --verify standard --secret-file "$TMP/rp/secret" --tolerance 5
send /rp "$TMP/rp.h" "$TMP/rp/body" > /dev/null
clock_at $((t0 + 2)).3
st=$(send /rp "$TMP/rp.h" "$TMP/rp/body")
stop
if [ "$st" = 401 ] && grep -q 'too old' "$TMP/log"; then
	skip "replay in the last second not written again" "sent too late"
else
	is "replay in the last second not written again" "$st $(lines)" "200 1"
fi

# --replay-db: a restart forgets nothing; the file is private
sign standard "$TMP/rp/secret" "$TMP/rp/body" msg_restart "$(date +%s)" \
    > "$TMP/rp.h"
listen --verify standard --secret-file "$TMP/rp/secret" \
    --replay-db "$TMP/replay.db"
is "--replay-db: first delivery 200" "$(send /rp "$TMP/rp.h" "$TMP/rp/body")" 200
stop
is "--replay-db: written" "$(lines)" 1
is "--replay-db: file mode 0600" "$(stat -c %a "$TMP/replay.db")" 600
listen --verify standard --secret-file "$TMP/rp/secret" \
    --replay-db "$TMP/replay.db"
is "--replay-db: after a restart, the replay answered 200" \
    "$(send /rp "$TMP/rp.h" "$TMP/rp/body")" 200
stop
is "--replay-db: after a restart, not written again" "$(lines)" 0
listen --verify standard --secret-file "$TMP/rp/secret"
send /rp "$TMP/rp.h" "$TMP/rp/body" > /dev/null
stop
is "without --replay-db a restart forgets" "$(lines)" 1
run wh-listen -p "$PORT" --replay-db "$TMP/no/such/dir/db"
is "--replay-db in a missing folder: exit 3" "$RC" 3

# --- the 413 says which option raises the limit (11.7)
listen --max-body 1k
head -c 2048 /dev/zero | tr '\0' x > "$TMP/2k"
is "2 KiB with --max-body 1k: 413" "$(post /x --data-binary @"$TMP/2k")" 413
like "the 413 names --max-body and the limit" "$(cat "$TMP/resp")" \
    'over 1024 bytes.*--max-body'
stop
like "the log names --max-body" "$(cat "$TMP/log")" \
    '413 body too large: over 1024 bytes.*--max-body'
[ "$T_FAILED" -eq 0 ]
