#!/bin/sh
# wh-send: retries, Retry-After, POST not retried on 500
. tests/lib.sh
plan 24
. tests/fake/start.sh
start_fake
U=http://127.0.0.1:$PORT
echo '{"id":1}' >"$TMP/one.ndjson"

run wh-send -u "$U/flaky/a/2/503" "$TMP/one.ndjson"
is "POST retried on 503" "$RC" 0
is "three tries" "$(grep -c /flaky/a "$REQLOG")" 3
like "retries warned" "$ERR" 'warning: .*one.ndjson:1: HTTP 503 from 127.0.0.1:[0-9]+, retry 2 of 3'
is "output after retries" "$(recs 'r["http"]["body"]["try"]')" 3

run wh-send -u "$U/flaky/b/1/500" "$TMP/one.ndjson"
is "POST not retried on 500: exit 6" "$RC" 6
is "one try" "$(grep -c /flaky/b "$REQLOG")" 1
like "500 reported" "$ERR" 'one.ndjson:1: HTTP 500 from'

run wh-send --retry-all -u "$U/flaky/c/1/500" "$TMP/one.ndjson"
is "--retry-all retries POST on 500" "$RC" 0
run wh-send -X GET -u "$U/flaky/d/1/502" "$TMP/one.ndjson"
is "GET retried on 502" "$RC" 0
run wh-send -X GET -u "$U/flaky/e/1/408" "$TMP/one.ndjson"
is "GET retried on 408" "$RC" 0

run wh-send --retries 1 -u "$U/flaky/f/5/429" "$TMP/one.ndjson"
is "retries spent: exit 6" "$RC" 6
is "--retries 1: two tries" "$(grep -c /flaky/f "$REQLOG")" 2

# Retry-After in seconds is honoured (a generous lower bound only)
s=$(date +%s)
run wh-send -u "$U/flaky/g/1/429?ra=2" "$TMP/one.ndjson"
e=$(date +%s)
is "429 then ok" "$RC" 0
ok "waited about Retry-After" test $((e - s)) -ge 1
like "Retry-After in the warning" "$ERR" 'HTTP 429 .* retry 1 of 3 in 2.0 s'

# an HTTP-date Retry-After
d=$(date -u -d '@'$(( $(date +%s) + 2 )) '+%a,%%20%d%%20%b%%20%Y%%20%H:%M:%S%%20GMT')
run wh-send -u "$U/flaky/h/1/503?ra=$d" "$TMP/one.ndjson"
is "HTTP-date Retry-After" "$RC" 0
like "waited for the date" "$ERR" 'retry 1 of 3 in [123]\.0 s'

# a Retry-After too long is not waited for
run wh-send -u "$U/flaky/i/1/503?ra=9999" "$TMP/one.ndjson"
is "Retry-After too long: exit 6" "$RC" 6
is "no second try" "$(grep -c /flaky/i "$REQLOG")" 1

# a timeout is a temporary failure
run wh-send -t 1 --retries 0 -u "$U/slow/3" "$TMP/one.ndjson"
is "timeout: exit 6" "$RC" 6
like "timeout reported" "$ERR" 'one.ndjson:1: cannot send to .*/slow/3: .*timed out'

# SIGTERM: what is in flight finishes, the status so far is kept
seq 1 50 | sed 's/.*/{"n":&}/' >"$TMP/many.ndjson"
# the input stays open (a FIFO held by fd 3): only the signal ends the run;
# it comes once the first record is written, with others in flight
mkfifo "$TMP/manyin"
wh-send -j 2 -u "$U/slow/0.5" <"$TMP/manyin" >"$TMP/out" 2>"$TMP/err" &
pid=$!
exec 3>"$TMP/manyin"
cat "$TMP/many.ndjson" >&3
first() { [ -s "$TMP/out" ]; }
eventually 20 first
kill -TERM $pid
wait $pid
RC=$?
exec 3>&-
n=$(wc -l <"$TMP/out" | tr -d ' ')
is "SIGTERM: exit 1 (records not sent are reported)" "$RC" 1
ok "SIGTERM: some records written" test "$n" -ge 1 -a "$n" -lt 50
like "SIGTERM: not sent reported" "$(cat "$TMP/err")" 'not sent: the run was stopped'
done_testing
