#!/bin/sh
# wh-route -w against jq -c 'select(...)' on generated events: same lines out
. tests/lib.sh
plan 17
python3 scripts/gen-events 3000 7 > "$TMP/ev" || exit 1

# wh-route arguments | the same test in jq
while IFS='#' read -r args filter; do
	[ -n "$args" ] || continue
	eval "set -- $args"
	wh-route "$@" < "$TMP/ev" > "$TMP/got"
	rc=$?
	jq -c "select($filter)" < "$TMP/ev" > "$TMP/want"
	n=$(wc -l < "$TMP/want")
	if [ "$rc" -eq 0 ] && cmp -s "$TMP/got" "$TMP/want"; then
		pass "$args ($n lines)"
	else
		fail "$args" "exit $rc, $(wc -l < "$TMP/got") lines, jq $n"
		diff "$TMP/want" "$TMP/got" | head -n 5 | sed 's/^/#   /'
	fi
done <<'CASES'
-w body.data.status=CLOSED#.body.data.status == "CLOSED"
-w body.data.status=CLOSED -w 'body.size>1000' -w body.realm=proxies#.body.data.status == "CLOSED" and (.body.size|type=="number") and .body.size > 1000 and .body.realm == "proxies"
-w 'body.event~^job_(complete|failed)$'#(.body.event|type=="string") and (.body.event|test("^job_(complete|failed)$"))
-w 'body.size<=100'#(.body.size|type=="number") and .body.size <= 100
-w 'body.id?'#any(paths; . == ["body","id"])
-w 'body.data.status!=CLOSED'#.body.data.status != "CLOSED"
-v -w body.event_type=assets#(.body.event_type == "assets") | not
-w 'body.Records[0].s3.bucket.name=ingest'#.body.Records[0].s3.bucket.name == "ingest"
-w 'body.msg~<b>'#(.body.msg|type=="string") and (.body.msg|test("<b>"))
-w 'received_at>2026-11-15'#(.received_at|type=="string") and .received_at > "2026-11-15"
-w 'body.data.status!~^(OPEN|CLOSED)$'#((.body.data.status|type=="string") and (.body.data.status|test("^(OPEN|CLOSED)$"))) | not
-w body.size=3682#.body.size == 3682 or .body.size == "3682"
-w 'headers."x-iconik-signature"?'#any(paths; . == ["headers","x-iconik-signature"])
-w 'body.Records[0].s3.object.size>=500000000'#(.body.Records[0].s3.object.size|type=="number") and .body.Records[0].s3.object.size >= 500000000
-w 'body.data.title~é'#(.body.data.title|type=="string") and (.body.data.title|test("é"))
-v -w body.data.status=CLOSED -w 'body.size>1000'#(.body.data.status == "CLOSED" and (.body.size|type=="number") and .body.size > 1000) | not
--strict -w body.event=job_complete#.body.event == "job_complete"
CASES
done_testing
