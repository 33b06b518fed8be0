#!/bin/sh
# wh-listen under systemd's socket activation (LISTEN_FDS, from the real
# systemd-socket-activate) and its Type=notify readiness (NOTIFY_SOCKET,
# a datagram listener standing in for systemd)
. tests/lib.sh
plan 12
. tests/data/wh-listen/common.sh

if ! command -v systemd-socket-activate >/dev/null 2>&1; then
	skip_rest "no systemd-socket-activate (Debian's systemd package)"
	done_testing
	exit 0
fi
WL=$HP_BUILD/bin/wh-listen

# notify_up SOCKET: a datagram listener at SOCKET (a path, or @name for
# an abstract one) writing each message it gets to $TMP/notify, for 20 s
# at most or until STOPPING=1
notify_up() {
	rm -f "$TMP/notify" "$TMP/notify.up"
	"$PY" - "$1" "$TMP/notify" <<'PY' &
import socket, sys, time
name, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("\0" + name[1:] if name.startswith("@") else name)
open(out + ".up", "w").close()
end = time.monotonic() + 20
s.settimeout(0.5)
while time.monotonic() < end:
    try:
        m = s.recv(4096).decode()
    except socket.timeout:
        continue
    with open(out, "a") as f:
        f.write(m + "\n")
    if m == "STOPPING=1":
        break
PY
	NOTIFY_PID=$!
	n=0
	while [ ! -e "$TMP/notify.up" ] && [ $n -lt 100 ]; do
		sleep 0.05; n=$((n + 1))
	done
}
notify_cleanup() { [ -n "${NOTIFY_PID:-}" ] && kill "$NOTIFY_PID" 2>/dev/null; true; }
at_exit notify_cleanup

# the socket is systemd's: no -a or -p; the activator execs wh-listen on
# the first connection, so its pid is wh-listen's
notify_up "$TMP/notify.sock"
systemd-socket-activate -l "127.0.0.1:$PORT" -E "NOTIFY_SOCKET=$TMP/notify.sock" \
    "$WL" --path /hook > "$TMP/rec" 2> "$TMP/log" &
WL_PID=$!
wait_port "$PORT" 10
is "activated: POST answered" "$(post /hook -d '{"activated":1}')" 200
is "activated: other paths 404" "$(post /other -d '{}')" 404
said() { grep -q 'READY=1' "$TMP/notify" 2>/dev/null; }
ok "Type=notify: READY=1 sent to NOTIFY_SOCKET" eventually 10 said
stop
is "activated: exit 0 on SIGTERM" "$WL_RC" 0
is "activated: the request recorded" "$(jq -c .body "$TMP/rec")" '{"activated":1}'
wait "$NOTIFY_PID"
NOTIFY_PID=""
is "Type=notify: READY=1, then STOPPING=1" "$(tr '\n' ' ' < "$TMP/notify")" "READY=1 STOPPING=1 "
like "activated: the activator passed the socket" "$(cat "$TMP/log")" "Communication attempt|Execing"

# an abstract NOTIFY_SOCKET (@name), and -c's paths served on the socket
notify_up "@hookpipe-test-$$"
systemd-socket-activate -l "127.0.0.1:$PORT" -E "NOTIFY_SOCKET=@hookpipe-test-$$" \
    "$WL" > "$TMP/rec" 2> "$TMP/log" &
WL_PID=$!
wait_port "$PORT" 10
is "abstract socket: POST answered" "$(post /x -d '{"n":2}')" 200
ok "abstract NOTIFY_SOCKET: READY=1" eventually 10 said
stop
is "abstract socket: recorded" "$(jq -c .body "$TMP/rec")" '{"n":2}'

# a socket from systemd and -p: which one is meant is not clear
systemd-socket-activate -l "127.0.0.1:$PORT" "$WL" -p "$PORT" \
    > "$TMP/out" 2> "$TMP/err" &
pid=$!
wait_port "$PORT" 10
curl -s -o /dev/null --max-time 3 "$URL/x" -d '{}'
wait "$pid"
is "-p with a socket passed: exit 2" "$?" 2
like "-p with a socket passed: said" "$(cat "$TMP/err")" "-a and -p do not go with the socket systemd passed"
done_testing
