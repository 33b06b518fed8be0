#!/bin/sh
# flow: iconik media automation, live, with the payloads iconik's webhook
# documentation prints (tests/data/iconik/, see SOURCE there): an asset's
# create (realm entity) is remembered; its proxy update (realm proxies)
# with status CLOSED submits the asset for analysis exactly once, across
# restarts and duplicate deliveries; nothing for any other asset
# (scripts/examples/iconik.sh; tests/fake/iconik.py follows iconik's SDKs)
. tests/lib.sh
plan 41
. tests/fake/start.sh
. tests/data/flow/common.sh
PLAN=41
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
iconik_up
ireqs() { reqs "$1" "$ILOG"; }
AN=/API/transcode/v1/analyze/assets
# analyses: "STATUS PATH" of each analysis POST the fake received
analyses() {
	ireqs '"%d %s" % (r["status"], r["path"]) if r["method"] == "POST" and r["path"].startswith("'$AN/'") else ""' |
	    sed '/^$/d'
}
# ids_per_asset: "COUNT ASSET" over every analysis POST
ids_per_asset() {
	analyses | sed "s|^[0-9]* $AN/\([^/]*\)/.*|\1|" | sort | uniq -c |
	    sed 's/^ *//'
}

# the documented payloads, compacted as a sender puts them on the wire
CREATE=$(jq -c . "$DATA/iconik/asset-create.json")
PROXY=$(jq -c . "$DATA/iconik/proxy-update.json")
A=$(jq -r .object_id "$DATA/iconik/asset-create.json")
B=$(jq -r .object_id "$DATA/iconik/proxy-update.json")
is "fixtures: the proxy event names its asset twice" \
    "$(jq -r .data.asset_id "$DATA/iconik/proxy-update.json")" "$B"
# the same events for another asset: only the asset ids changed
create_of() { printf '%s' "$CREATE" | jq -c --arg id "$1" --arg t "$2" \
    '.object_id = $id | .data.id = $id | .data.title = $t'; }
proxy_of() { printf '%s' "$PROXY" | jq -c --arg id "$1" --arg s "$2" \
    '.object_id = $id | .data.asset_id = $id | .data.status = $s'; }
C=0f1e2d3c-0000-11e7-0000-0a580a000001	# created, proxy never closes
D=0f1e2d3c-0000-11e7-0000-0a580a000002	# proxy closes, never created

LP=$(free_port)
up() {
	mkdir -p "$TMP/hd"
	_n=$1 _tok=$2
	shift 2
	pipe_start "iconik$_n" env TMPDIR=$TMP/hd \
	    ICONIK_URL=http://127.0.0.1:$IP ICONIK_APP_ID=app-1 \
	    ICONIK_AUTH_TOKEN=$_tok STATE=$TMP/state.db LISTEN_PORT=$LP \
	    ERRORS=$TMP/failed.ndjson "$@" bash scripts/examples/iconik.sh
	P=$PIPE_PID
	ok "pipeline $_n listening" wl_up "$LP"
}
nkeys() {
	python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from kv").fetchone()[0])' "$TMP/state.db"
}
three_keys() { [ "$(nkeys)" = 3 ]; }

# run 1: three assets created (the documented one verbatim); an OPEN proxy
up 1 tok-1
c=$(hook "$LP" /iconik "$CREATE")
c="$c $(hook "$LP" /iconik "$(create_of "$B" 2015-Mille-lowres.jpg)")"
c="$c $(hook "$LP" /iconik "$(create_of "$C" 'Never <closed>')")"
c="$c $(hook "$LP" /iconik "$(proxy_of "$A" OPEN)")"
is "webhooks answered" "$c" "200 200 200 200"
ok "three assets remembered in the state file" wait_for 10 three_keys
pipe_stop "$P"
is "first run ends cleanly" "$PIPE_RC" 0
is "nothing submitted before a proxy is CLOSED" "$(analyses)" ""

# run 2, after a restart: the documented proxy event verbatim, a
# duplicate of it, and a CLOSED proxy of an asset never created
up 2 tok-1
c=$(hook "$LP" /iconik "$PROXY")
c="$c $(hook "$LP" /iconik "$PROXY")"
c="$c $(hook "$LP" /iconik "$(proxy_of "$D" CLOSED)")"
is "proxy webhooks answered" "$c" "200 200 200"
ok "B submitted after the restart" wait_for 15 has_lines "$TMP/iconik2.out" 1
pipe_stop "$P"
is "second run ends cleanly" "$PIPE_RC" 0
is "exactly one analysis: B's (the duplicate and D ignored), accepted" \
    "$(analyses)" "201 $AN/$B/"
is "nothing else was asked of iconik" "$(ireqs 'r["method"]' | sort -u)" POST
is "with App-ID and Auth-Token" \
    "$(ireqs 'r["headers"]["app-id"] + " " + r["headers"]["auth-token"]')" \
    "app-1 tok-1"
