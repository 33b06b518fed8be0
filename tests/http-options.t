#!/bin/sh
# the record tools on lib/http's pool share -j, --timeout and --retries
# (lib/httprun's HTTP_LONGOPTS): one range and one wording in each tool,
# exit 2 with the usage line, before any input is read or request made
. tests/lib.sh
plan 24
unset SLACK_WEBHOOK_URL SLACK_BOT_TOKEN
for t in wh-send slack-post job-fetch; do
	run $t -j 0 </dev/null
	is "$t -j 0: exit 2" "$RC" 2
	is "$t -j 0: the message" "$(head -n 1 "$TMP/err")" \
	    "$t: bad -j '0': a number from 1 to 256"
	like "$t -j 0: the usage line" "$ERR" "^usage: $t "
	run $t --timeout 1.5 </dev/null
	is "$t --timeout 1.5: the message" "$(head -n 1 "$TMP/err")" \
	    "$t: bad --timeout '1.5': a number from 1 to 86400"
	run $t --retries 101 </dev/null
	is "$t --retries 101: the message" "$(head -n 1 "$TMP/err")" \
	    "$t: bad --retries '101': a number from 0 to 100"
	run $t --jobs 257 </dev/null
	is "$t --jobs 257: exit 2" "$RC" 2
done
# wh-send's -t is --timeout (STYLE.md's shared letter)
run wh-send -t 0 -u http://127.0.0.1:9/ </dev/null
is "wh-send -t 0: the message" "$(head -n 1 "$TMP/err")" \
    "wh-send: bad --timeout '0': a number from 1 to 86400"
# slack-post's rate is a real number, in the same words (lib/opt)
run slack-post --rate 0 -t x </dev/null
is "slack-post --rate 0: exit 2" "$RC" 2
is "slack-post --rate 0: the message" "$(head -n 1 "$TMP/err")" \
    "slack-post: bad --rate '0': a number from 0.001 to 1000"
run slack-post --rate 0.5x -t x </dev/null
is "slack-post --rate 0.5x: exit 2" "$RC" 2
run slack-post --burst 2.5 -t x </dev/null
is "slack-post --burst 2.5: whole numbers only" "$(head -n 1 "$TMP/err")" \
    "slack-post: bad --burst '2.5': a number from 1 to 1000"
run slack-post --rate 0.5 --burst 3 -t x </dev/null
is "slack-post --rate 0.5 --burst 3: taken (then: no webhook, exit 3)" "$RC" 3
done_testing
