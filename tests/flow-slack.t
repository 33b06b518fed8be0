#!/bin/sh
# flow: Slack notifier, live: webhooks -> wh-listen | wh-route | slack-post
# (scripts/examples/slack-notify.sh), to the fake Slack Web API and to a
# fake incoming webhook
. tests/lib.sh
plan 18
. tests/fake/start.sh
. tests/data/flow/common.sh

start_fake
unset SLACK_WEBHOOK_URL SLACK_BOT_TOKEN SLACK_CHANNEL SLACK_API_URL
LP=$(free_port)
pipe_start slack env SLACK_CHANNEL=C0123 SLACK_BOT_TOKEN=xoxb-good \
    SLACK_API_URL=http://127.0.0.1:$PORT/api LISTEN_PORT=$LP \
    ERRORS=$TMP/slack-failed.ndjson bash scripts/examples/slack-notify.sh
P=$PIPE_PID
ok "pipeline listening" wl_up "$LP"
codes=$(hook "$LP" /events '{"id":"j-1","event":"job_complete","msg":"Output ready: 3 files"}')
codes="$codes $(hook "$LP" /events '{"id":"j-2","event":"job_failed","msg":"bad input <video.mp4> & more"}')"
codes="$codes $(hook "$LP" /events '{"ping":true}')"
is "webhooks answered" "$codes" "200 200 200"
ok "two messages posted" wait_for 20 has_lines "$TMP/slack.out" 2

is "chat.postMessage with the bot token" \
    "$(reqs 'r["method"] + " " + r["path"] + " " + r["headers"]["authorization"]')" \
"POST /api/chat.postMessage Bearer xoxb-good
POST /api/chat.postMessage Bearer xoxb-good"
is "channel and text, values escaped for mrkdwn" \
    "$(reqs '__import__("json").loads(r["body"])["channel"] + " " + __import__("json").loads(r["body"])["text"]')" \
"C0123 Job *j-1* job_complete: Output ready: 3 files
C0123 Job *j-2* job_failed: bad input &lt;video.mp4&gt; &amp; more"
is "records carry Slack's answer" \
    "$(recs 'r["body"]["id"], r["slack"]["ok"], r["slack"]["channel"], bool(r["slack"]["ts"])' "$TMP/slack.out")" \
"('j-1', True, 'C0123', True)
('j-2', True, 'C0123', True)"

# a third event, after a pause
codes=$(hook "$LP" /events '{"id":"j-3","event":"job_complete","msg":"third"}')
is "third webhook answered" "$codes" 200
ok "third message posted" wait_for 20 has_lines "$TMP/slack.out" 3
pipe_stop "$P"
is "SIGTERM to wh-listen ends the pipeline, exit 0" "$PIPE_RC" 0
is "stderr empty" "$(cat "$TMP/slack.err")" ""

# the same script with an incoming webhook instead of a channel
: >"$REQLOG"
pipe_start slackwh env SLACK_WEBHOOK_URL=http://127.0.0.1:$PORT/services/T1/B1/secret \
    LISTEN_PORT=$LP ERRORS=$TMP/slack-failed.ndjson \
    SLACK_TEXT='{body.event} {body.id}' bash scripts/examples/slack-notify.sh
P=$PIPE_PID
ok "webhook pipeline listening" wl_up "$LP"
hook "$LP" /events '{"id":"j-9","event":"job_complete","msg":"x"}' >/dev/null
ok "posted to the incoming webhook" wait_for 20 has_lines "$TMP/slackwh.out" 1
is "webhook request: path and text" \
    "$(reqs 'r["path"] + " " + __import__("json").loads(r["body"])["text"]')" \
    "/services/T1/B1/secret job_complete j-9"
is "record: ok" "$(recs 'r["slack"]' "$TMP/slackwh.out")" "{'ok': True}"

# a channel that does not exist: failed record kept for replay
pipe_stop "$P"
pipe_start slackbad env SLACK_CHANNEL=C404 SLACK_BOT_TOKEN=xoxb-good \
    SLACK_API_URL=http://127.0.0.1:$PORT/api LISTEN_PORT=$LP \
    ERRORS=$TMP/slack-failed.ndjson bash scripts/examples/slack-notify.sh
P=$PIPE_PID
ok "pipeline listening again" wl_up "$LP"
hook "$LP" /events '{"id":"j-5","event":"job_complete","msg":"y"}' >/dev/null
ok "refused post kept in ERRORS" wait_for 20 has_lines "$TMP/slack-failed.ndjson" 1
like "with Slack's error code" \
    "$(recs 'r["body"]["id"] + " " + r["error"]["message"]' "$TMP/slack-failed.ndjson")" \
    '^j-5 .*channel_not_found'
pipe_stop "$P"
is "exit 1 after a failed record" "$PIPE_RC" 1
done_testing
