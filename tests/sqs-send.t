#!/bin/sh
# sqs-send: batches, templates, attributes, FIFO ids, the queue's
# MaximumMessageSize (moto's default and AWS's since 2025: 1 MiB; a queue
# may keep 256 KiB) and the 1 MiB batch,
# exit codes; sns-publish: Publish, envelope unwrapped by sqs-poll
. tests/lib.sh
plan 35

moto_up
H() { "$PEERS_PYTHON" tests/sqs-helper.py "$@"; }
noauth() {
	env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
	    AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
	    AWS_CONFIG_FILE=/nonexistent "$@"
}

q=$(H queue sq)
seq 0 24 | sed 's/.*/{"i":&,"text":"hello &"}/' >"$TMP/in"
run sqs-send -q sq "$TMP/in"
is "25 records: exit 0" "$RC" 0
is "25 records out" "$(lines "$TMP/out")" 25
is "each with sqs_sent.message_id" \
	"$(grep -Ec '"sqs_sent":\{"message_id":"[0-9a-f-]{36}"\}\}$' "$TMP/out")" 25
sqs-poll -q sq --once | sqs-delete >"$TMP/back"
is "25 in the queue, the whole record as body" \
	"$(grep -c '"body":{"i":[0-9]*,"text":"hello [0-9]*"}}$' "$TMP/back")" 25

printf '{"text":"hi there","kind":"k1"}\n' |
	sqs-send -q "$q" --body '{text}' --attr 'kind={kind}' --attr 'fixed=x' \
	>/dev/null
like "--body and --attr" "$(H attrs "$q")" \
	'"attrs": \{"fixed": "x", "kind": "k1"\}, "body": "hi there"'

fq=$(H queue jobs.fifo - fifo)
printf '{"g":"dev-1","id":"e-1"}\n' >"$TMP/f"
run sqs-send -q jobs.fifo --group-id '{g}' --dedup-id '{id}' "$TMP/f"
is "FIFO: exit 0" "$RC" 0
like "FIFO: sequence number" "$OUT" '"sqs_sent":\{"message_id":"[^"]+","sequence_number":"[0-9]+"\}'
like "FIFO: group and dedup ids" "$(H attrs "$fq")" \
	'"dedup": "e-1", "group": "dev-1"'
run sqs-send -q jobs.fifo "$TMP/f"
# moto refuses the whole batch (a 4xx): pointless to go on
is "FIFO without --group-id: exit 5" "$RC" 5
like "FIFO without --group-id: the AWS reason" "$ERR" \
	"sqs-send: cannot send to .*jobs.fifo: .*MessageGroupId"

"$PEERS_PYTHON" -c 'import json
print(json.dumps({"n": 1}))
print(json.dumps({"n": 2, "big": "x" * 262144}))
print(json.dumps({"n": 3, "big": "y" * 200000}))
print(json.dumps({"n": 4, "big": "z" * 200000}))' >"$TMP/big"
q256=$(H queue sq256 - max=262144)
run sqs-send -q sq256 --delay 0 "$TMP/big"
is "queue of 256 KiB: over it, exit 1" "$RC" 1
like "queue of 256 KiB: clear error" "$ERR" \
	"^sqs-send: .*big:2: message is 262[0-9]* bytes, over the queue's MaximumMessageSize of 262144"
is "queue of 256 KiB: the others sent" \
	"$(sed -n 's/^{"n":\([0-9]\).*/\1/p' "$TMP/out" | tr '\n' ' ')" "1 3 4 "
H purge "$q256"
# a queue of 1 MiB (moto's default, as AWS's): 256 KiB and more pass, a
# batch holds up to 1 MiB, over 1 MiB is refused before sending
H purge "$q"
"$PEERS_PYTHON" -c 'import json
print(json.dumps({"n": 1, "big": "a" * 300000}))
print(json.dumps({"n": 2, "big": "b" * 1048576}))
print(json.dumps({"n": 3, "big": "c" * 600000}))
print(json.dumps({"n": 4, "big": "d" * 1048000}))' >"$TMP/mib"
run sqs-send -q sq --delay 0 "$TMP/mib"
is "queue of 1 MiB: one over it, exit 1" "$RC" 1
like "queue of 1 MiB: over it refused" "$ERR" \
	"^sqs-send: .*mib:2: message is 10485[0-9]* bytes, over the queue's MaximumMessageSize of 1048576"
is "queue of 1 MiB: 300 KB, 600 KB and 1 MB sent" \
	"$(sed -n 's/^{"n":\([0-9]\).*/\1/p' "$TMP/out" | tr '\n' ' ')" "1 3 4 "
is "queue of 1 MiB: three messages in it" "$(H count "$q")" 3
H purge "$q"

printf '{"a":1}\n{"b":2}\n' >"$TMP/missing"
run sqs-send -q sq --body '{a}' "$TMP/missing"
is "missing template field: exit 1" "$RC" 1
like "missing template field: says which" "$ERR" "missing:2: .*no field a"
run sqs-send -e -q sq --body '{a}' "$TMP/missing"
is "-e: exit 4" "$RC" 4
run sqs-send -q sq --delay 901
is "--delay 901: exit 2" "$RC" 2
run sqs-send --body x
is "no -q: exit 2" "$RC" 2
run sqs-send -q sq --attr 'noequals'
is "--attr without =: exit 2" "$RC" 2
like "--attr without =: says why" "$ERR" "sqs-send: --attr: 'noequals' is not name=template"
run sqs-send -q sq --attr 'k={unclosed'
is "--attr with a bad template: exit 2" "$RC" 2
like "--attr with a bad template: says why" "$ERR" "sqs-send: --attr: "
run noauth sqs-send -q sq "$TMP/f"
is "no credentials: exit 3" "$RC" 3
HOOKPIPE_BACKOFF=-1 run sqs-send -q sq "$TMP/f"
is "bad HOOKPIPE_BACKOFF: exit 3" "$RC" 3
like "bad HOOKPIPE_BACKOFF: says why" "$ERR" "bad HOOKPIPE_BACKOFF '-1': a number from 0 to 60000"
run sqs-send -q no-such-queue "$TMP/f"
is "unknown queue: exit 5" "$RC" 5
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run sqs-send -q "$q" "$TMP/f"
is "wrong secret: exit 5" "$RC" 5
like "wrong secret: AWS error" "$ERR" "cannot send to .*: SignatureDoesNotMatch"
port=$(free_port)
HOOKPIPE_BACKOFF=10 run sqs-send --endpoint "http://127.0.0.1:$port" \
	-q "$q" "$TMP/f"
is "network down: exit 6" "$RC" 6
# with no endpoint configured, requests go to the queue URL's own host
echo '{"via":"url"}' >"$TMP/u"
run env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_SQS sqs-send -q "$q" "$TMP/u"
is "queue URL alone: exit 0" "$RC" 0
like "queue URL alone: sent" "$OUT" '"sqs_sent":\{"message_id":"[^"]+"'
done_testing
