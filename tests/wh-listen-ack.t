#!/bin/sh
# wh-listen --ack-fifo: answers wait for the record to come back downstream
. tests/lib.sh
. tests/data/wh-listen/common.sh

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

run wh-listen -p "$PORT" --ack-fifo "$TMP/nofifo"
is "missing FIFO: exit 3" "$RC" 3
run wh-listen -p "$PORT" --ack-fifo "$TMP/ack" --body-only
is "--ack-fifo with --body-only: exit 2" "$RC" 2
done_testing
