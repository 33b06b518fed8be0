#!/bin/sh
# lib/nd as a process: the reader on nasty stdin, nd_run's exit codes,
# messages, --errors, file operands, EPIPE and flushing (driver: unit/nd)
. tests/lib.sh
plan 38

ND=$HP_BUILD/unit/nd
if [ ! -x "$ND" ]; then
	fail "driver $ND is built" "run: make $HP_BUILD/unit/nd"
	done_testing
	exit 1
fi
pass "driver $ND is built"

# cap varies with the build; the rest of the dump is exact
dump() { "$ND" --dump | sed 's/ cap [0-9]*$//'; }

# --- the reader and nd_parse, line by line ---
printf '{"a":1}\r\n\n  \t \n\r\n{"b":2}\n[1]\nnot json\n' > "$TMP/shapes"
printf '{"a":"x\0y"}\n{"a":"\377"}\n{"c":3}' >> "$TMP/shapes"
dump < "$TMP/shapes" > "$TMP/got"
cat > "$TMP/want" <<'EOF'
1:7: ok {"a":1}
2:0: error invalid JSON at column 1: unexpected token near end of file
3:4: error invalid JSON at column 4: unexpected token near end of file
4:0: error invalid JSON at column 1: unexpected token near end of file
5:7: ok {"b":2}
6:3: error not a JSON object but an array
7:8: error invalid JSON at column 3: invalid token near 'not'
8:11: error invalid JSON at column 7: control character 0x0 near '"x'
9:9: error invalid JSON at column 6: unable to decode byte 0xff near '"'
10:7: ok {"c":3}
end 0
EOF
same_file "CRLF, blank, whitespace, NUL, bad UTF-8, no final newline" \
    "$TMP/got" "$TMP/want"

is "empty input" "$(dump < /dev/null)" "end 0"
is "only a newline" "$(printf '\n' | dump)" \
"1:0: error invalid JSON at column 1: unexpected token near end of file
end 0"

# a generator, not a file: 1 MB and 5 MB lines arrive in pieces
bigline() {
	printf '{"k":"'
	head -c "$1" /dev/zero | tr '\0' x
	printf '"}'
}
{ echo '{"n":1}'; bigline 1048576; echo; echo '{"n":2}'; bigline 5242880
    echo; printf '{"n":3}'; } | dump > "$TMP/got"
cat > "$TMP/want" <<'EOF'
1:7: ok {"n":1}
2:1048584: ok object of 1 keys, 1048584 bytes
3:7: ok {"n":2}
4:5242888: ok object of 1 keys, 5242888 bytes
5:7: ok {"n":3}
end 0
EOF
same_file "1 MB and 5 MB lines from a pipe, whole" "$TMP/got" "$TMP/want"

{ printf '{"k":"'; head -c 1048576 /dev/zero; printf '"}\n{"n":2}\n'; } \
    | dump > "$TMP/got"
cat > "$TMP/want" <<'EOF'
1:1048584: error invalid JSON at column 6: control character 0x0 near '"'
2:7: ok {"n":2}
end 0
EOF
same_file "a 1 MB line of NUL bytes is an error, the next line is fine" \
    "$TMP/got" "$TMP/want"

# --- nd_run: records, messages, exit status ---
printf '{"a":1}\nnot json\n\n   \n{"fail":1}\r\n{"b":2}' > "$TMP/mixed"
run "$ND" --run < "$TMP/mixed"
is "bad records: exit 1" "$RC" 1
is "bad records: the good ones pass, line numbers kept" "$OUT" \
'{"a":1,"seen":1}
{"b":2,"seen":6}'
is "bad records: one message each, blank lines skipped" "$ERR" \
"nd-test: stdin:2: invalid JSON at column 3: invalid token near 'not'
nd-test: stdin:5: asked to fail"

run "$ND" --run -e < "$TMP/mixed"
is "-e: exit 4" "$RC" 4
is "-e: records before the bad one are written" "$OUT" '{"a":1,"seen":1}'
is "-e: one message" "$ERR" \
"nd-test: stdin:2: invalid JSON at column 3: invalid token near 'not'"

printf '{"a":1}\n{"stop":7}\n{"b":2}\n' > "$TMP/stop"
run "$ND" --run < "$TMP/stop"
is "a callback's exit code stops the run" "$RC" 7
is "  after flushing what came before" "$OUT" '{"a":1,"seen":1}'
is "  and saying why" "$ERR" "nd-test: stdin:2: asked to stop"

printf '{"a":1}\n{"b":' | { run "$ND" --run; echo "$RC" > "$TMP/rc"; }
is "truncated last line: exit 1" "$(cat "$TMP/rc")" 1
is "truncated last line: message" "$(cat "$TMP/err")" \
"nd-test: stdin:2: invalid JSON at column 5: unexpected token near end of file"
printf '{"a":1}\r\n{"b":2}' | "$ND" --run > "$TMP/out"
is "complete last line without newline passes, no CR in output" \
    "$(od -An -c "$TMP/out" | tr -s ' ' | tr -d '\n')" \
    ' { " a " : 1 , " s e e n " : 1 } \n { " b " : 2 , " s e e n " : 2 } \n'

