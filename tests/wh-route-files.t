#!/bin/sh
# wh-route's files: a to: file on a really full disk (every record in the
# file whole, or reported with its line number and ENOSPC), and the modes
# of the to: and state files
. tests/lib.sh
echo 1..14

# 3,000 records of 1 KB each, numbered
awk 'BEGIN { pad = sprintf("%1000s", ""); gsub(/ /, "x", pad)
	for (i = 1; i <= 3000; i++)
		printf "{\"n\":%d,\"pad\":\"%s\"}\n", i, pad }' > "$TMP/in"
mkdir "$TMP/full"
unmount() { umount "$TMP/full" 2>/dev/null; }
if mount -t tmpfs -o size=1m tmpfs "$TMP/full" 2>"$TMP/mnt.err"; then
	at_exit unmount
	printf 'routes:\n  - name: keep\n    to: %s\n' "$TMP/full/out.ndjson" \
	    > "$TMP/r.yaml"
	run wh-route --errors "$TMP/errs" -c "$TMP/r.yaml" "$TMP/in"
	is "full disk: exit 1" "$RC" 1
	inf=$(jq -r .n "$TMP/full/out.ndjson" 2>/dev/null | wc -l | tr -d ' ')
	ine=$(jq -r .n "$TMP/errs" | wc -l | tr -d ' ')
	like "  some records in the file, the rest in --errors" \
	    "$inf $ine" "^[1-9][0-9]* [1-9][0-9]*$"
	is "  every record once: in the file or in --errors" \
	    "$( { jq -r .n "$TMP/full/out.ndjson"; jq -r .n "$TMP/errs"; } |
	    sort -n | uniq | wc -l | tr -d ' ') $((inf + ine))" "3000 3000"
	ok "  the file holds whole lines only" \
	    sh -c 'jq -e . "$1" >/dev/null && [ "$(tail -c 1 "$1" | od -An -c |
	    tr -d " ")" = "\n" ]' sh "$TMP/full/out.ndjson"
	is "  one stderr line per record not in the file" \
	    "$(grep -c 'No space left on device, record not delivered' \
	    "$TMP/err")" "$ine"
	is "  stderr names each one's line" \
	    "$(sed -n "s|^wh-route: $TMP/in:\([0-9]*\): route keep: cannot write $TMP/full/out.ndjson: No space left on device, record not delivered$|\1|p" \
	    "$TMP/err" | sort -n | cksum)" \
	    "$(jq -r .error.line "$TMP/errs" | sort -n | cksum)"
	is "  --errors keeps the input record" \
	    "$(jq -r 'select(.route != null or (.pad | length) != 1000)' \
	    "$TMP/errs")" ""
	# space comes back: the next records go to the file again
	rm -f "$TMP/full/out.ndjson"
	head -n 5 "$TMP/in" | wh-route -c "$TMP/r.yaml" 2>"$TMP/err2"
	is "  after space is freed: written, exit 0" "$? $(wc -l < \
	    "$TMP/full/out.ndjson" | tr -d ' ')" "0 5"
else
	why=$(cat "$TMP/mnt.err")
	for t in 1 2 3 4 5 6 7 8; do
		skip "full disk test $t" "mount -t tmpfs refused: $why"
	done
fi

# modes: record data is for the owner only, a stricter umask is kept
cat > "$TMP/m.yaml" <<Y
routes:
  - name: keep
    remember: {key: "k:{n}"}
    to: $TMP/to.ndjson
Y
# input held open: the -wal and -shm files exist while it runs
mkfifo "$TMP/fifo"
(umask 022; exec wh-route -c "$TMP/m.yaml" --state "$TMP/s.db" "$TMP/fifo") &
pid=$!
exec 3>"$TMP/fifo"
echo '{"n":1}' >&3
i=0
while [ ! -e "$TMP/s.db-shm" ] && [ $i -lt 200 ]; do
	sleep 0.05; i=$((i + 1))
done
is "to: file created 0600 under umask 022" "$(stat -c %a "$TMP/to.ndjson")" 600
is "state file created 0600" "$(stat -c %a "$TMP/s.db")" 600
is "  and its -wal and -shm files" \
    "$(stat -c %a "$TMP/s.db-wal" "$TMP/s.db-shm" 2>/dev/null | tr '\n' ' ')" \
    "600 600 "
exec 3>&-
wait $pid
rm -f "$TMP/to.ndjson" "$TMP"/s.db*
echo '{"n":1}' | (umask 0377; wh-route -c "$TMP/m.yaml" --state "$TMP/s.db")
is "umask 0377: to: file 0400" "$(stat -c %a "$TMP/to.ndjson")" 400
is "umask 0377: state file 0400" "$(stat -c %a "$TMP/s.db")" 400
chmod 640 "$TMP/to.ndjson"
echo '{"n":2}' | wh-route -c "$TMP/m.yaml" --state "$TMP/s.db"
is "an existing file keeps its mode" "$(stat -c %a "$TMP/to.ndjson")" 640
[ "$T_FAILED" -eq 0 ]
