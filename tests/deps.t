#!/bin/sh
# deps: where python3 cannot import moto (Debian 12's /usr/bin/python3,
# whose pip refuses to install into it: PEP 668), scripts/deps makes a
# virtual environment and pip installs moto[server] and boto3 there; an
# unreachable package index is one line and exit 1; scripts/pybin (used by
# scripts/runtests, tests/lib.sh, scripts/peers, scripts/demo) then picks
# the environment.  No network: the index is a closed port on 127.0.0.1.
. tests/lib.sh
PLAN=17
plan $PLAN
DEB=${HP_DEBIAN_PYTHON:-/usr/bin/python3}
if [ ! -x "$DEB" ] || "$DEB" -c 'import moto' 2>/dev/null ||
    ! "$DEB" -c 'import venv' 2>/dev/null; then
	skip_rest "no $DEB without moto and with venv"
	done_testing
	exit 0
fi
# the Debian packages must be there already: this test installs none
if ! sh scripts/deps --check >/dev/null 2>&1; then
	skip_rest "scripts/deps --check fails: run scripts/deps first"
	done_testing
	exit 0
fi
V=$TMP/venv
IDX=http://127.0.0.1:$(free_port)/simple/
# pip's settings from the environment and config files are not this test's
deps() {
	env -u PIP_FIND_LINKS -u PIP_NO_INDEX -u PIP_EXTRA_INDEX_URL \
	    PIP_CONFIG_FILE=/dev/null PIP_INDEX_URL="$IDX" PIP_RETRIES=0 \
	    PIP_TIMEOUT=5 HP_PYTHON="$DEB" HP_VENV="$V" sh scripts/deps "$@"
}

if [ -f "$("$DEB" -c 'import sysconfig; print(sysconfig.get_path("stdlib"))')/EXTERNALLY-MANAGED" ] &&
    "$DEB" -m pip --version >/dev/null 2>&1; then
	run env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null "$DEB" -m pip \
	    install --no-index moto
	like "the reason: Debian's pip refuses to install into its python3" \
	    "$ERR" externally-managed-environment
else
	skip "the reason: Debian's pip refuses" "$DEB: no pip, or not externally managed"
fi

run deps --check
is "--check: exit 1" "$RC" 1
is "--check: one line" "$ERR" \
    "deps: $DEB cannot import moto.server, flask, flask_cors, boto3"
ok "--check makes no environment" test ! -e "$V"

run deps
is "no index: exit 1" "$RC" 1
is "no index: nothing on stdout" "$OUT" ""
is "no index: one line on stderr" "$(printf '%s\n' "$ERR" | wc -l | tr -d ' ')" 1
is "no index: it says so" "$ERR" \
    "deps: cannot reach the Python package index ($IDX) to install moto[server] and boto3 into $V; see $V/pip.log"
ok "the virtual environment was made" test -x "$V/bin/python3"
like "from $DEB" "$(cat "$V/pyvenv.cfg")" "^home = $(dirname "$DEB")\$"
like "pip was asked for moto[server] and boto3" "$(cat "$V/pip.log")" \
    "moto|boto3"
ok "not marked usable" test ! -e "$V/.hookpipe-ok"
run env HP_PYTHON="$DEB" HP_VENV="$V" sh scripts/pybin --moto
is "pybin --moto: no python3 with moto" "$RC" 1

# a second run keeps the environment and tries pip again
: >"$V/kept"
run deps
is "again: the same one line" "$ERR" \
    "deps: cannot reach the Python package index ($IDX) to install moto[server] and boto3 into $V; see $V/pip.log"
ok "again: the environment was kept" test -e "$V/kept"

# once pip has installed moto there (.hookpipe-ok), the tests use it:
# runtests and tests/lib.sh put its bin first in PATH
: >"$V/.hookpipe-ok"
cat >"$TMP/py.t" <<'T'
. tests/lib.sh
plan 1
is "python3" "$(command -v python3)" "$HP_VENV/bin/python3"
done_testing
T
run env HP_PYTHON="$DEB" HP_VENV="$V" sh scripts/runtests "$TMP/b" "$TMP/py.t"
is "runtests: the tests' python3 is the environment's" "$RC" 0 ||
    sed 's/^/# /' "$TMP/b/test-logs/py.t.log"
if want=$(sh scripts/pybin --moto); then
	run env HP_VENV="$V" sh scripts/pybin
	is "a python3 that has moto is still preferred" "$OUT" "$want"
else
	skip "a python3 that has moto is still preferred" "none has moto"
fi
[ "$T_N" -eq "$PLAN" ] || fail "plan: ran $T_N of $PLAN assertions"
done_testing
