#!/bin/sh
# sns-publish to a topic a queue subscribes to; sqs-poll unwraps the SNS
# envelope (--raw keeps it); exit codes
. tests/lib.sh
plan 22

moto_up
H() { "$PEERS_PYTHON" tests/sqs-helper.py "$@"; }

q=$(H queue sn)
t=$(H topic jobs-done "$q")
printf '{"job_id":"j-1","status":"done"}\n' >"$TMP/rec"
run sns-publish --topic "$t" --subject 'job {job_id} finished' \
	--attr 'kind={status}' "$TMP/rec"
is "publish: exit 0" "$RC" 0
like "publish: sns_published.message_id added" "$OUT" \
	'^\{"job_id":"j-1","status":"done","sns_published":\{"message_id":"[0-9a-f-]{36}"\}\}$'
mid=$(printf '%s' "$OUT" | sed 's/.*"message_id":"\([^"]*\)".*/\1/')
run sqs-poll -q sn --once --visibility 1
like "sqs-poll: envelope unwrapped" "$OUT" \
	"\"sns\":\\{\"topic_arn\":\"$t\",\"message_id\":\"$mid\",\"subject\":\"job j-1 finished\",\"timestamp\":\"[^\"]+\",\"attributes\":\\{\"kind\":\"done\"\\}\\},\"body\":\\{\"job_id\":\"j-1\",\"status\":\"done\"\\}\\}\$"
sleep 1.5
run sqs-poll -q sn --once --raw
like "--raw: the envelope as it came" "$OUT" \
	"\"body\":\\{\"Message\":\"\\{\\\\\"job_id\\\\\":\\\\\"j-1\\\\\".*\"Type\":\"Notification\""
printf '%s\n' "$OUT" | sqs-delete >/dev/null

printf '{"text":"plain words"}\n' |
	sns-publish --topic '{t}' --message '{text}' >/dev/null 2>&1
run sns-publish --topic "$t" --message '{text}' <<-EOF
	{"text":"plain words"}
	EOF
is "--message: exit 0" "$RC" 0
run sqs-poll -q sn --once
like "a message that is not JSON stays a string" "$OUT" '"body":"plain words"'

# the SNS limit stays 256 KiB (moto enforces the same): exactly 262144
# bytes are published, one more is refused before sending
"$PEERS_PYTHON" -c 'import json
print(json.dumps({"s": "x" * 262144}))
print(json.dumps({"s": "y" * 262145}))' >"$TMP/big"
run sns-publish --topic "$t" --message '{s}' --errors "$TMP/big.err" \
	"$TMP/big"
is "256 KiB: exit 1" "$RC" 1
is "256 KiB: exactly 262144 bytes published" \
	"$(printf '%s\n' "$OUT" | grep -c '"sns_published"')" 1
like "256 KiB: one more refused" "$ERR" \
	"big:2: message is 262145 bytes, over the SNS limit of 262144"
is "256 KiB: the refused one in --errors" "$(wc -l <"$TMP/big.err" | tr -d ' ')" 1
"$PEERS_PYTHON" tests/sqs-helper.py purge "$q" >/dev/null

long=$(printf '%0101d' 0)
printf '{"s":"%s"}\n{"s":"ok"}\n' "$long" >"$TMP/subj"
run sns-publish --topic "$t" --subject '{s}' "$TMP/subj"
is "subject over 100: exit 1" "$RC" 1
like "subject over 100: says so" "$ERR" "subj:1: subject is 101 bytes"
is "the other record published" "$(printf '%s\n' "$OUT" | grep -c sns_published)" 1
run sns-publish -e --topic "$t" --subject '{s}' "$TMP/subj"
is "-e: exit 4" "$RC" 4
run sns-publish --subject x
is "no --topic: exit 2" "$RC" 2
run sns-publish --topic "$t" --attr '=x'
is "--attr with no name: exit 2" "$RC" 2
like "--attr with no name: says why" "$ERR" "sns-publish: --attr: '=x' is not name=template"
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
	sns-publish --topic "$t" "$TMP/rec"
is "no credentials: exit 3" "$RC" 3
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run sns-publish \
	--topic "$t" "$TMP/rec"
is "wrong secret: exit 5" "$RC" 5
like "wrong secret: AWS error" "$ERR" "SignatureDoesNotMatch: The request signature"
run sns-publish --topic "${t}-nope" "$TMP/rec"
is "unknown topic: exit 5" "$RC" 5
port=$(free_port)
HOOKPIPE_BACKOFF=10 run sns-publish --endpoint "http://127.0.0.1:$port" \
	--topic "$t" "$TMP/rec"
is "network down: exit 6" "$RC" 6
done_testing
