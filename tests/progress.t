#!/bin/sh
# the progress line of job-fetch, s3-get and s3-put (lib/progress): under
# a pseudo-terminal (script(1)) one line redrawn in place with bytes and
# rate, erased at the end and before any message; nothing at all when
# stderr is not a terminal or HOOKPIPE_PROGRESS=0
. tests/lib.sh
plan 12
command -v script >/dev/null || { skip_rest "script(1) is missing (bsdutils)"; exit 0; }

# a file server on 127.0.0.1 with a 32 MiB file and nothing else
mkdir "$TMP/www" "$TMP/o1" "$TMP/o2" "$TMP/o3"
head -c 33554432 /dev/urandom >"$TMP/www/big"
P=$(free_port)
(cd "$TMP/www" && exec python3 -m http.server -b 127.0.0.1 "$P") \
    >"$TMP/www.log" 2>&1 &
WWW=$!
stop_www() { kill "$WWW" 2>/dev/null; }
at_exit stop_www
wait_port "$P"
printf '{"u":"http://127.0.0.1:%s/big"}\n{"u":"http://127.0.0.1:%s/none"}\n' \
    "$P" "$P" >"$TMP/in"
unset HOOKPIPE_PROGRESS
# tty CMD: CMD's stdout and stderr as a terminal shows them, in $TMP/tty
tty() { TERM=xterm script -qec "$1" /dev/null </dev/null >"$TMP/tty" 2>&1; }

tty "job-fetch --url '{u}' --id '{u}' --name big -o '$TMP/o1' '$TMP/in' >'$TMP/out1'"
is "job-fetch: the 404 is a record error (exit 1)" "$?" 1
ok "job-fetch: a line with what is done and the rate" \
    grep -aq 'job-fetch: [0-9]* done, .* of 32.0 MiB, .*/s' "$TMP/tty"
# every message begins on a line of its own: after a newline, or after
# the line was erased ("\r", ESC [K)
is "job-fetch: the error message starts on a clean line" "$(python3 -c '
import sys
t = open(sys.argv[1], "rb").read()
i = t.find(b"job-fetch: " + sys.argv[2].encode() + b":2:")
print("found" if i > 0 and (t[:i].endswith(b"\n") or t[:i].endswith(b"\r\x1b[K")) else repr(t[max(0, i - 80):i + 20]))' "$TMP/tty" "$TMP/in")" found
is "job-fetch: the line is erased after its last drawing" "$(python3 -c '
import sys
t = open(sys.argv[1], "rb").read()
print("erased" if b"\r\x1b[K" in t[t.rfind(b" done, "):] else repr(t[-120:]))' "$TMP/tty")" erased
is "job-fetch: the file is whole" "$(cmp "$TMP/www/big" "$TMP/o1/big" && echo same)" same

job-fetch --url '{u}' --id '{u}' --name big -o "$TMP/o2" "$TMP/in" >/dev/null 2>"$TMP/err2"
is "not a terminal: only the error on stderr" "$(cat "$TMP/err2" | tr -d '\r' | grep -vc "^job-fetch: $TMP/in:2:")" 0
ok "not a terminal: no carriage return, no escape" sh -c \
    "! grep -aq \"\$(printf '\\r')\" '$TMP/err2'"
HOOKPIPE_PROGRESS=0 tty "job-fetch --url '{u}' --id '{u}' --name big -o '$TMP/o3' '$TMP/in' >/dev/null"
ok "HOOKPIPE_PROGRESS=0: none on a terminal either" sh -c \
    "! grep -aq ' done, ' '$TMP/tty'"

moto_up
U="$PEERS_PYTHON tests/s3-util.py"
$U mb prog || fail "make the bucket"
tty "s3-put -b prog -k big '$TMP/www/big' >'$TMP/out4'"
is "s3-put: exit 0" "$?" 0
ok "s3-put: the line with the upload's bytes and rate" \
    grep -aq 's3-put: [0-9]* done, .*/s' "$TMP/tty"
printf '{"s3":{"bucket":"prog","key":"big"}}\n' >"$TMP/in5"
mkdir "$TMP/o5"
tty "s3-get -o '$TMP/o5' '$TMP/in5' >'$TMP/out5'"
ok "s3-get: the line with the download's bytes and rate" \
    grep -aq 's3-get: [0-9]* done, .* of 32.0 MiB.*/s' "$TMP/tty"
is "s3-get: the object is whole" "$(cmp "$TMP/www/big" "$TMP/o5/big" && echo same)" same
done_testing
