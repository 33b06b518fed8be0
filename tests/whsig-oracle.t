# whsig-oracle.t: lib/whsig against the official webhook libraries (npm)
#
# For every scheme, random secrets and bodies (unicode, ~1 MiB, not JSON)
# are signed by the official library (tests/oracle/sign.mjs) and by
# lib/whsig (build/unit/whsig sign); both must give the same headers, each
# side must verify the other's, and both must refuse a tampered body.
# Needs node and the npm registry the first time (npm ci in tests/oracle);
# when either is missing the test fails, it never skips.
#
# standard, github and stripe have official libraries.  slack and
# hmac-sha256 have none on npm (outside the whole of Bolt), so sign.mjs
# computes them with node:crypto from the published algorithm: those
# comparisons show that two implementations written here agree, no more,
# and are named "self-consistency".  What anchors them to the vendors is
# the vectors below: Slack's own signed example, GitHub's for the hex
# form, RFC 4231's for base64, each checked against whsig and against
# the JavaScript side.
. tests/lib.sh
plan 230

O=$HP_TOP/tests/oracle
U=$HP_BUILD/unit/whsig
CASES=${WHSIG_ORACLE_CASES:-6}

die() {
	fail "$1" "$2"
	done_testing
	exit 1
}

[ -x "$U" ] || die "unit binary $U built" "run make first"
command -v node >/dev/null 2>&1 || die "node found" "node 20+ is required"
if [ ! -d "$O/node_modules" ]; then
	if (cd "$O" && npm ci --no-audit --no-fund) >"$TMP/npm.log" 2>&1
	then
		pass "npm ci in tests/oracle"
	else
		# a half install would pass for a whole one next time
		rm -rf "$O/node_modules"
		fail "npm ci in tests/oracle" "cannot install the oracle libraries"
		sed 's/^/#   /' "$TMP/npm.log" | tail -n 20
		done_testing
		exit 1
	fi
fi
# the installed libraries are the pinned ones
for p in standardwebhooks @octokit/webhooks-methods stripe svix \
    @octokit/webhooks-examples; do
	want=$(node -e 'const d = require(process.argv[1]).dependencies;
	    console.log(d[process.argv[2]])' "$O/package.json" "$p")
	got=$(node -e 'console.log(require(process.argv[1]).version)' \
	    "$O/node_modules/$p/package.json" 2>/dev/null)
	is "oracle $p is the pinned $want" "$got" "$want"
done

# verdict FILE: the oracle's verdict written by verify-all
verdict() { cat "$1" 2>/dev/null || echo "no verdict"; }

# oracle SCHEME CONF: CASES rounds for one scheme (CONF names hmac setups);
# the library side runs once per step for all cases, node being slow to start
oracle() {
	s=$1 conf=$2
	# who signs on the JavaScript side
	case $s in
	slack|hmac-sha256) lib="JS written here (self-consistency)" ;;
	*) lib="the library" ;;
	esac
	dirs=""
	k=0
	while [ $k -lt "$CASES" ]; do
		d=$TMP/$s$conf-$k
		mkdir -p "$d"
		echo "msg_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" >"$d/id"
		dirs="$dirs $d"
		k=$((k + 1))
	done
	ts=$(date +%s)
	# shellcheck disable=SC2086
	node "$O/sign.mjs" gen-all "$s" $dirs &&
	node "$O/sign.mjs" sign-all "$s" "$ts" $dirs ||
	    fail "$s$conf: library generates and signs"
	k=0
	for d in $dirs; do
		size=$(wc -c <"$d/body" | tr -d ' ')
		what="$s$conf #$k ($size bytes)"
		run "$U" sign "$s" "$d/secret" "$d/body" "$(cat "$d/id")" "$ts"
		cp "$TMP/out" "$d/c.h"
		is "$what: whsig signs" "$RC:$ERR" "0:"
		same_file "$what: same headers as $lib" "$d/c.h" \
		    "$d/lib.h"
		run "$U" verify "$s" "$d/secret" "$d/body" "$d/lib.h"
		is "$what: whsig verifies the signature of $lib" \
		    "$RC:$ERR" "0:"
		{ cat "$d/body"; printf x; } >"$d/body2"
		run "$U" verify "$s" "$d/secret" "$d/body2" "$d/lib.h"
		is "$what: whsig refuses a tampered body" "$RC:$ERR" \
		    "1:whsig: signature mismatch"
		k=$((k + 1))
	done
	# shellcheck disable=SC2086
	node "$O/sign.mjs" verify-all "$s" body c.h $dirs &&
	node "$O/sign.mjs" verify-all "$s" body2 c.h $dirs ||
	    fail "$s$conf: library verifies"
	k=0
	for d in $dirs; do
		is "$s$conf #$k: $lib verifies whsig's signature" \
		    "$(verdict "$d/c.h-body.verdict")" ok
		v=$(verdict "$d/c.h-body2.verdict")
		like "$s$conf #$k: $lib refuses a tampered body ($v)" \
		    "$v" '^(not verified|No (matching signature|signatures found))'
		k=$((k + 1))
	done
}

