#!/bin/sh
# s3-scan and s3-done with keys that moto's signature checker rejects
# even from botocore (non-ASCII, '+', '%', '&', '='; a prefix with '/';
# a control character, which the listing sends percent-encoded),
# so against a moto without signature checks, as s3-sign-download.t:
# each key comes back as stored, and settles
. tests/lib.sh
plan 8

moto_open_up || { done_testing; exit 0; }
U="$PY tests/s3-util.py"
$U mb keysb
for k in 'é/ü/日本.mp4' 'a+b.mp4' '100%.mp4' 'q?x#y&z=1.mp4' 'sp ace/x y.mov' \
    'é/plain.txt' "$(printf 'ctl\001x.txt')"; do
	$U put keysb "$k" - || fail "put $k"
done
S=$TMP/st
run s3-scan -b keysb --state "$S" --once --type 'video/*'
is "odd keys: exit 0" "$RC" 0
printf '%s\n' "$OUT" >"$TMP/odd"
is "odd keys: each as stored (types from the extensions)" \
    "$(printf '%s\n' "$OUT" | "$PY" -c 'import json, sys
for l in sys.stdin:
    r = json.loads(l)["s3"]
    print(r["key"], r["content_type"])' | sort)" \
"100%.mp4 video/mp4
a+b.mp4 video/mp4
q?x#y&z=1.mp4 video/mp4
sp ace/x y.mov video/quicktime
é/ü/日本.mp4 video/mp4"
run s3-scan -b keysb --state "$TMP/all" --once --type text/plain
like "a key XML cannot hold (U+0001): sent encoded, decoded" "$OUT" \
    '"key":"ctl\\u0001x.txt"'
s3-done --state "$S" "$TMP/odd" >"$TMP/done" 2>"$TMP/err"
is "odd keys: s3-done settles all five" "$(lines "$TMP/done"):$(cat "$TMP/err")" "5:"
like "odd keys: status" "$(s3-scan --state "$S" --status)" \
    '^\{"pending":0,"processing":0,"done":5,"failed":0,"skipped":2,'
run s3-scan -b keysb --state "$TMP/p" --once --prefix 'é/'
is "a prefix with '/' and UTF-8: exit 0" "$RC" 0
is "a prefix with '/' and UTF-8: its two keys" "$(printf '%s\n' "$OUT" |
    "$PY" -c 'import json, sys
print(" ".join(sorted(json.loads(l)["s3"]["key"] for l in sys.stdin)))')" \
    "é/plain.txt é/ü/日本.mp4"
run s3-scan -b keysb --state "$TMP/p" --once --prefix 'é/' --list-v1
is "the same with --list-v1: nothing new" "$RC:$OUT" "0:"
