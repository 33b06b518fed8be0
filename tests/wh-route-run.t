#!/bin/sh
# wh-route destinations: to: FILE (and a FIFO), run: COMMAND children
. tests/lib.sh
plan 15

python3 scripts/gen-events 2000 3 > "$TMP/ev"
cat > "$TMP/r.yaml" <<Y
routes:
  - name: assets
    when: {body.event_type: assets, body.realm: entity}
    to: $TMP/assets.ndjson
  - name: proxies
    when: {body.event_type: assets, body.realm: proxies}
    run: "jq -c '{p: .body.object_id, pad: (\"x\" * 20000)}'"
  - name: jobs
    when: {body.event: [job_complete, job_failed, job_started]}
    run: "jq -c '{j: .body.id, pad: (\"y\" * 30000)}'"
default: drop
Y
run wh-route -c "$TMP/r.yaml" "$TMP/ev"
is "children: exit 0" "$RC" 0
is "children: nothing on stderr" "$ERR" ""
want_p=$(jq -c 'select(.body.realm=="proxies")' "$TMP/ev" | wc -l)
want_j=$(jq -c 'select(.body.event|tostring|test("^job_"))' "$TMP/ev" | wc -l)
got_p=$(grep -c '^{"p":' "$TMP/out")
got_j=$(grep -c '^{"j":' "$TMP/out")
is "children: every proxies record came back" "$got_p" "$want_p"
is "children: every job record came back" "$got_j" "$want_j"
if jq -e . "$TMP/out" > /dev/null 2>&1 &&
    [ "$(wc -l < "$TMP/out")" -eq $((want_p + want_j)) ]; then
	pass "children: long lines from two children never interleave"
else
	fail "children: long lines from two children never interleave"
fi
want_a=$(jq -c 'select(.body.realm=="entity") | .route="assets"' "$TMP/ev")
is "to: file gets its records with route" "$(cat "$TMP/assets.ndjson")" "$want_a"
run wh-route -c "$TMP/r.yaml" "$TMP/ev"
is "to: appends" "$(wc -l < "$TMP/assets.ndjson" | tr -d ' ')" \
    $((2 * $(printf '%s\n' "$want_a" | wc -l)))

# a FIFO as destination
mkfifo "$TMP/fifo"
printf -- '- name: f\n  to: %s\n' "$TMP/fifo" > "$TMP/f.yaml"
cat "$TMP/fifo" > "$TMP/fifo.out" &
printf '{"n":1}\n{"n":2}\n' | wh-route -c "$TMP/f.yaml"
wait
is "to: a FIFO" "$(cat "$TMP/fifo.out")" '{"n":1,"route":"f"}
{"n":2,"route":"f"}'

# record data never reaches a shell command line
printf -- '- name: c\n  run: cat > %s/sink\n' "$TMP" > "$TMP/c.yaml"
printf '{"cmd":"$(touch %s/pwned)","q":"`touch %s/pwned2`"}\n' "$TMP" "$TMP" |
    wh-route -c "$TMP/c.yaml"
if [ ! -e "$TMP/pwned" ] && [ ! -e "$TMP/pwned2" ] && [ -s "$TMP/sink" ]; then
	pass "record data is not run by the shell"
else
	fail "record data is not run by the shell"
fi

# at EOF children get EOF and are waited for
printf -- '- name: slow\n  run: "cat > %s/slow; sleep 0.3; echo done"\n' \
    "$TMP" > "$TMP/s.yaml"
run sh -c "printf '{\"a\":1}\n' | wh-route -c '$TMP/s.yaml'"
is "children are waited for: last output relayed" "$OUT" 'done'
is "  and their input is complete" "$(cat "$TMP/slow")" '{"a":1,"route":"slow"}'

# a child that fails is reported with its route and status
printf -- '- name: bad\n  run: "head -n 1 > /dev/null; exit 3"\n' > "$TMP/b.yaml"
run wh-route -c "$TMP/b.yaml" "$TMP/ev"
is "failing child: exit 1" "$RC" 1
like "failing child: route and status" "$ERR" \
    "route bad: command (exited with status 3|stopped reading)"
printf -- '- name: bad\n  run: "exit 5"\n' > "$TMP/b2.yaml"
run sh -c "echo '{}' | wh-route -c '$TMP/b2.yaml'"
like "child exit status reported" "$ERR" "route bad: command exited with status 5: exit 5"
is "  exit 1" "$RC" 1
done_testing
