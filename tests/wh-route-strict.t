#!/bin/sh
# wh-route: every line is checked in every mode.  Each class of malformed
# line (RFC 8259) is a record error in -w and -c mode, whether or not the
# line holds what the conditions look for (the old -w prefilter skipped
# lines without "CLOSED" unchecked), with its line number, in --errors,
# and exit 4 under -e.  The lines are tests/data/wh-route/events.ndjson's
# e2 (CLOSED) and e4 (OPEN), each broken the same way.
. tests/lib.sh
D=$DATA/wh-route
ncls=13
echo "1..$((ncls * 2 + 27))"

hit=$(sed -n 2p "$D/events.ndjson")	# status CLOSED: the filter's literal
miss=$(sed -n 5p "$D/events.ndjson")	# status OPEN: not in it
# class name | sed expression that breaks a line
classes() {
	cat <<'C'
bare word|s/"operation":"update"/"operation": broken/
two commas|s/}}$/,,}}/
invalid UTF-8|s/"A\([12]\)"/"A\1\xff"/
leading zero|s/"size":\([0-9]*\)/"size":0\1/
1.|s/"size":\([0-9]*\)/"size":\1./
bare control character|s/"A\([12]\)"/"A\t\1"/
bad escape|s/"A\([12]\)"/"A\\x\1"/
overlong UTF-8|s/"A\([12]\)"/"A\1\xc0\xaf"/
UTF-8 surrogate|s/"A\([12]\)"/"A\1\xed\xa0\x80"/
two values|s/$/{"id":"x"}/
not an object|s/.*/[&]/
lone high surrogate escape|s/"A\([12]\)"/"A\1\\ud800"/
lone low surrogate escape|s/"A\([12]\)"/"A\1\\udc00x"/
C
}
classes > "$TMP/classes"
{
	printf '%s\n%s\n' "$hit" "$miss"
	while IFS='|' read -r name expr; do
		printf '%s\n%s\n' "$hit" "$miss" | sed "$expr"
	done < "$TMP/classes"
	printf '%s\n%s\n' "$hit" "$miss"
} > "$TMP/in"
nbad=$((ncls * 2))
is "the input has every broken line" "$(wc -l < "$TMP/in" | tr -d ' ')" \
    $((nbad + 4))
printf 'routes:\n  - name: closed\n    when: {body.data.status: CLOSED}\ndefault: drop\n' \
    > "$TMP/r.yaml"

# each broken line, alone, is refused by -w whether it has "CLOSED" or not
i=3
while IFS='|' read -r name expr; do
	for kind in hit miss; do
		sed -n "${i}p" "$TMP/in" > "$TMP/one"
		wh-route -w body.data.status=CLOSED "$TMP/one" \
		    > "$TMP/o1" 2> "$TMP/e1"
		rc=$?
		if [ "$rc" -eq 1 ] && [ ! -s "$TMP/o1" ] &&
		    grep -q "one:1: " "$TMP/e1"; then
			pass "-w: $name ($kind) is a record error"
		else
			fail "-w: $name ($kind) is a record error" \
			    "exit $rc, stderr: $(cat "$TMP/e1")"
		fi
		i=$((i + 1))
	done
done < "$TMP/classes"

for mode in w c strict c-strict; do
	case $mode in
	w) set -- -w body.data.status=CLOSED ;;
	c) set -- -c "$TMP/r.yaml" ;;
	strict) set -- --strict -w body.data.status=CLOSED ;;
	c-strict) set -- --strict -c "$TMP/r.yaml" ;;
	esac
	run wh-route --errors "$TMP/errs.$mode" "$@" "$TMP/in"
	is "$mode: exit 1" "$RC" 1
	is "$mode: one message per broken line" \
	    "$(grep -c "^wh-route: $TMP/in:[0-9]*: " "$TMP/err")" "$nbad"
	is "$mode: the messages name lines 3 to $((nbad + 2))" \
	    "$(sed -n 's/^wh-route: [^:]*:\([0-9]*\):.*/\1/p' "$TMP/err" |
	    tr '\n' ' ')" "$(seq -s ' ' 3 $((nbad + 2))) "
	is "$mode: every broken line is in --errors" \
	    "$(wc -l < "$TMP/errs.$mode" | tr -d ' ')" "$nbad"
	is "$mode: the good CLOSED lines pass" "$(wc -l < "$TMP/out" |
	    tr -d ' ')" 2
done
# the same words as nd_parse (and so every other tool) uses
like "-w: jansson's message for a bare word" "$(sed -n 1p "$TMP/err")" \
    "in:3: invalid JSON at column [0-9]*: invalid token near 'broken'$"

run wh-route -e -w body.data.status=CLOSED "$TMP/in"
is "-w -e: exit 4 at the first broken line" "$RC" 4
is "-w -e: only the line before it" "$OUT" "$hit"
run wh-route -e -c "$TMP/r.yaml" "$TMP/in"
is "-c -e: exit 4 at the first broken line" "$RC" 4

# what is valid JSON but more than jansson holds is still a record
printf '{"id":"e9","n":123456789012345678901234567890}\n' > "$TMP/big"
run wh-route -w id=e9 "$TMP/big"
is "-w: an integer beyond int64 is valid JSON" "$RC:$OUT" \
    "0:$(cat "$TMP/big")"

# "route" added as text to a compact line, through jansson otherwise (a
# decimal as it came: 0.1, not jansson's 0.10000000000000001):
# the same bytes either way
printf 'routes:\n  - name: r\n    when: {a: 1}\n' > "$TMP/a.yaml"
printf '%s\n' '{"a":1,"b":"x"}' '{"a": 1, "b": 0.1}' '{"route":"old","a":1}' \
    '{"a":1,"a":1}' '{}' > "$TMP/in2"
run wh-route -c "$TMP/a.yaml" "$TMP/in2"
is "-c: compact, spaced, with a route key, duplicate keys, empty" "$OUT" \
'{"a":1,"b":"x","route":"r"}
{"a":1,"b":0.1,"route":"r"}
{"route":"r","a":1}
{"a":1,"route":"r"}
{}'
[ "$T_FAILED" -eq 0 ]