printf 'x\0y\n{"a":"\377"}\n{"ok":1}\n' > "$TMP/nul"
run "$ND" --run < "$TMP/nul"
is "NUL and bad UTF-8: exit 1" "$RC" 1
is "NUL and bad UTF-8: good record passes" "$OUT" '{"ok":1,"seen":3}'
is "NUL and bad UTF-8: messages" "$ERR" \
"nd-test: stdin:1: invalid JSON at column 1: invalid token near 'x'
nd-test: stdin:2: invalid JSON at column 6: unable to decode byte 0xff "\
"near '\"'"

run "$ND" --run < /dev/null
is "empty input: exit 0, nothing out" "$RC:$OUT:$ERR" "0::"
printf '\n\n \r\n' > "$TMP/blank"
run "$ND" --run < "$TMP/blank"
is "only blank lines: exit 0, nothing out" "$RC:$OUT:$ERR" "0::"

# --- --errors ---
run "$ND" --run --errors "$TMP/errs" < "$TMP/nul"
run "$ND" --run --errors "$TMP/errs" < "$TMP/mixed"
is "--errors: one line per failed record, appended" \
    "$(wc -l < "$TMP/errs" | tr -d ' ')" 4
cat > "$TMP/want" <<'EOF'
{"raw":"x\u0000y","error":{"tool":"nd-test","message":"invalid JSON at column 1: invalid token near 'x'","source":"stdin","line":1}}
{"raw_base64":"eyJhIjoi/yJ9","error":{"tool":"nd-test","message":"invalid JSON at column 6: unable to decode byte 0xff near '\"'","source":"stdin","line":2}}
{"raw":"not json","error":{"tool":"nd-test","message":"invalid JSON at column 3: invalid token near 'not'","source":"stdin","line":2}}
{"fail":1,"error":{"tool":"nd-test","message":"asked to fail","source":"stdin","line":5}}
EOF
same_file "--errors: raw, raw_base64 for non-UTF-8 bytes, fields kept" \
    "$TMP/errs" "$TMP/want"
run "$ND" --run --errors "$TMP/no/such/dir/errs" < /dev/null
is "--errors in a missing directory: exit 3" "$RC" 3

# --- file operands ---
printf '{"f":1}\nbad\n' > "$TMP/one"
printf '{"f":2}\n' > "$TMP/two"
cd "$TMP" || exit 1
run "$ND" --run one nope - two < "$TMP/stop"
cd "$HP_TOP" || exit 1
is "files: a missing one is reported, the rest are read" "$ERR" \
"nd-test: one:2: invalid JSON at column 3: invalid token near 'bad'
nd-test: cannot open nope: No such file or directory
nd-test: stdin:2: asked to stop"
is "files: '-' is stdin, the stop ends the run" "$RC:$OUT" \
'7:{"f":1,"seen":1}
{"a":1,"seen":1}'
run "$ND" --run "$TMP/one" "$TMP/two"
is "files: line numbers per file" "$RC:$OUT" \
'1:{"f":1,"seen":1}
{"f":2,"seen":1}'

# --- raw mode ---
printf 'not json\n\n{"a":1}\r\nx\n' | "$ND" --run -r > "$TMP/out"
is "raw: lines pass unparsed, blank ones skipped, CR dropped" \
    "$(cat "$TMP/out")" 'not json
{"a":1}
x'

# --- EPIPE: the reader went away; quiet, status so far ---
awk 'BEGIN { for (i = 0; i < 200000; i++) printf "{\"i\":%d}\n", i }' \
    > "$TMP/many"
{ "$ND" --run < "$TMP/many" 2>"$TMP/err"; echo $? > "$TMP/rc"; } \
    | head -n 1 > "$TMP/out"
is "EPIPE: first record read by head" "$(cat "$TMP/out")" '{"i":0,"seen":1}'
is "EPIPE: exit 0" "$(cat "$TMP/rc")" 0
is "EPIPE: nothing on stderr" "$(cat "$TMP/err")" ""

# --- a record is flushed before the reader waits for more input ---
mkfifo "$TMP/in"
"$ND" --run < "$TMP/in" > "$TMP/live" 2>&1 &
pid=$!
stop_nd() { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
at_exit stop_nd
exec 3>"$TMP/in"
echo '{"live":1}' >&3
i=0
while [ $i -lt 100 ] && [ ! -s "$TMP/live" ]; do sleep 0.05; i=$((i + 1)); done
is "live: the record is out while input stays open" "$(cat "$TMP/live")" \
    '{"live":1,"seen":1}'
echo '{"live":2}' >&3
exec 3>&-
wait "$pid"
is "live: EOF ends the run with 0" "$?" 0
is "live: the second record too" "$(sed -n 2p "$TMP/live")" \
    '{"live":2,"seen":2}'

# --- SIGTERM: finish, flush, stop ---
rm -f "$TMP/in"; mkfifo "$TMP/in"
"$ND" --run < "$TMP/in" > "$TMP/term" 2>&1 &
pid=$!
exec 3>"$TMP/in"
echo '{"t":1}' >&3
i=0
while [ $i -lt 100 ] && [ ! -s "$TMP/term" ]; do sleep 0.05; i=$((i + 1)); done
kill -TERM "$pid"
wait "$pid"
rc=$?
exec 3>&-
is "SIGTERM while waiting for input: exit 0" "$rc" 0
is "SIGTERM: the record was written" "$(cat "$TMP/term")" '{"t":1,"seen":1}'

done_testing
