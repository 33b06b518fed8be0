#!/bin/sh
# flow: the iconik flow on two webhook edges behind a load balancer
# (scripts/examples/iconik-edges.sh: iconik.sh twice, one DynamoDB table
# on moto with SigV4 checks), with iconik's documented payloads
# (tests/data/iconik) for 40 assets: each create to one edge and each
# proxy's CLOSED event twice, to edges picked at random as a balancer
# would: every asset submitted to iconik (tests/fake/iconik.py) exactly
# once, whichever edge saw what; the table empty at the end
. tests/lib.sh
plan 8
. tests/fake/start.sh
. tests/data/flow/common.sh
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
moto_up
iconik_up
AN=/API/transcode/v1/analyze/assets
SEED=${HP_SEED:-$$}
echo "# seed $SEED"
CREATE=$(jq -c . "$DATA/iconik/asset-create.json")
PROXY=$(jq -c . "$DATA/iconik/proxy-update.json")
create_of() { printf '%s' "$CREATE" | jq -c --arg id "$1" \
    '.object_id = $id | .data.id = $id'; }
proxy_of() { printf '%s' "$PROXY" | jq -c --arg id "$1" \
    '.object_id = $id | .data.asset_id = $id | .data.status = "CLOSED"'; }
items() { py -c 'import boto3
print(boto3.client("dynamodb").scan(TableName="hp-iconik", Select="COUNT")["Count"])'; }
# two free ports in a row for the two edges
LP=""
for _ in 1 2 3 4 5 6 7 8 9 10; do
	LP=$(free_port)
	py -c 'import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]) + 1))' "$LP" 2>/dev/null && break
done
mkdir -p "$TMP/hd"
pipe_start edges env TMPDIR=$TMP/hd EDGES=2 TABLE=hp-iconik LISTEN_PORT=$LP \
    ICONIK_URL=http://127.0.0.1:$IP ICONIK_APP_ID=app-1 \
    ICONIK_AUTH_TOKEN=tok-1 ERRORS=$TMP/failed.ndjson \
    bash scripts/examples/iconik-edges.sh
P=$PIPE_PID
ok "both edges listening" sh -c ". tests/data/flow/common.sh; wl_up $LP && wl_up $((LP + 1))"

# the balancer: each event to edge 0 or 1 at random
ids=$(seq 1 40 | awk '{ printf "0f1e2d3c-0000-11e7-0000-%012d\n", $1 }')
edge() { echo $((LP + $(py -c 'import random, sys; print(random.Random(sys.argv[1]).randrange(2))' "$SEED$1"))); }
c=""
for id in $ids; do
	c="$c$(hook "$(edge "c$id")" /iconik "$(create_of "$id")") "
done
is "40 creates answered" "$(echo $c | tr ' ' '\n' | sort | uniq -c | sed 's/^ *//')" "40 200"
n=0
while [ "$(items)" != 40 ] && [ $n -lt 150 ]; do sleep 0.2; n=$((n + 1)); done
is "  each remembered by whichever edge got it" "$(items)" 40
c=""
for r in 1 2; do
	for id in $ids; do
		c="$c$(hook "$(edge "p$r$id")" /iconik "$(proxy_of "$id")") "
	done
done
is "80 proxy events answered" "$(echo $c | tr ' ' '\n' | sort | uniq -c | sed 's/^ *//')" "80 200"
ok "40 analyses" wait_for 30 has_lines "$TMP/edges.out" 40
sleep 1		# a duplicate would come now
kill -TERM "$P"		# as systemd stops the edges' unit
wait "$P"
is "TERM: the edges drain and end cleanly" "$?" 0
is "each asset submitted exactly once, by one edge or the other" \
    "$(reqs 'r["path"] if r["method"] == "POST" else ""' "$ILOG" | sed '/^$/d' |
    sort | uniq -c | awk '{ print $1 }' | sort | uniq -c | sed 's/^ *//')" "40 1"
is "  settled: the table is empty" "$(items)" 0
done_testing
