#!/bin/sh
# wh-route: SIGTERM with run: children busy: what the children were given
# is finished by them and comes back whole, the children get end of file
# and are waited for
. tests/lib.sh
plan 5
# the child takes a while per record (its work), and logs what it got
cat >"$TMP/r.yaml" <<Y
routes:
  - name: slow
    when: {body.kind: slow}
    run: "while IFS= read -r l; do echo got >>$TMP/child.log; sleep 0.3; printf '%s\\\\n' \"\$l\"; done; echo eof >>$TMP/child.log"
default: drop
Y
mkfifo "$TMP/in"
wh-route -c "$TMP/r.yaml" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
WR=$!
exec 3>"$TMP/in"
for i in 1 2 3; do printf '{"body":{"kind":"slow","n":%d}}\n' "$i" >&3; done
gotone() { grep -q got "$TMP/child.log" 2>/dev/null; }
eventually 20 gotone
kill -TERM "$WR"
wait "$WR"
RC=$?
exec 3>&-
is "TERM with a busy child: exit 0" "$RC" 0
is "the records given to the child came back, whole, in order" \
    "$(python3 -c 'import json, sys
print(" ".join(str(json.loads(l)["body"]["n"]) for l in open(sys.argv[1])))' "$TMP/out")" "1 2 3"
is "the child got end of file" "$(tail -n 1 "$TMP/child.log")" eof
ok "no child left" test -z "$(pgrep -f "$TMP/child.log")"
is "nothing on stderr" "$(cat "$TMP/err")" ""
done_testing
