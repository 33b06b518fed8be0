# tests/data/wh-listen/common.sh: start and stop wh-listen for tests/wh-listen-*.t
# (sourced after tests/lib.sh)

WL_PID=""
# a python3 that starts fast (a pyenv shim takes over a second a call)
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
# one free port per test file, reused by each wh-listen started
PORT=$(free_port)
URL=http://127.0.0.1:$PORT
# wl_up: until wh-listen answers /healthz (5 s at most)
wl_up() {
	_wl_n=0
	while [ $_wl_n -lt 100 ]; do
		curl -s -o /dev/null --max-time 1 "${1:-$URL}/healthz" -k && return 0
		[ -z "$WL_PID" ] || kill -0 "$WL_PID" 2>/dev/null || return 1
		sleep 0.05; _wl_n=$((_wl_n + 1))
	done
	return 1
}
# listen ARGS...: start wh-listen on $PORT, records to $TMP/rec, stderr
# to $TMP/log
listen() {
	wh-listen -p "$PORT" "$@" >"$TMP/rec" 2>"$TMP/log" &
	WL_PID=$!
	wl_up || { echo "# wh-listen did not start"; sed 's/^/# /' "$TMP/log"; }
}
# stop [SIG]: signal wh-listen and wait; sets WL_RC
stop() {
	kill -"${1:-TERM}" "$WL_PID" 2>/dev/null
	wait "$WL_PID"
	WL_RC=$?
	WL_PID=""
}
wl_cleanup() { [ -n "$WL_PID" ] && kill -KILL "$WL_PID" 2>/dev/null; true; }
at_exit wl_cleanup

# post PATH [CURL ARGS...]: POST, prints the status code
post() {
	p=$1; shift
	curl -s -o "$TMP/resp" -w '%{http_code}' --max-time 20 "$@" "$URL$p"
}
# lines: number of records written so far
lines() { wc -l < "$TMP/rec" | tr -d ' '; }
