#!/bin/bash
# egress.sh: copy each finished job's output to S3 before the platform
# expires it.
#
#   job platform --POST {"id","event":"job_complete","msg"}--> wh-listen
#   | wh-route (job_complete only) | job-fetch (download) | s3-put (upload)
#
# Settings, from the environment:
#   BUCKET          the S3 bucket for the outputs (required)
#   KEY             object key template, default jobs/{body.id}/output
#   JOB_API_URL     the platform's API base, e.g. https://api.voxel51.com
#   JOB_API_TOKEN   its API token (read by job-fetch; never on a command line)
#   LISTEN_ADDR     address to listen on, default 127.0.0.1 (put a TLS
#                   proxy in front, or see wh-listen --tls-cert)
#   LISTEN_PORT     port, default 8080
#   HOOK_PATH       the webhook's path, default /jobs
#   SPOOL           where outputs wait for their upload, default
#                   /var/spool/hookpipe/egress
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile or an
#   instance role: for s3-put; AWS_ENDPOINT_URL for an S3-compatible store.
#
# Records of uploaded outputs go to standard output, with "fetch" (path,
# bytes, sha256) and "s3" (bucket, key, etag).  A job that could not be
# fetched (expired, refused) is appended to $SPOOL/fetch-failed.ndjson and
# one that could not be uploaded to $SPOOL/put-failed.ndjson; both carry an
# "error" field and can be replayed:
#   job-fetch -o "$SPOOL" --name '{id}' < fetch-failed.ndjson | s3-put ...
#
# Duplicates are harmless: each delivery downloads into a file of its own
# (named after wh-listen's delivery id) and a job always lands on the same
# key with the same bytes.  Stop with SIGTERM to wh-listen (systemd does it):
# what was received is still fetched and uploaded before the pipeline ends.
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${BUCKET:?BUCKET is not set}"
: "${JOB_API_URL:?JOB_API_URL is not set}"
: "${JOB_API_TOKEN:?JOB_API_TOKEN is not set}"
KEY=${KEY:-'jobs/{body.id}/output'}
LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1}
LISTEN_PORT=${LISTEN_PORT:-8080}
HOOK_PATH=${HOOK_PATH:-/jobs}
SPOOL=${SPOOL:-/var/spool/hookpipe/egress}
mkdir -p "$SPOOL"

wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" --path "$HOOK_PATH" |
	wh-route -w body.event=job_complete -w 'body.id?' |
	job-fetch -o "$SPOOL" --name '{id}' \
	    --errors "$SPOOL/fetch-failed.ndjson" |
	s3-put -b "$BUCKET" -k "$KEY" --delete-source \
	    --errors "$SPOOL/put-failed.ndjson"
