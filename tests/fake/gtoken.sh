# tests/fake/gtoken.sh: sourced after tests/lib.sh; a fake Google token
# endpoint and metadata server (tests/fake/gtoken.py) for the tests of
# Google credentials (tests/gcpauth.t, tests/pubsub-auth.t).
#
# gtoken_up: makes two fresh RSA keys with openssl, $GTOKEN_DIR/key.pem
#   (the one the endpoint knows: its public half is pub.pem) and other.pem
#   (one it does not), and starts gtoken.py on 127.0.0.1:$GTOKEN_PORT,
#   stopped at exit.  Sets GTOKEN_DIR ($TMP/gtoken), GTOKEN_URL
#   (http://127.0.0.1:PORT), GTOKEN_LOG (the requests it received, one
#   JSON line each, tests/fake/fakebase.py's) and GTOKEN_CTL (its control
#   folder: expires_in, fail503, and issued, the tokens handed out).
#   A key openssl cannot make, or a fake that does not start, bails out.
# gtoken_keyfile OUT PEM [TOKEN_URI]: a service-account key file at OUT
#   for the private key PEM, in the shape Google's IAM console and
#   `gcloud iam service-accounts keys create` write; its token_uri
#   TOKEN_URI, default $GTOKEN_URL/token.

gtoken_up() {
	GTOKEN_DIR=$TMP/gtoken
	GTOKEN_CTL=$GTOKEN_DIR/ctl
	GTOKEN_LOG=$GTOKEN_DIR/requests.ndjson
	mkdir -p "$GTOKEN_CTL"
	: >"$GTOKEN_LOG"
	: >"$GTOKEN_CTL/issued"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$GTOKEN_DIR/key.pem" 2>/dev/null &&
	    openssl pkey -in "$GTOKEN_DIR/key.pem" -pubout \
	    -out "$GTOKEN_DIR/pub.pem" &&
	    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
	    -out "$GTOKEN_DIR/other.pem" 2>/dev/null || {
		echo "Bail out! openssl cannot make RSA keys"; exit 1; }
	GTOKEN_PORT=$(free_port)
	GTOKEN_URL=http://127.0.0.1:$GTOKEN_PORT
	python3 "$HP_TOP/tests/fake/gtoken.py" "$GTOKEN_PORT" "$GTOKEN_LOG" \
	    "$GTOKEN_DIR/pub.pem" "$GTOKEN_CTL" >"$GTOKEN_DIR/fake.out" 2>&1 &
	GTOKEN_PID=$!
	at_exit gtoken_down
	if ! wait_port "$GTOKEN_PORT"; then
		echo "Bail out! gtoken.py did not start"
		cat "$GTOKEN_DIR/fake.out"
		exit 1
	fi
}

gtoken_down() {
	kill "$GTOKEN_PID" 2>/dev/null
	wait "$GTOKEN_PID" 2>/dev/null
}

gtoken_keyfile() {
	python3 - "$1" "$2" "${3:-$GTOKEN_URL/token}" <<'PY'
import json, sys
out, pem, uri = sys.argv[1:4]
email = "hookpipe-test@proj-1.iam.gserviceaccount.com"
json.dump({
    "type": "service_account",
    "project_id": "proj-1",
    "private_key_id": "4c1d0e8f2a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d",
    "private_key": open(pem).read(),
    "client_email": email,
    "client_id": "104291238471236418723",
    "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    "token_uri": uri,
    "auth_provider_x509_cert_url":
        "https://www.googleapis.com/oauth2/v1/certs",
    "client_x509_cert_url":
        "https://www.googleapis.com/robot/v1/metadata/x509/" +
        email.replace("@", "%40"),
    "universe_domain": "googleapis.com",
}, open(out, "w"), indent=2)
PY
}
