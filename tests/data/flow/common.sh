# tests/data/flow/common.sh: helpers for the end-to-end tests tests/flow-*.t
# (sourced after tests/lib.sh, whose moto_up they use, and
# tests/fake/start.sh)
#
# pipe_start NAME CMD...: run CMD (an example script) in its own process
#   group, stdout to $TMP/NAME.out, stderr to $TMP/NAME.err; sets PIPE_PID.
# pipe_stop PID: stop it as an operator would: SIGTERM to its wh-listen or
#   sqs-poll so end of input flows down the pipeline, then wait; the whole
#   group is killed if it does not end in 10 s.  Sets PIPE_RC.
# iconik_up: the fake iconik API (tests/fake/iconik.py) on port IP, the
#   requests it received in ILOG; stopped at exit.
# wait_for SECONDS CMD...: until CMD succeeds; 1 when time ran out.
# wl_up PORT: until wh-listen answers /healthz (10 s at most).
# hook PORT PATH JSON: POST JSON to wh-listen, prints the status code.
# device_posts PORT: what the devices of the device flows send to the
#   pipeline on PORT (/readings): three readings of two devices
#   ($TMP/readings), signed as their firmware would (wh-send, the secret
#   in $TMP/secret is "device-secret"), one unsigned, one signed without a
#   device id; three assertions on the answers.

PIPES=""

iconik_up() {
	IP=$(free_port)
	ILOG=$TMP/iconik.ndjson
	: >"$ILOG"
	python3 "$HP_TOP/tests/fake/iconik.py" "$IP" "$ILOG" \
	    >"$TMP/iconik.log" 2>&1 &
	IPID=$!
	at_exit iconik_down
	wait_port "$IP" || { echo "Bail out! fake iconik did not start"; exit 1; }
}
iconik_down() { kill "$IPID" 2>/dev/null; wait "$IPID" 2>/dev/null; }

# python with boto3 (the one moto runs with)
py() { "${PEERS_PYTHON:-python3}" "$@"; }

pipe_start() {
	_n=$1; shift
	# registered late so that it runs before servers are stopped
	[ -n "$PIPES" ] || at_exit pipes_kill
	setsid "$@" >"$TMP/$_n.out" 2>"$TMP/$_n.err" &
	PIPE_PID=$!
	PIPES="$PIPES $PIPE_PID"
}

_gone() {
	kill -0 "$1" 2>/dev/null || return 0
	case $(ps -o stat= -p "$1" 2>/dev/null) in Z*|"") return 0 ;; esac
	return 1
}

pipe_stop() {
	_p=$1
	for _c in $(ps -o pid=,comm= --ppid "$_p" 2>/dev/null |
	    awk '$2 == "wh-listen" || $2 == "sqs-poll" { print $1 }'); do
		kill -TERM "$_c" 2>/dev/null
	done
	_i=0
	while [ $_i -lt 100 ] && ! _gone "$_p"; do
		sleep 0.1; _i=$((_i + 1))
	done
	if ! _gone "$_p"; then
		echo "# pipeline $_p did not stop on its own: killing it"
		kill -TERM -- "-$_p" 2>/dev/null
		sleep 1
		kill -KILL -- "-$_p" 2>/dev/null
	fi
	wait "$_p" 2>/dev/null
	PIPE_RC=$?
	PIPES=$(echo "$PIPES" | tr ' ' '\n' | grep -vx "$_p" | tr '\n' ' ')
}

pipes_kill() {
	for _p in $PIPES; do
		kill -TERM -- "-$_p" 2>/dev/null
	done
	for _p in $PIPES; do
		_i=0
		while [ $_i -lt 30 ] && ! _gone "$_p"; do
			sleep 0.1; _i=$((_i + 1))
		done
		kill -KILL -- "-$_p" 2>/dev/null
	done
	PIPES=""
}

wait_for() {
	_end=$(( $(date +%s) + $1 )); shift
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_end" ] || return 1
		sleep 0.2
	done
}

wl_up() {
	wait_for 10 curl -sf --max-time 1 "http://127.0.0.1:$1/healthz"
}

hook() {
	curl -s -o /dev/null -w '%{http_code}' --max-time 10 \
	    -H 'Content-Type: application/json' --data-binary "$3" \
	    "http://127.0.0.1:$1$2"
}

# lines FILE: its line count; "no file FILE" (status 1) when it is
# missing, so that an --errors file nobody opened is not "0 lines"
lines() {
	if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '
	else echo "no file $1"; return 1; fi
}
# has_lines FILE N: FILE exists and has at least N lines
has_lines() { _l=$(lines "$1") && [ "$_l" -ge "$2" ]; }

device_posts() {
	cat >"$TMP/readings" <<'R'
{"device":"d-1","temp":21.5,"ts":"2026-11-28T01:00:00Z"}
{"device":"d-2","temp":19,"humidity":40,"ts":"2026-11-28T01:00:01Z"}
{"device":"d-1","temp":21.7,"ts":"2026-11-28T01:01:00Z"}
R
	run wh-send -u "http://127.0.0.1:$1/readings" --sign hmac-sha256 \
	    --secret-file "$TMP/secret" --sig-header X-Signature \
	    --sig-prefix sha256= "$TMP/readings"
	is "signed readings accepted" "$(recs 'r["http"]["status"]')" "200
200
200"
	is "unsigned reading refused" \
	    "$(hook "$1" /readings '{"device":"evil","temp":99}')" 401
	is "reading without a device id accepted, not published" \
	    "$(curl -s -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -H "X-Signature: sha256=$(
	    printf '{"temp":1}' | openssl dgst -sha256 -hmac device-secret |
	    sed 's/.*= //')" --data-binary '{"temp":1}' \
	    "http://127.0.0.1:$1/readings")" 200
}
