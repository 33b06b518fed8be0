#!/bin/sh
# wh-listen -c: per-path verification, SIGHUP reload, bad files
. tests/lib.sh
plan 33
. tests/data/wh-listen/common.sh

printf 'It'"'"'s a Secret to Everybody' > "$TMP/gh.secret"
printf 'Hello, World!' > "$TMP/body"
GH='X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
export CUSTOM_SECRET="It's a Secret to Everybody"
cat > "$TMP/c.yaml" <<Y
# per-path settings
paths:
  /github:
    verify: github
    secret-file: $TMP/gh.secret
  /custom:
    verify: hmac-sha256
    secret-env: CUSTOM_SECRET
    sig-header: X-Sig
    sig-prefix: "sha256="
    tolerance: 60
  /open:
Y
listen -c "$TMP/c.yaml"
is "-c: github path verified" "$(post /github -H "$GH" --data-binary @"$TMP/body")" 200
is "-c: github path refuses unsigned" "$(post /github --data-binary @"$TMP/body")" 401
is "-c: hmac path, other header" "$(post /custom -H "$(echo "$GH" | sed 's/X-Hub-Signature-256/X-Sig/')" --data-binary @"$TMP/body")" 200
is "-c: hmac path refuses the github header" "$(post /custom -H "$GH" --data-binary @"$TMP/body")" 401
is "-c: open path" "$(post /open -d '{}')" 200
is "-c: other paths 404" "$(post /other -d '{}')" 404

# SIGHUP: the github secret changes, /open goes away, /new appears
printf 'new secret' > "$TMP/gh.secret"
sed -e 's|^  /open:|  /new: {}|' "$TMP/c.yaml" > "$TMP/c2.yaml"
mv "$TMP/c2.yaml" "$TMP/c.yaml"
kill -HUP "$WL_PID"
# reloaded: the removed path is unknown (asked with GET: no record made)
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL$1"; }
gone() { [ "$(code /open)" = 404 ]; }
ok "SIGHUP: reloaded, the removed path 404" eventually 10 gone
is "SIGHUP: old secret refused" "$(post /github -H "$GH" --data-binary @"$TMP/body")" 401
mac=$(printf 'Hello, World!' | openssl dgst -sha256 -hmac 'new secret' | sed 's/.*= *//')
is "SIGHUP: new secret accepted" "$(post /github -H "X-Hub-Signature-256: sha256=$mac" --data-binary @"$TMP/body")" 200
is "SIGHUP: added path served" "$(post /new -d '{}')" 200
# a broken file on SIGHUP: old settings kept, said so
echo 'paths: [' > "$TMP/c.yaml"
kill -HUP "$WL_PID"
said() { grep -q 'cannot reload .*c.yaml, keeping the old settings' "$TMP/log"; }
ok "bad reload: reported" eventually 10 said
is "bad reload: still serving the old paths" "$(post /new -d '{}')" 200
stop
is "-c: exit 0" "$WL_RC" 0
is "-c: records written" "$(lines)" 6

# bad files: exit 3 with file:line
bad() {	# bad NAME PATTERN YAML: the YAML (printf format) must be refused
	printf "$3" > "$TMP/bad.yaml"
	run wh-listen -p "$PORT" -c "$TMP/bad.yaml"
	is "$1: exit 3" "$RC" 3
	like "$1: message" "$ERR" "$2"
}
bad "unknown scheme" 'bad.yaml:3: /a: unknown verify scheme nosuch' 'paths:\n  /a:\n    verify: nosuch\n    secret-env: HOME\n'
bad "no secret" 'bad.yaml:3: /a: verify github needs a secret-file or secret-env' 'paths:\n  /a:\n    verify: github\n'
bad "unknown setting" 'bad.yaml:3: unknown setting verfy' 'paths:\n  /a:\n    verfy: github\n'
bad "unknown key" 'unknown key routes' 'routes:\n  /a: {}\n'
bad "path without /" 'does not start with /' 'paths:\n  a: {}\n'
bad "unset variable" 'NOPE_NOT_SET is not set' 'paths:\n  /a:\n    verify: github\n    secret-env: NOPE_NOT_SET\n'
bad "YAML syntax" 'bad.yaml:[0-9]+' 'paths: [\n'
bad "pubsub not a boolean" 'bad.yaml:3: sns and pubsub must be true or false' 'paths:\n  /a:\n    pubsub: yes please\n'
bad "sns and pubsub" 'bad.yaml:3: /a: sns and pubsub do not go together' 'paths:\n  /a:\n    sns: true\n    pubsub: true\n'
run wh-listen -p "$PORT" -c "$TMP/none.yaml"
is "missing file: exit 3" "$RC" 3
done_testing
