#!/bin/sh
# wh-route -c: golden output of a rules file, defaults, set, continue
. tests/lib.sh
plan 18
D=$DATA/wh-route

run wh-route -c "$D/routes.yaml" "$D/events.ndjson"
is "rules: exit 0" "$RC" 0
same_file "rules: golden output" "$TMP/out" "$D/routes.out"
is "rules: nothing on stderr" "$ERR" ""

run wh-route -w body.event=job_complete -w 'body.id~^J' "$D/events.ndjson"
same_file "-w: golden output" "$TMP/out" "$D/filter.out"

# the same input from stdin, with CRLF line ends and no final newline
sed 's/$/\r/' "$D/events.ndjson" | head -c -2 > "$TMP/crlf"
wh-route -c "$D/routes.yaml" < "$TMP/crlf" > "$TMP/out2"
same_file "CRLF and a last line without newline" "$TMP/out2" "$D/routes.out"

# default: stdout passes unmatched records unchanged; error reports them
printf 'routes:\n  - name: a\n    when: {x: 1}\n' > "$TMP/r1.yaml"
printf '{"x":1}\n{"x": 2, "y":"keep  spaces"}\n' > "$TMP/in"
run wh-route -c "$TMP/r1.yaml" "$TMP/in"
is "default stdout: matched gets route, unmatched unchanged" "$OUT" \
'{"x":1,"route":"a"}
{"x": 2, "y":"keep  spaces"}'
printf 'default: error\n' >> "$TMP/r1.yaml"
run wh-route -c "$TMP/r1.yaml" "$TMP/in"
is "default error: exit 1" "$RC" 1
like "default error: message with line" "$ERR" "^wh-route: $TMP/in:2: no route matched$"
printf 'routes:\n  - name: a\n    when: {x: 1}\ndefault: drop\n' > "$TMP/r2.yaml"
run wh-route -c "$TMP/r2.yaml" "$TMP/in"
is "default drop" "$OUT" '{"x":1,"route":"a"}'

# a bare list of routes is a rules file too; no when matches everything
printf -- '- name: all\n  set: {n: "{x|default:0}", s: "n={x}"}\n' > "$TMP/r3.yaml"
printf '{"x":5}\n{"z":1}\n' > "$TMP/in3"
run wh-route -c "$TMP/r3.yaml" "$TMP/in3"
is "set keeps types, default fills in" "$(head -n 1 "$TMP/out")" \
    '{"x":5,"route":"all","n":5,"s":"n=5"}'
is "set with a missing field is a record error" "$RC" 1
like "  and names the template and field" "$ERR" \
    "stdin|in3:2: template 'n=\{x\}': no field x"

# any/all/not nesting, lists, exists false, numeric and string compares
cat > "$TMP/r4.yaml" <<'Y'
- name: hit
  when:
    all:
      - kind: [a, b]
      - n: {ge: 10, lt: 20}
    not: {skip: {exists: true}}
    gone: {exists: false}
    when: {gt: "2026-01-01"}
Y
cat > "$TMP/in4" <<'J'
{"kind":"a","n":10,"when":"2026-05-01"}
{"kind":"b","n":19.5,"when":"2026-05-01"}
{"kind":"c","n":10,"when":"2026-05-01"}
{"kind":"a","n":20,"when":"2026-05-01"}
{"kind":"a","n":"15","when":"2026-05-01"}
{"kind":"a","n":15,"when":"2026-05-01","skip":null}
{"kind":"a","n":15,"when":"2026-05-01","gone":1}
{"kind":"a","n":15,"when":"2025-05-01"}
J
wh-route -c "$TMP/r4.yaml" "$TMP/in4" | jq -r 'select(.route=="hit") | .n' \
    > "$TMP/hits"
is "nested conditions" "$(tr '\n' ' ' < "$TMP/hits")" "10 19.5 "

# continue: true sends a record on to the next matching route
printf -- '- {name: one, continue: true}\n- {name: two}\n- {name: three}\n' \
    > "$TMP/r5.yaml"
echo '{}' | wh-route -c "$TMP/r5.yaml" > "$TMP/o5"
is "continue" "$(jq -r .route "$TMP/o5" | tr '\n' ' ')" "one two "
# a 667-byte file of aliases standing for 10^7 values: refused at once
# (it took 3 GB to compile); the memory cap makes the old code fail fast
# (not under ASan, which reserves terabytes of address space)
cap="ulimit -v 1000000;"
ldd "$(command -v wh-route)" 2>/dev/null | grep -q libasan && cap=
run sh -c "$cap"' exec wh-route -c "$1" </dev/null' sh \
    "$D/billion-laughs.yaml"
is "billion laughs: exit 3" "$RC" 3
like "  file, line and why" "$ERR" \
    "billion-laughs.yaml:11: aliases add more than 100000 values$"
# 40,000 routes load in linear time (each route's line and its name's
# uniqueness were found by scanning all before it: 20,000 took 24 s, so
# 40,000 about 96 s; linear is 3 s, 50 s under ASan)
awk 'BEGIN { print "routes:"; for (i = 0; i < 40000; i++)
	printf "  - {name: r%d, when: {a: %d}}\n", i, i }' > "$TMP/many.yaml"
printf '{"a":39999}\n' > "$TMP/in39999"
run timeout $((30 * HP_SLOW)) wh-route -c "$TMP/many.yaml" "$TMP/in39999"
is "40,000 routes: loaded in time, the last one matches" "$RC $OUT" \
    '0 {"a":39999,"route":"r39999"}'
printf -- '- {name: x}\n- {name: y}\n- {name: x}\n' > "$TMP/dup.yaml"
run wh-route -c "$TMP/dup.yaml" </dev/null
like "a name used twice: the second one's line" "$ERR" \
    "dup.yaml:3: route name 'x' used twice$"
done_testing
