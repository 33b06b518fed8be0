#!/bin/sh
# flow: queue-driven processing from cron: overlapping runs of
# scripts/examples/cron-queue.sh (sqs-poll --once --lock | job-fetch |
# processor | sqs-delete) against moto and the fake iconik API; each
# message is processed successfully once, never twice at the same time, and
# deleted only on success
. tests/lib.sh
. tests/fake/start.sh
. tests/data/flow/common.sh

plan 11
moto_up
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
HOOKPIPE_BACKOFF=50
export HOOKPIPE_BACKOFF
iconik_up

H() { py tests/sqs-helper.py "$@"; }
q=$(H queue work 30)
py -c 'import boto3, json, os, sys
c = boto3.client("sqs", endpoint_url=os.environ["MOTO_ENDPOINT"])
for a in sys.argv[2:]:
    c.send_message(QueueUrl=sys.argv[1], MessageBody=json.dumps({"asset_id": a}))
' "$q" a-1 a-2 a-3 a-4 flaky fails-once missing

# the processor: logs start and end of each asset, takes a while, fails
# "fails-once" the first time; writes the records it processed
PLOG=$TMP/proc.log
: >"$PLOG"
cat >"$TMP/proc.sh" <<'P'
while IFS= read -r rec; do
	f=$(printf '%s\n' "$rec" | jq -r .fetch.path)
	id=$(jq -r .id "$f")
	title=$(jq -r .title "$f")
	echo "start $id $(date +%s.%N) $PPID" >>"$PLOG"
	sleep 0.4
	if [ "$id" = fails-once ] && [ ! -e "$PLOG.failed" ]; then
		: >"$PLOG.failed"
		echo "fail $id $(date +%s.%N) $PPID" >>"$PLOG"
		continue
	fi
	echo "ok $id $(date +%s.%N) $PPID $title" >>"$PLOG"
	printf '%s\n' "$rec"
done
P
export PLOG
cron_run() {
	pipe_start "run$1" env QUEUE=$q PROCESSOR=". $TMP/proc.sh" \
	    ICONIK_URL=http://127.0.0.1:$IP ICONIK_APP_ID=app-1 \
	    ICONIK_AUTH_TOKEN=tok-1 LOCK=$TMP/lock VISIBILITY=8 \
	    WORK=$TMP/work bash scripts/examples/cron-queue.sh
	RUNS="$RUNS $PIPE_PID"
}
oks() { grep -c '^ok ' "$PLOG"; }
RUNS=""
# "cron": a run every 1.5 s, so they overlap, until all six are done;
# the first two start together (the first takes seconds, one of them
# must find the lock taken, whichever it is)
cron_run 1
R1=$PIPE_PID
cron_run 2
R2=$PIPE_PID
n=2
end=$(( $(date +%s) + 40 ))
while [ "$(oks)" -lt 6 ] && [ "$(date +%s)" -lt "$end" ]; do
	sleep 1.5
	n=$((n + 1))
	cron_run "$n"
done
# let the last runs finish
for p in $RUNS; do
	i=0
	while [ $i -lt 150 ] && ! _gone "$p"; do sleep 0.1; i=$((i + 1)); done
done
alive=0
for p in $RUNS; do _gone "$p" || alive=$((alive + 1)); done
is "every run ended by itself" "$alive" 0
# the processor logs the pid of its run (its parent, cron-queue.sh)
pid_of() { awk -v w="$1" -v id="$2" '$1 == w && $2 == id { print $4 }' "$PLOG"; }
f1=$(pid_of fail fails-once)
f2=$(pid_of ok fails-once)
is "the failure's retry came from a run started later" \
    "$(test -n "$f1" && test -n "$f2" && [ "$f1" != "$f2" ] &&
    [ "$f2" != "$R1" ] && [ "$f2" != "$R2" ] && echo later)" later

is "each asset processed successfully once" \
    "$(awk '$1 == "ok" { print $2 }' "$PLOG" | sort | uniq -c | sed 's/^ *//')" \
"1 a-1
1 a-2
1 a-3
1 a-4
1 fails-once
1 flaky"
is "the failed one was taken again by a later run" \
    "$(awk '$2 == "fails-once" { print $1 }' "$PLOG" | tr '\n' ' ')" \
    "start fail start ok "
is "never one asset twice at the same time" "$(awk '
	$1 == "start" { if (busy[$2]) bad = bad " " $2; busy[$2] = 1 }
	$1 != "start" { busy[$2] = 0 }
	END { print bad == "" ? "none" : "overlap:" bad }' "$PLOG")" none
is "asset title from the media API" \
    "$(awk '$1 == "ok" && $2 == "a-1" { print $5, $6, $7 }' "$PLOG")" "Title of a-1"
locked=$(cat "$TMP/run1.err" "$TMP/run2.err" | grep -c 'is locked: another sqs-poll runs')
is "of the two runs started together, one found the lock taken" "$locked" 1
is "asset API called with App-ID and Auth-Token" \
    "$(python3 -c 'import json, sys
print(set((r["headers"].get("app-id"), r["headers"].get("auth-token")) for r in map(json.loads, open(sys.argv[1]))))' "$ILOG")" \
    "{('app-1', 'tok-1')}"
is "only the missing asset is left in the queue" "$(H count "$q")" 1
like "the missing asset said on stderr" "$(cat "$TMP"/run*.err)" \
    'job-fetch: .*missing.*(404|expired or missing)'
is "work directory cleaned" "$(ls -A "$TMP/work")" ""
done_testing
