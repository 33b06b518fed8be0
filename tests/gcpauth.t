#!/bin/sh
# gcpauth: Google access tokens (lib/gcpauth) against tests/fake/gtoken.py,
# a token endpoint that checks the JWT with the public half of a key made
# here with openssl, and a metadata server; through the driver mode of the
# gcpauth unit binary (see the top of tests/unit/gcpauth.c)
. tests/lib.sh
. tests/fake/start.sh	# reqs EXPR: over $REQLOG
. tests/fake/gtoken.sh
plan 37

bin=$HP_BUILD/unit/gcpauth
unset GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST PUBSUB_EMULATOR_HOST
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
HOOKPIPE_BACKOFF=20
export HOOKPIPE_BACKOFF

gtoken_up
port=$GTOKEN_PORT
base=$GTOKEN_URL
LOG=$GTOKEN_LOG
REQLOG=$LOG
K=$GTOKEN_DIR
gtoken_keyfile "$TMP/sa.json" "$K/key.pem"
gtoken_keyfile "$TMP/other.json" "$K/other.pem"

dn=0
# drive ARGS...: the driver with a fresh log; stderr kept for the end
drive() {
	: >"$LOG"
	dn=$((dn + 1))
	run "$bin" drive "$@"
	cp "$TMP/err" "$TMP/stderr.$dn"
}
# jwt_of_log [span]: the JWT of the logged exchange, "header claims" as
# JSON; span: its exp - iat
jwt_of_log() {
	python3 - "$LOG" "${1:-}" <<'PY'
import base64, json, sys, urllib.parse
r = json.loads(open(sys.argv[1]).readline())
a = urllib.parse.parse_qs(r["body"])["assertion"][0]
d = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
h, c = d(a.split(".")[0]), d(a.split(".")[1])
if sys.argv[2] == "span":
    print(c["exp"] - c["iat"])
else:
    print(json.dumps(h, sort_keys=True), json.dumps(c, sort_keys=True))
PY
}

# the key file: JWT exchanged, then the token cached
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/sa.json
drive get get
is "key file: both gets succeed" "$RC" 0
is "key file: a token, then the same from the cache" "$OUT" \
	"get 0 ya29.fake-1 fetches=1
get 0 ya29.fake-1 fetches=1"
is "key file: one request for two gets" "$(lines "$LOG")" 1
is "the request: POST /token, a form" "$(reqs \
	'r["method"], r["path"], r["headers"]["content-type"]')" \
	"('POST', '/token', 'application/x-www-form-urlencoded')"
like "the form: the jwt-bearer grant and an assertion" "$(reqs 'r["body"]')" \
	'^grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=[A-Za-z0-9_.-]+$'
jwt=$(jwt_of_log)
like "the JWT header: RS256, JWT, the key's private_key_id as kid" "$jwt" \
	'^\{"alg": "RS256", "kid": "4c1d0e8f2a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", "typ": "JWT"\} '
like "the claims: aud the token_uri, iss the client_email, the scope" \
	"$jwt" "\"aud\": \"$base/token\", \"exp\": [0-9]+, \"iat\": [0-9]+, \"iss\": \"hookpipe-test@proj-1.iam.gserviceaccount.com\", \"scope\": \"https://www.googleapis.com/auth/pubsub\"\}$"
is "the claims: exp is iat + 3600" "$(jwt_of_log span)" 3600

# expiry: a token that ends within 60 s is fetched anew
echo 60 >"$GTOKEN_CTL/expires_in"
drive get get
is "expires_in 60: each get fetches" "$OUT" \
	"get 0 ya29.fake-2 fetches=1
get 0 ya29.fake-3 fetches=2"
is "expires_in 60: two requests" "$(lines "$LOG")" 2
# (66: 6 s of cache, far more than two gets in a row take, even loaded)
echo 66 >"$GTOKEN_CTL/expires_in"
drive get until-new 60
is "expires_in 66: refreshed by itself once the margin is reached" \
	"$RC" 0
like "expires_in 66: a new token after a while, two requests" "$OUT" \
	'^get 0 ya29.fake-4 fetches=1
new after [0-9]+ gets fetches=2$'
ok "expires_in 66: not refreshed at once (cached for a while)" \
	test "$(echo "$OUT" | sed -n 's/^new after \([0-9]*\) .*/\1/p')" -gt 1
echo 3599 >"$GTOKEN_CTL/expires_in"

# a 401 from the API: invalidate, and the next get fetches
drive get get invalidate get
is "invalidate: the next get fetches a new token" "$OUT" \
	"get 0 ya29.fake-6 fetches=1
