#!/bin/sh
# wh-listen --ack-fifo: answers wait for the record to come back downstream
. tests/lib.sh
. tests/data/wh-listen/common.sh

echo "1..34"

mkfifo "$TMP/ack"
# downstream passes records through; what comes out goes back to the FIFO
wh-listen -p "$PORT" --ack-fifo "$TMP/ack" --ack-timeout 5 2>"$TMP/log" |
    tee "$TMP/store" > "$TMP/ack" &
wl_up
is "acked: 200" "$(post /a -H 'webhook-id: msg_1' -d '{"n":1}')" 200
is "acked: record stored downstream" "$(jq -r .id "$TMP/store")" msg_1
set -- $($PY tests/wh-listen-load.py "$PORT" 4 50 "$TMP/ok")
is "acked under load: all 200" "$1 $2 $3" "2xx=200 other=0 errors=0"
is "acked under load: all stored" "$(wc -l < "$TMP/store" | tr -d ' ')" 201
kill -TERM $(pgrep -x wh-listen -P $$)
wait

# downstream keeps only some records: the others time out with 504
wh-listen -p "$PORT" --ack-fifo "$TMP/ack" --ack-timeout 1 2>"$TMP/log" |
    jq -c --unbuffered 'select(.body.keep)' > "$TMP/ack" &
wl_up
a=$(post /a -d '{"keep":true}')
start=$(date +%s)
b=$(post /a -d '{"keep":false}')
took=$(( $(date +%s) - start ))
is "kept downstream: 200" "$a" 200
is "dropped downstream: 504" "$b" 504
like "504 after about --ack-timeout" "$took" '^[12]$'
like "504 logged" "$(cat "$TMP/log")" '504 no acknowledgement in time'
kill -TERM $(pgrep -x wh-listen -P $$)
wait

# every scheme: the id the answer waits for comes from a header
# (standard, svix, github), the body (stripe, slack; issue 11.2: the
# sender got 504) or is made here (hmac-sha256); signed by the vendors'
# libraries (tests/oracle), bodies as the vendors publish them
ORACLE=$HP_TOP/tests/oracle/sign.mjs
export WHSIG_HEADER=X-Signature WHSIG_PREFIX=sha256= WHSIG_ENCODING=hex
for scheme in standard svix github stripe slack hmac-sha256; do
	body=$DATA/wh-listen/stripe-event.json want=ack-$scheme
	case $scheme in
	stripe) want=evt_1NG8Du2eZvKYlo2CUI79vXWy ;;
	slack) body=$DATA/wh-listen/slack-event.json want=Ev08MFMKH6 ;;
	hmac-sha256) want='^[0-9a-f]{8}-[0-9a-f]{4}-4' ;;
	esac
	node "$ORACLE" gen $scheme "$TMP/$scheme" 0
	node "$ORACLE" sign $scheme "$TMP/$scheme/secret" "$body" "ack-$scheme" \
	    "$(date +%s)" > "$TMP/$scheme/h"
	v=$scheme extra=
	[ $scheme = svix ] && v=standard
	[ $scheme = hmac-sha256 ] && extra="--sig-header X-Signature --sig-prefix sha256="
	: > "$TMP/store"
	# shellcheck disable=SC2086
	wh-listen -p "$PORT" --ack-fifo "$TMP/ack" --ack-timeout 5 \
	    --verify $v --secret-file "$TMP/$scheme/secret" $extra 2>"$TMP/log" |
	    tee "$TMP/store" > "$TMP/ack" &
	wl_up
	is "$scheme through --ack-fifo: 200" "$(post /a -H @"$TMP/$scheme/h" \
	    -H 'Content-Type: application/json' --data-binary @"$body")" 200
	like "$scheme through --ack-fifo: id $want" "$(jq -r .id "$TMP/store")" "^$want"
	# the sender's retry of an acknowledged delivery: not written again
	# (hmac-sha256 has no delivery id: each request is new)
	is "$scheme: retry after the ack answered 200" "$(post /a -H @"$TMP/$scheme/h" \
	    -H 'Content-Type: application/json' --data-binary @"$body")" 200
	n=1; [ $scheme = hmac-sha256 ] && n=2
	is "$scheme: retry after the ack: $n record(s)" "$(wc -l < "$TMP/store" | tr -d ' ')" $n
	kill -TERM $(pgrep -x wh-listen -P $$)
	wait
done

run wh-listen -p "$PORT" --ack-fifo "$TMP/nofifo"
is "missing FIFO: exit 3" "$RC" 3
run wh-listen -p "$PORT" --ack-fifo "$TMP/ack" --body-only
is "--ack-fifo with --body-only: exit 2" "$RC" 2
[ "$T_FAILED" -eq 0 ]
