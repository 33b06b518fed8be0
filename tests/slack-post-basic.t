#!/bin/sh
# slack-post: incoming webhook and chat.postMessage against a fake Slack
. tests/lib.sh
. tests/fake/start.sh
plan 46
start_fake
U=http://127.0.0.1:$PORT
unset SLACK_WEBHOOK_URL SLACK_BOT_TOKEN SLACK_API_URL
echo "$U/services/T1/B1/sekrit" >"$TMP/wh"
echo "xoxb-good" >"$TMP/tok"
echo "xoxb-bad" >"$TMP/badtok"

# webhook: text escaped for mrkdwn, plain "ok" checked
run slack-post --webhook-file "$TMP/wh" -t '{event} by *{who}*' <"$DATA/http/records.ndjson"
is "webhook: exit 0" "$RC" 0
is "webhook: posted JSON, values escaped" "$(reqs 'r["body"]')" '{"text":"job_complete by *ann*"}
{"text":"job_complete by *bob*"}
{"text":"job_failed by *cy &amp; &lt;dee&gt;*"}'
is "webhook: path" "$(reqs 'r["method"] + " " + r["path"]' | sort -u)" "POST /services/T1/B1/sekrit"
is "webhook: content type" "$(reqs 'r["headers"]["content-type"]' | sort -u)" "application/json; charset=utf-8"
is "webhook: output" "$(recs 'r["id"], r["slack"]')" "(1, {'ok': True})
(2, {'ok': True})
(3, {'ok': True})"

# the webhook URL from the environment; blocks from a JSON template
: >"$REQLOG"
SLACK_WEBHOOK_URL=$(cat "$TMP/wh") run slack-post --blocks "$DATA/http/blocks.json" -t 'fallback {id}' <"$DATA/http/records.ndjson"
is "blocks: exit 0" "$RC" 0
is "blocks: rendered" "$(reqs 'r["body"]' | tail -n 1)" '{"text":"fallback 3","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*Job* 3: job_failed"}},{"type":"context","elements":[{"type":"mrkdwn","text":"by cy &amp; &lt;dee&gt;"}]}]}'

