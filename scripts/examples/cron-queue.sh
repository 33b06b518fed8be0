#!/bin/bash
# cron-queue.sh: run from cron (see crontab): take the messages pending in an
# SQS queue, fetch the asset each one names from the media system's API
# (iconik), hand it to a processor, and acknowledge (delete) a message only
# when the processor succeeded.
#
#   sqs-poll --once --lock | job-fetch (GET the asset) | $PROCESSOR
#   | sqs-delete
#
# A message body is {"asset_id": "..."}.  PROCESSOR is a command (run with
# /bin/sh -c) that reads records on its standard input, one a line, each
# with the asset's JSON in the file named by "fetch.path", and writes on its
# standard output the records it processed successfully; only those are
# deleted from the queue.  The others come back after VISIBILITY seconds
# and are taken by a later run (use a redrive policy for poison messages).
# A processor that works on one record at a time:
#   PROCESSOR='while IFS= read -r rec; do
#       f=$(printf "%s\n" "$rec" | jq -r .fetch.path)
#       my-analyser "$f" >&2 && printf "%s\n" "$rec"
#   done'
#
# Settings, from the environment:
#   QUEUE               the queue's name or URL (required)
#   PROCESSOR           the processor command (required)
#   ICONIK_APP_ID, ICONIK_AUTH_TOKEN  the media API's credentials
#                       (required; a private header file, never on argv)
#   ICONIK_URL          default https://app.iconik.io
#   LOCK                the lock file, default /run/lock/hookpipe-cron-queue.lock
#   VISIBILITY          seconds a taken message stays hidden from other
#                       runs, default 900: it must be longer than a run can
#                       take (see below)
#   MAX                 messages per run, default 100
#   WORK                where the fetched assets are kept during a run,
#                       default /var/spool/hookpipe/cron-queue
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile or
#   an instance role: for sqs-poll and sqs-delete.
#
# Overlapping runs: sqs-poll --lock lets one run take messages at a time (a
# run started while another is taking messages exits at once, status 0), and
# a message taken stays invisible for VISIBILITY seconds, so no two runs
# process one message at the same time as long as a run is shorter than
# VISIBILITY.
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${QUEUE:?QUEUE is not set}"
: "${PROCESSOR:?PROCESSOR is not set}"
: "${ICONIK_APP_ID:?ICONIK_APP_ID is not set}"
: "${ICONIK_AUTH_TOKEN:?ICONIK_AUTH_TOKEN is not set}"
ICONIK_URL=${ICONIK_URL:-https://app.iconik.io}
LOCK=${LOCK:-/run/lock/hookpipe-cron-queue.lock}
VISIBILITY=${VISIBILITY:-900}
MAX=${MAX:-100}
WORK=${WORK:-/var/spool/hookpipe/cron-queue}
mkdir -p "$WORK"

run=$(umask 077 && mktemp -d "$WORK/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
printf 'App-ID: %s\nAuth-Token: %s\n' "$ICONIK_APP_ID" \
    "$ICONIK_AUTH_TOKEN" >"$run/headers"

sqs-poll -q "$QUEUE" --once --lock "$LOCK" --visibility "$VISIBILITY" \
    -n "$MAX" |
	job-fetch -o "$run" --header-file "$run/headers" \
	    --url "$ICONIK_URL/API/assets/v1/assets/{body.asset_id|url}/" \
	    --id '{body.asset_id}' --name '{sqs.message_id}.json' |
	sh -c "$PROCESSOR" |
	sqs-delete
