#!/bin/sh
# sqs-poll --s3-records: S3 -> SQS notifications in moto, decoded keys, the
# test event deleted and skipped; sqs-delete waits for every part
. tests/lib.sh
plan 23

moto_up
H() { "$PEERS_PYTHON" tests/sqs-helper.py "$@"; }
# "s3-object part parts" per record, sorted, UTF-8 as is
s3of() {
	"$PEERS_PYTHON" -c 'import json, sys
out = []
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    out.append("%s %d %d" % (json.dumps(r["s3"], ensure_ascii=False,
        separators=(",", ":")), r["sqs"]["part"], r["sqs"]["parts"]))
print("\n".join(sorted(out)))' "$1"
}

q=$(H queue s3q)
# moto sends s3:TestEvent when the notification is set up
H s3 hookpipe-s3 "$q"
# moto rejects even botocore's signature of uploads whose key has non-ASCII
# characters and, seen here, '+', '=', '&' or '(' too: those keys come in
# a hand-made notification below
H put hookpipe-s3 "dir/a b.txt" "two  spaces.txt"
run sqs-send -q s3q "$DATA/sqs/s3-two.json" "$DATA/sqs/s3-test-event.json"
is "sqs-send the hand-made events" "$RC" 0

run sqs-poll -q s3q --once --s3-records --visibility 2
is "--s3-records: exit 0" "$RC" 0
cp "$TMP/out" "$TMP/first"
is "records: 2 uploads + 2 hand-made" \
	"$(grep -c '"s3":' "$TMP/first")" 4
is "no test event emitted" "$(grep -c -i 'TestEvent' "$TMP/first")" 0
is "no body kept" "$(grep -c '"body":' "$TMP/first")" 0
grep '"bucket":"hookpipe-s3"' "$TMP/first" >"$TMP/moto"
s3of "$TMP/moto" | sed -n 's/.*"key":"\([^"]*\)".*"etag":"\([0-9a-f]*\)".* \(1 1\)$/\1 \2 \3/p' \
	>"$TMP/got"
cat >"$TMP/want" <<-EOF
	dir/a b.txt b1946ac92492d2347c6235b4d2611184 1 1
	two  spaces.txt b1946ac92492d2347c6235b4d2611184 1 1
	EOF
same_file "moto uploads: keys decoded (spaces, /), etag, one part" \
	"$TMP/got" "$TMP/want"
like "moto uploads: event and size" "$(head -n 1 "$TMP/moto")" \
	'"s3":\{"event":"ObjectCreated:Put","bucket":"hookpipe-s3","key":"[^"]+","size":6,'
grep '"bucket":"bkt1"' "$TMP/first" >"$TMP/hand"
s3of "$TMP/hand" >"$TMP/got"
same_file "hand-made: unicode, %2B, %25, parts 1 and 2 of 2" \
	"$TMP/got" "$DATA/sqs/s3-two.want"

# sqs-delete: a message split in parts is deleted once all have come
grep -v '"part":2,' "$TMP/first" >"$TMP/partial"
run sqs-delete "$TMP/partial"
is "sqs-delete, one part missing: exit 0" "$RC" 0
is "sqs-delete, one part missing: the whole ones pass" \
	"$(wc -l <"$TMP/out" | tr -d ' ')" 2
like "sqs-delete, one part missing: warns" "$ERR" \
	"^sqs-delete: warning: .*partial:[0-9]+: 1 of 2 parts of the message came; not deleted"
is "sqs-delete, one part missing: not passed on" \
	"$(grep -c '"bucket":"bkt1"' "$TMP/out")" 0
sleep 3
run sqs-poll -q s3q --once --s3-records
is "the message with a missing part came back" \
	"$(grep -c '"receive_count":2,' "$TMP/out")" 2
sqs-delete <"$TMP/out" >"$TMP/done"
s3of "$TMP/done" >"$TMP/got"
same_file "both parts passed on once deleted" "$TMP/got" "$DATA/sqs/s3-two.want"
is "queue empty: test events deleted too" "$(H count "$q")" 0

# a test event inside an SNS envelope is skipped as well; --raw keeps it
printf '%s\n' '{"Type":"Notification","MessageId":"m-1","TopicArn":"arn:aws:sns:us-east-1:123456789012:t","Message":"{\"Service\":\"Amazon S3\",\"Event\":\"s3:TestEvent\"}","Timestamp":"2026-11-23T01:33:09.546Z"}' |
	sqs-send -q s3q >/dev/null
run sqs-poll -q s3q --once --s3-records --raw --visibility 1
like "--raw: the envelope stays" "$OUT" '"body":\{"Type":"Notification"'
sleep 2
run sqs-poll -q s3q --once --s3-records
is "SNS-wrapped test event: nothing written" "$RC:$OUT" "0:"
is "SNS-wrapped test event: deleted" "$(H count "$q")" 0

# ---- 13.6: S3 -> SNS -> SQS, the ObjectCreated events moto generates ----
q2=$(H queue s3snsq)
t=$(H topic s3-events "$q2")
H s3sns hookpipe-s3sns "$t"
H put hookpipe-s3sns "in/a b.txt" "in/c.txt"
i=0
while [ $i -lt 200 ] && [ "$(H count "$q2")" -lt 3 ]; do
	sleep 0.1; i=$((i + 1)); done
is "S3 -> SNS -> SQS: the test event and two ObjectCreated queued" \
    "$(H count "$q2")" 3
run sqs-poll -q s3snsq --once --s3-records
is "S3 -> SNS -> SQS: exit 0" "$RC" 0
is "S3 -> SNS -> SQS: one record per object, the test event skipped" \
    "$(printf '%s\n' "$OUT" | grep -c '"s3":{"event":"ObjectCreated:Put"')" 2
like "S3 -> SNS -> SQS: the key decoded, the SNS envelope named" "$OUT" \
    "\"sns\":\\{\"topic_arn\":\"$t\".*\"s3\":\\{\"event\":\"ObjectCreated:Put\",\"bucket\":\"hookpipe-s3sns\",\"key\":\"in/a b.txt\",\"size\":6,"
printf '%s\n' "$OUT" | sqs-delete >/dev/null
is "S3 -> SNS -> SQS: deleted once handled" "$(H count "$q2")" 0
done_testing
