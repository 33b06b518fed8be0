#!/bin/sh
# slack-post: SIGTERM during a Retry-After wait ends the wait: the record
# is reported as not sent (and kept in --errors, to replay), nothing is
# posted twice, the run ends at once, not after the 30 s Slack asked for;
# the --errors file replayed posts it
. tests/lib.sh
. tests/fake/start.sh
plan 8
start_fake
unset SLACK_WEBHOOK_URL SLACK_BOT_TOKEN SLACK_API_URL
echo xoxb-good >"$TMP/tok"
waiting() { grep -q 'retry 1 of 3' "$TMP/err"; }

mkfifo "$TMP/in"
slack-post --api "http://127.0.0.1:$PORT/api" --token-file "$TMP/tok" \
    --channel '{ch}' -t 'n {n}' --errors "$TMP/errs" <"$TMP/in" \
    >"$TMP/out" 2>"$TMP/err" &
SP=$!
exec 3>"$TMP/in"
printf '{"n":1,"ch":"CWAIT"}\n' >&3
ok "429 Retry-After 30: slack-post waits" eventually 20 waiting
s=$(date +%s)
kill -TERM "$SP"
wait "$SP"
RC=$?
e=$(date +%s)
exec 3>&-
ok "TERM in the wait: ended at once ($((e - s)) s), not after 30 s" test $((e - s)) -lt 10
is "TERM in the wait: exit 1 (a record not sent, reported)" "$RC" 1
like "TERM in the wait: said not sent" "$(cat "$TMP/err")" 'stdin:1: .*not sent: the run was stopped before a retry'
is "TERM in the wait: posted once only" "$(reqs 'r["path"]' | grep -c chat.postMessage)" 1
is "TERM in the wait: the record in --errors" "$(recs 'r["n"], r["error"]["tool"]' "$TMP/errs")" "(1, 'slack-post')"
# replayed to a channel that takes it now
sed 's/CWAIT/C1/' "$TMP/errs" >"$TMP/replay"
run slack-post --api "http://127.0.0.1:$PORT/api" --token-file "$TMP/tok" \
    --channel '{ch}' -t 'n {n}' "$TMP/replay"
is "replay: exit 0" "$RC" 0
is "replay: posted" "$(recs 'r["n"], r["slack"]["ok"]')" "(1, True)"
done_testing
