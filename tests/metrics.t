#!/bin/sh
# --metrics FILE (the node_exporter textfile every tool writes at exit and
# every --metrics-interval seconds), wh-listen's GET /metrics, and
# --log-format json / HOOKPIPE_LOG_FORMAT; the text format is checked with
# the Prometheus Python client's parser (prometheus_client), the logs with
# Python's json
. tests/lib.sh
. tests/data/wh-listen/common.sh
plan 53

# a python that has the official parser (Debian: python3-prometheus-client)
PROMPY=""
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import prometheus_client' 2>/dev/null; then
		PROMPY=$p; break
	fi
done
if [ -z "$PROMPY" ]; then
	skip_rest "no python3 here imports prometheus_client (scripts/deps installs python3-prometheus-client)"
	done_testing; exit 0
fi
parse() { "$PROMPY" tests/metrics-parse.py "$@"; }
# val FILE SAMPLE: the value of one sample, as the parser read it
val() { parse "$1" | awk -v s="$2" 'index($0, s " ") == 1 { print $NF }'; }

# --- wh-route: counts, exit status 1, HELP/TYPE, file mode
printf '{"id":"a1","n":1}\nnot json\n\n{"n":2}\n' >"$TMP/in"
run wh-route -w 'n?' --metrics "$TMP/route.prom" "$TMP/in"
is "wh-route: a bad line: exit 1" "$RC" 1
ok "wh-route's textfile parses" parse "$TMP/route.prom"
T='{tool="wh-route"}'
is "records read (the blank line is not one)" \
    "$(val "$TMP/route.prom" "hookpipe_records_read_total$T")" 3.0
is "records written" "$(val "$TMP/route.prom" "hookpipe_records_written_total$T")" 2.0
is "records failed" "$(val "$TMP/route.prom" "hookpipe_records_failed_total$T")" 1.0
is "exit status 1 recorded" "$(val "$TMP/route.prom" "hookpipe_exit_status$T")" 1.0
is "not running any more" "$(val "$TMP/route.prom" "hookpipe_running$T")" 0.0
is "never succeeded" "$(val "$TMP/route.prom" "hookpipe_last_success_timestamp_seconds$T")" 0.0
like "typed counters" "$(parse "$TMP/route.prom")" '^TYPE hookpipe_records_read counter$'
is "HELP and TYPE for each of the 8 families" \
    "$(grep -c '^# HELP hookpipe_' "$TMP/route.prom"):$(grep -c '^# TYPE hookpipe_' "$TMP/route.prom")" 8:8
is "mode 0644 (node_exporter reads it), no temporary left" \
    "$(stat -c %a "$TMP/route.prom"):$(ls -A "$TMP" | grep -c '^\.route')" 644:0

# --- success, then a failure that keeps the time of the last success
printf '{"n":1}\n' | wh-route -w 'n?' --metrics "$TMP/route.prom" >/dev/null
ok1=$(val "$TMP/route.prom" "hookpipe_last_success_timestamp_seconds$T")
now=$(date +%s)
ok "a success: last success is now ($ok1)" \
    awk -v t="$ok1" -v n="$now" 'BEGIN { exit !(t > n - 30 && t <= n + 1) }'
run wh-route -w 'n?' --metrics "$TMP/route.prom" /nonexistent
is "a failed run after it: exit 1" "$RC" 1
is "... keeps the last success" \
    "$(val "$TMP/route.prom" "hookpipe_last_success_timestamp_seconds$T")" "$ok1"
run wh-route --metrics "$TMP/route.prom" --lease 0 -w 'n?'
is "a usage error: exit 2 recorded" "$RC:$(val "$TMP/route.prom" "hookpipe_exit_status$T")" 2:2.0
run wh-route -w 'n?' --metrics "$TMP/nodir/x.prom" "$TMP/in"
like "a file that cannot be written: a warning, the run goes on" "$RC:$ERR" \
    "^wh-route: warning: cannot write $TMP/nodir/x.prom: No such file"
