#!/bin/sh
# Google credentials in pubsub-publish, pubsub-pull and pubsub-ack:
# through tests/fake/gproxy.py, a proxy in front of the Pub/Sub emulator
# that wants a token tests/fake/gtoken.py handed out (the JWT of a
# service-account key file checked with the key's public half, or the
# metadata server); tokens cached, refreshed before they end and after a
# 401; refused credentials and a metadata server that is not there, with
# the exits documented in the pages; never a key or a token on stderr
. tests/lib.sh
. tests/fake/start.sh	# reqs EXPR [LOG]
. tests/fake/gtoken.sh
plan 47

pubsub_up
P=hookpipe-test
T=projects/$P/topics/authed
S=projects/$P/subscriptions/authed-all
ps_topic $P authed
ps_sub $P authed-all authed 60
# from here on the tools authenticate: no emulator, the proxy's endpoint
unset PUBSUB_EMULATOR_HOST GOOGLE_APPLICATION_CREDENTIALS GCE_METADATA_HOST
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export HOOKPIPE_BACKOFF=10

gtoken_up
gtoken_keyfile "$TMP/sa.json" "$GTOKEN_DIR/key.pem"
gtoken_keyfile "$TMP/unknown.json" "$GTOKEN_DIR/other.pem"
GPORT=$(free_port)
EP=http://127.0.0.1:$GPORT
PLOG=$TMP/proxy.ndjson
: >"$PLOG"
python3 "$HP_TOP/tests/fake/gproxy.py" "$GPORT" "$PLOG" "$PUBSUB_URL" \
	"$GTOKEN_CTL" >"$TMP/gproxy.out" 2>&1 &
GPID=$!
gproxy_down() { kill "$GPID" 2>/dev/null; wait "$GPID" 2>/dev/null; }
at_exit gproxy_down
if ! wait_port "$GPORT"; then
	echo "Bail out! gproxy.py did not start"
	cat "$TMP/gproxy.out"
	exit 1
fi

rn=0
# fresh: empty logs of the token endpoint and the proxy
fresh() { : >"$GTOKEN_LOG"; : >"$PLOG"; }
# go CMD...: run with fresh logs, its stderr kept for the checks at the end
go() {
	fresh
	run "$@"
	rn=$((rn + 1))
	cp "$TMP/err" "$TMP/stderr.$rn"
}
# answers: "METHOD verb -> status" of what the proxy saw, a line each
answers() {
	reqs '"%s %s -> %d" % (r["method"], r["path"].rsplit(":", 1)[-1],
	    r["status"])' "$PLOG"
}
# bearers: the distinct tokens the proxy was shown
bearers() {
	reqs 'r["headers"].get("authorization", "none")' "$PLOG" | sort -u |
	    wc -l | tr -d ' '
}
fetches() { lines "$GTOKEN_LOG"; }

# ---- the proxy checks what the emulator does not ----
is "the proxy: 401 without a token, Google's error body" "$(curl -s \
	-X POST -H 'Content-Type: application/json' -d '{"messages":[]}' \
	"$EP/v1/$T:publish" | jq -c '[.error.code, .error.status]')" \
	'[401,"UNAUTHENTICATED"]'
is "the proxy: 404 outside /v1/projects/" "$(curl -s -o /dev/null \
	-w '%{http_code}' -H 'Authorization: Bearer x' "$EP/v1/other")" 404

# ---- a key file: publish, pull, ack through the proxy ----
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/sa.json
seq 1 3 | sed 's/.*/{"i":&}/' >"$TMP/in3"
go pubsub-publish --endpoint "$EP" --topic $T --attr 'i={i}' "$TMP/in3"
is "key file: publish exit 0, nothing on stderr" "$RC:$ERR" "0:"
is "key file: three records published" \
	"$(jq -r '.pubsub_published.message_id | length > 0' "$TMP/out" |
	    sort -u):$(lines "$TMP/out")" "true:3"
is "key file: one token fetched, one publish passed the proxy" \
	"$(fetches):$(answers)" "1:POST publish -> 200"
like "key file: the JWT exchanged at the key's token_uri" \
	"$(reqs 'r["method"] + " " + r["path"] + " " + r["body"][:72]' \
	    "$GTOKEN_LOG")" \
	'^POST /token grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&a'
# the endpoint from PUBSUB_ENDPOINT (no --endpoint): authenticates too
PUBSUB_ENDPOINT=$EP go pubsub-pull -s $S --once
is "PUBSUB_ENDPOINT: pull exit 0, nothing on stderr" "$RC:$ERR" "0:"
is "PUBSUB_ENDPOINT: the three messages, attributes intact" \
	"$(jq -c '[.body.i, .pubsub.attributes.i]' "$TMP/out" | sort |
	    tr '\n' ' ')" '[1,"1"] [2,"2"] [3,"3"] '
