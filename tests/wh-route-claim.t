#!/bin/sh
# wh-route claims: a recall with forget holds its entry until wh-route
# --settle, at the end of the pipeline, sees the record arrive; an entry
# never settled comes back after its lease.  A real kill -9 with a stalled
# consumer loses no asset; the normal run submits each exactly once.
. tests/lib.sh
echo 1..20

{ echo "state: $TMP/s.db"; cat "$DATA/wh-route/claim-routes.yaml"; } >"$TMP/r.yaml"
# iconik's webhook bodies, cut to the fields the rules read
creates() {
	awk -v p="$1" 'BEGIN { for (i = 1; i <= 300; i++)
	    printf "{\"body\":{\"event_type\":\"assets\",\"operation\":" \
	    "\"create\",\"object_id\":\"%s%d\"}}\n", p, i }'
}
closes() {
	awk -v p="$1" 'BEGIN { for (i = 1; i <= 300; i++)
	    printf "{\"body\":{\"event_type\":\"proxies\",\"data\":" \
	    "{\"status\":\"CLOSED\",\"asset_id\":\"%s%d\"}}}\n", p, i }'
}
# q SQL: one value from the state file
q() {
	python3 -c 'import sqlite3, sys
print(sqlite3.connect(sys.argv[1], timeout=10).execute(sys.argv[2]).fetchone()[0])' \
	    "$TMP/s.db" "$1"
}
# until the state says every entry is out of wh-route's hands: claimed
# (or, before claims, deleted)
all_out() {
	python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
try:
    n = db.execute("SELECT count(*) FROM kv WHERE claim IS NULL").fetchone()[0]
except sqlite3.OperationalError:
    n = db.execute("SELECT count(*) FROM kv").fetchone()[0]
sys.exit(n != 0)' "$TMP/s.db"
}
# wait_until SECONDS CMD...: poll CMD every 50 ms
wait_until() {
	w_end=$(($(date +%s) + $1)); shift
	until "$@"; do
		[ "$(date +%s)" -lt "$w_end" ] || return 1
		sleep 0.05
	done
}
# counts ID_FIELD FILE: "delivered duplicated lost" of the 300
counts() {
	jq -r "$1" "$2" | sort > "$TMP/ids"
	u=$(uniq "$TMP/ids" | wc -l | tr -d ' ')
	n=$(wc -l < "$TMP/ids" | tr -d ' ')
	echo "$u $((n - u)) $((300 - u))"
}

# ---- crash: the consumer stops reading, the pipeline is killed -9 ----
creates a | wh-route -c "$TMP/r.yaml"
is "300 assets remembered" "$(q 'SELECT count(*) FROM kv')" 300
closes a > "$TMP/closed"
mkfifo "$TMP/in" "$TMP/mid"
wh-route -c "$TMP/r.yaml" --lease 5 < "$TMP/in" > "$TMP/mid" 2>"$TMP/e1" &
rpid=$!
sleep 600 < "$TMP/mid" &	# a consumer that has stopped reading
cpid=$!
exec 3>"$TMP/in"		# the input stays open, as wh-listen's would
cat "$TMP/closed" >&3
ok "every CLOSED event recalled while the consumer stalls" \
    wait_until 30 all_out
# the same events again while the records sit in the pipe: held, not twice
run wh-route -c "$TMP/r.yaml" --lease 5 "$TMP/closed"
is "claimed, unexpired: a second recall emits nothing" "$(printf '%s' "$OUT" |
    wc -l | tr -d ' ') $RC" "0 0"
kill -9 "$rpid" "$cpid"
wait "$rpid" 2>/dev/null
is "wh-route killed by SIGKILL" "$?" 137
exec 3>&-
is "the claims survive the crash" \
    "$(q "SELECT count(*) FROM kv WHERE claim IS NOT NULL")" 300
# the sender delivers every CLOSED event again once the lease is over
leased() { [ "$(q "SELECT count(*) FROM kv WHERE lease >= strftime('%s', 'now')")" = 0 ]; }
ok "the lease runs out" wait_until 30 leased
wh-route -c "$TMP/r.yaml" --lease 5 "$TMP/closed" | tee "$TMP/submitted" |
    wh-route --state "$TMP/s.db" --settle > "$TMP/settled" 2>"$TMP/e2"
is "redelivered after the crash: delivered, duplicated, lost" \
    "$(counts .asset.id "$TMP/submitted")" "300 0 0"
is "  each settled at the end of the pipeline" \
    "$(counts .asset.id "$TMP/settled")" "300 0 0"
is "  the state is empty" "$(q 'SELECT count(*) FROM kv')" 0
wh-route -c "$TMP/r.yaml" "$TMP/closed" > "$TMP/again"
is "settled: a later duplicate emits nothing" "$(wc -l < "$TMP/again" |
    tr -d ' ')" 0
is "nothing on stderr" "$(cat "$TMP/e1" "$TMP/e2")" ""

# ---- normal run: every CLOSED event twice, each asset exactly once ----
creates b | wh-route -c "$TMP/r.yaml"
closes b > "$TMP/cb"
cat "$TMP/cb" "$TMP/cb" | wh-route -c "$TMP/r.yaml" | tee "$TMP/sub2" |
    wh-route --state "$TMP/s.db" --settle > /dev/null
is "normal run, duplicates: delivered, duplicated, lost" \
    "$(counts .asset.id "$TMP/sub2")" "300 0 0"
is "  all settled" "$(q 'SELECT count(*) FROM kv')" 0
is "  the record carries its claim" \
    "$(head -n 1 "$TMP/sub2" | jq -c '[.claim.key, (.claim.id | test("^[0-9a-f]{32}$"))]')" \
    '["asset:b1",true]'

# ---- --settle on its own ----
printf '{"x":1}\n{"claim":{"key":"asset:zz","id":"00"}}\n{"claim":7}\n' \
    > "$TMP/odd"
run wh-route --state "$TMP/s.db" --settle "$TMP/odd"
is "--settle: records without a claim, or unknown ones, pass on" "$OUT" \
'{"x":1}
{"claim":{"key":"asset:zz","id":"00"}}'
like "  a malformed claim is a record error" "$ERR" \
    "^wh-route: $TMP/odd:3: claim is not "
is "  exit 1" "$RC" 1
run wh-route --settle -c "$TMP/r.yaml" </dev/null
is "--settle with -c: usage, exit 2" "$RC" 2
run wh-route --lease 0 -c "$TMP/r.yaml" </dev/null
is "--lease 0: exit 2" "$RC" 2

# a state file from before claims gets their columns
python3 -c 'import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER NOT NULL)")
db.execute("INSERT INTO kv VALUES (?, ?, ?)", ("asset:o1", "{\"id\":\"o1\"}", 4102444800))
db.commit()' "$TMP/old.db"
printf '{"body":{"event_type":"proxies","data":{"status":"CLOSED","asset_id":"o1"}}}\n' |
    wh-route -c "$TMP/r.yaml" --state "$TMP/old.db" > "$TMP/o"
is "an old state file: recalled with a claim" "$(jq -c '[.asset.id, (.claim.id | length)]' "$TMP/o")" \
    '["o1",32]'
[ "$T_FAILED" -eq 0 ]
