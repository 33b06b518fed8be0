#!/bin/sh
# s3-put reads and hashes parts on worker threads, each part of a regular
# file at its own offset: the same file at -j 1, 3 and 8, from a file and
# a stream, must give the same bytes (a file: the same parts and ETags)
. tests/lib.sh
plan 15

moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
$U mb bkt1 || fail "create bucket"
export HOOKPIPE_BACKOFF=10
D=$TMP/d
mkdir -p "$D"

# 4 parts of 5 MiB and a 12,345-byte fifth; each MiB differs
M5=$((5 * 1024 * 1024))
head -c $((4 * M5 + 12345)) /dev/urandom >"$D/f"
want_md5=$(python3 -c 'import hashlib, sys
d = open(sys.argv[1], "rb").read()
m = b"".join(hashlib.md5(d[i:i + 5242880]).digest()
    for i in range(0, len(d), 5242880))
print(hashlib.md5(m).hexdigest() + "-5")' "$D/f")
for j in 1 3 8; do
	run s3-put -b bkt1 -k "j$j.bin" -j "$j" --part-size 5M \
	    --multipart-threshold 5M "$D/f"
	is "-j $j: exit 0" "$RC" 0
	like "-j $j: the ETag of the 5 parts" "$OUT" \
	    "\"etag\":\"$want_md5\",\"bytes\":$((4 * M5 + 12345)),"
done
cat "$D/f" | s3-put -b bkt1 -k stream.bin -j 3 --part-size 5M \
    --multipart-threshold 5M - >"$TMP/out" 2>"$TMP/err"
is "stream -j 3: exit 0" "$?" 0
# (a stream's first read is one byte over the part size, which becomes
# its part size: other parts, other ETag; same bytes)
like "stream -j 3: 5 parts, all bytes" "$(cat "$TMP/out")" \
    "\"etag\":\"[0-9a-f]{32}-5\",\"bytes\":$((4 * M5 + 12345)),"

# one PUT big enough to be hashed by a worker (1 MiB), and one that is not
head -c $((1024 * 1024)) /dev/urandom >"$D/m1"
head -c 1000 /dev/urandom >"$D/k1"
run s3-put -b bkt1 -k one/ "$D/m1" "$D/k1"
is "single PUTs: exit 0" "$RC" 0
like "1 MiB PUT: ETag is its MD5" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
    "\"etag\":\"$(md5sum <"$D/m1" | cut -c1-32)\""
like "1,000-byte PUT: ETag is its MD5" "$(printf '%s\n' "$OUT" | sed -n 2p)" \
    "\"etag\":\"$(md5sum <"$D/k1" | cut -c1-32)\""

s=$(sha256sum <"$D/f" | cut -c1-64)
want="$s
$s
$s
$s
$(sha256sum <"$D/m1" | cut -c1-64)
0"
got=$($U sha bkt1 j1.bin j3.bin j8.bin stream.bin one/m1 -- uploads bkt1 2>&1)
is "downloads match (SHA-256), no multipart upload left" "$got" "$want"

# a file that is not there among others: only it fails
run s3-put -b bkt1 -k miss/ -j 2 --part-size 5M --multipart-threshold 5M \
    "$D/f" "$D/nope" "$D/m1"
is "missing file: exit 1" "$RC" 1
like "missing file: reported" "$ERR" "cannot open .*nope"
is "missing file: the other two written" \
    "$(printf '%s\n' "$OUT" | grep -c '"s3"')" 2

done_testing