is "PUBSUB_ENDPOINT: through the proxy, one token" \
	"$(fetches):$(answers | sort -u)" "1:POST pull -> 200"
cp "$TMP/out" "$TMP/pulled"
go pubsub-ack --endpoint "$EP" "$TMP/pulled"
is "key file: ack exit 0, each record passed on" "$RC:$ERR:$(lines \
	"$TMP/out")" "0::3"
is "key file: one acknowledge through the proxy" "$(answers)" \
	"POST acknowledge -> 200"
curl -s -X POST -H 'Content-Type: application/json' \
	-d '{"maxMessages":10,"returnImmediately":true}' \
	"$PUBSUB_URL/v1/$S:pull" >"$TMP/left"
is "key file: acknowledged for real (the emulator has none left)" \
	"$(jq '.receivedMessages | length' "$TMP/left")" 0

# ---- the token cached for the run: 2,500 records, three requests ----
seq 1 2500 | sed 's/.*/{"i":&}/' >"$TMP/in2500"
go pubsub-publish --endpoint "$EP" --topic $T "$TMP/in2500"
is "cached: exit 0, 2500 published" "$RC:$(lines "$TMP/out")" "0:2500"
is "cached: three publish requests, one token fetched" \
	"$(answers | sort | uniq -c | tr -s ' ')" " 3 POST publish -> 200"
is "cached: one fetch, one token for all" "$(fetches):$(bearers)" "1:1"

# ---- a short expires_in: refreshed before it ends ----
# 62 s less the 60 s margin: good for 2 s; the second record comes 4 s on
echo 62 >"$GTOKEN_CTL/expires_in"
fresh
{ echo '{"i":"early"}'; sleep 4; echo '{"i":"late"}'; } |
	pubsub-publish --endpoint "$EP" --topic $T >"$TMP/out" 2>"$TMP/err"
RC=$?
rn=$((rn + 1)); cp "$TMP/err" "$TMP/stderr.$rn"
is "expires_in 62: exit 0, both published" "$RC:$(lines "$TMP/out")" "0:2"
is "expires_in 62: two publishes, a token fetched for each" \
	"$(answers | sort -u):$(fetches)" "POST publish -> 200:2"
is "expires_in 62: each publish with its own token" "$(bearers)" 2
echo 3599 >"$GTOKEN_CTL/expires_in"

# ---- a token revoked: the 401 answered with a fresh one, once ----
published() { [ "$(lines "$TMP/out")" -ge 1 ]; }
fresh
: >"$TMP/out"
{ echo '{"i":"before"}'; eventually 20 published
  : >"$GTOKEN_CTL/issued"; echo '{"i":"after"}'; } |
	pubsub-publish --endpoint "$EP" --topic $T >>"$TMP/out" 2>"$TMP/err"
RC=$?
rn=$((rn + 1)); cp "$TMP/err" "$TMP/stderr.$rn"
is "revoked: exit 0, both published" "$RC:$(lines "$TMP/out")" "0:2"
is "revoked: 200, then 401 and the retry 200" "$(answers | tr '\n' ' ')" \
	"POST publish -> 200 POST publish -> 401 POST publish -> 200 "
is "revoked: a token fetched again after the 401" "$(fetches):$(bearers)" \
	"2:2"
like "revoked: the retry announced in Google's words" "$(cat "$TMP/err")" \
	"^pubsub-publish: warning: UNAUTHENTICATED: Request had invalid authentication credentials\\. .*retry 1 of 3"
# always 401 (tokens handed out, none accepted): one refresh, refused
fresh
touch "$GTOKEN_CTL/refuse"
run pubsub-publish --endpoint "$EP" --topic $T "$TMP/in3"
rm "$GTOKEN_CTL/refuse"
rn=$((rn + 1)); cp "$TMP/err" "$TMP/stderr.$rn"
is "401 after a fresh token too: exit 5" "$RC" 5
is "401 after a fresh token too: refreshed once, not more" \
	"$(answers | tr '\n' ' '):$(fetches)" \
	"POST publish -> 401 POST publish -> 401 :2"
like "401 after a fresh token too: Google's status told" "$ERR" \
	"pubsub-publish: cannot publish to $T: UNAUTHENTICATED: Request had invalid"

# ---- a key the token endpoint does not know: refused, exit 5 ----
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/unknown.json
go pubsub-publish --endpoint "$EP" --topic $T --errors "$TMP/failed" \
	"$TMP/in3"
