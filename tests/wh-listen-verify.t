#!/bin/sh
# wh-listen --verify: official vectors, signatures made by the official npm
# libraries at test time, and every way a request must be refused
. tests/lib.sh
. tests/data/wh-listen/common.sh

# the plan up front: a branch that does not run cannot hide its assertions
echo "1..54"
ORACLE=$HP_TOP/tests/oracle/sign.mjs
have_oracle=1
{ command -v node >/dev/null && [ -d "$HP_TOP/tests/oracle/node_modules/stripe" ]; } ||
	have_oracle=0
NOW=$(date +%s)
# headers FILE: curl -H arguments, one per line of FILE
send() {	# send PATH HEADERFILE BODYFILE
	ct=application/json
	grep -qi '^content-type:' "$2" && ct=
	curl -s -o "$TMP/resp" -w '%{http_code}' --max-time 20 \
	    ${ct:+-H "Content-Type: $ct"} -H @"$2" --data-binary @"$3" "$URL$1"
}

# --- the vendors' published vectors (GitHub's docs, Standard Webhooks',
# Slack's, Stripe's); old timestamps need a wide window
printf 'It'"'"'s a Secret to Everybody' > "$TMP/gh.secret"
printf 'Hello, World!' > "$TMP/gh.body"
echo 'X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' > "$TMP/gh.h"
echo 'X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18' > "$TMP/gh.bad"
listen --verify github --secret-file "$TMP/gh.secret"
is "github vector accepted" "$(send /gh "$TMP/gh.h" "$TMP/gh.body")" 200
is "github vector, last digit changed: 401" "$(send /gh "$TMP/gh.bad" "$TMP/gh.body")" 401
printf 'Hello, World?' > "$TMP/gh.body2"
is "github: tampered body: 401" "$(send /gh "$TMP/gh.h" "$TMP/gh.body2")" 401
: > "$TMP/empty.h"
is "github: no signature header: 401" "$(send /gh "$TMP/empty.h" "$TMP/gh.body")" 401
stop
is "github: one record" "$(lines)" 1
is "github: body is the string" "$(jq -c .body "$TMP/rec")" '"Hello, World!"'
like "401 logged with a reason" "$(cat "$TMP/log")" \
    'POST /gh from 127.0.0.1: 401 (signature mismatch|.*mismatch)'
like "missing header logged" "$(cat "$TMP/log")" '401 .*(no|missing).*[Ss]ignature'
if grep -q "Secret to Everybody" "$TMP/log"; then fail "log never holds the secret"
else pass "log never holds the secret"; fi

# the same vector through the generic scheme
export GH_SECRET="It's a Secret to Everybody"
listen --verify hmac-sha256 --secret-env GH_SECRET \
    --sig-header X-Hub-Signature-256 --sig-prefix sha256= --sig-encoding hex
is "hmac-sha256 (hex, prefix) with the github vector" "$(send /h "$TMP/gh.h" "$TMP/gh.body")" 200
is "hmac-sha256: wrong MAC: 401" "$(send /h "$TMP/gh.bad" "$TMP/gh.body")" 401
stop
is "hmac-sha256: one record" "$(lines)" 1
b64=$(printf 'Hello, World!' | openssl dgst -sha256 -hmac "$GH_SECRET" -binary | base64)
echo "X-Sig: $b64" > "$TMP/b64.h"
listen --verify hmac-sha256 --secret-env GH_SECRET --sig-header X-Sig \
    --sig-encoding base64
is "hmac-sha256 base64, no prefix" "$(send /h "$TMP/b64.h" "$TMP/gh.body")" 200
is "hmac-sha256 base64: hex header refused" "$(send /h "$TMP/gh.h" "$TMP/gh.body")" 401
stop

