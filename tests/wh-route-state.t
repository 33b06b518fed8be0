#!/bin/sh
# wh-route remember/recall: state across events and restarts, expiry, once
. tests/lib.sh
plan 15

cat > "$TMP/r.yaml" <<Y
state: $TMP/state.db
routes:
  - name: asset-created
    when: {body.event_type: assets, body.realm: entity, body.operation: create}
    remember: {key: "asset:{body.object_id}", value: {title: "{body.data.title}"}}
    to: /dev/null
  - name: analyse
    when: {body.event_type: assets, body.realm: proxies, body.data.status: CLOSED}
    recall: {key: "asset:{body.data.asset_id}", as: asset, forget: true}
  - name: short
    when: {kind: short}
    remember: {key: "s:{id}", ttl: 3}
    to: /dev/null
  - name: peek
    when: {kind: peek}
    recall: {key: "s:{id}"}
default: drop
Y
# iconik's shapes (tests/data/iconik/), trimmed to the fields used here
create() { printf '{"body":{"event_type":"assets","realm":"entity","operation":"create","object_id":"%s","data":{"id":"%s","title":"%s"}}}\n' "$1" "$1" "$2"; }
closed() { printf '{"body":{"event_type":"assets","realm":"proxies","operation":"update","object_id":"%s","data":{"asset_id":"%s","status":"CLOSED"}}}\n' "$1" "$1"; }

create A1 "first clip" | wh-route -c "$TMP/r.yaml"
is "remember: nothing on stdout" "$?" 0
# a new process: the state survived the restart
closed A1 | wh-route -c "$TMP/r.yaml" > "$TMP/o1"
is "recall after a restart" "$(jq -c '[.route, .asset]' "$TMP/o1")" \
    '["analyse",{"title":"first clip"}]'
{ closed A1; closed A1; } | wh-route -c "$TMP/r.yaml" > "$TMP/o2"
is "forget: exactly once per asset" "$(wc -l < "$TMP/o2" | tr -d ' ')" 0
closed A9 | wh-route -c "$TMP/r.yaml" > "$TMP/o3"
is "never created: no match" "$(cat "$TMP/o3")" ""

# many assets, each closed twice, in two racing processes: once each
i=0
while [ $i -lt 200 ]; do create "B$i" "t$i"; i=$((i + 1)); done |
    wh-route -c "$TMP/r.yaml"
i=0
while [ $i -lt 200 ]; do closed "B$i"; i=$((i + 1)); done > "$TMP/closed"
wh-route -c "$TMP/r.yaml" "$TMP/closed" > "$TMP/p1" &
wh-route -c "$TMP/r.yaml" "$TMP/closed" > "$TMP/p2" &
wait
is "two racing processes: 200 submissions in all" \
    "$(cat "$TMP/p1" "$TMP/p2" | wc -l | tr -d ' ')" 200
is "  no asset twice" \
    "$(cat "$TMP/p1" "$TMP/p2" | jq -r .body.data.asset_id | sort | uniq -d)" ""

# expiry (ttl 3 s: expiry is kept in whole seconds, so a 1 s ttl could end
# before a slow second process, under ASan, reads it back)
printf '{"kind":"short","id":"x"}\n' | wh-route -c "$TMP/r.yaml"
printf '{"kind":"peek","id":"x"}\n' | wh-route -c "$TMP/r.yaml" > "$TMP/o4"
is "recall before the ttl" "$(jq -c .recalled "$TMP/o4")" '{"kind":"short","id":"x"}'
sleep 4.1
printf '{"kind":"peek","id":"x"}\n' | wh-route -c "$TMP/r.yaml" > "$TMP/o5"
is "gone after the ttl" "$(cat "$TMP/o5")" ""

# --state overrides the file's state:
printf -- '- {name: p, when: {kind: peek}, recall: {key: "s:{id}"}}\n' > "$TMP/n.yaml"
run wh-route -c "$TMP/n.yaml" </dev/null
is "no state file: exit 3" "$RC" 3
like "  says so" "$ERR" "no state file is given"
run wh-route --state "$TMP/other.db" -c "$TMP/n.yaml" </dev/null
is "--state gives it" "$RC" 0
run wh-route --state /nonexistent/dir/x.db -c "$TMP/n.yaml" </dev/null
is "unusable state file: exit 3" "$RC" 3
printf -- '- {name: p, recall: {kee: x}}\n' > "$TMP/b.yaml"
run wh-route --state "$TMP/s.db" -c "$TMP/b.yaml" </dev/null
like "recall: unknown key" "$ERR" "b.yaml:1: recall: unknown key 'kee'"
printf -- '- {name: p, remember: {key: x, ttl: soon}}\n' > "$TMP/b.yaml"
run wh-route --state "$TMP/s.db" -c "$TMP/b.yaml" </dev/null
like "remember: bad ttl" "$ERR" "b.yaml:1: route 'p': ttl takes a number of seconds"
# a key template with a missing field is a record error
printf '{"kind":"peek"}\n' | wh-route -c "$TMP/r.yaml" 2> "$TMP/e" >/dev/null
like "missing key field: record error" "$(cat "$TMP/e")" "stdin:1: template 's:\{id\}': no field id"
done_testing
