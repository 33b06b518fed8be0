#!/bin/bash
# egress.sh: copy each finished job's output to S3 before the platform
# expires it.
#
#   job platform --POST {"id","event":"job_complete","msg"}--> wh-listen
#   | wh-route (job_complete only) | job-fetch (download) | s3-put (upload)
#
# The download is the platform's client library's download_job_output
# (voxel51/api-py, voxel51/users/api.py at ad32449, 2020-04-27):
# GET {JOB_API_URL}/v1/jobs/{id}/output with "Authorization: Bearer
# <private key>", following a redirect to signed storage without the
# token; a job the platform does not know answers 404, an expired one 410
# (job-fetch says "expired or missing" and the record goes to
# fetch-failed.ndjson).  The library has no webhooks: the notification's
# shape, {"id","event":"job_complete","msg"}, is this project's first
# notes', so check it against your platform's (HOOK_PATH and the wh-route
# rules are where to adapt it).
# Settings, from the environment:
#   BUCKET          the S3 bucket for the outputs (required)
#   KEY             object key template, default jobs/{body.id}/output
#   JOB_API_URL     the platform's API base, e.g. https://api.voxel51.com
#   JOB_API_TOKEN   the API token's private key ("private_key" in the
#                   library's api-token.json; read by job-fetch from the
#                   environment, never on a command line)
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

# under wh-listen.socket systemd passes its socket to this script
# (LISTEN_PID is ours): wh-listen gets it with LISTEN_PID set to its own pid
# (exec: wh-listen stays the script's child, for the unit's ExecStop)
listen() {
	if [ "${LISTEN_PID:-}" = "$$" ]; then
		exec sh -c 'LISTEN_PID=$$ exec wh-listen "$@"' wh-listen "$@"
	else
		exec wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" "$@"
	fi
}

listen --path "$HOOK_PATH" |
	wh-route -w body.event=job_complete -w 'body.id?' |
	job-fetch -o "$SPOOL" --name '{id}' \
	    --errors "$SPOOL/fetch-failed.ndjson" |
	s3-put -b "$BUCKET" -k "$KEY" --delete-source \
	    --errors "$SPOOL/put-failed.ndjson"
