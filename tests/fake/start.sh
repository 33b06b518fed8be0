# tests/fake/start.sh: sourced after tests/lib.sh; starts tests/fake/httpd.py
#
# start_fake: sets PORT, PORT2 (the storage host) and REQLOG (the
# requests received, one JSON line each); the server stops at exit.
# reqs EXPR: EXPR (Python, r is one logged request) for each request.
# recs EXPR: the same over the records in $TMP/out.

start_fake() {
	PORT=$(free_port)
	PORT2=$(free_port)
	REQLOG=$TMP/requests.ndjson
	: >"$REQLOG"
	python3 "$HP_TOP/tests/fake/httpd.py" "$PORT" "$REQLOG" "$PORT2" \
	    >"$TMP/httpd.log" 2>&1 &
	FAKE_PID=$!
	at_exit stop_fake
	if ! wait_port "$PORT" || ! wait_port "$PORT2"; then
		echo "Bail out! fake server did not start"
		cat "$TMP/httpd.log"
		exit 1
	fi
	# no proxy between the tools and 127.0.0.1
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	# short backoffs keep the tests quick
	HOOKPIPE_BACKOFF=50
	export HOOKPIPE_BACKOFF
}

stop_fake() {
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
}

reqs() {
	python3 -c 'import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    print(eval(sys.argv[1]))' "$1" "$REQLOG"
}

recs() {
	python3 -c 'import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    print(eval(sys.argv[1]))' "$1" "${2:-$TMP/out}"
}
