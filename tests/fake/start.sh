# tests/fake/start.sh: sourced after tests/lib.sh; starts the fakes
#
# start_fake: starts tests/fake/httpd.py (generic HTTP faults and Slack)
# on PORT and tests/fake/jobplatform.py (the job platform) on APIPORT, with
# its storage host (what signed URLs point to) on PORT2; sets API (the
# platform's base URL) and REQLOG (the requests both received, one JSON
# line each); the servers stop at exit.
# seed_jobs ID [expired]...: the platform knows these complete jobs
#   (expired: their output is gone, 410); others are unknown (404).
# reqs EXPR [LOG]: EXPR (Python, r is one logged request) for each request
#   in LOG (default $REQLOG).
# recs EXPR: the same over the records in $TMP/out.

start_fake() {
	PORT=$(free_port)
	PORT2=$(free_port)
	APIPORT=$(free_port)
	API=http://127.0.0.1:$APIPORT
	REQLOG=$TMP/requests.ndjson
	JOBS_SEED=$TMP/platform-jobs
	: >"$REQLOG"
	: >"$JOBS_SEED"
	python3 "$HP_TOP/tests/fake/httpd.py" "$PORT" "$REQLOG" \
	    >"$TMP/httpd.log" 2>&1 &
	FAKE_PID=$!
	python3 "$HP_TOP/tests/fake/jobplatform.py" "$APIPORT" "$REQLOG" \
	    "$PORT2" "$JOBS_SEED" >"$TMP/platform.log" 2>&1 &
	PLATFORM_PID=$!
	at_exit stop_fake
	if ! wait_port "$PORT" || ! wait_port "$PORT2" ||
	    ! wait_port "$APIPORT"; then
		echo "Bail out! fake server did not start"
		cat "$TMP/httpd.log" "$TMP/platform.log"
		exit 1
	fi
	# no proxy between the tools and 127.0.0.1
	unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
	# short backoffs keep the tests quick
	HOOKPIPE_BACKOFF=50
	export HOOKPIPE_BACKOFF
}

stop_fake() {
	kill "$FAKE_PID" "$PLATFORM_PID" 2>/dev/null
	wait "$FAKE_PID" "$PLATFORM_PID" 2>/dev/null
}

# seed_jobs: one id a line, "expired" after an id marks it so
seed_jobs() {
	for _j in "$@"; do
		case $_j in
		expired) sed -i '$s/$/ expired/' "$JOBS_SEED" ;;
		*) echo "$_j" >>"$JOBS_SEED" ;;
		esac
	done
}

reqs() {
	python3 -c 'import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    print(eval(sys.argv[1]))' "$1" "${2:-$REQLOG}"
}

recs() {
	python3 -c 'import json, sys
for l in open(sys.argv[2]):
    r = json.loads(l)
    print(eval(sys.argv[1]))' "$1" "${2:-$TMP/out}"
}
