#!/bin/sh
# s3-sign: presigned URLs equal botocore's for the same inputs and time;
# record mode, options and exit statuses (no server needed)
. tests/lib.sh
plan 20

export AWS_ACCESS_KEY_ID=AKIDEXAMPLE
export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY
export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL=http://127.0.0.1:9000
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3 AWS_DEFAULT_REGION
PY=$(python3 -c 'import sys, botocore, boto3; print(sys.executable)' 2>/dev/null)
D=20261123T010203Z

# cases: method bucket key expiry
cat >"$TMP/cases" <<'CASES'
GET|bkt1|plain.txt|3600
PUT|bkt1|dir/sub/file.bin|1
GET|my.dotted.bucket|a b+c%d.txt|604800
GET|bkt1|dir//double/./x/../y|600
PUT|bkt1|é/ü/日本.txt|900
GET|bkt1|q?x#y&z=1~_-.txt|60
CASES
if [ -z "$PY" ]; then
	skip "botocore comparison" "no python3 with botocore"
else
	args=
	: >"$TMP/want"
	: >"$TMP/got"
	n=0
	while IFS='|' read -r m b k e; do
		n=$((n + 1))
		s3-sign -m "$m" -e "$e" --date "$D" "s3://$b/$k" |
		    sed 's/.*"signed_url":"\([^"]*\)".*/\1/' >>"$TMP/got"
		printf '%s\0%s\0%s\0%s\0' "$m" "$b" "$k" "$e" >>"$TMP/args"
	done <"$TMP/cases"
	# one Python run for all cases
	xargs -0 -n 4 sh -c 'printf "presign\0%s\0%s\0%s\0%s\0%s\0--\0" \
	    "$0" "$1" "$2" "$3" '"$D" <"$TMP/args" >"$TMP/pargs"
	xargs -0 "$PY" tests/s3-util.py <"$TMP/pargs" >"$TMP/want" 2>&1
	is "path style: $n URLs signed" "$(grep -c "X-Amz-Signature=[0-9a-f]\{64\}$" "$TMP/got")" 6
	same_file "path style: $n URLs as botocore makes them" "$TMP/got" \
	    "$TMP/want"
	# session token; RFC 3339 date
	AWS_SESSION_TOKEN='tok/en+=' s3-sign -e 120 \
	    --date 2026-11-23T01:02:03Z s3://bkt1/t.txt |
	    sed 's/.*"signed_url":"\([^"]*\)".*/\1/' >"$TMP/got"
	AWS_SESSION_TOKEN='tok/en+=' "$PY" tests/s3-util.py presign GET \
	    bkt1 t.txt 120 "$D" >"$TMP/want" 2>&1
	same_file "session token as botocore" "$TMP/got" "$TMP/want"
	# virtual-hosted style at the AWS endpoint
	AWS_ENDPOINT_URL=https://s3.us-east-1.amazonaws.com \
	    s3-sign --date "$D" s3://bkt1/v.txt |
	    sed 's/.*"signed_url":"\([^"]*\)".*/\1/' >"$TMP/got"
	AWS_ENDPOINT_URL=https://s3.us-east-1.amazonaws.com \
	    S3UTIL_STYLE=virtual "$PY" tests/s3-util.py presign GET bkt1 \
	    v.txt 3600 "$D" >"$TMP/want" 2>&1
	same_file "virtual-hosted as botocore" "$TMP/got" "$TMP/want"
fi

# record mode: {s3.bucket}/{s3.key} by default; expires_at
printf '%s\n' '{"id":1,"s3":{"bucket":"bkt1","key":"plain.txt"}}' \
    '{"id":2}' '{"id":3,"s3":{"bucket":"bkt1","key":"dir/sub/file.bin"}}' \
    >"$TMP/in"
run s3-sign --date "$D" -e 60 <"$TMP/in"
is "record mode, one record without s3: exit 1" "$RC" 1
like "record 1: signed_url and expires_at added" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
    '^\{"id":1,"s3":\{"bucket":"bkt1","key":"plain.txt"\},"signed_url":"http://127.0.0.1:9000/bkt1/plain.txt\?X-Amz-Algorithm=AWS4-HMAC-SHA256&.*&X-Amz-Expires=60&.*","expires_at":"2026-11-23T01:03:03Z"\}$'
like "record 3 follows record 1" "$(printf '%s\n' "$OUT" | sed -n 2p)" '^\{"id":3,'
like "record 2 reported" "$ERR" '^s3-sign: stdin:2: .*s3.bucket'
printf '%s\n' '{"b":"x-bkt","k":"k/1"}' >"$TMP/in"
run s3-sign -b '{b}' -k 'pre/{k}' --date "$D" <"$TMP/in"
like "templates -b -k" "$OUT" '"signed_url":"http://127.0.0.1:9000/x-bkt/pre/k/1\?'
run s3-sign --date "$D" s3://bkt1/a not-s3-url
is "bad operand: exit 1" "$RC" 1
like "bad operand: message" "$ERR" '^s3-sign: cannot sign not-s3-url: not s3://bucket/key$'

# exit statuses: 2 usage, 3 config, 7 output
for e in 0 604801 -5 1h; do
	run s3-sign -e "$e" s3://bkt1/a
	is "expiry $e: exit 2" "$RC" 2
done
run s3-sign -e 604800 --date "$D" s3://bkt1/a
is "expiry 7 days: exit 0" "$RC" 0
run s3-sign -m DELETE s3://bkt1/a
is "method DELETE: exit 2" "$RC" 2
run s3-sign --date yesterday s3://bkt1/a
is "bad date: exit 2" "$RC" 2
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY s3-sign s3://bkt1/a
is "no credentials: exit 3" "$RC" 3
s3-sign s3://bkt1/a >/dev/full 2>/dev/null
is "stdout write error: exit 7" "$?" 7

done_testing
