#!/bin/sh
# flow: iconik media automation, live: assets/create remembered, a later
# proxies/update CLOSED submits the asset for analysis exactly once, also
# across a restart (scripts/examples/iconik.sh, tests/fake/iconik.py)
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
IP=$(free_port)
ILOG=$TMP/iconik.ndjson
: >"$ILOG"
python3 tests/fake/iconik.py "$IP" "$ILOG" >"$TMP/iconik.log" 2>&1 &
IPID=$!
stop_iconik() { kill "$IPID" 2>/dev/null; wait "$IPID" 2>/dev/null; }
at_exit stop_iconik
wait_port "$IP" || { echo "Bail out! fake iconik did not start"; exit 1; }
ireqs() {
	python3 -c 'import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    print(eval(sys.argv[1]))' "$1" "$ILOG"
}
posts() { grep -c '"POST"' "$ILOG"; }

LP=$(free_port)
up() {
	mkdir -p "$TMP/hd"
	pipe_start "iconik$1" env TMPDIR=$TMP/hd ICONIK_URL=http://127.0.0.1:$IP \
	    ICONIK_APP_ID=app-1 ICONIK_AUTH_TOKEN=${2:-tok-1} STATE=$TMP/state.db \
	    LISTEN_PORT=$LP ERRORS=$TMP/failed.ndjson \
	    bash scripts/examples/iconik.sh
	P=$PIPE_PID
	ok "pipeline $1 listening" wl_up "$LP"
}
asset() {
	printf '{"system_domain_id":"d1","object_id":"%s","user_id":"u1","realm":"entity","operation":"create","event_type":"assets","request_id":"r-%s","data":{"id":"%s","title":"%s","status":"ACTIVE"}}' "$1" "$1" "$1" "$2"
}
proxy() {
	printf '{"system_domain_id":"d1","object_id":"px-%s","realm":"entity","operation":"update","event_type":"proxies","data":{"id":"px-%s","asset_id":"%s","status":"%s","format":"mp4"}}' "$1" "$1" "$1" "$2"
}
nkeys() {
	python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from kv").fetchone()[0])' "$TMP/state.db"
}
two_keys() { [ "$(nkeys)" = 2 ]; }

up 1
c=$(hook "$LP" /iconik "$(asset a-1 'Sunset <raw>')")
c="$c $(hook "$LP" /iconik "$(asset a-2 'Harbour')")"
c="$c $(hook "$LP" /iconik "$(proxy a-1 OPEN)")"
is "webhooks answered" "$c" "200 200 200"
ok "both assets remembered in the state file" wait_for 10 two_keys
pipe_stop "$P"
is "first run ends cleanly" "$PIPE_RC" 0
is "nothing submitted before a proxy is CLOSED" "$(posts)" 0

# a restart between the two events
up 2
c=$(hook "$LP" /iconik "$(proxy a-1 CLOSED)")
c="$c $(hook "$LP" /iconik "$(proxy a-1 CLOSED)")"
c="$c $(hook "$LP" /iconik "$(proxy a-3 CLOSED)")"
is "proxy webhooks answered" "$c" "200 200 200"
ok "a-1 submitted after the restart" wait_for 15 has_lines "$TMP/iconik2.out" 1
pipe_stop "$P"
is "second run ends cleanly" "$PIPE_RC" 0
is "exactly one submission: a-1 (duplicate CLOSED and unknown a-3 ignored)" \
    "$(ireqs 'r["method"] + " " + r["path"]')" \
    "POST /API/transcode/v1/videointel/assets/a-1/"
is "with App-ID and Auth-Token" \
    "$(ireqs 'r["headers"]["app-id"] + " " + r["headers"]["auth-token"]')" \
    "app-1 tok-1"
is "JSON body" "$(ireqs 'r["headers"]["content-type"] + " " + r["body"]')" \
    "application/json {}"
is "output record: the remembered asset and iconik's answer" \
    "$(recs 'r["route"], r["asset"], r["http"]["status"], r["http"]["body"]["job_id"]' "$TMP/iconik2.out")" \
    "('proxy-closed', {'id': 'a-1', 'title': 'Sunset <raw>'}, 202, 'vi-a-1')"
is "one output record" "$(lines "$TMP/iconik2.out")" 1
is "a-2 still remembered" "$(nkeys)" 1

# another restart, the second asset's proxy, then a late duplicate of a-1
up 3
hook "$LP" /iconik "$(proxy a-2 CLOSED)" >/dev/null
hook "$LP" /iconik "$(proxy a-1 CLOSED)" >/dev/null
ok "a-2 submitted" wait_for 15 has_lines "$TMP/iconik3.out" 1
pipe_stop "$P"
is "each asset submitted once in all" \
    "$(ireqs 'r["path"]' | sort | uniq -c | sed 's/^ *//')" \
"1 /API/transcode/v1/videointel/assets/a-1/
1 /API/transcode/v1/videointel/assets/a-2/"
is "state empty" "$(nkeys)" 0
is "no failures" "$(lines "$TMP/failed.ndjson")" 0
is "stderr empty" "$(cat "$TMP/iconik1.err" "$TMP/iconik2.err" "$TMP/iconik3.err")" ""

# wrong credentials: the refused submission is kept for replay
up 4 tok-wrong
hook "$LP" /iconik "$(asset a-4 'Refused')" >/dev/null
hook "$LP" /iconik "$(proxy a-4 CLOSED)" >/dev/null
ok "refused submission in ERRORS" wait_for 15 has_lines "$TMP/failed.ndjson" 1
like "with the asset and the reason" \
    "$(recs 'r["asset"]["id"] + " " + r["error"]["message"]' "$TMP/failed.ndjson")" \
    '^a-4 .*401'
pipe_stop "$P"
like "stderr says so" "$(cat "$TMP/iconik4.err")" 'wh-send: .*401'
is "no secret on stderr" "$(grep -c -e tok-wrong -e app-1 "$TMP/iconik4.err")" 0
is "header file removed at exit" "$(ls -A "$TMP/hd")" ""
done_testing
