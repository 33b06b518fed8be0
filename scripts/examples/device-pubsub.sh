#!/bin/bash
# device-pubsub.sh: publish device readings, received as webhooks, to a
# Google Cloud Pub/Sub topic, and record each published message's id.
#
#   devices --POST {"device", ...reading}--> wh-listen
#   | wh-route (readings with a device id) | pubsub-publish  >> $LOG
#
# Settings, from the environment:
#   TOPIC               the topic, projects/PROJECT/topics/NAME (required)
#   LOG                 where each published record is appended, with
#                       "pubsub_published": {"message_id", "topic"},
#                       default /var/log/hookpipe/device-pubsub.ndjson
#   DEVICE_SECRET_FILE  if set, devices must sign: header X-Signature
#                       holding "sha256=" and the hex HMAC-SHA256 of the
#                       body with this file's secret (wh-send --sign
#                       hmac-sha256 does it); unsigned posts get 401
#   LISTEN_ADDR         address to listen on, default 127.0.0.1
#   LISTEN_PORT         port, default 8084
#   HOOK_PATH           the webhook's path, default /readings
#   ERRORS              readings that could not be published, ready to
#                       replay with pubsub-publish, default
#                       /var/spool/hookpipe/device-pubsub-failed.ndjson
#   GOOGLE_APPLICATION_CREDENTIALS (a service-account key file), or the
#   metadata server on Google Cloud, or PUBSUB_EMULATOR_HOST (no
#   credentials); PUBSUB_ENDPOINT: for pubsub-publish (its AUTHENTICATION).
# The message's data is the reading itself (the webhook's body), with the
# attribute "device" for subscription filters and the device as ordering
# key, so that a subscription with message ordering gets each device's
# readings in the order they came.
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${TOPIC:?TOPIC is not set}"
LOG=${LOG:-/var/log/hookpipe/device-pubsub.ndjson}
LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1}
LISTEN_PORT=${LISTEN_PORT:-8084}
HOOK_PATH=${HOOK_PATH:-/readings}
ERRORS=${ERRORS:-/var/spool/hookpipe/device-pubsub-failed.ndjson}
mkdir -p "$(dirname "$LOG")" "$(dirname "$ERRORS")"
if [ -n "${DEVICE_SECRET_FILE:-}" ]; then
	set -- --verify hmac-sha256 --secret-file "$DEVICE_SECRET_FILE" \
	    --sig-header X-Signature --sig-prefix sha256=
else
	set --
fi

wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" --path "$HOOK_PATH" "$@" |
	wh-route -w 'body.device?' |
	pubsub-publish --topic "$TOPIC" --data '{body}' \
	    --attr 'device={body.device}' --ordering-key '{body.device}' \
	    --errors "$ERRORS" >>"$LOG"