# webhook errors: invalid_payload is the record's (exit 1) ...
echo "$U/services/T1/B1/bad" >"$TMP/whbad"
run slack-post --webhook-file "$TMP/whbad" -t x <"$DATA/http/records.ndjson"
is "invalid_payload: exit 1" "$RC" 1
like "invalid_payload reported, URL masked" "$ERR" "stdin:1: HTTP 400 from http://127.0.0.1:$PORT/\*\*\*: invalid_payload"
# ... channel_not_found on a webhook stops the run (exit 5)
echo "$U/services/T1/B1/gone" >"$TMP/whgone"
: >"$REQLOG"
# a bad HOOKPIPE_BACKOFF is a configuration error, before anything is sent
n0=$(reqs 'r["path"]' | wc -l)
HOOKPIPE_BACKOFF=soon run slack-post --webhook-file "$TMP/wh" -t x <"$DATA/http/records.ndjson"
is "bad HOOKPIPE_BACKOFF: exit 3" "$RC" 3
like "bad HOOKPIPE_BACKOFF: says why" "$ERR" "bad HOOKPIPE_BACKOFF 'soon': a number from 0 to 60000"
is "bad HOOKPIPE_BACKOFF: nothing sent" "$(reqs 'r["path"]' | wc -l)" "$n0"
run slack-post -j 1 --webhook-file "$TMP/whgone" -t x <"$DATA/http/records.ndjson"
is "webhook gone: exit 5" "$RC" 5
like "channel_not_found reported" "$ERR" 'stdin:1: HTTP 404 .*channel_not_found'
is "webhook gone: no more posts" "$(wc -l <"$REQLOG" | tr -d " ")" 1
case "$ERR" in *sekrit*|*B1*) fail "webhook URL never printed";; *) pass "webhook URL never printed";; esac
# ... and so does a revoked webhook (403 invalid_token) or an archived
# channel (410 channel_is_archived), Slack's other refusals for good
for w in forbidden:403:invalid_token archived:410:channel_is_archived; do
	echo "$U/services/T1/B1/${w%%:*}" >"$TMP/whx"
	: >"$REQLOG"
	run slack-post -j 1 --webhook-file "$TMP/whx" -t x --errors "$TMP/whx.errs" <"$DATA/http/records.ndjson"
	c=${w#*:}
	is "webhook ${c%%:*}: exit 5" "$RC" 5
	like "webhook ${c%%:*}: reported" "$ERR" "stdin:1: HTTP ${c%%:*} .*${c#*:}"
	is "webhook ${c%%:*}: no more posts" "$(wc -l <"$REQLOG" | tr -d " ")" 1
done

# chat.postMessage
: >"$REQLOG"
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel 'C{id}' -t 'job {id}' <"$DATA/http/records.ndjson"
is "api: exit 0" "$RC" 0
is "api: bearer token" "$(reqs 'r["headers"]["authorization"]' | sort -u)" "Bearer xoxb-good"
is "api: requests" "$(reqs 'r["path"] + " " + r["body"]' | head -n 1)" '/api/chat.postMessage {"text":"job 1","channel":"C1"}'
is "api: output has ts and channel" "$(recs 'r["slack"]["ok"], r["slack"]["channel"], len(r["slack"]["ts"]) > 0' | head -n 1)" "(True, 'C1', True)"

printf '{"ch":"C1"}\n{"ch":"C404"}\n{"ch":"C2"}\n' >"$TMP/ch.ndjson"
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel '{ch}' -t hi --errors "$TMP/errs" "$TMP/ch.ndjson"
is "ok:false channel_not_found: exit 1" "$RC" 1
like "channel_not_found reported" "$ERR" "ch.ndjson:2: Slack refused the message to C404: channel_not_found"
is "the others posted" "$(recs 'r["ch"]')" "C1
C2"
is "errors file" "$(recs 'r["ch"]' "$TMP/errs")" "C404"

: >"$REQLOG"
SLACK_BOT_TOKEN=xoxb-bad run slack-post --api "$U/api" --channel C1 -t hi <"$DATA/http/records.ndjson"
is "invalid_auth: exit 5" "$RC" 5
like "invalid_auth reported" "$ERR" "invalid_auth"
case "$ERR" in *xoxb*) fail "token never printed";; *) pass "token never printed";; esac

# -n: nothing posted, token masked
: >"$REQLOG"
run slack-post -n --api "$U/api" --token-file "$TMP/tok" --channel C9 -t 'hi {who}' <"$DATA/http/records.ndjson"
is "-n: exit 0" "$RC" 0
is "-n: nothing posted" "$(wc -l <"$REQLOG" | tr -d ' ')" 0
like "-n: token masked" "$OUT" 'Authorization: \*\*\*'
case "$OUT" in *xoxb-good*) fail "-n: no token";; *) pass "-n: no token";; esac
run slack-post -n --webhook-file "$TMP/wh" -t 'hi' <"$DATA/http/records.ndjson"
case "$OUT" in *sekrit*) fail "-n: no webhook path";; *) pass "-n: no webhook path";; esac

# usage and config
run slack-post --webhook-file "$TMP/wh" </dev/null
is "no message: exit 2" "$RC" 2
run slack-post -t 'x {a' --webhook-file "$TMP/wh" </dev/null
is "bad template: exit 2" "$RC" 2
run slack-post -t x </dev/null
is "no webhook or token: exit 3" "$RC" 3
like "says what to set" "$ERR" "SLACK_WEBHOOK_URL or SLACK_BOT_TOKEN"
run slack-post -t x --webhook-file "$TMP/none" </dev/null
is "missing webhook file: exit 3" "$RC" 3
run slack-post -t x --token-file "$TMP/tok" </dev/null
is "token without channel: exit 3" "$RC" 3
run slack-post -e --webhook-file "$TMP/whbad" -t x <"$DATA/http/records.ndjson"
is "-e: exit 4" "$RC" 4
run slack-post --webhook-file "$TMP/wh" -t 'x {nope}' <"$DATA/http/records.ndjson"
like "template error per record" "$ERR" "stdin:1: template .*: no field nope"
done_testing