printf 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n' > "$TMP/std.secret"
printf '{"test": 2432232314}' > "$TMP/std.body"
cat > "$TMP/std.h" <<H
webhook-id: msg_p5jXN8AQM9LWM0D4loKWxJek
webhook-timestamp: 1614265330
webhook-signature: v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
H
sed 's/1OE=/1OA=/' "$TMP/std.h" > "$TMP/std.bad"
listen --verify standard --secret-file "$TMP/std.secret" --tolerance 1999999999
is "standard vector: negative case 401" "$(send /s "$TMP/std.bad" "$TMP/std.body")" 401
is "standard vector accepted" "$(send /s "$TMP/std.h" "$TMP/std.body")" 200
is "standard: replay answered 200" "$(send /s "$TMP/std.h" "$TMP/std.body")" 200
stop
is "standard: replay written once" "$(lines)" 1
is "standard: id is webhook-id" "$(jq -r .id "$TMP/rec")" msg_p5jXN8AQM9LWM0D4loKWxJek
listen --verify standard --secret-file "$TMP/std.secret"
is "standard vector outside the default 300 s window: 401" \
    "$(send /s "$TMP/std.h" "$TMP/std.body")" 401
stop
like "stale timestamp logged" "$(cat "$TMP/log")" '401 .*(old|timestamp)'

printf '8f742231b10e8888abcd99yyyzzz85a5' > "$TMP/sl.secret"
printf '%s' 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c' > "$TMP/sl.body"
cat > "$TMP/sl.h" <<H
Content-Type: application/x-www-form-urlencoded
X-Slack-Request-Timestamp: 1531420618
X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503
H
listen --verify slack --secret-file "$TMP/sl.secret" --tolerance 1999999999
is "slack vector accepted" "$(send /sl "$TMP/sl.h" "$TMP/sl.body")" 200
sed 's/1531420618/1531420619/' "$TMP/sl.h" > "$TMP/sl.bad"
is "slack: other timestamp: 401" "$(send /sl "$TMP/sl.bad" "$TMP/sl.body")" 401
stop
is "slack: form body as an object" "$(jq -r .body.command "$TMP/rec")" /webhook-collect

# --- signatures made by the official libraries, now
if [ $have_oracle -eq 0 ]; then
	# scripts/deps installs them: missing, this test fails
	fail "oracle libraries" "node or tests/oracle/node_modules missing"
	exit 1
fi
sign() {	# sign SCHEME SECRETFILE BODYFILE ID TS > headers
	node "$ORACLE" sign "$@"
}
for scheme in standard github stripe slack hmac-sha256; do
	export WHSIG_HEADER=X-Signature WHSIG_PREFIX=sha256= WHSIG_ENCODING=base64
	extra=""
	[ $scheme = hmac-sha256 ] && extra="--sig-header X-Signature --sig-prefix sha256= --sig-encoding base64"
	n=0 ok=0 bad=0
	# (not $i: tests/lib.sh's wait_port uses it)
	# every kind of body sign.mjs makes, the ~1 MiB one (round 2) too
	for round in 0 1 2 3 4 5; do
		node "$ORACLE" gen $scheme "$TMP/g" $round
		# each round its own secret
		listen --verify $scheme --secret-file "$TMP/g/secret" $extra \
		    --max-body 4MiB
		sign $scheme "$TMP/g/secret" "$TMP/g/body" "evt-$scheme-$round" "$NOW" > "$TMP/h"
		# round 4's body is a form, sent as GitHub and Slack send one
		[ $round = 4 ] && echo 'Content-Type: application/x-www-form-urlencoded' >> "$TMP/h"
		st=$(send /o "$TMP/h" "$TMP/g/body")
		[ "$st" = 200 ] && ok=$((ok + 1))
		n=$((n + 1))
		# the record's body is what was sent
		# compared in Python: jq 1.6 and the shell mangle NUL bytes
		if ! tail -n 1 "$TMP/rec" | python3 -c '
import base64, json, sys, urllib.parse
rec = json.loads(sys.stdin.read())
raw = open(sys.argv[1], "rb").read()
if raw.startswith(b"payload="):
    # a form: its fields, the payload field decoded from JSON
    form = urllib.parse.parse_qs(raw.decode("ascii"), strict_parsing=True)
    want = {k: v[0] for k, v in form.items()}
    want["payload"] = json.loads(want["payload"])
    sys.exit(0 if rec.get("body") == want else 1)
try:
    want = json.loads(raw.decode("utf-8"))
except ValueError:
    want = None
