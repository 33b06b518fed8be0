#!/bin/sh
# wh-route's remember/recall on a DynamoDB table (--state dynamodb://T),
# against moto with SigV4 checks, as two machines would share it: two
# wh-route processes, each its own client, the events of 300 assets split
# between them at random with duplicates: every asset submitted exactly
# once; one of them killed -9 while its consumer stalls: every asset at
# least once after the lease, none lost.  --create-table, a table of
# another schema, a missing table, a bad name; the table checked with boto3.
# The rules are scripts/examples/iconik.yaml's, the events iconik's own.
. tests/lib.sh
plan 22
moto_up
PY=$PEERS_PYTHON
SEED=${HP_SEED:-$$}
echo "# seed $SEED (HP_SEED=$SEED to run the same split again)"
T=dynamodb://hp-assets
# the example's rules, on the table
{ echo "state: $T"; cat scripts/examples/iconik.yaml; } >"$TMP/r.yaml"
# ddb OP ARGS: boto3 on moto
ddb() { "$PY" - "$@" <<'EOF'
import boto3, json, sys
c = boto3.client("dynamodb")
op = sys.argv[1]
if op == "count":
    n = 0
    for p in c.get_paginator("scan").paginate(TableName=sys.argv[2]):
        n += len([i for i in p["Items"] if sys.argv[3] == "all" or sys.argv[3] in i])
    print(n)
elif op == "describe":
    t = c.describe_table(TableName=sys.argv[2])["Table"]
    ttl = c.describe_time_to_live(TableName=sys.argv[2])["TimeToLiveDescription"]
    print(json.dumps([t["KeySchema"], t["AttributeDefinitions"],
        t.get("BillingModeSummary", {}).get("BillingMode"),
        ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")]))
elif op == "other":
    c.create_table(TableName=sys.argv[2], BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
EOF
}
# events KIND FROM TO: each event twice, shuffled, as wh-listen's records
# of iconik's documented payloads (tests/data/iconik, see SOURCE there)
# with the asset ids changed: an asset's create, its proxy CLOSED
events() {
	"$PY" -c 'import json, random, sys
kind, a, b, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
create = json.load(open(sys.argv[5] + "/asset-create.json"))
proxy = json.load(open(sys.argv[5] + "/proxy-update.json"))
ev = []
for i in range(a, b + 1):
    id = "a%d" % i
    if kind == "create":
        body = dict(create, object_id=id, data=dict(create["data"], id=id))
    else:
        body = dict(proxy, object_id=id, data=dict(proxy["data"], asset_id=id,
            status="CLOSED"))
    e = {"body": body}
    ev += [e, e]
random.Random(seed + a).shuffle(ev)
for e in ev:
    print(json.dumps(e, separators=(",", ":")))' "$1" "$2" "$3" "$SEED" "$DATA/iconik"
}
# split FILE: FILE.1 and FILE.2, each line to one of them at random
split2() {
	"$PY" -c 'import random, sys
r = random.Random(int(sys.argv[2]))
o = [open(sys.argv[1] + ".1", "w"), open(sys.argv[1] + ".2", "w")]
for l in open(sys.argv[1]):
    o[r.randrange(2)].write(l)' "$1" "$SEED"
}
counts() {	# FROM TO FILE...: "delivered duplicated lost" of assets FROM..TO
	from=$1 to=$2; shift 2
	cat "$@" | jq -r .asset.id | sort >"$TMP/ids"
	u=$(uniq "$TMP/ids" | wc -l | tr -d ' ')
	n=$(wc -l <"$TMP/ids" | tr -d ' ')
	echo "$u $((n - u)) $((to - from + 1 - u))"
}

# ---- the table ----
run wh-route -c "$TMP/r.yaml" </dev/null
is "no table: exit 3" "$RC" 3
like "  says how to make it" "$ERR" 'table hp-assets does not exist \(--create-table makes it\)'
run wh-route -c "$TMP/r.yaml" --state dynamodb://x </dev/null
like "a bad table name: exit 3, said" "$RC:$ERR" "^3:.*dynamodb://TABLE with TABLE 3 to 255"
ddb other hp-other
run wh-route -c "$TMP/r.yaml" --state dynamodb://hp-other --create-table </dev/null
like "a table of another schema: refused politely" "$RC:$ERR" \
    "^3:.*hp-other exists with another key schema: hookpipe's has one partition key, k \(S\)"
run wh-route -c "$TMP/r.yaml" --create-table </dev/null
is "--create-table: exit 0" "$RC:$ERR" "0:"
is "  the table: key k (S), on demand, TTL on ttl" "$(ddb describe hp-assets)" \
    '[[{"AttributeName": "k", "KeyType": "HASH"}], [{"AttributeName": "k", "AttributeType": "S"}], "PAY_PER_REQUEST", "ENABLED", "ttl"]'
run wh-route -c "$TMP/r.yaml" --create-table </dev/null
is "--create-table again: the table is kept" "$RC:$ERR" "0:"

# ---- two machines: creates split at random, each twice ----
events create 1 300 >"$TMP/c" && split2 "$TMP/c"
wh-route -c "$TMP/r.yaml" "$TMP/c.1" 2>"$TMP/ea" & a=$!
wh-route -c "$TMP/r.yaml" "$TMP/c.2" 2>"$TMP/eb" & b=$!
wait $a; ra=$?; wait $b; rb=$?
is "creates on two processes: exit 0 both" "$ra $rb" "0 0"
is "  300 assets remembered" "$(ddb count hp-assets all)" 300

# ---- normal run: CLOSED events of 150 assets, each twice, split ----
events close 1 150 >"$TMP/n" && split2 "$TMP/n"
wh-route -c "$TMP/r.yaml" "$TMP/n.1" 2>>"$TMP/ea" |
    wh-route --state $T --settle >"$TMP/s1" 2>>"$TMP/ea" & a=$!
wh-route -c "$TMP/r.yaml" "$TMP/n.2" 2>>"$TMP/eb" |
    wh-route --state $T --settle >"$TMP/s2" 2>>"$TMP/eb" & b=$!
wait $a; ra=$?; wait $b; rb=$?
is "closes on two processes: exit 0 both" "$ra $rb" "0 0"
is "  each asset submitted: delivered, duplicated, lost" \
    "$(counts 1 150 "$TMP/s1" "$TMP/s2")" "150 0 0"
is "  settled: 150 items left" "$(ddb count hp-assets all)" 150
is "  no message" "$(cat "$TMP/ea" "$TMP/eb")" ""

# ---- a crash: one process killed -9 while its consumer stalls ----
events close 151 300 >"$TMP/k" && split2 "$TMP/k"
mkfifo "$TMP/in" "$TMP/mid"
wh-route -c "$TMP/r.yaml" --lease 5 <"$TMP/in" >"$TMP/mid" 2>"$TMP/ek" &
kpid=$!
sleep 600 <"$TMP/mid" &		# a consumer that stopped reading
cpid=$!
exec 3>"$TMP/in"
cat "$TMP/k.1" >&3
wh-route -c "$TMP/r.yaml" --lease 5 "$TMP/k.2" 2>>"$TMP/eb" |
    wh-route --state $T --settle >"$TMP/s3" 2>>"$TMP/eb"
is "the other process: exit 0" "$?" 0
# killed at a random moment while it claims
sleep "$("$PY" -c 'import random, sys; print(random.Random(int(sys.argv[1])).uniform(0, 1.5))' "$SEED")"
kill -9 "$kpid" "$cpid"
wait "$kpid" 2>/dev/null
is "killed by SIGKILL" "$?" 137
exec 3>&-
held=$(ddb count hp-assets claim)
like "the killed process left claims held (the leases to run out)" "$held" '^[1-9][0-9]*$'
# the senders deliver every CLOSED event again; the leases run out
sleep 6
events close 151 300 | wh-route -c "$TMP/r.yaml" --lease 5 2>>"$TMP/eb" |
    wh-route --state $T --settle >"$TMP/s4" 2>>"$TMP/eb"
is "redelivered: exit 0" "$?" 0
is "after the crash: every asset at least once, none lost" \
    "$(counts 151 300 "$TMP/s3" "$TMP/s4" | cut -d' ' -f1,3)" "150 0"
is "  duplicates (only what the killed process had sent on)" \
    "$(counts 151 300 "$TMP/s3" "$TMP/s4" | cut -d' ' -f2)" 0
is "  the table is empty" "$(ddb count hp-assets all)" 0
is "  no message but the kill's" "$(cat "$TMP/ek" "$TMP/eb")" ""

# ---- a settled asset's late duplicate emits nothing ----
events close 1 10 | wh-route -c "$TMP/r.yaml" >"$TMP/late"
is "late duplicates: nothing" "$(wc -l <"$TMP/late" | tr -d ' ')" 0
done_testing
