#!/bin/sh
# slack-post: the rate limit per channel, 429 and Retry-After, no 5xx retry
. tests/lib.sh
. tests/fake/start.sh
plan 16
start_fake
U=http://127.0.0.1:$PORT
unset SLACK_WEBHOOK_URL SLACK_BOT_TOKEN SLACK_API_URL
echo xoxb-good >"$TMP/tok"
seq 1 6 | sed 's/.*/{"n":&}/' >"$TMP/six.ndjson"

# arrivals T: the server's arrival times of the requests logged, sorted
arrivals() { reqs 'r["t"]' | sort -n; }
# span FROM TO: seconds between the FROM-th and TO-th arrival (1-based)
span() { arrivals | awk -v a="$1" -v b="$2" 'NR == a { x = $1 } NR == b { y = $1 } END { printf "%.3f\n", y - x }'; }
# 6 messages to one channel at 2/s with a burst of 2: >= 2 s
: >"$REQLOG"
s=$(date +%s.%N)
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel C1 \
    --rate 2 --burst 2 -j 4 -t 'n {n}' "$TMP/six.ndjson"
e=$(date +%s.%N)
is "rate: exit 0" "$RC" 0
ok "rate held: 6 messages took at least 1.9 s" python3 -c "import sys; sys.exit(0 if $e - $s >= 1.9 else 1)"
# at the server: after the burst of 2, one each 0.5 s: the 6th arrives
# 2 s after the 1st, and no 3 arrive within 0.5 s (less what a send may
# be late by on a loaded machine)
g=$(span 1 6)
ok "rate at the server: the 6th arrived 2 s after the 1st ($g s)" \
    awk -v g="$g" 'BEGIN { exit !(g >= 1.9) }'
w=$(arrivals | awk '{ t[NR] = $1 } END { m = 99; for (i = 3; i <= NR; i++) if (t[i] - t[i - 2] < m) m = t[i] - t[i - 2]; printf "%.3f\n", m }')
ok "rate at the server: no 3 arrivals within 0.35 s (closest $w s)" \
    awk -v w="$w" 'BEGIN { exit !(w >= 0.35) }'
# one channel each: the limit is per channel, so nothing waits
: >"$REQLOG"
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel '{n|default:x}' \
    --rate 1 --burst 1 -j 4 -t 'n' "$TMP/six.ndjson"
is "channels are limited apart: exit 0" "$RC" 0
is "order kept" "$(recs 'r["n"]' | tr '\n' ' ')" "1 2 3 4 5 6 "
is "six channels: six posts" "$(arrivals | wc -l | tr -d ' ')" 6
g=$(span 1 6)
ok "six channels at 1/s: not held to one rate (all in $g s, not 5)" \
    awk -v g="$g" 'BEGIN { exit !(g < 3) }'


# 429 waits Retry-After, then posts
: >"$REQLOG"
printf '{"n":1}\n' >"$TMP/one.ndjson"
s=$(date +%s)
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel CLIMIT -t hi "$TMP/one.ndjson"
e=$(date +%s)
is "429 then ok: exit 0" "$RC" 0
is "two posts" "$(wc -l <"$REQLOG" | tr -d ' ')" 2
ok "waited Retry-After" test $((e - s)) -ge 1
like "429 warned" "$ERR" 'HTTP 429 from 127.0.0.1:[0-9]+, retry 1 of 3 in 1.0 s'

echo "$U/services/T/B/limit" >"$TMP/whlimit"
run slack-post --webhook-file "$TMP/whlimit" --rate 100 -t hi "$TMP/six.ndjson"
is "webhook 429s retried: exit 0" "$RC" 0

# 5xx is not retried: the post may have gone through
: >"$REQLOG"
echo "$U/status/500" >"$TMP/wh500"
run slack-post --webhook-file "$TMP/wh500" -t hi "$TMP/one.ndjson"
is "500: exit 6" "$RC" 6
is "500: posted once" "$(wc -l <"$REQLOG" | tr -d ' ')" 1
: >"$REQLOG"
echo "$U/status/503" >"$TMP/wh503"
run slack-post --webhook-file "$TMP/wh503" -t hi "$TMP/one.ndjson"
is "503: posted once" "$(wc -l <"$REQLOG" | tr -d ' ')" 1
done_testing
