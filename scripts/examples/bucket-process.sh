#!/bin/bash
# bucket-process.sh: run from cron (or a systemd timer): list one or more
# buckets of an S3-compatible store (DataCore Swarm, Object Matrix
# MatrixStore, MinIO, AWS), download each object of the chosen media types
# not processed yet, hand it to a processor, and mark it done only when
# the processor succeeded.
#
#   s3-scan -b BUCKET... --state STATE --type TYPE... --once
#   | s3-get -o WORK | $PROCESSOR | s3-done --state STATE
#
# PROCESSOR is a command (run with /bin/sh -c) that reads records on its
# standard input, one a line, each with the object's file, whole, checked
# and synced, named by "get.path", and writes on its standard output the
# records it processed successfully; only those are settled.  The others
# stay Processing in the state file and are handed out again by a run
# after LEASE seconds (a crash of any stage loses nothing the same way).
# An object written again with other bytes (a new ETag) is new again.
# A processor that works on one record at a time:
#   PROCESSOR='while IFS= read -r rec; do
#       f=$(printf "%s\n" "$rec" | jq -r .get.path)
#       face-recognition "$f" >&2 && printf "%s\n" "$rec"
#   done'
# A record the processor gives up on for good can be kept apart with
# s3-done --state "$STATE" --failed (see s3-done(1)).
#
# Settings, from the environment:
#   BUCKETS      the buckets, separated by spaces (required)
#   PROCESSOR    the processor command (required)
#   STATE        s3-scan's state file, default
#                /var/lib/hookpipe/bucket-process.db
#   TYPES        media types to process, separated by spaces, default
#                'video/*' (s3-scan --type; from HeadObject's Content-Type,
#                else the key's extension)
#   LEASE        seconds an object handed out stays Processing before a
#                run hands it out again, default 1800: longer than a run
#   MAX          objects per run, default: all
#   ENDPOINT     the store's S3 endpoint (default: AWS, or AWS_ENDPOINT_URL)
#   WORK         where the downloads are kept during a run, default
#                /var/spool/hookpipe/bucket-process; each run has its own
#                directory there, removed when it ends
#   AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, or a profile:
#                the store's credentials, for s3-scan and s3-get.
#
# Files are named {bucket}_{key}, every '/' of the key made '_' (see
# s3-get(1)).  After a reboot, before the first run:
#   s3-scan --state "$STATE" --requeue
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${BUCKETS:?BUCKETS is not set}"
: "${PROCESSOR:?PROCESSOR is not set}"
STATE=${STATE:-/var/lib/hookpipe/bucket-process.db}
TYPES=${TYPES:-video/*}
LEASE=${LEASE:-1800}
WORK=${WORK:-/var/spool/hookpipe/bucket-process}
mkdir -p "$WORK"

scan=() get=()
for b in $BUCKETS; do scan+=(-b "$b"); done
set -f	# a type such as video/* is not a file pattern
for t in $TYPES; do scan+=(--type "$t"); done
set +f
[ -n "${MAX:-}" ] && scan+=(--max "$MAX")
if [ -n "${ENDPOINT:-}" ]; then
	scan+=(--endpoint "$ENDPOINT")
	get+=(--endpoint "$ENDPOINT")
fi

run=$(umask 077 && mktemp -d "$WORK/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

s3-scan "${scan[@]}" --state "$STATE" --lease "$LEASE" --once |
	s3-get "${get[@]}" -o "$run" --name '{s3.bucket}_{s3.key}' |
	sh -c "$PROCESSOR" |
	s3-done --state "$STATE"