if want is not None:
    ok = rec.get("body") == want
elif "body_base64" in rec:
    ok = base64.b64decode(rec["body_base64"]) == raw
else:
    ok = rec.get("body") == raw.decode("utf-8")
sys.exit(0 if ok else 1)' "$TMP/g/body"; then
			bad=$((bad + 1))
			echo "# body differs in round $round"
		fi
		# wrong secret
		printf 'whsec_%s' "$(head -c 24 /dev/urandom | base64)" > "$TMP/wrong"
		sign $scheme "$TMP/wrong" "$TMP/g/body" "evt-w-$round" "$NOW" > "$TMP/h2"
		[ "$(send /o "$TMP/h2" "$TMP/g/body")" = 401 ] || { bad=$((bad + 1)); echo "# wrong secret accepted"; }
		# tampered body
		{ cat "$TMP/g/body"; printf ' '; } > "$TMP/tampered"
		[ "$(send /o "$TMP/h" "$TMP/tampered")" = 401 ] || { bad=$((bad + 1)); echo "# tampered accepted"; }
		# no signature headers at all
		[ "$(send /o "$TMP/empty.h" "$TMP/g/body")" = 401 ] || { bad=$((bad + 1)); echo "# unsigned accepted"; }
		[ "$(lines)" = 1 ] || { bad=$((bad + 1)); echo "# $(lines) records"; }
		[ $round = 5 ] || stop
	done
	# stale and future timestamps
	case $scheme in standard|stripe|slack)
		NOW=$(date +%s)
		sign $scheme "$TMP/g/secret" "$TMP/g/body" "old-$scheme" $((NOW - 400)) > "$TMP/h"
		is "$scheme: timestamp 400 s old: 401" "$(send /o "$TMP/h" "$TMP/g/body")" 401
		sign $scheme "$TMP/g/secret" "$TMP/g/body" "new-$scheme" $((NOW + 400)) > "$TMP/h"
		want=401; [ $scheme = stripe ] && want=200	# stripe-node accepts
		is "$scheme: timestamp 400 s ahead: $want" "$(send /o "$TMP/h" "$TMP/g/body")" $want
		sign $scheme "$TMP/g/secret" "$TMP/g/body" "edge-$scheme" $((NOW - 250)) > "$TMP/h"
		is "$scheme: timestamp 250 s old: 200" "$(send /o "$TMP/h" "$TMP/g/body")" 200
		;;
	esac
	stop
	is "$scheme: 6 oracle-signed requests accepted" "$ok of $n" "6 of 6"
	is "$scheme: bodies kept, forgeries refused" "$bad" 0
	if grep -qF "$(cat "$TMP/g/secret")" "$TMP/log"; then fail "$scheme: log holds no secret"
	else pass "$scheme: log holds no secret"; fi
done

# replays inside the window: answered, written once
node "$ORACLE" gen standard "$TMP/r" 0
listen --verify standard --secret-file "$TMP/r/secret"
sign standard "$TMP/r/secret" "$TMP/r/body" msg_replay "$(date +%s)" > "$TMP/h"
a=$(send /r "$TMP/h" "$TMP/r/body"); b=$(send /r "$TMP/h" "$TMP/r/body")
c=$(send /other "$TMP/h" "$TMP/r/body")
is "replay answered 200 each time" "$a $b $c" "200 200 200"
stop
is "replay: written once per path" "$(jq -r .path "$TMP/rec" | tr '\n' ' ')" "/r /other "

# Slack url_verification, signed
printf 'slacksecret' > "$TMP/ss"
printf '{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}' > "$TMP/chal"
sign slack "$TMP/ss" "$TMP/chal" x "$(date +%s)" > "$TMP/h"
listen --verify slack --secret-file "$TMP/ss"
is "slack url_verification answered" "$(send /slack "$TMP/h" "$TMP/chal")" 200
is "slack challenge echoed" "$(cat "$TMP/resp")" 3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P
is "unsigned url_verification refused" "$(send /slack "$TMP/empty.h" "$TMP/chal")" 401
stop
is "url_verification writes no record" "$(lines)" 0
[ "$T_FAILED" -eq 0 ]
