#!/bin/sh
# peers: scripts/peers starts moto with a real IAM key that signed requests
# (curl --aws-sigv4, the aws CLI) must use, and stops it without leftovers
. tests/lib.sh
plan 30

# only the peers.env of this test counts
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
dir=$TMP/peers

# the checks that need no moto
mkdir -p "$TMP/fakebin"
printf '#!/bin/sh\nexit 1\n' >"$TMP/fakebin/python3"
chmod +x "$TMP/fakebin/python3"
PATH=$TMP/fakebin:$PATH HP_VENV=$TMP/novenv run sh scripts/peers start \
    "$TMP/nomoto"
is "no moto: exit 3" "$RC" 3
like "no moto: says how to get it" "$ERR" "moto is missing: run scripts/deps"

sleep 30 &
victim=$!
mkdir -p "$TMP/fake"
echo "MOTO_PID=$victim" >"$TMP/fake/peers.env"
run sh scripts/peers stop "$TMP/fake"
is "stop refuses a pid that is not moto" "$RC" 1
ok "that process still runs" kill -0 "$victim"
kill "$victim"
run sh scripts/peers stop "$TMP/none"
is "stop with nothing started" "$RC" 0

stop_peers() { sh scripts/peers stop "$dir" >/dev/null 2>&1; }
at_exit stop_peers
run sh scripts/peers start "$dir"
if [ "$RC" -eq 3 ]; then
	skip_rest "moto is not installed"
	done_testing
	exit
fi
is "start" "$RC" 0
ok "peers.env written" test -s "$dir/peers.env"
like "peers.env readable by its owner only" \
	"$(ls -l "$dir/peers.env" | cut -c1-10)" '^-rw-------'
set -a
. "$dir/peers.env"
set +a
like "keys made by moto IAM" "$AWS_ACCESS_KEY_ID" '^[A-Z0-9]{16,}$'
is "endpoint" "$AWS_ENDPOINT_URL" "http://127.0.0.1:$MOTO_PORT"
is "region" "$AWS_REGION $AWS_DEFAULT_REGION" "us-east-1 us-east-1"

# curl: the secret goes through a config file, never argv
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" \
	>"$TMP/curl.good"
printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "wrong$AWS_SECRET_ACCESS_KEY" \
	>"$TMP/curl.bad"
s3get() {
	curl -sS --max-time 20 -K "$1" --aws-sigv4 aws:amz:us-east-1:s3 \
		-H "x-amz-content-sha256: $EMPTY" -o "$TMP/body" \
		-w '%{http_code}' "$MOTO_ENDPOINT$2"
}
is "curl: signed S3 ListBuckets" "$(s3get "$TMP/curl.good" /)" 200
code=$(curl -sS --max-time 20 -K "$TMP/curl.good" \
	--aws-sigv4 aws:amz:us-east-1:sqs -o "$TMP/body" -w '%{http_code}' \
	--data 'Action=CreateQueue&QueueName=peers-q' "$MOTO_ENDPOINT/")
is "curl: signed SQS CreateQueue" "$code" 200
like "queue URL has MOTO_QUEUE_URL_PREFIX" "$(cat "$TMP/body")" \
	"<QueueUrl>${MOTO_QUEUE_URL_PREFIX}peers-q</QueueUrl>"

# the aws CLI next to the interpreter: pyenv's shim costs a second a run
awscli=$(dirname "$PEERS_PYTHON")/aws
[ -x "$awscli" ] || awscli=aws
bkt=hookpipe-peers
printf 'hello from peers.t\n' >"$TMP/obj"
run "$awscli" --endpoint-url "$MOTO_ENDPOINT" s3api create-bucket \
	--bucket "$bkt"
is "aws: create-bucket" "$RC" 0 || echo "$ERR" | sed 's/^/# /'
run "$awscli" --endpoint-url "$MOTO_ENDPOINT" s3api put-object \
	--bucket "$bkt" --key "dir/a b.txt" --body "$TMP/obj"
is "aws: put-object" "$RC" 0 || echo "$ERR" | sed 's/^/# /'
like "aws: ETag is the MD5" "$OUT" "$(md5sum <"$TMP/obj" | cut -c1-32)"
is "curl: GET the object" "$(s3get "$TMP/curl.good" "/$bkt/dir/a%20b.txt")" 200
same_file "curl: same bytes back" "$TMP/body" "$TMP/obj"

is "curl: wrong secret is 403" "$(s3get "$TMP/curl.bad" /)" 403
like "curl: SignatureDoesNotMatch" "$(cat "$TMP/body")" SignatureDoesNotMatch
AWS_SECRET_ACCESS_KEY=wrong$AWS_SECRET_ACCESS_KEY run "$awscli" \
	--endpoint-url "$MOTO_ENDPOINT" s3api put-object --bucket "$bkt" \
	--key x --body "$TMP/obj"
ok "aws: wrong secret fails" test "$RC" -ne 0
like "aws: SignatureDoesNotMatch" "$ERR" SignatureDoesNotMatch

run sh scripts/peers start "$dir"
like "start again: already running" "$OUT" "already running \\(pid $MOTO_PID\\)"

run sh scripts/peers stop "$dir"
is "stop" "$RC" 0
st=$(ps -o stat= -p "$MOTO_PID" 2>/dev/null)
case $st in ''|Z*) pass "moto is gone${st:+ (zombie until reaped)}" ;;
*) fail "moto is gone" "state $st" ;; esac
left=$(ps -eo stat=,args= | grep -v '^Z' |
	grep -c "[m]oto.server -H 127.0.0.1 -p $MOTO_PORT\$")
is "no moto left on port $MOTO_PORT" "$left" 0
curl -s --max-time 5 -o /dev/null "$MOTO_ENDPOINT/moto-api/"
is "port closed" "$?" 7
ok "peers.env removed" test ! -e "$dir/peers.env"
run sh scripts/peers stop "$dir"
is "stop again: nothing to do" "$RC" 0
done_testing
