#!/bin/sh
# flow: kill -9 anywhere in s3-scan | s3-get | processor | s3-done (the
# pipeline of scripts/examples/bucket-process.sh), against moto with
# SigV4 checks: s3-get killed mid-stream and in the middle of a download
# in parts, then the processor, s3-done and s3-scan; each stage started
# again, the leases (5 s) expire and the lost records come again: every
# object ends settled, none lost, every file the processor saw was whole
# and right, nothing partial left in the directory; redeliveries counted
# (s3-scan-faults.t does the same without s3-get)
. tests/lib.sh
plan 13

moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
export HOOKPIPE_BACKOFF=10
head -c $((3 * 1024 * 1024 + 5)) /dev/urandom >"$TMP/big"
NBIG=4 NSMALL=300 NALL=304
$U mb killg -- fill killg v/ $NSMALL \
    -- putfile killg big/0.mov "$TMP/big" video/quicktime \
    -- putfile killg big/1.mov "$TMP/big" video/quicktime \
    -- putfile killg big/2.mov "$TMP/big" video/quicktime \
    -- putfile killg big/3.mov "$TMP/big" video/quicktime ||
    fail "make the bucket"
keys() { sed 's/.*"key":"\([^"]*\)".*/\1/' "$@"; }
count() { wc -l | tr -d ' '; }
status() { s3-scan --state "$1" --status; }

K=$TMP/k W=$TMP/work PLOG=$TMP/proc.log
mkdir "$W"
: >"$TMP/done.all"
: >"$PLOG"
# the processor: the file must be whole (the object's size), its bytes
# what s3-get's record says and, for the small ones, the key's; logs
# "ok KEY" or "bad KEY why"; a little slow, so records wait in the pipes
cat >"$TMP/proc.py" <<'EOF'
import hashlib, json, sys, time
log = open(sys.argv[1], "a", buffering=1)
for line in sys.stdin:
    r = json.loads(line)
    k, p = r["s3"]["key"], r["get"]["path"]
    try:
        d = open(p, "rb").read()
    except OSError as e:
        log.write("bad %s %s\n" % (k, e))
        continue
    why = ""
    if len(d) != r["s3"]["size"] or len(d) != r["get"]["size"]:
        why = "size %d" % len(d)
    elif hashlib.sha256(d).hexdigest() != r["get"]["sha256"]:
        why = "sha256"
    elif k.startswith("v/") and d != k.encode():
        why = "bytes"
    log.write("%s %s %s\n" % ("bad" if why else "ok", k, why))
    sys.stdout.write(line)
    sys.stdout.flush()
    time.sleep(0.004)
EOF
start() {
	rm -f "$TMP/p1" "$TMP/p2" "$TMP/p3"
	mkfifo "$TMP/p1" "$TMP/p2" "$TMP/p3"
	s3-scan -b killg --state "$K" --interval 0 --lease 5 >"$TMP/p1" \
	    2>>"$TMP/scan.err" &
	SCAN=$!
	s3-get -o "$W" --part-size 1M <"$TMP/p1" >"$TMP/p2" \
	    2>>"$TMP/get.err" &
	GET=$!
	"$PY" -u "$TMP/proc.py" "$PLOG" <"$TMP/p2" >"$TMP/p3" 2>/dev/null &
	STEP=$!
	s3-done --state "$K" <"$TMP/p3" >>"$TMP/done.all" \
	    2>>"$TMP/done.err" &
	DONE=$!
}
stop_rest() {
	for p in $SCAN $GET $STEP $DONE; do kill -TERM "$p" 2>/dev/null; done
	wait $SCAN $GET $STEP $DONE 2>/dev/null
}
grown() { [ "$(lines "$TMP/done.all")" -ge "$1" ]; }
# a download in parts under way: s3-get holds a file sized as a big one
# (sized before its first part comes)
in_parts() {
	for f in /proc/$GET/fd/*; do
		case $(readlink "$f") in "$W"/*) ;; *) continue ;; esac
		[ "$(stat -L -c %s "$f" 2>/dev/null)" = $((3 * 1048576 + 5)) ] &&
		    return 0
	done
	return 1
}

# s3-get killed while a big object comes in parts (the big ones are
# listed first), then mid-stream among the small ones
start
ok "s3-get downloads a big object in parts" eventually 60 in_parts
kill -9 "$GET"
stop_rest
for victim in GET STEP GET DONE SCAN; do
	n=$(( $(lines "$TMP/done.all") + 40 ))
	start
	ok "pipeline runs ($victim to be killed): $n settled" eventually 120 \
	    grown "$n"
	eval kill -9 "\$$victim"
	stop_rest
done
rec() {
	s3-scan -b killg --state "$K" --once --lease 5 2>>"$TMP/scan.err" |
	    s3-get -o "$W" --part-size 1M 2>>"$TMP/get.err" |
	    "$PY" -u "$TMP/proc.py" "$PLOG" 2>/dev/null |
	    s3-done --state "$K" >>"$TMP/done.all" 2>>"$TMP/done.err"
	status "$K" | grep -q '"pending":0,"processing":0,"done":'$NALL,
}
ok "after the kills, every object ends settled" eventually 180 rec
st=$(status "$K")
echo "# $st; s3-done wrote $(lines "$TMP/done.all") records," \
    "the processor saw $(lines "$PLOG")"
is "none lost: every key through s3-done" \
    "$(keys "$TMP/done.all" | sort -u | count)" $NALL
is "every file the processor opened was whole and right" \
    "$(grep -v '^ok ' "$PLOG")" ""
red=$(printf '%s' "$st" | sed 's/.*"redelivered":\([0-9]*\).*/\1/')
ok "redeliveries: some (records lost with a killed stage)" [ "$red" -gt 0 ]
ok "redeliveries: the records s3-done saw twice are among them" \
    [ $(( $(lines "$TMP/done.all") - NALL )) -le "$red" ]
is "nothing partial in the directory: only named, whole files" \
    "$(ls -A "$W" | grep -v -c -e '^v_[0-9]*\.mp4$' -e '^big_[0-3]\.mov$')" 0
# a stage killed by another's kill -9 says so (EPIPE, a short read);
# anything else would be a failure of its own
is "no stage reported a failure of its own" "$(cat "$TMP/scan.err" \
    "$TMP/get.err" "$TMP/done.err" | grep -v -i -e 'broken pipe' \
    -e 'signal' -e 'stopped' -e 'truncated' -e 'incomplete')" ""