get 0 ya29.fake-6 fetches=1
get 0 ya29.fake-7 fetches=2"
is "invalidate: two requests" "$(lines "$LOG")" 2

# a 503 is retried on the engine's policy; too many are a temporary error
echo 1 >"$GTOKEN_CTL/fail503"
drive get
is "one 503: retried, then a token" "$OUT" "get 0 ya29.fake-8 fetches=1"
is "one 503: two requests" "$(lines "$LOG")" 2
echo 9 >"$GTOKEN_CTL/fail503"
drive get
is "503s: the get fails, temporary" "$OUT" "get -1 fetches=1 temp=1"
is "503s: the error names the endpoint and the attempts" "$ERR" \
	"gcpauth: token endpoint $base/token: HTTP 503 unavailable (after 4 attempts)"
echo 0 >"$GTOKEN_CTL/fail503"

# a key the endpoint does not know: Google's invalid_grant, not temporary
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/other.json
drive get
is "unknown key: refused for good" "$OUT" "get -1 fetches=1 temp=0"
is "unknown key: Google's error, the endpoint named" "$ERR" \
	"gcpauth: token endpoint $base/token: HTTP 400 invalid_grant: Invalid JWT Signature."
is "unknown key: not retried" "$(lines "$LOG")" 1
# the fake checks aud: its own URL, here 127.0.0.1, not localhost
gtoken_keyfile "$TMP/localhost.json" "$K/key.pem" "http://localhost:$port/token"
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/localhost.json
drive get
is "aud not the endpoint's URL: refused by the fake" "$ERR" \
	"gcpauth: token endpoint http://localhost:$port/token: HTTP 400 invalid_grant: Invalid JWT: Invalid audience."
# whatever URL the key file names
gtoken_keyfile "$TMP/elsewhere.json" "$K/key.pem" "$base/other/token"
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/elsewhere.json
drive get
is "a token_uri the fake does not serve: 404 named" "$ERR" \
	"gcpauth: token endpoint $base/other/token: HTTP 404"
is "the request went to the key file's token_uri" "$(reqs 'r["path"]')" \
	"/other/token"

# bad key files: exit 3, the file named, not its content
printf '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD\\n-----END PRIVATE KEY-----\\n", "client_email": "a@b.example", "token_uri": "%s/token"}' \
	"$base" >"$TMP/bad.json"
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/bad.json
drive get
is "bad private_key: init fails (exit 3)" "$RC" 3
is "bad private_key: the file named, the key not shown" "$ERR" \
	"gcpauth: key file $TMP/bad.json: private_key: not an unencrypted PEM private key"
head -c 300 "$TMP/sa.json" >"$TMP/cut.json"
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/cut.json
drive get
like "a cut key file: not JSON, its place told, no key text" "$ERR" \
	"^gcpauth: key file $TMP/cut.json: not a JSON object \\(line [0-9]+, column [0-9]+\\)$"
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/missing.json
drive get
is "a missing key file: named" "$ERR" \
	"gcpauth: GOOGLE_APPLICATION_CREDENTIALS: cannot open $TMP/missing.json: No such file or directory"
is "bad key files: nothing sent" "$(lines "$LOG")" 0

# the metadata server, without a key file
unset GOOGLE_APPLICATION_CREDENTIALS
export GCE_METADATA_HOST=127.0.0.1:$port
drive get get
is "metadata: a token, then the cache" "$OUT" \
	"get 0 ya29.meta-1 fetches=1
get 0 ya29.meta-1 fetches=1"
is "metadata: GET of the token path with the scope, Metadata-Flavor" \
	"$(reqs 'r["method"], r["path"], r["headers"].get("metadata-flavor")')" \
	"('GET', '/computeMetadata/v1/instance/service-accounts/default/token?scopes=https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fpubsub', 'Google')"
is "the fake: 403 without Metadata-Flavor, as the server" "$(python3 -c '
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1])
    print(200)
except urllib.error.HTTPError as e:
    print(e.code)' "$base/computeMetadata/v1/instance/service-accounts/default/token")" 403

# an emulator: no token at all
drive none get
is "none: no header, nothing fetched" "$OUT" "get 0 - fetches=0"
is "none: no request" "$(lines "$LOG")" 0

# the token never on stderr (a token on stdout is the driver's doing)
ok "no token in any stderr" sh -c '! grep -l ya29 "$1"/stderr.*' sh "$TMP"
ok "no key in any stderr" sh -c '! grep -l -e "PRIVATE KEY" -e TUlJRXZR "$1"/stderr.*' sh "$TMP"
done_testing
