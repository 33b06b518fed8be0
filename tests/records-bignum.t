#!/bin/sh
# records: ids beyond what jansson holds (2^53 + 1, 2^64 - 1, 2^64, 40
# digits; issue 11.6's {"order_id":18446744073709551615}) pass every stage
# with their digits as sent: wh-listen | wh-route -w | wh-send to the fake
# on 127.0.0.1, templates, --errors, and sqs-send | sqs-poll with moto
. tests/lib.sh
plan 26
. tests/fake/start.sh
start_fake
U=http://127.0.0.1:$PORT
. tests/data/wh-listen/common.sh

IDS="9007199254740993 18446744073709551615 18446744073709551616 1234567890123456789012345678901234567890"
# has FILE: whether each id is in FILE as a bare number, as sent
has() {
	for i in $IDS; do
		grep -Eq "\"order_id\":$i[,}]" "$1" || return 1
		grep -Eq "\"id\":$i[,}]" "$1" || return 1
	done
}
body() { printf '{"order_id":%s,"line_items":[{"id":%s,"quantity":1}]}' "$1" "$1"; }

listen --path /orders
n=0
for i in $IDS; do
	[ "$(post /orders -H 'Content-Type: application/json' \
	    --data-binary "$(body "$i")")" = 200 ] && n=$((n + 1))
done
is "wh-listen answers 200 to each" "$n" 4
stop TERM
ok "wh-listen writes the digits as sent" has "$TMP/rec"

run wh-route -w 'body.order_id?' "$TMP/rec"
is "wh-route -w: exit 0" "$RC" 0
is "wh-route -w: no message" "$ERR" ""
is "wh-route -w: all four out" "$(wc -l <"$TMP/out" | tr -d ' ')" 4
ok "wh-route -w: digits intact" has "$TMP/out"
cp "$TMP/out" "$TMP/routed"
run wh-route -w 'body.order_id=18446744073709551616' "$TMP/rec"
is "wh-route: = compares the digits" "$(grep -c . "$TMP/out")" 1
like "wh-route: the one with them" "$OUT" '"order_id":18446744073709551616,'
run wh-route -w 'body.order_id>18446744073709551615' "$TMP/rec"
is "wh-route: > compares as numbers, exactly" "$(recs 'r["body"]["order_id"]')" \
    "18446744073709551616
1234567890123456789012345678901234567890"
run wh-route -w 'body.order_id<18446744073709551615' -w 'body.order_id>1' "$TMP/rec"
is "wh-route: < against a small number" "$(recs 'r["body"]["order_id"]')" \
    9007199254740993
# a number condition on a string field: compared as text (wh-route gives
# jansson an arena, so nothing jansson made may go to free())
printf '{"id":"123"}\n' >"$TMP/s"
run wh-route -w 'id=123' "$TMP/s"
is "wh-route: id=123 on \"123\"" "$RC:$OUT" '0:{"id":"123"}'

run wh-send -j 1 -u "$U/orders/{body.order_id}" "$TMP/routed"
is "wh-send: exit 0" "$RC" 0
ok "wh-send: its output records keep the digits" has "$TMP/out"
reqs 'r["body"]' >"$TMP/sent"
ok "wh-send: the bodies sent keep the digits" has "$TMP/sent"
is "wh-send: the digits in the URL template" "$(reqs 'r["path"]')" \
    "$(for i in $IDS; do echo "/orders/$i"; done)"
: >"$REQLOG"
run wh-send -j 1 -u "$U/o" -d 'order={body.order_id|json} items={body.line_items|json}' "$TMP/routed"
reqs 'r["body"]' >"$TMP/sent"
is "wh-send: a text template with |json" "$(sed -n 4p "$TMP/sent")" \
    'order=1234567890123456789012345678901234567890 items=[{"id":1234567890123456789012345678901234567890,"quantity":1}]'
run wh-send -u "$U/x/{missing}" --errors "$TMP/errors" "$TMP/routed"
is "a failed record: exit 1" "$RC" 1
ok "--errors keeps the digits" has "$TMP/errors"

# decimals (device readings) keep the text they came in: jansson would
# write 21.7 as 21.699999999999999 wherever a record is written again
REALS='{"t":21.7,"p":0.1,"q":0.30000000000000004,"z":-0.0,"e":1e300,"n":1.5e-7,"k":100.0,"s":"21.7"}'
printf '%s\n' "$REALS" >"$TMP/reals"
printf 'routes:\n  - name: r\n    when: {s: 21.7}\n    set: {ok: 1}\n' >"$TMP/reals.yaml"
run wh-route -c "$TMP/reals.yaml" "$TMP/reals"
is "wh-route -c set: decimals as written; 21.7 matches \"21.7\"" "$RC:$OUT" \
    "0:${REALS%\}},\"route\":\"r\",\"ok\":1}"
run wh-send -n -u "$U/r" -d '{t} {q}' "$TMP/reals"
is "wh-send -n: decimals as written, in a body template too" \
    "$(recs 'r["request"]["body"]')" "21.7 0.30000000000000004"

# a real string that looks like what stands for a big number inside
printf '{"a":"\\u00001"}\n' >"$TMP/nul"
run wh-route -w 'a?' "$TMP/nul"
like "a string of \\u0000 and digits is refused, not changed" "$ERR" \
    'nul:1: invalid record: a string of \\u0000 and a number'

# sqs-send | sqs-poll through moto
. tests/data/flow/common.sh
moto_up
q=$("$PEERS_PYTHON" tests/sqs-helper.py queue bignum)
run sqs-send -q "$q" "$TMP/routed"
is "sqs-send: exit 0" "$RC" 0
ok "sqs-send: its output keeps the digits" has "$TMP/out"
run sqs-poll -q "$q" --once
is "sqs-poll: four messages" "$(grep -c . "$TMP/out")" 4
ok "sqs-poll: the bodies keep the digits" has "$TMP/out"
run sqs-send -q "$q" --body '{body.order_id}' "$TMP/routed"
run sqs-poll -q "$q" --once
is "sqs-send --body template: the digits as text" \
    "$(recs 'r["body"]' | sort)" \
    "$(for i in $IDS; do echo "$i"; done | sort)"
done_testing
