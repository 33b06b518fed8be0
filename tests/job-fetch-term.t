#!/bin/sh
# job-fetch: SIGTERM in the middle of a download finishes that record (the
# whole file, its record) and starts nothing new (hookpipe(7)); the
# --errors file of a failed run, replayed through job-fetch, fetches what
# failed
. tests/lib.sh
. tests/fake/start.sh
plan 9
start_fake
unset JOB_API_URL JOB_API_TOKEN
echo jobtoken >"$TMP/tok"
mkdir "$TMP/o"
seed_jobs trickle-3 after
want() { python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode() * int(sys.argv[2])).hexdigest())' "output of job $1
" "${2:-1}"; }
started() { grep -q '/v1/jobs/trickle-3/output' "$REQLOG"; }

# the input stays open (a live pipeline): job-fetch sees no end of input
mkfifo "$TMP/in"
job-fetch -j 1 --api "$API" --token-file "$TMP/tok" -o "$TMP/o" \
    --errors "$TMP/errs" <"$TMP/in" >"$TMP/out" 2>"$TMP/err" &
JF=$!
exec 3>"$TMP/in"
printf '{"body":{"id":"trickle-3"}}\n' >&3
eventually 20 started
kill -TERM "$JF"
s=$(date +%s)
printf '{"body":{"id":"after"}}\n' >&3 2>/dev/null
wait "$JF"
RC=$?
exec 3>&-
is "TERM mid-download: exit 0" "$RC" 0
is "TERM mid-download: the file is whole" "$(sha256sum <"$TMP/o/trickle-3" | cut -c1-64)" "$(want trickle-3 4000)"
is "TERM mid-download: its record written" "$(recs 'r["body"]["id"], r["fetch"]["bytes"]')" "('trickle-3', 96000)"
is "TERM mid-download: nothing new fetched" "$(reqs 'r["path"]' | grep -c after)" 0
is "TERM mid-download: no temporary" "$(ls -A "$TMP/o" | grep -c '^\.job-fetch')" 0

# replay: a run with the platform refusing (an unknown job, then known),
# its --errors file fed back through job-fetch
printf '{"body":{"id":"late"},"n":1}\n{"body":{"id":"after"},"n":2}\n' >"$TMP/two"
run job-fetch --api "$API" --token-file "$TMP/tok" -o "$TMP/o" --errors "$TMP/errs2" "$TMP/two"
is "first run: exit 1, late unknown" "$RC" 1
seed_jobs late
run job-fetch --api "$API" --token-file "$TMP/tok" -o "$TMP/o" --errors "$TMP/errs3" "$TMP/errs2"
is "replay of --errors: exit 0" "$RC" 0
is "replay: the failed record fetched, its fields kept" "$(recs 'r["body"]["id"], r["n"], r["fetch"]["sha256"]')" "('late', 1, '$(want late)')"
is "replay: nothing failed again" "$(wc -c <"$TMP/errs3" | tr -d ' ')" 0
done_testing
