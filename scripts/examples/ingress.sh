#!/bin/bash
# ingress.sh: start a job on the platform for each new object in an S3
# bucket, handing it over as a presigned URL.
#
#   S3 ObjectCreated notification --> SQS queue --> sqs-poll --s3-records
#   | s3-sign (a GET URL for the object) | wh-send (POST {JOB_API_URL}/v1/jobs)
#   | sqs-delete (only what the platform accepted)
#
# Set the bucket up once (any S3 client):
#   aws s3api put-bucket-notification-configuration --bucket BUCKET \
#     --notification-configuration '{"QueueConfigurations":[{"QueueArn":
#     "arn:aws:sqs:REGION:ACCOUNT:QUEUE","Events":["s3:ObjectCreated:*"]}]}'
#
# Settings, from the environment:
#   QUEUE           the queue's name or URL (required)
#   JOB_API_URL     the platform's API base (required)
#   JOB_API_TOKEN   its API token (required; sent as a Bearer token from a
#                   private header file, never on a command line)
#   SIGN_EXPIRES    how long the URL works, seconds, default 86400
#   JOB_BODY        a JSON template file for the request body; default:
#                   {"name": key's base name, "data_url": the URL,
#                    "source": {"bucket", "key", "size"}}
#   ONCE            1: take what is queued and exit (for cron); default:
#                   run as a service, long-polling the queue
#   VISIBILITY      seconds a taken message stays hidden, default 300
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile or
#   an instance role: for sqs-poll, s3-sign and sqs-delete.
#
# A message is deleted only once the platform answered 2xx for every
# object it names; otherwise it comes back after VISIBILITY seconds and is
# tried again (set a redrive policy on the queue to park poison messages).
# Started jobs are written to standard output with the platform's answer
# under "http".
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${QUEUE:?QUEUE is not set}"
: "${JOB_API_URL:?JOB_API_URL is not set}"
: "${JOB_API_TOKEN:?JOB_API_TOKEN is not set}"
SIGN_EXPIRES=${SIGN_EXPIRES:-86400}
VISIBILITY=${VISIBILITY:-300}
once=
[ "${ONCE:-0}" = 1 ] && once=--once

tmp=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/ingress.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
printf 'Authorization: Bearer %s\n' "$JOB_API_TOKEN" >"$tmp/headers"
if [ -z "${JOB_BODY:-}" ]; then
	JOB_BODY=$tmp/body.json
	cat >"$JOB_BODY" <<-'JSON'
	{"name": "{s3.key|base}", "data_url": "{signed_url}",
	 "source": {"bucket": "{s3.bucket}", "key": "{s3.key}",
	            "size": "{s3.size}"}}
	JSON
fi

sqs-poll -q "$QUEUE" --s3-records --visibility "$VISIBILITY" $once |
	s3-sign -e "$SIGN_EXPIRES" |
	wh-send -u "$JOB_API_URL/v1/jobs" --header-file "$tmp/headers" \
	    --body-file "$JOB_BODY" |
	sqs-delete