is "... and the run's exit status stays" "$RC" 1

# --- atomicity: a reader never sees part of a file; 150 runs rewrite it
# (each at exit) while a reader parses every version it can read
( i=0; while [ $i -lt 150 ]; do
	printf '{"n":1}\n' | wh-route -w 'n?' --metrics "$TMP/hot.prom" >/dev/null
	i=$((i + 1)); done ) &
W=$!
parse watch "$TMP/hot.prom" 3 >"$TMP/watch"
wait $W
like "150 rewrites read and parsed whole every time" "$(cat "$TMP/watch")" '^reads [1-9][0-9]* bad 0$'

# --- a filter waiting for input: the textfile every second, and TERM
# still stops it
mkfifo "$TMP/fifo"
wh-route -w 'n?' --metrics "$TMP/live.prom" --metrics-interval 1 \
    <"$TMP/fifo" >/dev/null 2>&1 &
R=$!
exec 3>"$TMP/fifo"
printf '{"n":1}\n' >&3
live() { [ "$(val "$TMP/live.prom" 'hookpipe_records_written_total{tool="wh-route"}')" = 1.0 ]; }
ok "wh-route waiting for input: written 1 in its textfile" eventually 6 live
( sleep 10; kill -KILL $R 2>/dev/null ) &
D=$!
kill -TERM $R
wait $R
rc=$?
kill $D 2>/dev/null
exec 3>&-
is "TERM ends it: exit 0, recorded" \
    "$rc:$(val "$TMP/live.prom" 'hookpipe_exit_status{tool="wh-route"}')" 0:0.0

# --- long-running: wh-listen's textfile while it runs, and at exit
listen --metrics "$TMP/wl.prom" --metrics-interval 1 --log-format json \
    --verify github --secret-file "$DATA/http/github.secret" --max-body 1k
W='{tool="wh-listen"}'
running() { [ "$(val "$TMP/wl.prom" "hookpipe_running$W" 2>/dev/null)" = 1.0 ]; }
ok "wh-listen: the textfile appears while it runs (running 1)" eventually 6 running

# --- GET /metrics against the requests sent: GitHub's documented vector
printf 'Hello, World!' > "$TMP/gh.body"
good='X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'
bad='X-Hub-Signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18'
codes=""
for h in "$good|d1" "$good|d1" "$good|d2" "$bad|d3" "$bad|d4"; do
	codes="$codes $(post /gh -H "${h%|*}" -H "X-GitHub-Delivery: ${h#*|}" \
	    --data-binary @"$TMP/gh.body")"
done
codes="$codes $(curl -s -o /dev/null -w '%{http_code}' "$URL/gh")"
is "sent: 3 good (one a replay), 2 bad signatures, a GET" "$codes" " 200 200 200 401 401 405"
curl -s "$URL/metrics" >"$TMP/m1"
ok "GET /metrics parses" parse "$TMP/m1"
parse "$TMP/m1" >"$TMP/p1"
g() { awk -v s="$1" 'index($0, s " ") == 1 { print $NF }' "$TMP/p1"; }
is "requests by path and status" \
    "$(g 'wh_listen_requests_total{path="/gh",status="200"}') $(g 'wh_listen_requests_total{path="/gh",status="401"}') $(g 'wh_listen_requests_total{path="/gh",status="405"}')" \
    "3.0 2.0 1.0"
is "verification failures by reason" "$(g 'wh_listen_verify_failures_total{reason="signature"}')" 2.0
is "other refusals by reason" "$(g 'wh_listen_refused_total{reason="method"}')" 1.0
is "replays suppressed" "$(g 'wh_listen_replays_total{}')" 1.0
is "records written" "$(g 'wh_listen_records_written_total{}'):$(lines)" 2.0:2
is "bytes in: 5 bodies of 13" "$(g 'wh_listen_received_bytes_total{}')" 65.0
is "duration histogram: 7 requests (and the start's /healthz), +Inf too" \
    "$(g 'wh_listen_request_duration_seconds_count{}'):$(g 'wh_listen_request_duration_seconds_bucket{le="+Inf"}')" 7.0:7.0
