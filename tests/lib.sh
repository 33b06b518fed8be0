# tests/lib.sh: sourced by every tests/*.t (POSIX sh); prints TAP.
# Usage: . tests/lib.sh; plan 3; ok "name" cmd...; is ...; done_testing
# The plan is printed first: a test that ends early, or a branch that never
# runs its assertions, is a plan mismatch (scripts/runtests fails it), and
# done_testing fails a count that differs from the plan.  skip_rest REASON
# skips what is left of the plan (a peer that is not installed).
set -u
HP_TOP=${HP_TOP:-$(pwd)}
HP_BUILD=${HP_BUILD:-$HP_TOP/build}
PATH=$HP_BUILD/bin:$PATH
export PATH HP_TOP HP_BUILD
# how many times slower the tools run in this build: a bound on time that
# tells linear from quadratic scales by it (ASan/UBSan: about 20x on CPU)
case $HP_BUILD in
*-san) HP_SLOW=6 ;;
*) HP_SLOW=1 ;;
esac
DATA=$HP_TOP/tests/data
# the real interpreter first in PATH: a version manager's shim (pyenv)
# costs a second or more per python3 call
if [ -z "${HP_PYBIN:-}" ]; then
	HP_PYBIN=$(sh "$HP_TOP/scripts/pybin")
	export HP_PYBIN
fi
[ -n "$HP_PYBIN" ] && PATH=$HP_BUILD/bin:$HP_PYBIN:$PATH
T_N=0
T_FAILED=0
T_PLAN=""
# every test gets its own scratch folder, removed at exit
TMP=$(mktemp -d "${TMPDIR:-/tmp}/hookpipe-test.XXXXXX")
T_CLEANUP=""
t_exit() {
	for c in $T_CLEANUP; do "$c"; done
	rm -rf "$TMP"
}
trap t_exit EXIT
trap 'exit 130' INT TERM

# at_exit FUNC: run FUNC when the test ends (stop servers)
at_exit() { T_CLEANUP="$1 $T_CLEANUP"; }

pass() { T_N=$((T_N + 1)); echo "ok $T_N - $1"; }
fail() {
	T_N=$((T_N + 1)); T_FAILED=$((T_FAILED + 1)); echo "not ok $T_N - $1"
	shift
	for l in "$@"; do printf '# %s\n' "$l"; done
}
skip() { T_N=$((T_N + 1)); echo "ok $T_N - $1 # SKIP ${2:-}"; }

# ok NAME CMD...: passes when CMD exits 0
ok() {
	n=$1; shift
	if "$@" >"$TMP/ok.out" 2>&1; then pass "$n"; else
		fail "$n" "command failed: $*"; sed 's/^/#   /' "$TMP/ok.out" | head -n 20
	fi
}

# is NAME GOT WANT: string equality
is() {
	if [ "$2" = "$3" ]; then pass "$1"; else
		fail "$1" "got:  '$2'" "want: '$3'"; fi
}

# like NAME TEXT PATTERN: TEXT matches the grep -E PATTERN
like() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then pass "$1"; else
		fail "$1" "got:  '$2'" "want match: '$3'"; fi
}

# same_file NAME GOT_FILE WANT_FILE: diff -u
same_file() {
	if diff -u "$3" "$2" >"$TMP/diff.out" 2>&1; then pass "$1"; else
		fail "$1"; sed 's/^/#   /' "$TMP/diff.out" | head -n 40
	fi
}

# run CMD...: run with stdout to $TMP/out, stderr to $TMP/err, $? in $RC
run() {
	"$@" >"$TMP/out" 2>"$TMP/err"
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# free_port: a TCP port nobody listens on at 127.0.0.1
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT [SECONDS]: until something accepts on 127.0.0.1:PORT
wait_port() {
	python3 - "$1" "${2:-10}" <<'PY'
import socket, sys, time
port, end = int(sys.argv[1]), time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        sys.exit(0)
    except OSError:
        time.sleep(0.02)
sys.exit(1)
PY
}

# moto_up: moto (scripts/peers) in $TMP/peers for this test, with no
# AWS_* setting from outside, stopped when the test ends (moto_down), its
# peers.env exported.  Without moto the rest of the plan is skipped and the
# test ends; a start that fails bails out.
moto_up() {
	for v in $(env | sed -n 's/^\(AWS_[A-Z0-9_]*\)=.*/\1/p'); do
		unset "$v"
	done
	PEERS_DIR=$TMP/peers
	at_exit moto_down
	sh "$HP_TOP/scripts/peers" start "$PEERS_DIR" >"$TMP/peers.out" 2>&1
	case $? in
	0) ;;
	3) if [ -n "$T_PLAN" ]; then skip_rest "moto is not installed"
	   else skip "${0##*/}" "moto is not installed"; fi
	   done_testing; exit 0 ;;
	*) echo "Bail out! cannot start moto"; sed 's/^/# /' "$TMP/peers.out"
	   exit 1 ;;
	esac
	set -a
	. "$PEERS_DIR/peers.env"
	set +a
}
moto_down() { sh "$HP_TOP/scripts/peers" stop "$PEERS_DIR" >/dev/null 2>&1; }

