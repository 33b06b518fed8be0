# tests/s3-fault-proxy.sh: sourced by the tests that put
# tests/s3-fault-proxy.py in front of moto (or of PROXY_UPSTREAM, the
# Pub/Sub emulator); needs $PY, $TMP, $MOTO_ENDPOINT or $PROXY_UPSTREAM
PROXY_PID=

# proxy RULE...: (re)start the proxy with these faults; sets $EP, $LOG
proxy() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	PROXY_N=$((${PROXY_N:-0} + 1))
	LOG=$TMP/proxy$PROXY_N.log
	: >"$LOG"
	rm -f "$TMP/port"
	"$PY" tests/s3-fault-proxy.py "${PROXY_UPSTREAM:-$MOTO_ENDPOINT}" \
	    "$TMP/port" "$LOG" \
	    "$@" 2>"$TMP/proxy$PROXY_N.err" &
	PROXY_PID=$!
	i=0
	while [ ! -s "$TMP/port" ] && [ $i -lt 600 ]; do
		sleep 0.05; i=$((i + 1)); done
	EP=http://127.0.0.1:$(cat "$TMP/port")
}

# proxy_stop: stop the proxy (at_exit)
proxy_stop() {
	[ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null
	PROXY_PID=
}

# proxy_wait PATTERN: until a line of $LOG matches the grep -E PATTERN
proxy_wait() {
	i=0
	while [ $i -lt 1200 ] && ! grep -Eq -- "$1" "$LOG"; do
		sleep 0.05; i=$((i + 1)); done
}