for s in standard github slack stripe; do
	oracle $s ""
done
WHSIG_HEADER=X-Hub-Signature-256 WHSIG_PREFIX=sha256= WHSIG_ENCODING=hex
export WHSIG_HEADER WHSIG_PREFIX WHSIG_ENCODING
oracle hmac-sha256 "-hex"
WHSIG_HEADER=X-Signature WHSIG_PREFIX= WHSIG_ENCODING=base64
oracle hmac-sha256 "-base64"

# the vendors' vectors for the schemes without a library, through whsig
# and through sign.mjs's JavaScript: Slack's signed example
# (api.slack.com/authentication/verifying-requests-from-slack) ...
d=$TMP/vec
mkdir -p "$d"
printf '8f742231b10e8888abcd99yyyzzz85a5' >"$d/sl.secret"
printf '%s' 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c' >"$d/sl.body"
printf '%s\n' 'X-Slack-Request-Timestamp: 1531420618' \
    'X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503' \
    >"$d/sl.h"
run "$U" verify slack "$d/sl.secret" "$d/sl.body" "$d/sl.h" 1531420618
is "vendor vector: whsig verifies Slack's example" "$RC:$ERR" "0:"
run node "$O/sign.mjs" sign slack "$d/sl.secret" "$d/sl.body" x 1531420618
is "vendor vector: the JS slack signer gives Slack's example" "$OUT" \
    "$(cat "$d/sl.h")"
# ... GitHub's (docs.github.com, validating webhook deliveries), hex ...
printf "It's a Secret to Everybody" >"$d/gh.secret"
printf 'Hello, World!' >"$d/gh.body"
gh=sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17
WHSIG_HEADER=X-Hub-Signature-256 WHSIG_PREFIX=sha256= WHSIG_ENCODING=hex
run "$U" sign hmac-sha256 "$d/gh.secret" "$d/gh.body"
is "vendor vector: whsig hmac-sha256 hex gives GitHub's example" "$OUT" \
    "X-Hub-Signature-256: $gh"
run node "$O/sign.mjs" sign hmac-sha256 "$d/gh.secret" "$d/gh.body" x 0
is "vendor vector: the JS hmac-sha256 hex gives GitHub's example" "$OUT" \
    "X-Hub-Signature-256: $gh"
# ... and RFC 4231 test case 2 (HMAC-SHA256), base64 as Shopify sends it
printf 'Jefe' >"$d/rfc.secret"
printf 'what do ya want for nothing?' >"$d/rfc.body"
# (the RFC's hex 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58
# b964ec3843, in base64)
rfc=W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=
WHSIG_HEADER=X-Signature WHSIG_PREFIX= WHSIG_ENCODING=base64
run "$U" sign hmac-sha256 "$d/rfc.secret" "$d/rfc.body"
is "RFC 4231 vector: whsig hmac-sha256 base64" "$OUT" "X-Signature: $rfc"
run node "$O/sign.mjs" sign hmac-sha256 "$d/rfc.secret" "$d/rfc.body" x 0
is "RFC 4231 vector: the JS hmac-sha256 base64" "$OUT" "X-Signature: $rfc"

# github with prefix sha256= and hex is hmac-sha256: octokit checks it
d=$TMP/cross
node "$O/sign.mjs" gen github "$d" 1
WHSIG_HEADER=X-Hub-Signature-256 WHSIG_PREFIX=sha256= WHSIG_ENCODING=hex
run "$U" sign hmac-sha256 "$d/secret" "$d/body"
printf '%s\n' "$OUT" >"$d/c.h"
run node "$O/sign.mjs" verify github "$d/secret" "$d/body" "$d/c.h"
is "octokit verifies whsig hmac-sha256 set up as github" "$RC:$ERR" "0:"

# the Standard Webhooks library sees the same timestamp window
d=$TMP/old
node "$O/sign.mjs" gen standard "$d" 0
old=$(( $(date +%s) - 400 ))
node "$O/sign.mjs" sign standard "$d/secret" "$d/body" msg_old "$old" \
    >"$d/lib.h"
run "$U" verify standard "$d/secret" "$d/body" "$d/lib.h"
like "whsig refuses a 400 s old standard webhook" "$RC:$ERR" \
    '^1:whsig: timestamp too old \(40[0-9] s\)$'
run node "$O/sign.mjs" verify standard "$d/secret" "$d/body" "$d/lib.h"
like "the library refuses it too" "$RC:$ERR" '^1:.*too old'

done_testing
