#!/bin/sh
# wh-listen --sns with a REAL message: a Notification Amazon SNS signed and
# delivered, checked against the real certificate it names (both vendored
# in tests/data/sns, see SOURCE there), fetched with the real host rule
# (no WH_LISTEN_SNS_HOSTS): the SNS hosts are stood in for by an
# https_proxy (tests/fake/sns-proxy.py), and the clock is set back to the
# delivery day (tests/fake/timeshim.c) since the certificate has expired
. tests/lib.sh
. tests/data/wh-listen/common.sh
plan 17
D=$DATA/sns
CERT=SimpleNotificationService-56e67fcb41f6fec09b0196692625d385.pem
P=$TMP/proxy
mkdir "$P"
$PY tests/fake/sns-proxy.py "$P" "$D/$CERT" 2>"$P/err" &
PX=$!
px_cleanup() { kill "$PX" 2>/dev/null; wait "$PX" 2>/dev/null; true; }
at_exit px_cleanup
up() { [ -s "$P/port" ]; }
eventually 30 up || { echo "Bail out! the SNS proxy did not start"; cat "$P/err"; exit 1; }
PXPORT=$(cat "$P/port")
: >"$P/log"
if ! cc -shared -fPIC -o "$TMP/timeshim.so" tests/fake/timeshim.c -ldl 2>"$TMP/cc.err"; then
	echo "Bail out! cannot build tests/fake/timeshim.c"; cat "$TMP/cc.err"; exit 1
fi

# post FILE: POST it as SNS does, prints the status
snspost() {
	curl -s -o "$TMP/resp" -w '%{http_code}' --max-time 30 \
	    -H 'Content-Type: text/plain; charset=UTF-8' \
	    -H "x-amz-sns-message-type: $(jq -r .Type "$1")" \
	    -H "x-amz-sns-message-id: $(jq -r .MessageId "$1")" \
	    -H "x-amz-sns-topic-arn: $(jq -r .TopicArn "$1")" \
	    --data-binary @"$1" "$URL/sns"
}
# with CERTURL: the real message naming another URL (SigningCertURL is not
# part of what SNS signs, so the signature still holds)
with() { jq --arg u "$1" '.SigningCertURL = $u' "$D/notification.json" >"$TMP/m.json"; }
connects() { grep -c "^CONNECT $1:443\$" "$P/log"; }

unset WH_LISTEN_SNS_HOSTS http_proxy HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
# 2023-01-17T22:40:00Z, minutes after the delivery
export WH_LISTEN_SNS_CA="$P/ca.pem" https_proxy=http://127.0.0.1:$PXPORT
export HOOKPIPE_FAKE_TIME=1673995200
LD_PRELOAD=$TMP/timeshim.so ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    wh-listen -p "$PORT" --sns >"$TMP/rec" 2>"$TMP/log" &
WL_PID=$!
wl_up || { echo "# wh-listen did not start"; sed 's/^/# /' "$TMP/log"; }
is "no test host setting: no warning" "$(grep -c 'WH_LISTEN_SNS_HOSTS' "$TMP/log")" 0

is "the real notification, as delivered: 200" "$(snspost "$D/notification.json")" 200
is "its certificate fetched from sns.us-west-2.amazonaws.com" \
    "$(grep '^GET ' "$P/log")" "GET sns.us-west-2.amazonaws.com /$CERT"
is "the record: the message, the topic" \
    "$(jq -c '[.body.Message, .body.TopicArn]' "$TMP/rec")" \
    '["{\"foo\": \"bar\"}","arn:aws:sns:us-west-2:024726604032:AshtonTest"]'

# tampered: each signed field changed by one character is refused
for f in Message MessageId Timestamp TopicArn; do
	jq --arg f "$f" '.[$f] |= (.[:-1] + (if .[-1:] == "x" then "y" else "x" end))' \
	    "$D/notification.json" >"$TMP/t.json"
	is "$f changed: 401" "$(snspost "$TMP/t.json")" 401
done

# the host rule, positively: the other regions' hosts are fetched from
with "https://sns.us-east-1.amazonaws.com/$CERT"
is "certificate on sns.us-east-1.amazonaws.com: 200" "$(snspost "$TMP/m.json")" 200
is "... fetched from there" "$(connects sns.us-east-1.amazonaws.com)" 1
with "https://sns.cn-north-1.amazonaws.com.cn/$CERT"
is "certificate on sns.cn-north-1.amazonaws.com.cn: 200" "$(snspost "$TMP/m.json")" 200
is "... fetched from there" "$(connects sns.cn-north-1.amazonaws.com.cn)" 1
# and negatively: a look-alike host is never contacted
with "https://sns.us-east-1.amazonaws.com.evil.example/$CERT"
is "certificate on a look-alike host: 401" "$(snspost "$TMP/m.json")" 401
is "... never contacted" "$(grep -c evil "$P/log")" 0
stop
is "exit 0" "$WL_RC" 0

# today the certificate has expired: the same real message is refused
: >"$TMP/rec"
listen --sns
is "real message, expired certificate (today's clock): 401" "$(snspost "$D/notification.json")" 401
like "... said why" "$(cat "$TMP/log")" 'certificate .*(expired|not valid)'
stop
done_testing
