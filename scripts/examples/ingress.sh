#!/bin/bash
# ingress.sh: start a job on the platform for each new object in an S3
# bucket, handing it over as a presigned URL.
#
#   S3 ObjectCreated notification --> SQS queue --> sqs-poll --s3-records
#   | s3-sign (a GET URL for the object)
#   | wh-send (POST {JOB_API_URL}/v1/data/url: the URL becomes platform data)
#   | wh-send (POST {JOB_API_URL}/v1/jobs: a job request on that data,
#     started at once)
#   | sqs-delete (only what the platform accepted)
#
# The requests are those of the platform's client library, voxel51/api-py
# (voxel51/users/api.py at ad32449, 2020-04-27): post_data_as_url sends
# JSON {"signed_url","filename","mimetype","size","data_ttl"} and answers
# {"data":{"id",...}}; upload_job_request sends multipart/form-data with
# the job request as a file "job.json" (application/json:
# {"analytic","inputs":{NAME:{"data-id"}},"parameters"}), "job_name" and
# "auto_start" (True here, so the job starts on it), and answers
# {"job":{"id","state",...}}.  Where this project's first notes had a
# single POST /v1/jobs with a JSON {"name","data_url","source"}, this
# follows the library: that request is not one the platform takes.
#
# Set the bucket up once (any S3 client):
#   aws s3api put-bucket-notification-configuration --bucket BUCKET \
#     --notification-configuration '{"QueueConfigurations":[{"QueueArn":
#     "arn:aws:sqs:REGION:ACCOUNT:QUEUE","Events":["s3:ObjectCreated:*"]}]}'
#
# Settings, from the environment:
#   QUEUE           the queue's name or URL (required)
#   JOB_API_URL     the platform's API base, e.g. https://api.voxel51.com
#                   (the library's base_api_url; required)
#   JOB_API_TOKEN   the API token's private key (the library's
#                   VOXEL51_API_PRIVATE_KEY, "private_key" in
#                   api-token.json; required; sent as a Bearer token from
#                   a private header file, never on a command line)
#   JOB_ANALYTIC    the analytic to run, e.g. voxel51/vehicle-sense
#                   (required)
#   JOB_INPUT       the analytic's input the object is, default video
#   JOB_PARAMS      the job's parameters, a JSON object, default {}
#   MIME_TYPE       the objects' MIME type, default application/octet-stream
#   SIGN_EXPIRES    how long the URL works, seconds, default 86400; the
#                   platform is told (data_ttl) when it stops working
#   ONCE            1: take what is queued and exit (for cron); default:
#                   run as a service, long-polling the queue
#   VISIBILITY      seconds a taken message stays hidden, default 300
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile or
#   an instance role: for sqs-poll, s3-sign and sqs-delete.
#
# A message is deleted only once the platform answered 2xx to both
# requests for every object it names; otherwise it comes back after
# VISIBILITY seconds and is tried again (set a redrive policy on the queue
# to park poison messages); a retry posts the URL again, as new data.
# Started jobs are written to standard output with the platform's answer
# to the job request under "http" (http.body.job.id, .state).
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${QUEUE:?QUEUE is not set}"
: "${JOB_API_URL:?JOB_API_URL is not set}"
: "${JOB_API_TOKEN:?JOB_API_TOKEN is not set}"
: "${JOB_ANALYTIC:?JOB_ANALYTIC is not set}"
JOB_INPUT=${JOB_INPUT:-video}
JOB_PARAMS=${JOB_PARAMS:-'{}'}
MIME_TYPE=${MIME_TYPE:-application/octet-stream}
name_re='^[A-Za-z0-9._/@:+-]+$'
[[ $JOB_ANALYTIC =~ $name_re ]] || { echo "ingress.sh: bad JOB_ANALYTIC" >&2; exit 3; }
[[ $JOB_INPUT =~ $name_re ]] || { echo "ingress.sh: bad JOB_INPUT" >&2; exit 3; }
[[ $MIME_TYPE =~ ^[a-z0-9.+-]+/[A-Za-z0-9.+-]+$ ]] ||
	{ echo "ingress.sh: bad MIME_TYPE" >&2; exit 3; }
[[ $JOB_PARAMS =~ ^[[:space:]]*\{ ]] ||
	{ echo "ingress.sh: JOB_PARAMS is not a JSON object" >&2; exit 3; }
SIGN_EXPIRES=${SIGN_EXPIRES:-86400}
VISIBILITY=${VISIBILITY:-300}
once=
[ "${ONCE:-0}" = 1 ] && once=--once

tmp=$(umask 077 && mktemp -d "${TMPDIR:-/tmp}/ingress.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
printf 'Authorization: Bearer %s\n' "$JOB_API_TOKEN" >"$tmp/headers"
# post_data_as_url's body: a JSON template
cat >"$tmp/data.json" <<JSON
{"signed_url": "{signed_url}", "filename": "{s3.key|base}",
 "mimetype": "$MIME_TYPE", "size": "{s3.size}", "data_ttl": "{expires_at}"}
JSON
# upload_job_request's body: a text template (literal braces doubled)
b=hookpipe-job-request-7f3a9c
nl=$'\r\n'
params=${JOB_PARAMS//\{/\{\{}
params=${params//\}/\}\}}
request="{{\"analytic\": \"$JOB_ANALYTIC\", \"inputs\": {{\"$JOB_INPUT\": {{\"data-id\": {http.body.data.id|json}}}}}, \"parameters\": $params}}"
form="--$b${nl}Content-Disposition: form-data; name=\"file\"; filename=\"job.json\"${nl}Content-Type: application/json${nl}${nl}$request${nl}"
form+="--$b${nl}Content-Disposition: form-data; name=\"job_name\"${nl}${nl}{s3.key|base}${nl}"
form+="--$b${nl}Content-Disposition: form-data; name=\"auto_start\"${nl}${nl}True${nl}--$b--${nl}"

sqs-poll -q "$QUEUE" --s3-records --visibility "$VISIBILITY" $once |
	s3-sign -e "$SIGN_EXPIRES" |
	wh-send -u "$JOB_API_URL/v1/data/url" --header-file "$tmp/headers" \
	    --body-file "$tmp/data.json" |
	wh-send -u "$JOB_API_URL/v1/jobs" --header-file "$tmp/headers" \
	    -H "Content-Type: multipart/form-data; boundary=$b" -d "$form" |
	sqs-delete