# pubsub_up: Google's Pub/Sub emulator (scripts/peers pubsub) in
# $TMP/peers for this test, stopped when the test ends, its pubsub.env
# exported (PUBSUB_EMULATOR_HOST) and PUBSUB_URL set; no PUBSUB_ENDPOINT
# from outside.  Without the emulator or java the rest of the plan is
# skipped with the reason, and the test ends; a start that fails bails out.
pubsub_up() {
	unset PUBSUB_ENDPOINT PUBSUB_EMULATOR_HOST
	PEERS_DIR=$TMP/peers
	at_exit moto_down
	sh "$HP_TOP/scripts/peers" pubsub "$PEERS_DIR" >"$TMP/peers.out" 2>&1
	case $? in
	0) ;;
	3) _why=$(sed -n 's/^peers: //p' "$TMP/peers.out" | head -n 1)
	   if [ -n "$T_PLAN" ]; then skip_rest "$_why"
	   else skip "${0##*/}" "$_why"; fi
	   done_testing; exit 0 ;;
	*) echo "Bail out! cannot start the Pub/Sub emulator"
	   sed 's/^/# /' "$TMP/peers.out"; exit 1 ;;
	esac
	set -a
	. "$PEERS_DIR/pubsub.env"
	set +a
	PUBSUB_URL=http://$PUBSUB_EMULATOR_HOST
}

# ps_api METHOD PATH [JSON]: one Pub/Sub REST call to the emulator
# (/v1/PATH), the answer on stdout; fails on an HTTP error
ps_api() {
	curl -sS -f -X "$1" -H 'Content-Type: application/json' \
	    ${3:+-d "$3"} "$PUBSUB_URL/v1/$2"
}
# ps_topic P T, ps_sub P S T [DEADLINE]: make a topic, a subscription
ps_topic() { ps_api PUT "projects/$1/topics/$2" >/dev/null; }
ps_sub() {
	ps_api PUT "projects/$1/subscriptions/$2" \
	    "{\"topic\":\"projects/$1/topics/$3\",\"ackDeadlineSeconds\":${4:-10}}" \
	    >/dev/null
}
# ps_gcloud PROJECT ARGS...: gcloud, the independent client, on the
# emulator (no credentials, a config folder of the test's own); callers
# skip what needs it when `command -v gcloud` fails
ps_gcloud() {
	_pg_p=$1; shift
	CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB=$PUBSUB_URL/ \
	CLOUDSDK_AUTH_DISABLE_CREDENTIALS=true CLOUDSDK_CORE_PROJECT=$_pg_p \
	CLOUDSDK_CONFIG=$TMP/gcloud gcloud "$@"
}

# moto_open_up: a moto server of this test's own WITHOUT signature
# checks, for what moto's checker refuses even from botocore (non-ASCII,
# '+', '%' in keys; presigned URLs); exports the AWS_* variables for it,
# PY (its python) and MOTO_PID; stopped at exit.  Returns 1 after
# skip_rest when moto is not installed: the caller ends with
# done_testing; exit 0
moto_open_up() {
	PY=$(python3 -c 'import importlib.util as u, sys
sys.exit(1) if u.find_spec("moto") is None else print(sys.executable)' \
	    2>/dev/null)
	if [ -z "$PY" ]; then
		skip_rest "moto is not installed"
		return 1
	fi
	MOTO_PID=
	at_exit _moto_open_stop
	_mo_port=$(free_port)
	"$PY" -m moto.server -H 127.0.0.1 -p "$_mo_port" >"$TMP/moto.log" 2>&1 &
	MOTO_PID=$!
	_mo_i=0
	until curl -s -o /dev/null --max-time 1 \
	    "http://127.0.0.1:$_mo_port/moto-api/"; do
		sleep 0.1; _mo_i=$((_mo_i + 1))
		[ $_mo_i -lt 300 ] || { fail "moto did not start"; done_testing; exit 1; }
	done
	export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test-secret
	export AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
	export AWS_ENDPOINT_URL=http://127.0.0.1:$_mo_port
	export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
	unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL_S3
}
_moto_open_stop() { [ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null; }

# lines FILE: its line count; 0 while it does not exist yet (a command
# started with & opens its output in the child, some time after $!)
lines() { if [ -e "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# eventually SECONDS CMD...: until CMD succeeds (polled every 50 ms); 1
# when SECONDS passed: wait for an event, never for a time
eventually() {
	_ev_end=$(( $(date +%s) + $1 + 1 )); shift
	until "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$_ev_end" ] || return 1
		sleep 0.05
	done
}

# plan N: N assertions will follow, whatever branch runs
plan() {
	T_PLAN=$1
	echo "1..$T_PLAN"
}

skip_rest() {
	while [ -n "$T_PLAN" ] && [ "$T_N" -lt "$T_PLAN" ]; do
		skip "${0##*/}" "$1"
	done
}

done_testing() {
	if [ -z "$T_PLAN" ]; then
		# a plan counted from what ran hides a branch that never ran
		echo "1..$((T_N + 1))"
		fail "${0##*/}: no plan declared (plan N before the first test)"
		return 1
	elif [ "$T_N" -ne "$T_PLAN" ]; then
		echo "# planned $T_PLAN tests, ran $T_N"
		return 1
	fi
	[ "$T_FAILED" -eq 0 ]
}
