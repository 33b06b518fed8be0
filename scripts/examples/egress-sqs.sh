#!/bin/bash
# egress-sqs.sh edge|worker: the egress integration (egress.sh) split by an
# SQS queue, to scale: one edge takes the webhooks and queues them; any
# number of workers, on any machines, download and upload.
#
#   edge:    wh-listen | wh-route (job_complete only) | sqs-send
#   worker:  sqs-poll | job-fetch | s3-put | sqs-delete
#
# A message is deleted only once its output is in S3; one that failed comes
# back after VISIBILITY seconds for another try (set a redrive policy on the
# queue to park jobs that keep failing).  Duplicates are harmless: a job
# always lands on the same key with the same bytes.
#
# Settings, from the environment:
#   QUEUE           the queue's name or URL (both roles; required)
#   edge:
#     LISTEN_ADDR   address to listen on, default 127.0.0.1
#     LISTEN_PORT   port, default 8080
#     HOOK_PATH     the webhook's path, default /jobs
#   worker:
#     BUCKET        the S3 bucket for the outputs (required)
#     KEY           object key template, default jobs/{body.id}/output
#     JOB_API_URL, JOB_API_TOKEN  the platform (required; the token is the
#                   private key, read by job-fetch from the environment;
#                   the download is GET /v1/jobs/{id}/output, voxel51/api-py's
#                   download_job_output: see egress.sh)
#     SPOOL         where outputs wait for their upload, default
#                   /var/spool/hookpipe/egress
#     VISIBILITY    seconds a taken message stays hidden, default 600
#     ONCE          1: take what is queued and exit (for cron)
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile or
#   an instance role: for sqs-send, sqs-poll, s3-put and sqs-delete.
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${QUEUE:?QUEUE is not set}"
case ${1:-} in
edge)
	LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1}
	LISTEN_PORT=${LISTEN_PORT:-8080}
	HOOK_PATH=${HOOK_PATH:-/jobs}
	# the message is the platform's payload: {"id","event","msg"}
	wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" --path "$HOOK_PATH" |
		wh-route -w body.event=job_complete -w 'body.id?' |
		sqs-send -q "$QUEUE" --body '{body}'
	;;
worker)
	: "${BUCKET:?BUCKET is not set}"
	: "${JOB_API_URL:?JOB_API_URL is not set}"
	: "${JOB_API_TOKEN:?JOB_API_TOKEN is not set}"
	KEY=${KEY:-'jobs/{body.id}/output'}
	SPOOL=${SPOOL:-/var/spool/hookpipe/egress}
	VISIBILITY=${VISIBILITY:-600}
	once=
	[ "${ONCE:-0}" = 1 ] && once=--once
	mkdir -p "$SPOOL"
	sqs-poll -q "$QUEUE" --visibility "$VISIBILITY" $once |
		job-fetch -o "$SPOOL" --name '{sqs.message_id}' |
		s3-put -b "$BUCKET" -k "$KEY" --delete-source |
		sqs-delete
	;;
*)
	echo "usage: egress-sqs.sh edge|worker" >&2
	exit 2
	;;
esac
