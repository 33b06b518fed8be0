#!/bin/sh
# wh-listen with a reader that stops reading (a real pipe, full): each
# request waits --write-timeout at most, then gets 503 and is not
# written; /healthz still answers and says so; SIGTERM and SIGINT end it
# within --drain (default 10 s), answering 503 to what waits; every 2xx
# is in the output, and nothing else is.  Before: requests hung, /healthz
# too, and only SIGKILL ended it.
. tests/lib.sh
. tests/data/wh-listen/common.sh
echo "1..41"

# stalled ARGS...: wh-listen writing to a FIFO that this shell opens on
# fd 3 and does not read
N=0
stalled() {
	N=$((N + 1))
	rm -f "$TMP/out"
	mkfifo "$TMP/out"
	wh-listen -p "$PORT" "$@" > "$TMP/out" 2> "$TMP/log.$N" &
	WL_PID=$!
	exec 3< "$TMP/out"
	wl_up || { echo "# wh-listen did not start"; sed 's/^/# /' "$TMP/log.$N"; }
}
# load FIRST COUNT [SIZE]: COUNT requests at once, "N STATUS SECS" lines
load() { $PY tests/wh-listen-stall.py "$PORT" "$1" "$2" "${3:-3000}"; }
# gone SECS: until wh-listen has exited (a zombie counts), at most SECS;
# GONE is the seconds it took or "hung" (and then it is killed); WL_RC
gone() {
	t=$($PY - "$WL_PID" "$1" <<'PY'
import sys, time
pid, lim = sys.argv[1], float(sys.argv[2])
t0 = time.monotonic()
while time.monotonic() - t0 < lim:
    try:
        if open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z":
            break
    except OSError:
        break
    time.sleep(0.02)
else:
    print("hung"); sys.exit()
print("%.1f" % (time.monotonic() - t0))
PY
)
	[ "$t" = hung ] && kill -KILL "$WL_PID"
	wait "$WL_PID"; WL_RC=$?; WL_PID=""
	GONE=$t
	echo "# gone in $t s"
}
# until_stalled: until /healthz says the output is stalled (10 s at most)
until_stalled() {
	for _i in $(seq 100); do
		curl -s --max-time 2 "$URL/healthz" | grep -q stalled && return 0
		sleep 0.1
	done
	return 1
}
# drain FILE: what the pipe holds now into FILE, without waiting
drain() {
	$PY -c '
import fcntl, os, sys
fcntl.fcntl(3, fcntl.F_SETFL, fcntl.fcntl(3, fcntl.F_GETFL) | os.O_NONBLOCK)
with open(sys.argv[1], "ab") as f:
    while True:
        try:
            b = os.read(3, 65536)
        except BlockingIOError:
            break
        if not b:
            break
        f.write(b)' "$1"
}
# same_as_2xx FILE RECORDS NAME: the records written are exactly the 2xx
same_as_2xx() {
	awk '$2 ~ /^2/ {print $1}' "$1" | sort -n > "$TMP/want"
	jq -r .body.n "$2" | sort -n > "$TMP/got"
	same_file "$3: the records written are exactly those answered 2xx" \
	    "$TMP/got" "$TMP/want"
}

# --- 40 requests at once into a pipe nobody reads (64 KiB: ~16 fit)
stalled --write-timeout 1 --drain 3
load 1 40 > "$TMP/a"
is "all 40 answered" "$(grep -vc ' 000 ' "$TMP/a")" 40
like "... each within --write-timeout 1 (and slack)" \
    "$(sort -k3 -n "$TMP/a" | tail -n 1 | cut -d' ' -f3)" '^[0-3]\.'
