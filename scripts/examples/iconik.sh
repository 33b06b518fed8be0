#!/bin/bash
# iconik.sh: submit each new iconik asset for video analysis once its proxy
# is ready, exactly once per asset.
#
#   iconik webhooks (assets, proxies) --> wh-listen
#   | wh-route -c iconik.yaml (remember created assets; recall one, once,
#     when its proxy is CLOSED)
#   | wh-send POST {ICONIK_URL}/API/transcode/v1/analyze/assets/{id}/
#   | wh-route --settle (the asset got there: its claim is settled; an
#     asset lost in a crash comes back when iconik sends the event again
#     after the lease)
#
# In iconik, add two webhooks to http(s)://this-host:PORT/iconik: type
# "assets", realm "entity", operation "create"; and type "assets", realm
# "proxies", operation "update" (query status="CLOSED" if you like).
# iconik posts {"event_type":"assets","realm":...,"operation":...,
# "object_id": the asset's id, "data": {...}}.
#
# Settings, from the environment:
#   ICONIK_APP_ID, ICONIK_AUTH_TOKEN  the App-ID and its token (required;
#                       written to a private header file, never on argv)
#   ICONIK_URL          default https://app.iconik.io
#   ICONIK_ANALYZE_PATH the analysis call, a wh-send URL template after
#                       ICONIK_URL; default
#                       /API/transcode/v1/analyze/assets/{asset.id|url}/
#                       (iconik's SDKs: "Start a job that sends an asset
#                       for analysis", answered 201); the older
#                       /API/transcode/v1/videointel/assets/{asset.id|url}/
#                       of iconik's 2018 tutorial, or .../profiles/default/
#                       for the default analysis profile
#   ICONIK_ANALYZE_BODY its JSON body (an AnalyzeSchema), a wh-send
#                       template: default '{{}}' (the empty object {});
#                       '{{"force": true}}' analyses again
#   STATE               the SQLite state file, default
#                       /var/lib/hookpipe/iconik.db; or dynamodb://TABLE,
#                       a DynamoDB table that every edge behind a load
#                       balancer shares (made on first use; AWS_REGION,
#                       AWS_ENDPOINT_URL_DYNAMODB and the credentials as
#                       for every AWS tool): see iconik-edges.sh
#   RULES               default: iconik.yaml next to this script
#   LISTEN_ADDR         address to listen on, default 127.0.0.1
#   LISTEN_PORT         port, default 8082
#   HOOK_PATH           the webhook's path, default /iconik
#   ERRORS              submissions that failed, ready to replay with
#                       wh-send, default /var/spool/hookpipe/iconik-failed.ndjson
# Submitted assets are written to standard output with iconik's answer
# under "http".
# a stage that fails fails the run, so cron and systemd see it (bash:
# POSIX sh has no pipefail and reports only the last stage's status)
set -eu -o pipefail
: "${ICONIK_APP_ID:?ICONIK_APP_ID is not set}"
: "${ICONIK_AUTH_TOKEN:?ICONIK_AUTH_TOKEN is not set}"
ICONIK_URL=${ICONIK_URL:-https://app.iconik.io}
ICONIK_ANALYZE_PATH=${ICONIK_ANALYZE_PATH:-'/API/transcode/v1/analyze/assets/{asset.id|url}/'}
ICONIK_ANALYZE_BODY=${ICONIK_ANALYZE_BODY:-'{{}}'}
STATE=${STATE:-/var/lib/hookpipe/iconik.db}
RULES=${RULES:-$(dirname "$0")/iconik.yaml}
LISTEN_ADDR=${LISTEN_ADDR:-127.0.0.1}
LISTEN_PORT=${LISTEN_PORT:-8082}
HOOK_PATH=${HOOK_PATH:-/iconik}
ERRORS=${ERRORS:-/var/spool/hookpipe/iconik-failed.ndjson}
mkdir -p "$(dirname "$ERRORS")"
create=""
case $STATE in
dynamodb://*) create=--create-table ;;	# both stages: whichever opens first
*) mkdir -p "$(dirname "$STATE")" ;;
esac

# the secret headers, in a file only we can read (printf is a builtin)
headers=$(umask 077 && mktemp "${TMPDIR:-/tmp}/iconik-headers.XXXXXX")
trap 'rm -f "$headers"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
printf 'App-ID: %s\nAuth-Token: %s\n' "$ICONIK_APP_ID" \
    "$ICONIK_AUTH_TOKEN" >"$headers"

wh-listen -a "$LISTEN_ADDR" -p "$LISTEN_PORT" --path "$HOOK_PATH" |
	wh-route -c "$RULES" --state "$STATE" $create |
	wh-send -u "$ICONIK_URL$ICONIK_ANALYZE_PATH" \
	    --header-file "$headers" -d "$ICONIK_ANALYZE_BODY" --errors "$ERRORS" |
	wh-route --settle --state "$STATE" $create
