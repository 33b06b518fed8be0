#!/bin/sh
# wh-route: every exit status, bad records, bad rules with file:line
. tests/lib.sh
plan 38

printf '{"a":1}\nnot json\n[1]\n{"a":1,\n\n{"a":2}\n' > "$TMP/bad"
run wh-route -w a=1 "$TMP/bad"
is "bad records: exit 1" "$RC" 1
is "bad records: good ones still pass" "$OUT" '{"a":1}'
is "bad records: one message each with its line" "$(sed "s|$TMP/||" "$TMP/err")" \
"wh-route: bad:2: invalid JSON at column 3: invalid token near 'not'
wh-route: bad:3: not a JSON object but an array
wh-route: bad:4: invalid JSON at column 7: string or '}' expected near end of file"

run wh-route -e -w a=2 "$TMP/bad"
is "-e: exit 4 at the first bad record" "$RC" 4
is "-e: nothing after it" "$OUT" ""

run wh-route --errors "$TMP/errs" -w a=1 "$TMP/bad"
is "--errors: exit 1" "$RC" 1
is "--errors: three failed records kept" "$(wc -l < "$TMP/errs" | tr -d ' ')" 3
is "--errors: raw line and error" "$(head -n 1 "$TMP/errs" | jq -c '[.raw, .error.tool, .error.line]')" \
    '["not json","wh-route",2]'

printf -- '- name: a\n  set: {b: "{nope}"}\n' > "$TMP/set.yaml"
echo '{"x":1}' | wh-route --errors "$TMP/errs2" -c "$TMP/set.yaml" >/dev/null 2>&1
is "--errors: a parsed record keeps its fields" \
    "$(jq -c '[.x, .error.message]' "$TMP/errs2")" \
    "[1,\"template '{nope}': no field nope\"]"

run wh-route
is "no rules or conditions: exit 2" "$RC" 2
like "  usage on stderr" "$ERR" "^usage: wh-route"
run wh-route -w 'a' 
is "condition without operator: exit 2" "$RC" 2
like "  says why" "$ERR" "has no operator"
run wh-route -w 'a~(' 
is "bad regex: exit 2" "$RC" 2
run wh-route -c x.yaml -w a=1
is "-c with -w: exit 2" "$RC" 2
run wh-route --bogus -w a=1
is "unknown option: exit 2" "$RC" 2
run wh-route -h
is "-h: exit 0" "$RC" 0
like "-h: usage on stdout" "$OUT" "^usage: wh-route"
run wh-route -V
like "-V: version" "$OUT" "^wh-route \(hookpipe\) [0-9]"

# rules problems: exit 3, message naming file and line
check_conf() {
	printf '%b' "$2" > "$TMP/c.yaml"
	run wh-route -c "$TMP/c.yaml" </dev/null
	if [ "$RC" = 3 ] && printf '%s\n' "$ERR" | grep -q -- "$3"; then
		pass "config: $1"
	else
		fail "config: $1" "exit $RC: $ERR"
	fi
}
check_conf "empty file" "" "c.yaml: expected a list of routes"
rm -f "$TMP/c.yaml"
run wh-route -c "$TMP/none.yaml"
is "missing rules file: exit 3" "$RC" 3
like "  says so" "$ERR" "none.yaml: No such file or directory"
check_conf "YAML syntax" "- name: a\n  when: {x: [1, 2}\n" "c.yaml:2:"
check_conf "no name" "- when: {x: 1}\n" "c.yaml:1: route 1 has no name"
check_conf "duplicate name" "- name: a\n- name: a\n" "c.yaml:2: route name 'a' used twice"
check_conf "unknown key" "- name: a\n  wen: {x: 1}\n" "c.yaml:2: unknown key 'wen'"
check_conf "unknown test" "- name: a\n  when:\n    x: {regx: a}\n" "c.yaml:3: 'x': unknown test 'regx'"
check_conf "bad regex" "- name: a\n  when:\n    x: {regex: '('}\n" "c.yaml:3: bad regular expression"
check_conf "bad template" "- name: a\n  set: {y: '{x|nope}'}\n" "c.yaml:2: route 'a': template '{x|nope}': unknown filter 'nope'"
check_conf "to and run" "- name: a\n  to: f\n  run: cat\n" "c.yaml:1: route 'a' has both to and run"
check_conf "bad default" "routes: []\ndefault: maybe\n" "c.yaml:2: default must be"
check_conf "duplicate key" "- name: a\n  name: b\n" "c.yaml:2: duplicate key 'name'"
check_conf "not a list" "name: a\n" "unknown key 'name'"
check_conf "unwritable to:" "- name: a\n  to: /nonexistent/dir/f\n" "cannot open /nonexistent/dir/f"

# output errors: stdout full is a system error, a closed pipe ends quietly
if [ -w /dev/full ]; then
	run sh -c 'echo "{\"a\":1}" | wh-route -w a=1 > /dev/full'
	is "stdout full: exit 7" "$RC" 7
	like "  says why" "$ERR" "cannot write to stdout"
else
	skip "stdout full: exit 7" "no /dev/full"
	skip "  says why" "no /dev/full"
fi
python3 scripts/gen-events 20000 > "$TMP/many"
# wh-route's own status and messages, not head's
run sh -c "{ wh-route -w 'id?' < '$TMP/many'; echo \"status \$?\" >&2; } | head -n 1 >/dev/null"
is "closed pipe: quiet, status 0" "$ERR" "status 0"

# nasty input does not crash it
head -c 300000 /dev/urandom > "$TMP/rand"
run wh-route -w a=1 "$TMP/rand"
is "random bytes: exit 1, no crash" "$RC" 1
done_testing
