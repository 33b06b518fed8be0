#!/bin/sh
# aws-creds: container credentials and IMDSv2 against a fake metadata
# server on 127.0.0.1 (tests/aws-fake-meta.py), through the driver mode of
# the aws unit binary (see the top of tests/unit/aws.c)
. tests/lib.sh
plan 39

bin=$HP_BUILD/unit/aws
# nothing of the caller's AWS setup may leak in
for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do unset "$v"; done
export AWS_SHARED_CREDENTIALS_FILE=$TMP/none AWS_CONFIG_FILE=$TMP/none

# the server writes its port once it listens; no wait_port needed
python3 tests/aws-fake-meta.py "$TMP/port" "$TMP/log" "Bearer ctr-tok" \
	>"$TMP/fake.out" 2>&1 &
fake=$!
stop_fake() { kill "$fake" 2>/dev/null; wait "$fake" 2>/dev/null; }
at_exit stop_fake
i=0
while [ ! -s "$TMP/port" ] && [ $i -lt 200 ]; do
	sleep 0.05
	i=$((i + 1))
done
port=$(cat "$TMP/port" 2>/dev/null)
if [ -z "$port" ]; then
	fail "fake metadata server starts" "$(cat "$TMP/fake.out")"
	done_testing
	exit
fi
base=http://127.0.0.1:$port

# drive ARGS...: run the driver with the current environment, fresh log
drive() { : >"$TMP/log"; run "$bin" "$@"; }

# container credentials
export AWS_EC2_METADATA_DISABLED=true
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$base/ctr/creds
export AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer ctr-tok"
drive creds
is "container: loaded" "$RC" 0
like "container: keys, token, expiry" "$OUT" \
	'^container AKIDC[0-9]+ secret[0-9]+ session[0-9]+ [1-9][0-9]+$'
like "container: Authorization sent" "$(cat "$TMP/log")" \
	'^GET /ctr/creds auth=Bearer ctr-tok '
exp=$(echo "$OUT" | cut -d' ' -f5)
now=$(date +%s)
ok "container: Expiration about an hour ahead" \
	test "$exp" -gt $((now + 3000)) -a "$exp" -lt $((now + 4000))

unset AWS_CONTAINER_AUTHORIZATION_TOKEN
printf 'Bearer ctr-tok\n' >"$TMP/tokfile"
export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$TMP/tokfile
export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://localhost:$port/ctr/creds
drive creds
is "container: token file, localhost allowed" "$RC" 0
like "container: file's final newline not sent" "$(cat "$TMP/log")" \
	'auth=Bearer ctr-tok token='

printf 'wrong' >"$TMP/tokfile"
drive creds
is "container: refused token fails" "$RC" 1
like "container: HTTP status in the message" "$ERR" 'creds: HTTP 403'
unset AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE

export AWS_CONTAINER_AUTHORIZATION_TOKEN="Bearer ctr-tok"
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$base/ctr-bad/creds
drive creds
is "container: answer without secret fails" "$RC" 1
like "container: says what is missing" "$ERR" \
	'no AccessKeyId or SecretAccessKey'

export AWS_CONTAINER_CREDENTIALS_FULL_URI=$base/ctr/creds
AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=s drive creds
like "environment beats container" "$OUT" '^env AKIDENV s - 0$'
is "container not asked" "$(cat "$TMP/log")" ""
printf '[default]\naws_access_key_id=AKIDP\naws_secret_access_key=sp\n' \
	>"$TMP/credentials"
AWS_SHARED_CREDENTIALS_FILE=$TMP/credentials drive creds
like "profile beats container" "$OUT" '^profile AKIDP sp - 0$'

# refresh: 120 s left is inside the 5 minute margin
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$base/ctr-short/creds
drive refresh
is "refresh: ran" "$RC" 0
k1=$(echo "$OUT" | sed -n 1p | cut -d' ' -f2)
k2=$(echo "$OUT" | sed -n 3p | cut -d' ' -f2)
is "refresh: reloaded near expiry" "$(echo "$OUT" | sed -n 2p)" "refresh 1"
ok "refresh: new key ($k1 then $k2)" test -n "$k1" -a "$k1" != "$k2"
is "refresh: no second fetch at once" "$(echo "$OUT" | sed -n 4p)" "again 0"
is "refresh: two requests" "$(grep -c 'GET /ctr-short/creds' "$TMP/log")" 2
export AWS_CONTAINER_CREDENTIALS_FULL_URI=$base/ctr/creds
drive refresh
is "refresh: not needed an hour ahead" "$(echo "$OUT" | sed -n 2p)" \
	"refresh 0"
is "refresh: one request" "$(grep -c 'GET /ctr/creds' "$TMP/log")" 1
unset AWS_CONTAINER_CREDENTIALS_FULL_URI AWS_CONTAINER_AUTHORIZATION_TOKEN

# IMDS
drive creds
is "IMDS disabled: fails" "$RC" 1
like "IMDS disabled: says so" "$ERR" 'IMDS is disabled'
is "IMDS disabled: no request" "$(cat "$TMP/log")" ""
unset AWS_EC2_METADATA_DISABLED

export AWS_EC2_METADATA_SERVICE_ENDPOINT=$base/v2/
drive creds
is "IMDSv2: loaded" "$RC" 0
like "IMDSv2: source imds" "$OUT" \
	'^imds AKIDC[0-9]+ secret[0-9]+ session[0-9]+ [1-9]'
is "IMDSv2: token PUT with a TTL" "$(sed -n 1p "$TMP/log")" \
	"PUT /v2/latest/api/token auth=- token=- ttl=21600"
sc=/v2/latest/meta-data/iam/security-credentials
is "IMDSv2: role with the token" "$(sed -n 2p "$TMP/log")" \
	"GET $sc/ auth=- token=imds-token-123 ttl=-"
is "IMDSv2: credentials with the token" "$(sed -n 3p "$TMP/log")" \
	"GET $sc/hookpipe-role auth=- token=imds-token-123 ttl=-"

export AWS_EC2_METADATA_SERVICE_ENDPOINT=$base/v1
drive creds
is "IMDSv1 fallback on 405: loaded" "$RC" 0
like "IMDSv1: no token sent" "$(sed -n 2p "$TMP/log")" 'token=- '
AWS_EC2_METADATA_V1_DISABLED=true drive creds
is "IMDSv1 fallback disabled: fails" "$RC" 1
like "IMDSv1 disabled: HTTP 405 reported" "$ERR" 'api/token: HTTP 405'

export AWS_EC2_METADATA_SERVICE_ENDPOINT=$base/norole
drive creds
is "IMDS without a role: fails" "$RC" 1
like "IMDS without a role: says so" "$ERR" 'no IAM role'

export AWS_EC2_METADATA_SERVICE_ENDPOINT=$base/slow
t0=$(date +%s)
drive creds
t1=$(date +%s)
is "IMDS too slow: fails" "$RC" 1
like "IMDS too slow: timeout reported" "$ERR" '[Tt]imeout|timed out'
ok "IMDS too slow: gave up well before the server's 5 s ($((t1 - t0)) s)" \
	test $((t1 - t0)) -le 3

export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1
drive creds
is "IMDS unreachable: fails" "$RC" 1
like "IMDS unreachable: no credentials found" "$ERR" \
	'no credentials found.*127\.0\.0\.1:1'
done_testing
