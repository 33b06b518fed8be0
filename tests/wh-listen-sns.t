#!/bin/sh
# wh-listen --sns: SNS messages checked against the signing certificate
# (SignatureVersion 1 and 2), subscriptions confirmed only when genuine,
# certificates fetched only from allowed https hosts; with a fake SNS
# (tests/wh-listen-sns.py) serving a self-signed certificate
. tests/lib.sh
plan 72
. tests/data/wh-listen/common.sh

S=$TMP/sns
mkdir "$S"
$PY tests/wh-listen-sns.py serve "$S" 2>"$S/err" &
SNS_PID=$!
sns_cleanup() { kill "$SNS_PID" 2>/dev/null; wait "$SNS_PID" 2>/dev/null; true; }
at_exit sns_cleanup
n=0
while [ ! -f "$S/ports" ] && [ $n -lt 200 ]; do sleep 0.05; n=$((n + 1)); done
[ -f "$S/ports" ] || { echo "Bail out! the fake SNS did not start"; cat "$S/err"; exit 1; }
read SPORT HPORT < "$S/ports"
: > "$S/gets"

# mk NAME TYPE VERSION [ARGS...]: a signed message in $S/NAME.json
mk() {
	_n=$1; shift
	$PY tests/wh-listen-sns.py sign "$S" "$@" > "$S/$_n.json"
}
# sns NAME [TYPE-HEADER]: POST it as SNS does, prints the status
sns() {
	_t=${2:-$(jq -r .Type "$S/$1.json")}
	curl -s -o "$TMP/resp" -w '%{http_code}' --max-time 30 \
	    -H 'Content-Type: text/plain; charset=UTF-8' \
	    -H "x-amz-sns-message-type: $_t" \
	    -H "x-amz-sns-message-id: $(jq -r .MessageId "$S/$1.json")" \
	    -H "x-amz-sns-topic-arn: $(jq -r .TopicArn "$S/$1.json")" \
	    --data-binary @"$S/$1.json" "$URL/sns"
}
gets() { wc -l < "$S/gets" | tr -d ' '; }
confirms() { grep -c 'Action=ConfirmSubscription' "$S/gets"; }

export WH_LISTEN_SNS_HOSTS=127.0.0.1 WH_LISTEN_SNS_CA="$S/cert.pem"
listen --sns
like "test host setting warned about" "$(cat "$TMP/log")" \
    'warning: WH_LISTEN_SNS_HOSTS is set'

# --- confirmations
mk conf SubscriptionConfirmation 1
is "valid SubscriptionConfirmation: 200" "$(sns conf)" 200
tok=$(jq -r .Token "$S/conf.json")
is "SubscribeURL fetched once, with its token" \
    "$(grep -c "GET /?Action=ConfirmSubscription&TopicArn=.*&Token=$tok\$" "$S/gets")" 1
is "certificate fetched over https" "$(grep -c '^https GET /SimpleNotificationService-test.pem$' "$S/gets")" 1
like "confirmation logged" "$(cat "$TMP/log")" \
    'POST /sns from 127.0.0.1: 200 confirmed the SNS subscription to arn:aws:sns:us-east-1:123456789012:hookpipe-test'
mk conf2 SubscriptionConfirmation 2
is "valid SubscriptionConfirmation, SignatureVersion 2: 200" "$(sns conf2)" 200
is "two confirmations fetched" "$(confirms)" 2

before=$(gets)
mk bad SubscriptionConfirmation 1 @Token=0123456789abcdef
is "confirmation with a changed Token: 401" "$(sns bad)" 401
mk bad SubscriptionConfirmation 2 '@SubscribeURL={base}/?Action=ConfirmSubscription&TopicArn=x&Token=evil'
is "confirmation with a changed SubscribeURL: 401" "$(sns bad)" 401
is "tampered confirmations: nothing fetched (cached certificate)" "$(gets)" "$before"
mk bad SubscriptionConfirmation 1 'SubscribeURL=https://localhost:'"$SPORT"'/?Action=ConfirmSubscription&Token=x'
is "SubscribeURL on a host not allowed, signed: 401" "$(sns bad)" 401
mk bad SubscriptionConfirmation 1 'SubscribeURL=http://127.0.0.1:'"$HPORT"'/?Action=ConfirmSubscription&Token=x'
is "SubscribeURL over plain http, signed: 401" "$(sns bad)" 401
is "refused SubscribeURLs: no GET" "$(gets)" "$before"
mk bad SubscriptionConfirmation 1 'SubscribeURL={base}/fail/?Action=ConfirmSubscription&Token=x'
is "confirmation the fake refuses: 502" "$(sns bad)" 502
like "failed confirmation logged" "$(cat "$TMP/log")" \
    '502 cannot confirm the SNS subscription to .*: HTTP 500'
