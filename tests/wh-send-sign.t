#!/bin/sh
# wh-send --sign: the signatures a receiver checks, replay of captures
. tests/lib.sh
plan 17
. tests/fake/start.sh
start_fake
U=http://127.0.0.1:$PORT
printf '{"payload":"Hello, World!"}\n' >"$TMP/gh.ndjson"

# GitHub's documented vector: the body "Hello, World!"
run wh-send -j 1 --sign github --secret-file "$DATA/http/github.secret" \
    -d '{payload}' -u "$U/gh" "$TMP/gh.ndjson"
is "github: exit 0" "$RC" 0
is "github: signature of the documented vector" \
    "$(reqs 'r["headers"]["x-hub-signature-256"]')" \
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

# standard: recompute the MAC over id.ts.body with the decoded key
: >"$REQLOG"
run wh-send --sign standard --secret-file "$DATA/http/standard.secret" \
    --sign-id 'evt_{id}' -u "$U/std" <"$DATA/http/records.ndjson"
is "standard: exit 0" "$RC" 0
is "standard: ids from the template" "$(reqs 'r["headers"]["webhook-id"]' | sort)" "evt_1
evt_2
evt_3"
is "standard: every signature checks" "$(reqs 'r["headers"]["webhook-signature"] == "v1," + __import__("base64").b64encode(__import__("hmac").new(__import__("base64").b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), (r["headers"]["webhook-id"] + "." + r["headers"]["webhook-timestamp"] + "." + r["body"]).encode(), "sha256").digest()).decode()' | sort -u)" "True"
now=$(date +%s)
ts=$(reqs 'r["headers"]["webhook-timestamp"]' | head -n 1)
ok "standard: timestamp is now" test $((now - ts)) -le 60 -a $((ts - now)) -le 60

# standard without --sign-id: fresh ids
: >"$REQLOG"
run wh-send --sign standard --secret-file "$DATA/http/standard.secret" \
    -u "$U/std" <"$DATA/http/records.ndjson"
is "standard: fresh ids differ" "$(reqs 'r["headers"]["webhook-id"]' | sort -u | wc -l | tr -d ' ')" 3

# hmac-sha256 with a header, prefix and base64 (the first spellings,
# --sign-*, still accepted)
: >"$REQLOG"
run wh-send --sign hmac-sha256 --secret-file "$DATA/http/github.secret" \
    --sign-header X-Signature --sign-prefix 'sha256=' --sign-encoding base64 \
    -d '{payload}' -u "$U/h" "$TMP/gh.ndjson"
is "hmac-sha256: header" "$(reqs 'r["headers"]["x-signature"]')" \
    "sha256=$(printf 'Hello, World!' | openssl dgst -sha256 -hmac "It's a Secret to Everybody" -binary | base64)"

# the same in wh-listen's spellings, --sig-*, hex
: >"$REQLOG"
run wh-send --sign hmac-sha256 --secret-file "$DATA/http/github.secret" \
    --sig-header X-Hub-Signature-256 --sig-prefix 'sha256=' --sig-encoding hex \
    -d '{payload}' -u "$U/h" "$TMP/gh.ndjson"
is "hmac-sha256, --sig-header: GitHub's documented signature" \
    "$(reqs 'r["headers"]["x-hub-signature-256"]')" \
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
run wh-send --sign github --secret-file "$DATA/http/github.secret" \
    --sig-header X-Sig -u "$U/x" </dev/null
is "--sig-header without hmac-sha256: exit 2" "$RC" 2
like "--sig-header without hmac-sha256: message" "$ERR" \
    '^wh-send: --sig-header, --sig-prefix and --sig-encoding are for --sign hmac-sha256'

# replay a captured webhook file to a test endpoint
: >"$REQLOG"
printf '%s\n' '{"headers":{"x-github-event":"push"},"body":{"ref":"main"}}' \
    '{"headers":{"x-github-event":"ping"},"body":{"zen":"hi"}}' >"$TMP/captured.ndjson"
run wh-send -j 1 --sign github --secret-file "$DATA/http/github.secret" \
    -H 'X-GitHub-Event: {headers.x-github-event}' -d '{body|json}' \
    -u "$U/replay" "$TMP/captured.ndjson"
is "replay: exit 0" "$RC" 0
is "replay: bodies" "$(reqs 'r["headers"]["x-github-event"] + " " + r["body"]')" 'push {"ref":"main"}
ping {"zen":"hi"}'

# usage and config errors
run wh-send --sign nope --secret-file "$DATA/http/github.secret" -u "$U/x" </dev/null
is "unknown scheme: exit 2" "$RC" 2
run wh-send --sign github -u "$U/x" </dev/null
is "no secret file: exit 2" "$RC" 2
run wh-send --sign github --secret-file "$TMP/none" -u "$U/x" </dev/null
is "missing secret file: exit 3" "$RC" 3
case "$ERR" in *Secret*) fail "secret not in messages";; *) pass "secret not in messages";; esac
done_testing
