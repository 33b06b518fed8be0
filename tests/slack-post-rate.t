#!/bin/sh
# slack-post: the rate limit per channel, 429 and Retry-After, no 5xx retry
. tests/lib.sh
. tests/fake/start.sh
start_fake
U=http://127.0.0.1:$PORT
unset SLACK_WEBHOOK_URL SLACK_BOT_TOKEN SLACK_API_URL
echo xoxb-good >"$TMP/tok"
seq 1 6 | sed 's/.*/{"n":&}/' >"$TMP/six.ndjson"

# 6 messages to one channel at 2/s with a burst of 2: >= 2 s
s=$(date +%s.%N)
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel C1 \
    --rate 2 --burst 2 -j 4 -t 'n {n}' "$TMP/six.ndjson"
e=$(date +%s.%N)
is "rate: exit 0" "$RC" 0
ok "rate held: 6 messages took at least 1.9 s" python3 -c "import sys; sys.exit(0 if $e - $s >= 1.9 else 1)"
# the server's arrival times: no 3 within any 0.9 s
: >"$REQLOG"
run slack-post --api "$U/api" --token-file "$TMP/tok" --channel '{n|default:x}' \
    --rate 1 --burst 1 -j 4 -t 'n' "$TMP/six.ndjson"
is "channels are limited apart: exit 0" "$RC" 0
is "order kept" "$(recs 'r["n"]' | tr '\n' ' ')" "1 2 3 4 5 6 "

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