is "no output stall" "$(g 'wh_listen_output_stalls_total{}')" 0.0
like "Content-Type of the text format" \
    "$(curl -s -o /dev/null -w '%{content_type}' "$URL/metrics")" '^text/plain; version=0.0.4'
is "a scrape counts itself once done" \
    "$(curl -s "$URL/metrics" | parse - | awk 'index($0, "wh_listen_requests_total{path=\"/metrics\",status=\"200\"} ") == 1 { print $NF }')" 2.0
is "POST /metrics: 405" "$(post /metrics -d x)" 405
stop
is "wh-listen: TERM, exit 0" "$WL_RC" 0
is "its textfile at exit: 2 written, exit status 0" \
    "$(val "$TMP/wl.prom" "hookpipe_records_written_total$W"):$(val "$TMP/wl.prom" "hookpipe_exit_status$W")" 2.0:0.0

# --- its log with --log-format json: each line an object
jcheck() {	# jcheck FILE: each line JSON with tool, level, msg; the fields
	"$PROMPY" - "$1" <<'PY'
import json, sys
out = []
for l in open(sys.argv[1]):
    o = json.loads(l)
    assert isinstance(o, dict) and {"tool", "level", "msg"} <= o.keys(), l
    out.append(" ".join("%s=%s" % (k, o[k]) for k in
               ("tool", "level", "source", "line", "record_id", "route", "status") if k in o))
print("\n".join(out))
PY
}
ok "wh-listen's stderr: JSON lines" jcheck "$TMP/log"
like "... the 401s among them" "$(jcheck "$TMP/log")" '^tool=wh-listen level=error status=401$'
like "... msg says why" "$(head -n 1 "$TMP/log")" '"msg":"POST /gh from 127.0.0.1: 401 '

# --- --metrics-addr: a listener of its own, /metrics off the main port
MP=$(free_port)
listen --metrics-addr "127.0.0.1:$MP"
post /x -d '{"a":1}' >/dev/null
like "--metrics-addr serves GET /metrics" \
    "$(curl -s "http://127.0.0.1:$MP/metrics" | parse -)" \
    '^wh_listen_requests_total\{path="/x",status="200"\} 1.0$'
is "... and the main port no longer does" \
    "$(curl -s -o /dev/null -w '%{http_code}' "$URL/metrics")" 405
stop

# --- output stalls: a reader that takes nothing (a 64 KB pipe, 160 KB sent)
mkfifo "$TMP/out.fifo"
exec 4<>"$TMP/out.fifo"
wh-listen -p "$PORT" --write-timeout 0.3 >"$TMP/out.fifo" 2>"$TMP/log" &
WL_PID=$!
wl_up
head -c 40000 /dev/zero | tr '\0' a >"$TMP/big"
for i in 1 2 3 4; do post /big --data-binary @"$TMP/big" >/dev/null; done
curl -s "$URL/metrics" | parse - >"$TMP/p1"
n503=$(g 'wh_listen_requests_total{path="/big",status="503"}')
ok "a stalled reader: some 503s ($n503)" test "${n503%.0}" -ge 2
is "... each counted as an output stall and a 'store' refusal" \
    "$(g 'wh_listen_output_stalls_total{}'):$(g 'wh_listen_refused_total{reason="store"}')" "$n503:$n503"
stop
exec 4>&-

