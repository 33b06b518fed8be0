#!/bin/bash
# slack-notify.sh: post the job platform's events to a Slack channel, with
# the job id and the platform's message.
#
#   job platform --POST {"id","event","msg"}--> wh-listen
#   | wh-route (job events only) | slack-post
#
# Settings, from the environment:
#   SLACK_CHANNEL     the channel (an id such as C0123 is best); with it the
#                     message goes through chat.postMessage with
#                     SLACK_BOT_TOKEN (xoxb-..., scope chat:write)
#   SLACK_WEBHOOK_URL without SLACK_CHANNEL: an incoming webhook, which
#                     posts to the channel it was made for
#   SLACK_TEXT        the message template, default
#                     'Job *{body.id}* {body.event}: {body.msg}'
#                     (values are escaped for Slack's mrkdwn)
#   LISTEN_ADDR       address to listen on, default 127.0.0.1
#   LISTEN_PORT       port, default 8081
#   HOOK_PATH         the webhook's path, default /events
#   ERRORS            failed posts, ready to replay with slack-post, default
#                     /var/spool/hookpipe/slack-failed.ndjson
# Tokens and webhook URLs are read from the environment by slack-post and
# never appear on a command line.  slack-post keeps to Slack's rate (one
# message a second per channel, bursts of 3) and honours Retry-After.
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
if [ -z "${SLACK_CHANNEL:-}" ]; then
	: "${SLACK_WEBHOOK_URL:?set SLACK_CHANNEL and SLACK_BOT_TOKEN, or SLACK_WEBHOOK_URL}"
	set --
else
	: "${SLACK_BOT_TOKEN:?SLACK_BOT_TOKEN is not set}"
	set -- --channel "$SLACK_CHANNEL"
fi
SLACK_TEXT=${SLACK_TEXT:-'Job *{body.id}* {body.event}: {body.msg}'}
LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1}
LISTEN_PORT=${LISTEN_PORT:-8081}
HOOK_PATH=${HOOK_PATH:-/events}
ERRORS=${ERRORS:-/var/spool/hookpipe/slack-failed.ndjson}
mkdir -p "$(dirname "$ERRORS")"

wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" --path "$HOOK_PATH" |
	wh-route -w 'body.id?' -w 'body.event?' |
	slack-post "$@" -t "$SLACK_TEXT" --errors "$ERRORS"