before=$(gets)
mk unsub UnsubscribeConfirmation 2
is "UnsubscribeConfirmation: 200" "$(sns unsub)" 200
is "UnsubscribeConfirmation: SubscribeURL not fetched" "$(gets)" "$before"

# --- where certificates may come from
for u in "https://localhost:$SPORT/SimpleNotificationService-test.pem" \
    "http://127.0.0.1:$HPORT/SimpleNotificationService-test.pem" \
    "https://127.0.0.1:$SPORT/SimpleNotificationService-test.txt" \
    "https://127.0.0.1@localhost:$SPORT/x.pem" \
    "https://127.0.0.1:$SPORT/other.pem?x=.pem"; do
	mk bad Notification 2 "SigningCertURL=$u"
	is "SigningCertURL $u: 401" "$(sns bad)" 401
done
is "refused certificate URLs: nothing fetched" "$(gets)" "$before"
like "refused certificate URL logged" "$(cat "$TMP/log")" \
    '401 SNS SigningCertURL is not an https \.pem URL on an SNS host'
mk bad Notification 2 "SigningCertURL={base}/missing.pem"
is "certificate URL answering 500: 401" "$(sns bad)" 401
like "certificate fetch failure logged" "$(cat "$TMP/log")" \
    '401 cannot get the SNS certificate: HTTP 500'

# --- notifications
mk n1 Notification 1 Subject=Greetings 'Message=line one
line two, é ✓'
is "valid Notification, SignatureVersion 1, Subject: 200" "$(sns n1)" 200
mk n2 Notification 2 'Message={"order":42,"items":["a","b"]}'
is "valid Notification, SignatureVersion 2, JSON Message: 200" "$(sns n2)" 200
is "replayed Notification: 200" "$(sns n2)" 200
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other \
    -keyout "$S/other.key" -out "$S/other.crt" 2>/dev/null
mk bad Notification 2 "key=$S/other.key"
is "Notification signed with another key: 401" "$(sns bad)" 401
like "mismatch logged" "$(cat "$TMP/log")" '401 SNS signature mismatch'
mk bad Notification 1 @Message=changed
is "Notification with a changed Message: 401" "$(sns bad)" 401
mk bad Notification 2 @Subject=added
is "Notification with a Subject added: 401" "$(sns bad)" 401
mk bad Notification 2 @TopicArn=arn:aws:sns:us-east-1:123456789012:other
is "Notification with a changed TopicArn: 401" "$(sns bad)" 401
mk bad Notification 1 @SignatureVersion=2
is "SHA1 signature claimed as SignatureVersion 2: 401" "$(sns bad)" 401
mk bad Notification 2 SignatureVersion=3
is "SignatureVersion 3: 401" "$(sns bad)" 401
mk bad Notification 2 @Signature=AAAA
is "short Signature: 401" "$(sns bad)" 401
mk bad Notification 2
is "Notification sent as a SubscriptionConfirmation header: 401" \
    "$(sns bad SubscriptionConfirmation)" 401
is "x-amz-sns-message-id not the signed MessageId: 401" \
    "$(curl -s -o /dev/null -w '%{http_code}' -H 'x-amz-sns-message-type: Notification' \
    -H 'x-amz-sns-message-id: forged' --data-binary @"$S/bad.json" "$URL/sns")" 401
is "no x-amz-sns-message-type and no --verify: 401" \
    "$(post /sns --data-binary @"$S/n2.json")" 401
is "no confirmation was fetched by the refused ones" "$(confirms)" 3
stop
is "exit 0" "$WL_RC" 0
is "two records: the notifications, once each" "$(lines)" 2
is "ids are the MessageIds" "$(jq -r .id "$TMP/rec" | tr '\n' ' ')" \
    "$(jq -r .MessageId "$S/n1.json") $(jq -r .MessageId "$S/n2.json") "