is "JSON body: an empty AnalyzeSchema" \
    "$(ireqs 'r["headers"]["content-type"] + " " + r["body"]')" \
    "application/json {}"
is "output record: the remembered asset and iconik's answer" \
    "$(recs 'r["route"], r["asset"], r["http"]["status"], r["http"]["body"]["type"], r["http"]["body"]["object_id"]' "$TMP/iconik2.out")" \
    "('proxy-closed', {'id': '$B', 'title': '2015-Mille-lowres.jpg'}, 201, 'ANALYZE', '$B')"
is "one output record" "$(lines "$TMP/iconik2.out")" 1
is "A and C still remembered" "$(nkeys)" 2

# run 3, another restart: A's proxy closes (the documented event, A's
# ids), then late duplicates of B's
up 3 tok-1
hook "$LP" /iconik "$(proxy_of "$A" CLOSED)" >/dev/null
hook "$LP" /iconik "$PROXY" >/dev/null
hook "$LP" /iconik "$(proxy_of "$B" CLOSED)" >/dev/null
ok "A submitted" wait_for 15 has_lines "$TMP/iconik3.out" 1
pipe_stop "$P"
is "third run ends cleanly" "$PIPE_RC" 0
is "one output record" "$(lines "$TMP/iconik3.out")" 1
like "it is A, with the documented title" \
    "$(recs 'r["asset"]["id"] + " " + r["asset"]["title"]' "$TMP/iconik3.out")" \
    "^$A 1_zps7uj5xqff.jpg\$"
is "one analysis per asset whose proxy closed, none for C or D" \
    "$(ids_per_asset)" "$(printf '1 %s\n1 %s' "$A" "$B" | sort -k2)"
is "every analysis accepted" "$(analyses | cut -d' ' -f1 | sort -u)" 201
is "C still remembered" "$(nkeys)" 1
is "no failures" "$(lines "$TMP/failed.ndjson")" 0
is "stderr empty" "$(cat "$TMP/iconik1.err" "$TMP/iconik2.err" "$TMP/iconik3.err")" ""

# run 4: the documented default-profile route and a forced analysis,
# through ICONIK_ANALYZE_PATH and ICONIK_ANALYZE_BODY
E=0f1e2d3c-0000-11e7-0000-0a580a000003
: >"$ILOG"
up 4 tok-1 ICONIK_ANALYZE_PATH="$AN/{asset.id|url}/profiles/default/" \
    ICONIK_ANALYZE_BODY='{{"force": true}}'
hook "$LP" /iconik "$(create_of "$E" Forced)" >/dev/null
hook "$LP" /iconik "$(proxy_of "$E" CLOSED)" >/dev/null
ok "E submitted" wait_for 15 has_lines "$TMP/iconik4.out" 1
pipe_stop "$P"
is "fourth run ends cleanly" "$PIPE_RC" 0
is "the path and body asked for" \
    "$(ireqs '"%d %s %s" % (r["status"], r["path"], json.loads(r["body"]))')" \
    "201 $AN/$E/profiles/default/ {'force': True}"

# run 5: wrong credentials; the refused submission is kept for replay
: >"$ILOG"
up 5 tok-wrong
hook "$LP" /iconik "$(create_of "$E" Refused)" >/dev/null
hook "$LP" /iconik "$(proxy_of "$E" CLOSED)" >/dev/null
ok "refused submission in ERRORS" wait_for 15 has_lines "$TMP/failed.ndjson" 1
pipe_stop "$P"
is "iconik refused it: 401" "$(analyses)" "401 $AN/$E/"
like "the failed record has the asset and the reason" \
    "$(recs 'r["asset"]["id"] + " " + r["error"]["message"]' "$TMP/failed.ndjson")" \
    "^$E .*401"
like "stderr says so" "$(cat "$TMP/iconik5.err")" 'wh-send: .*401'
is "no secret on stderr" "$(grep -c -e tok-wrong -e app-1 "$TMP/iconik5.err")" 0
is "header file removed at exit" "$(ls -A "$TMP/hd")" ""
is "the run fails, so cron and systemd see it" \
    "$([ "$PIPE_RC" -ne 0 ] && echo nonzero)" nonzero
# the README's pipeline is this one: the same rules, the same route
ok "README: the pipeline uses scripts/examples/iconik.yaml" \
    grep -qF "wh-route -c scripts/examples/iconik.yaml --state" README.md
ok "README: the pipeline calls the route tested here" \
    grep -qF "wh-send -u \"https://app.iconik.io$AN/{asset.id|url}/\"" README.md
[ "$T_N" -eq "$PLAN" ] || fail "plan: ran $T_N of $PLAN assertions"
done_testing