is "unknown key: publish exit 5" "$RC" 5
like "unknown key: the key file named, Google's refusal told" "$ERR" \
	"pubsub-publish: cannot publish to $T: cannot get a Google token: key file $TMP/unknown.json: token endpoint $GTOKEN_URL/token: HTTP 400 invalid_grant: Invalid JWT Signature\\.\$"
is "unknown key: every record in --errors, none out" \
	"$(lines "$TMP/failed"):$(lines "$TMP/out")" "3:0"
is "unknown key: one exchange, not retried; nothing reached the proxy" \
	"$(fetches):$(lines "$PLOG")" "1:0"
go pubsub-pull --endpoint "$EP" -s $S --once
is "unknown key: pull exit 5" "$RC" 5
like "unknown key: pull names the key file" "$ERR" \
	"^pubsub-pull: cannot pull from $S: cannot get a Google token: key file $TMP/unknown.json: "
go pubsub-ack --endpoint "$EP" "$TMP/pulled"
is "unknown key: ack exit 5, nothing passed on" "$RC:$(lines "$TMP/out")" \
	"5:0"
# a key file that is not there: a configuration error before any request
export GOOGLE_APPLICATION_CREDENTIALS=$TMP/missing.json
go pubsub-publish --endpoint "$EP" --topic $T "$TMP/in3"
is "missing key file: exit 3, named" "$RC:$ERR" \
	"3:pubsub-publish: GOOGLE_APPLICATION_CREDENTIALS: cannot open $TMP/missing.json: No such file or directory"
is "missing key file: nothing sent" "$(fetches):$(lines "$PLOG")" "0:0"

# ---- no key file: the metadata server (GCE_METADATA_HOST) ----
unset GOOGLE_APPLICATION_CREDENTIALS
export GCE_METADATA_HOST=127.0.0.1:$GTOKEN_PORT
go pubsub-publish --endpoint "$EP" --topic $T "$TMP/in3"
is "metadata: publish exit 0, nothing on stderr" "$RC:$ERR" "0:"
is "metadata: three published, through the proxy" \
	"$(lines "$TMP/out"):$(answers)" "3:POST publish -> 200"
is "metadata: the token asked of the metadata server, Metadata-Flavor" \
	"$(reqs '(r["method"], r["path"].split("?")[0],
	    r["headers"].get("metadata-flavor"))' "$GTOKEN_LOG")" \
	"('GET', '/computeMetadata/v1/instance/service-accounts/default/token', 'Google')"
like "metadata: the proxy was shown the metadata server's token" \
	"$(reqs 'r["headers"].get("authorization")' "$PLOG")" \
	'^Bearer ya29\.meta-[0-9]+$'
go pubsub-pull --endpoint "$EP" -s $S -n 3
is "metadata: pull exit 0" "$RC:$ERR" "0:"
go pubsub-ack --endpoint "$EP" "$TMP/out"
is "metadata: ack exit 0" "$RC:$ERR" "0:"

# ---- no key file, no metadata server (off GCP): temporary, exit 6 ----
export GCE_METADATA_HOST=127.0.0.1:$(free_port)
go pubsub-publish --endpoint "$EP" --topic $T "$TMP/in3"
is "no metadata server: publish exit 6" "$RC" 6
like "no metadata server: said so" "$ERR" \
	"pubsub-publish: $TMP/in3:1: cannot publish: cannot get a Google token: no GOOGLE_APPLICATION_CREDENTIALS, metadata server: token endpoint http://$GCE_METADATA_HOST/computeMetadata/"
is "no metadata server: nothing reached the proxy" "$(lines "$PLOG")" 0
go pubsub-pull --endpoint "$EP" -s $S --once
is "no metadata server: pull exit 6" "$RC" 6
unset GCE_METADATA_HOST

# ---- the emulator: no Authorization, whatever the endpoint ----
go env PUBSUB_EMULATOR_HOST=127.0.0.1:9 GOOGLE_APPLICATION_CREDENTIALS=$TMP/sa.json \
	pubsub-publish --endpoint "$EP" --topic $T "$TMP/in3"
is "PUBSUB_EMULATOR_HOST and --endpoint: no token sent, the proxy's 401" \
	"$RC:$(fetches):$(reqs 'r["headers"].get("authorization", "none")' \
	    "$PLOG")" "5:0:none"

# ---- never a key or a token on stderr ----
ok "no token on any stderr" sh -c '! grep -l "ya29\." "$1"/stderr.*' sh \
	"$TMP"
ok "no key on any stderr" sh -c '! grep -l "PRIVATE KEY" "$1"/stderr.*' sh \
	"$TMP"
done_testing
