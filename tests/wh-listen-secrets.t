#!/bin/sh
# wh-listen: several secrets a path (rotation): any verifies, the record
# says which by index and never holds one; wh-send signs with the first
. tests/lib.sh
plan 20
. tests/data/wh-listen/common.sh

# GitHub's documented vector: "Hello, World!" under "It's a Secret to
# Everybody" (tests/data/http/github.secret)
GH_SECRET=$(cat "$DATA/http/github.secret")
printf 'Hello, World!' > "$TMP/body"
sig() { printf 'Hello, World!' | openssl dgst -sha256 -hmac "$1" | sed 's/.*= *//'; }
OLD="X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
NEW="X-Hub-Signature-256: sha256=$(sig 'the next secret')"
BAD="X-Hub-Signature-256: sha256=$(sig 'nobody knows this')"
# one file, two lines (CR LF and a blank line too): old first, then new
printf '%s\r\n\nthe next secret\n' "$GH_SECRET" > "$TMP/two.secret"

listen --verify github --secret-file "$TMP/two.secret"
is "two lines: the old secret verifies" "$(post /h -H "$OLD" --data-binary @"$TMP/body")" 200
is "two lines: the new one too" "$(post /h -H "$NEW" --data-binary @"$TMP/body")" 200
is "two lines: another secret does not" "$(post /h -H "$BAD" --data-binary @"$TMP/body")" 401
like "two lines: said on stderr" "$(cat "$TMP/log")" "401 signature mismatch"
stop
is "records: which secret, by index" "$(jq -c .verified "$TMP/rec" | tr '\n' ' ')" \
    '{"scheme":"github","secret":0} {"scheme":"github","secret":1} '
is "records: two, the refused one not written" "$(lines)" 2
is "records: no secret in them" "$(grep -c -e "Secret to Everybody" -e "next secret" "$TMP/rec")" 0

# --secret-file and --secret-env repeated: indexes run across them
printf 'the next secret\n' > "$TMP/new.secret"
GH_ENV=$GH_SECRET listen --verify github --secret-file "$TMP/new.secret" \
    --secret-env GH_ENV
is "repeated: the file's secret" "$(post /h -H "$NEW" --data-binary @"$TMP/body")" 200
is "repeated: the variable's secret" "$(post /h -H "$OLD" --data-binary @"$TMP/body")" 200
stop
is "repeated: indexes in the order given" "$(jq -c .verified.secret "$TMP/rec" | tr '\n' ' ')" "0 1 "

# -c: a list of secret files, rotated on SIGHUP (the old one dropped)
printf '%s\n' "$GH_SECRET" > "$TMP/old.secret"
cat > "$TMP/c.yaml" <<Y
paths:
  /gh:
    verify: github
    secret-file: [$TMP/old.secret, $TMP/new.secret]
Y
listen -c "$TMP/c.yaml"
is "-c list: old verifies" "$(post /gh -H "$OLD" --data-binary @"$TMP/body")" 200
is "-c list: new verifies" "$(post /gh -H "$NEW" --data-binary @"$TMP/body")" 200
sed "s|\[$TMP/old.secret, |[|" "$TMP/c.yaml" > "$TMP/c2.yaml" && mv "$TMP/c2.yaml" "$TMP/c.yaml"
kill -HUP "$WL_PID"
old_gone() { [ "$(post /gh -H "$OLD" --data-binary @"$TMP/body")" = 401 ]; }
ok "-c list: after SIGHUP the dropped secret is refused" eventually 10 old_gone
is "-c list: the one left verifies, now index 0" "$(post /gh -H "$NEW" --data-binary @"$TMP/body")" 200
stop
is "-c list: indexes" "$(jq -c .verified.secret "$TMP/rec" | tr '\n' ' ')" "0 1 0 "

# wh-send signs with the first line of its secret file
listen --verify github --secret-file "$TMP/two.secret"
printf '{"payload":"Hello, World!"}\n' > "$TMP/in.ndjson"
run wh-send --sign github --secret-file "$TMP/two.secret" -d '{payload}' \
    -u "$URL/h" "$TMP/in.ndjson"
is "wh-send with two lines: exit 0" "$RC" 0
printf 'the next secret\n%s\n' "$GH_SECRET" > "$TMP/rev.secret"
run wh-send --sign github --secret-file "$TMP/rev.secret" -d '{payload}' \
    -u "$URL/h" "$TMP/in.ndjson"
stop
is "wh-send signs with the first line" "$(jq -c .verified.secret "$TMP/rec" | tr '\n' ' ')" "0 1 "

# bounds: 8 secrets at most; an empty file is no secret
seq 1 9 > "$TMP/nine.secret"
run wh-listen -p "$PORT" --verify github --secret-file "$TMP/nine.secret"
is "nine secrets: exit 3" "$RC" 3
like "nine secrets: said" "$ERR" "more than 8 secrets"
printf '\n\r\n' > "$TMP/blank.secret"
run wh-listen -p "$PORT" --verify github --secret-file "$TMP/blank.secret"
is "blank lines only: exit 3 (secret is empty)" "$RC.$(echo "$ERR" | grep -c 'secret is empty')" 3.1
done_testing
