#!/bin/sh
# peers: scripts/peers pubsub starts Google's Pub/Sub emulator and stops
# it without leftovers; without it a test skips, saying why
. tests/lib.sh
plan 11

# the checks that need no emulator
HP_PUBSUB_EMULATOR=$TMP/none run sh scripts/peers pubsub "$TMP/noemu"
is "no emulator: exit 3" "$RC" 3
like "no emulator: says how to get it" "$ERR" \
	"the Pub/Sub emulator is missing: apt-get install google-cloud-cli-pubsub-emulator"
cat >"$TMP/skipper.t" <<'EOF'
. tests/lib.sh
plan 2
pubsub_up
echo "not ok - ran on without the emulator"
EOF
HP_PUBSUB_EMULATOR=$TMP/none run sh "$TMP/skipper.t"
is "pubsub_up without the emulator: the plan skipped, exit 0" \
	"$RC:$(grep -c '^ok [12] - skipper.t # SKIP the Pub/Sub emulator is missing' "$TMP/out")" \
	"0:2"

sleep 30 &
victim=$!
mkdir -p "$TMP/fake"
echo "PUBSUB_PID=$victim" >"$TMP/fake/pubsub.env"
run sh scripts/peers stop "$TMP/fake"
is "stop refuses a pid that is not the emulator" "$RC" 1
ok "that process still runs" kill -0 "$victim"
kill "$victim"

dir=$TMP/peers
stop_peers() { sh scripts/peers stop "$dir" >/dev/null 2>&1; }
at_exit stop_peers
run sh scripts/peers pubsub "$dir"
if [ "$RC" -eq 3 ]; then
	skip_rest "$(printf '%s' "$ERR" | sed 's/^peers: //')"
	done_testing
	exit
fi
is "start" "$RC" 0
host=$(sed -n 's/^PUBSUB_EMULATOR_HOST=//p' "$dir/pubsub.env")
pid=$(sed -n 's/^PUBSUB_PID=//p' "$dir/pubsub.env")
like "pubsub.env: the emulator's host" "$host" '^127\.0\.0\.1:[0-9]+$'
is "it answers the REST API" "$(curl -s -X PUT "http://$host/v1/projects/p-1/topics/top-1")" \
	"$(printf '{\n  "name": "projects/p-1/topics/top-1"\n}')"
run sh scripts/peers stop "$dir"
is "stop" "$RC" 0
gone() { ! kill -0 "$pid" 2>/dev/null; }
ok "the emulator is gone" eventually 10 gone
ok "pubsub.env removed" test ! -e "$dir/pubsub.env"
done_testing