is "v1 record: Message and Subject as sent" \
    "$(jq -c 'select(.body.SignatureVersion == "1") | [.body.Subject, .body.Message]' "$TMP/rec")" \
    '["Greetings","line one\nline two, é ✓"]'
is "JSON in Message stays a string (SNS's envelope)" \
    "$(jq -r 'select(.body.SignatureVersion == "2") | .body.Message | type' "$TMP/rec")" string
is "... holding the JSON sent" \
    "$(jq -c 'select(.body.SignatureVersion == "2") | .body.Message | fromjson' "$TMP/rec")" \
    '{"order":42,"items":["a","b"]}'
if grep -q -e SubscriptionConfirmation -e UnsubscribeConfirmation "$TMP/rec"; then
	fail "confirmations are never written"
else pass "confirmations are never written"; fi
if grep -q "$tok" "$TMP/log"; then fail "log never holds a Token"
else pass "log never holds a Token"; fi

# --- --sns-topic, --sns with --verify, -c with sns: true
listen --sns --sns-topic arn:aws:sns:us-east-1:123456789012:hookpipe-test
mk t Notification 2
is "--sns-topic: listed topic: 200" "$(sns t)" 200
stop
listen --sns --sns-topic arn:aws:sns:eu-west-1:1:elsewhere
mk t Notification 2
is "--sns-topic: other topic: 401" "$(sns t)" 401
mk t SubscriptionConfirmation 2
before=$(confirms)
is "--sns-topic: other topic's confirmation: 401" "$(sns t)" 401
is "--sns-topic: other topic not confirmed" "$(confirms)" "$before"
stop
like "topic refusal logged" "$(cat "$TMP/log")" '401 SNS topic is not one of --sns-topic'
is "--sns-topic: nothing written" "$(lines)" 0
run wh-listen -p "$PORT" --sns-topic arn:aws:sns:us-east-1:1:t
is "--sns-topic without --sns: exit 2" "$RC" 2

printf 'It'"'"'s a Secret to Everybody' > "$TMP/gh.secret"
listen --sns --verify github --secret-file "$TMP/gh.secret"
is "--sns with --verify github: signed github request: 200" \
    "$(post /x -H 'X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' --data-binary 'Hello, World!')" 200
mk t Notification 1
is "--sns with --verify github: SNS notification: 200" "$(sns t)" 200
is "--sns with --verify github: unsigned request: 401" "$(post /x -d '{}')" 401
stop
is "--sns with --verify: two records" "$(lines)" 2

cat > "$TMP/c.yaml" <<Y
paths:
  /sns: {sns: true}
  /open: {}
Y
listen -c "$TMP/c.yaml"
mk t Notification 2
is "-c sns: true: notification: 200" "$(sns t)" 200
is "-c sns: true: unsigned: 401" "$(post /sns -d '{}')" 401
is "-c: other path open: 200" "$(post /open -d '{}')" 200
stop
is "-c sns: two records" "$(lines)" 2
printf 'paths:\n  /sns: {sns: yes please}\n' > "$TMP/bad.yaml"
run wh-listen -p "$PORT" -c "$TMP/bad.yaml"
is "-c sns not a boolean: exit 3" "$RC" 3

# --- production settings: the fake is neither an SNS host nor trusted
before=$(gets)
unset WH_LISTEN_SNS_HOSTS
listen --sns
mk t Notification 2
is "without WH_LISTEN_SNS_HOSTS, 127.0.0.1 is no SNS host: 401" "$(sns t)" 401
stop
is "... and nothing was fetched" "$(gets)" "$before"
export WH_LISTEN_SNS_HOSTS=127.0.0.1
unset WH_LISTEN_SNS_CA
CURL_CA_BUNDLE=$S/other.crt; export CURL_CA_BUNDLE
listen --sns
mk t2 Notification 2 "SigningCertURL={base}/second.pem"
is "certificate host not trusted by TLS: 401" "$(sns t2)" 401
stop
like "TLS failure logged" "$(cat "$TMP/log")" '401 cannot get the SNS certificate'
is "... and no certificate was served" "$(gets)" "$before"
CURL_CA_BUNDLE=$S/cert.pem
listen --sns
is "CURL_CA_BUNDLE names the CA: 200" "$(sns t2)" 200
stop
is "exit 0 (and no sanitizer report)" "$WL_RC $(grep -c Sanitizer "$TMP/log")" "0 0"
done_testing