# --- record errors with fields; HOOKPIPE_LOG_FORMAT for a whole pipeline
listen --verify github --secret-file "$DATA/http/github.secret"
printf 'wrong' >"$TMP/wrong.secret"
printf '{"id":"r1","n":1}\n{"n":"x"}\n' >"$TMP/in2"
HOOKPIPE_LOG_FORMAT=json; export HOOKPIPE_LOG_FORMAT
wh-route -w 'n?' --metrics "$TMP/p1.prom" "$TMP/in2" "$TMP/missing" 2>"$TMP/e1" |
	wh-send -j 1 --sign github --secret-file "$TMP/wrong.secret" \
	    -u "$URL/gh" --metrics "$TMP/p2.prom" >/dev/null 2>"$TMP/e2"
unset HOOKPIPE_LOG_FORMAT
ok "pipeline: wh-route's stderr JSON" jcheck "$TMP/e1"
ok "pipeline: wh-send's stderr JSON" jcheck "$TMP/e2"
like "wh-send: the record's line, id and HTTP status" "$(jcheck "$TMP/e2")" \
    '^tool=wh-send level=error source=stdin line=1 record_id=r1 status=401$'
like "wh-route: the file it cannot open" "$(cat "$TMP/e1")" \
    '^\{"tool":"wh-route","level":"error","msg":"cannot open .*missing: No such file or directory"\}$'
is "wh-send's textfile: 2 read, 2 failed, exit status 5" \
    "$(val "$TMP/p2.prom" 'hookpipe_records_read_total{tool="wh-send"}') $(val "$TMP/p2.prom" 'hookpipe_records_failed_total{tool="wh-send"}') $(val "$TMP/p2.prom" 'hookpipe_exit_status{tool="wh-send"}')" \
    "2.0 2.0 5.0"
stop
printf 'routes:\n  - name: keep\n    to: /dev/full\n' >"$TMP/full.yaml"
printf -- '- name: bad\n  run: "cat >/dev/null; exit 3"\n' >"$TMP/bad.yaml"
printf '{"id":"e1"}\n' | wh-route --log-format json -c "$TMP/full.yaml" 2>"$TMP/e3"
printf '{"id":"e1"}\n' | wh-route --log-format json -c "$TMP/bad.yaml" 2>>"$TMP/e3"
is "wh-route: the route of a record not delivered, and of a failed command" \
    "$(jcheck "$TMP/e3")" "tool=wh-route level=error source=stdin line=1 record_id=e1 route=keep
tool=wh-route level=error route=bad"
run wh-route -w 'n?' "$TMP/in"
like "text stays the default" "$ERR" "^wh-route: $TMP/in:2: invalid JSON"

# --- sqs-send against moto (last: moto_up skips the rest without it)
moto_up
H() { "$PEERS_PYTHON" tests/sqs-helper.py "$@"; }
H queue mq >/dev/null
seq 1 5 | sed 's/.*/{"i":&}/' >"$TMP/sq"
run sqs-send -q mq --metrics "$TMP/sqs.prom" "$TMP/sq"
S='{tool="sqs-send"}'
is "sqs-send: 5 sent, the textfile says 5 read and written, exit 0" \
    "$RC $(val "$TMP/sqs.prom" "hookpipe_records_read_total$S") $(val "$TMP/sqs.prom" "hookpipe_records_written_total$S") $(val "$TMP/sqs.prom" "hookpipe_exit_status$S")" \
    "0 5.0 5.0 0.0"
run sqs-poll -q mq -n 5 --wait 1 --metrics "$TMP/poll.prom"
S2='{tool="sqs-poll"}'
is "sqs-poll -n 5: its textfile says 5 written, exit 0" \
    "$RC $(val "$TMP/poll.prom" "hookpipe_records_written_total$S2") $(val "$TMP/poll.prom" "hookpipe_exit_status$S2")" \
    "0 5.0 0.0"
run sqs-send -q nosuchqueue --metrics "$TMP/sqs.prom" "$TMP/sq"
ok "sqs-send to a missing queue: its exit status ($RC) recorded" \
    test "$RC" -ne 0 -a "$(val "$TMP/sqs.prom" "hookpipe_exit_status$S")" = "$RC.0"
done_testing