is "... 2xx or 503, nothing else" "$(grep -Evc ' (200|503) ' "$TMP/a")" 0
like "the pipe took some" "$(grep -c ' 200 ' "$TMP/a")" '^[1-9]'
like "the rest got 503" "$(grep -c ' 503 ' "$TMP/a")" '^[1-9]'
ok "/healthz says the output is stalled" until_stalled
is "... with 503" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/healthz")" 503
set -- $(load 100 1)
is "a request meanwhile: 503" "$2" 503
like "... within --write-timeout" "$3" '^[0-2]\.'
cat "$TMP/a" > "$TMP/all"; echo "100 503" >> "$TMP/all"
# the reader reads again: served again
drain "$TMP/rec"
is "the reader back: /healthz 200" "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$URL/healthz")" 200
set -- $(load 200 1)
is "... and requests 200" "$2" 200
echo "200 $2" >> "$TMP/all"
load 300 30 >> "$TMP/all"
kill -TERM "$WL_PID"
gone 8
like "SIGTERM: gone within --drain 3" "$GONE" '^[0-3]\.'
is "... exit 0" "$WL_RC" 0
cat <&3 >> "$TMP/rec"
jq -c . "$TMP/rec" > /dev/null 2>&1 && pass "no torn line" || fail "no torn line"
same_as_2xx "$TMP/all" "$TMP/rec" "stalled twice"
is "a line on stderr for each 503" "$(grep -c ': 503 output stalled' "$TMP/log.$N")" \
    "$(grep -c ' 503' "$TMP/all")"

# --- requests waiting when SIGTERM comes: --drain bounds them
stalled --write-timeout 30 --drain 2
load 1 30 > "$TMP/b" &
L=$!
ok "stalled, requests waiting" until_stalled
kill -TERM "$WL_PID"
gone 8
like "SIGTERM with requests waiting: gone within --drain 2" "$GONE" '^[0-3]\.'
is "... exit 0" "$WL_RC" 0
wait $L
is "... every request answered" "$(grep -vc ' 000 ' "$TMP/b")" 30
like "... those waiting got 503" "$(grep -c ' 503 ' "$TMP/b")" '^[1-9]'
like "... stderr says why" "$(cat "$TMP/log.$N")" '503 output stalled, stopping: not written'
cat <&3 > "$TMP/rec"
same_as_2xx "$TMP/b" "$TMP/rec" "SIGTERM"

# --- a second signal ends the drain at once
stalled --write-timeout 30 --drain 60
load 1 30 > "$TMP/c" &
L=$!
ok "stalled again" until_stalled
kill -TERM "$WL_PID"
sleep 0.3
kill -INT "$WL_PID"
gone 8
like "SIGTERM then SIGINT: gone at once, not after --drain 60" "$GONE" '^[0-2]\.'
wait $L
is "... every request answered" "$(grep -vc ' 000 ' "$TMP/c")" 30
cat <&3 > "$TMP/rec"
same_as_2xx "$TMP/c" "$TMP/rec" "two signals"

# --- the default drain: 10 s at most
stalled --write-timeout 60
load 1 30 > "$TMP/d" &
L=$!
ok "stalled once more" until_stalled
kill -INT "$WL_PID"
gone 15
like "SIGINT, default --drain: gone within 10 s" "$GONE" '^([0-9]|10)\.'
is "... exit 0" "$WL_RC" 0
wait $L
is "... every request answered" "$(grep -vc ' 000 ' "$TMP/d")" 30
cat <&3 > "$TMP/rec"
same_as_2xx "$TMP/d" "$TMP/rec" "default drain"

# --- long records (over PIPE_BUF): not started without room, so not cut
stalled --write-timeout 1 --drain 2
load 1 20 9000 > "$TMP/e"
is "long records: all answered" "$(grep -vc ' 000 ' "$TMP/e")" 20
like "... some 503" "$(grep -c ' 503 ' "$TMP/e")" '^[1-9]'
kill -TERM "$WL_PID"
gone 8
like "... gone within --drain" "$GONE" '^[0-3]\.'
cat <&3 > "$TMP/rec"
jq -c . "$TMP/rec" > /dev/null 2>&1 && pass "long records: no torn line" || fail "long records: no torn line"
same_as_2xx "$TMP/e" "$TMP/rec" "long records"

# --- the same with one server thread: the waiting requests hold none
stalled --write-timeout 1 --drain 2 --threads 1
load 1 30 > "$TMP/f"
is "threads: all answered" "$(grep -vc ' 000 ' "$TMP/f")" 30
like "threads: some 503" "$(grep -c ' 503 ' "$TMP/f")" '^[1-9]'
kill -TERM "$WL_PID"
gone 8
like "threads: gone within --drain" "$GONE" '^[0-3]\.'
cat <&3 > "$TMP/rec"
same_as_2xx "$TMP/f" "$TMP/rec" "threads"
exec 3<&-
[ "$T_FAILED" -eq 0 ]
