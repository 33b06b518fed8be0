#!/bin/bash
# device-sns.sh: publish device readings, received as webhooks, to an SNS
# topic, and record each published message's id.
#
#   devices --POST {"device", ...reading}--> wh-listen
#   | wh-route (readings with a device id) | sns-publish  >> $LOG
#
# Settings, from the environment:
#   TOPIC_ARN           the SNS topic (required)
#   LOG                 where each published record is appended, with
#                       "sns_published": {"message_id"}, default
#                       /var/log/hookpipe/device-sns.ndjson
#   DEVICE_SECRET_FILE  if set, devices must sign: header X-Signature
#                       holding "sha256=" and the hex HMAC-SHA256 of the
#                       body with this file's secret (wh-send --sign
#                       hmac-sha256 does it); unsigned posts get 401
#   LISTEN_ADDR         address to listen on, default 127.0.0.1
#   LISTEN_PORT         port, default 8083
#   HOOK_PATH           the webhook's path, default /readings
#   ERRORS              readings that could not be published, ready to
#                       replay with sns-publish, default
#                       /var/spool/hookpipe/device-failed.ndjson
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile or
#   an instance role: for sns-publish.
# The SNS message is the reading itself (the webhook's body), with the
# message attribute "device" for subscription filter policies.
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${TOPIC_ARN:?TOPIC_ARN is not set}"
LOG=${LOG:-/var/log/hookpipe/device-sns.ndjson}
LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1}
LISTEN_PORT=${LISTEN_PORT:-8083}
HOOK_PATH=${HOOK_PATH:-/readings}
ERRORS=${ERRORS:-/var/spool/hookpipe/device-failed.ndjson}
mkdir -p "$(dirname "$LOG")" "$(dirname "$ERRORS")"
if [ -n "${DEVICE_SECRET_FILE:-}" ]; then
	set -- --verify hmac-sha256 --secret-file "$DEVICE_SECRET_FILE" \
	    --sig-header X-Signature --sig-prefix sha256=
else
	set --
fi

wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" --path "$HOOK_PATH" "$@" |
	wh-route -w 'body.device?' |
	sns-publish --topic "$TOPIC_ARN" --message '{body}' \
	    --attr 'device={body.device}' --errors "$ERRORS" >>"$LOG"
