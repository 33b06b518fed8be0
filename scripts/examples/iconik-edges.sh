#!/bin/bash
# iconik-edges.sh: the iconik flow (iconik.sh) on N webhook edges behind a
# load balancer, one state for all of them in a DynamoDB table, so that an
# asset is submitted once whichever edge got its create and whichever got
# its proxy's CLOSED event (and its duplicates).
#
#   load balancer --> edge 1: wh-listen | wh-route | wh-send | wh-route --settle
#                 --> edge 2: ...                      (the same table)
#                 --> edge N
#
# Each edge is one run of iconik.sh with STATE=dynamodb://TABLE: on N
# machines, run iconik.sh on each with the same STATE and point the load
# balancer at them.  This script runs the N edges on one machine, on ports
# LISTEN_PORT .. LISTEN_PORT+N-1 (to try the flow, or to use the cores of
# one big machine); SIGTERM or SIGINT stops them all, each draining what
# it holds first, and so does the end of any one of them.
#
# Settings, from the environment: those of iconik.sh (ICONIK_APP_ID,
# ICONIK_AUTH_TOKEN, ICONIK_URL, LISTEN_ADDR, LISTEN_PORT default 8082,
# HOOK_PATH, RULES), and
#   EDGES     how many edges, default 2
#   TABLE     the DynamoDB table, default hookpipe-iconik (created on first
#             use: partition key k, on demand, TTL on ttl; wh-route(1))
#   ERRORS    edge I's failed submissions go to ERRORS.I, default
#             /var/spool/hookpipe/iconik-failed.ndjson.I
# Each edge's submitted assets go to standard output, whole lines.
set -eu -o pipefail
EDGES=${EDGES:-2}
TABLE=${TABLE:-hookpipe-iconik}
LISTEN_PORT=${LISTEN_PORT:-8082}
ERRORS=${ERRORS:-/var/spool/hookpipe/iconik-failed.ndjson}
here=$(dirname "$0")
pids=()
# stop: each edge's wh-listen TERMed, so that its pipeline drains what it
# holds and ends; the first edge's failure, else 0
stop() {
	trap - TERM INT
	for p in "${pids[@]}"; do
		pkill -TERM -x -P "$p" wh-listen 2>/dev/null || true
	done
	rc=0
	for p in "${pids[@]}"; do
		wait "$p" || { r=$?; [ "$rc" -ne 0 ] || rc=$r; }
	done
	exit "$rc"
}
trap stop TERM INT
for ((i = 0; i < EDGES; i++)); do
	STATE=dynamodb://$TABLE LISTEN_PORT=$((LISTEN_PORT + i)) \
	    ERRORS=$ERRORS.$((i + 1)) bash "$here/iconik.sh" &
	pids+=($!)
done
# an edge that ends ends them all: a balancer must not go on sending to a
# dead edge unnoticed
wait -n "${pids[@]}" || true
stop
