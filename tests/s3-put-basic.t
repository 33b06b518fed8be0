#!/bin/sh
# s3-put against moto with SigV4 checking: sizes, stream, keys, records,
# options, and every exit status
. tests/lib.sh
plan 61

moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
$U mb bkt1 bkt2 || fail "create buckets"
export HOOKPIPE_BACKOFF=10
D=$TMP/d
mkdir -p "$D"

# sizes: 0, 1, 5 MiB - 1, 5 MiB + 1 (single PUTs and multipart), 64 MiB
M5=$((5 * 1024 * 1024))
: >"$D/s0"
printf x >"$D/s1"
head -c $((M5 - 1)) /dev/urandom >"$D/s5m-1"
head -c $((M5 + 1)) /dev/urandom >"$D/s5m_plus1"
head -c $((64 * 1024 * 1024)) /dev/urandom >"$D/s64m"
run s3-put -b bkt1 -k sizes/ --multipart-threshold 5M --part-size 5M \
    "$D/s0" "$D/s1" "$D/s5m-1" "$D/s5m_plus1"
is "sizes: exit 0" "$RC" 0
is "sizes: four records" "$(printf '%s\n' "$OUT" | grep -c '"s3"')" 4
like "sizes: 0-byte record" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
    '"key":"sizes/s0","etag":"d41d8cd98f00b204e9800998ecf8427e","bytes":0,"version_id":null,"url":"s3://bkt1/sizes/s0"'
like "sizes: 5 MiB + 1 went multipart" "$(printf '%s\n' "$OUT" | sed -n 4p)" \
    '"etag":"[0-9a-f]{32}-2","bytes":5242881'
like "sizes: 5 MiB - 1 in one PUT" "$(printf '%s\n' "$OUT" | sed -n 3p)" \
    '"etag":"[0-9a-f]{32}","bytes":5242879'
run s3-put -b bkt1 -k big.bin -j 4 "$D/s64m"
is "64 MiB -j 4: exit 0" "$RC" 0
like "64 MiB: 8 parts of 8 MiB" "$OUT" '"etag":"[0-9a-f]{32}-8","bytes":67108864'
# a stream of unknown length: multipart, 3 parts
head -c $((20 * 1024 * 1024 + 7)) /dev/urandom >"$D/stream"
cat "$D/stream" | s3-put -b bkt1 -k stream.bin - >"$TMP/out" 2>"$TMP/err"
is "stdin stream: exit 0" "$?" 0
like "stdin stream: record" "$(cat "$TMP/out")" \
    '^\{"file":"-","s3":\{"bucket":"bkt1","key":"stream.bin","etag":"[0-9a-f]{32}-3","bytes":20971527,'
printf 'short stream' | s3-put -b bkt1 -k short.txt - >"$TMP/out" 2>&1
like "short stream: one PUT" "$(cat "$TMP/out")" '"etag":"[0-9a-f]{32}","bytes":12'
want=$(for f in s0 s1 s5m-1 s5m_plus1 s64m stream; do
	sha256sum <"$D/$f" | cut -c1-64; done)
got=$($U sha bkt1 sizes/s0 sizes/s1 sizes/s5m-1 sizes/s5m_plus1 big.bin \
    stream.bin -- uploads bkt1 2>&1)
is "boto3 downloads match (SHA-256), no multipart upload left" "$got" \
    "$want
0"

# SHA-256 checksums S3 keeps with the object: of the whole body for a
# single PUT, of the parts' SHA-256s for a multipart upload (AWS's
# "composite" checksum); --no-checksum sends none
b64sum() { python3 -c 'import base64, hashlib, sys
d = open(sys.argv[1], "rb").read(); p = int(sys.argv[2])
if p == 0:
    h = hashlib.sha256(d).digest()
else:
    h = hashlib.sha256(b"".join(hashlib.sha256(d[i:i + p]).digest()
                               for i in range(0, len(d), p))).digest()
print(base64.b64encode(h).decode())' "$@"; }
run s3-put -b bkt1 -k nosum.bin --no-checksum --multipart-threshold 5M \
    --part-size 5M "$D/s5m_plus1"
is "--no-checksum: exit 0" "$RC" 0
is "checksums: single PUT, multipart, --no-checksum" \
    "$($U checksum bkt1 sizes/s5m-1 big.bin nosum.bin)" \
    "$(b64sum "$D/s5m-1" 0)
$(b64sum "$D/s64m" 8388608)
-"

# keys: spaces, '//' ('+', '%' and non-ASCII: s3-put-keys.t, as moto
# with signature checks rejects even botocore on those)
printf 'k1' >"$D/k1"
for k in 'with space.txt' 'dir//double/x.txt' ' lead/./and/../dots'; do
	run s3-put -b bkt2 -k "$k" "$D/k1"
	is "key '$k': exit 0" "$RC" 0
done
got=$($U sha bkt2 'with space.txt' 'dir//double/x.txt' ' lead/./and/../dots' 2>&1)
h=$(sha256sum <"$D/k1" | cut -c1-64)
is "keys: stored under those keys" "$got" "$h
$h
$h"

# record mode: default -f {fetch.path}, key default = base name
printf 'r1' >"$D/r1.json"
printf 'r2' >"$D/r2.txt"
printf '{"id":1,"fetch":{"path":"%s"}}\n\n{"id":2,"fetch":{"path":"%s"}}\n' \
    "$D/r1.json" "$D/r2.txt" >"$TMP/in"
run s3-put -b '{missing|default:bkt2}' <"$TMP/in"
is "record mode: exit 0" "$RC" 0
like "record mode: record 1 kept, s3 added" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
    '^\{"id":1,"fetch":\{"path":"[^"]*/r1.json"\},"s3":\{"bucket":"bkt2","key":"r1.json",'
like "record mode: record 2 in order" "$(printf '%s\n' "$OUT" | sed -n 2p)" \
    '^\{"id":2,.*"key":"r2.txt"'
# templates for bucket, key and file; options on the object
printf '{"b":"bkt2","name":"meta.bin","p":"%s"}\n' "$D/r1.json" >"$TMP/in"
run s3-put -b '{b}' -k 'm/{name}' -f '{p}' --content-type text/x-test \
    --cache-control max-age=60 --metadata Owner=ci --metadata run=7 \
    <"$TMP/in"
is "templates: exit 0" "$RC" 0
like "templates: key" "$OUT" '"key":"m/meta.bin"'
heads=$($U head bkt2 r1.json -- head bkt2 m/meta.bin)
like "content type guessed" "$(printf '%s\n' "$heads" | sed -n 1p)" \
    '"ContentType": "application/json"'
like "options reach the object" "$(printf '%s\n' "$heads" | sed -n 2p)" \
    '"CacheControl": "max-age=60", "ContentType": "text/x-test", "Metadata": \{"owner": "ci", "run": "7"\}'
# a record whose file is missing fails alone: exit 1, the rest go on
printf '{"fetch":{"path":"%s/nope"}}\n{"fetch":{"path":"%s"}}\n' "$D" \
    "$D/r2.txt" >"$TMP/in"
run s3-put -b bkt2 --errors "$TMP/errors" <"$TMP/in"
is "missing file: exit 1" "$RC" 1
like "missing file: message" "$ERR" \
    '^s3-put: stdin:1: cannot open .*/nope: No such file or directory$'
like "missing file: next record written" "$OUT" '"key":"r2.txt"'
like "missing file: --errors gets the record" "$(cat "$TMP/errors")" \
    '"error":\{"tool":"s3-put","message":"cannot open'
# --if-none-match: a second upload is refused (412), the record fails
run s3-put -b bkt2 -k once.txt --if-none-match "$D/k1"
is "if-none-match: first upload" "$RC" 0
run s3-put -b bkt2 -k once.txt --if-none-match "$D/k1"
is "if-none-match: second upload exit 1" "$RC" 1
like "if-none-match: 412" "$ERR" 'cannot put s3://bkt2/once.txt: 412 PreconditionFailed'
# -e: a bad record stops the run with 4
printf 'not json\n{"fetch":{"path":"%s"}}\n' "$D/r2.txt" >"$TMP/in"
run s3-put -e -b bkt2 <"$TMP/in"
is "-e: exit 4" "$RC" 4
is "-e: nothing written" "$OUT" ""
like "-e: message" "$ERR" '^s3-put: stdin:1: invalid JSON'

# --delete-source only after success
cp "$D/k1" "$D/del.txt"
run s3-put -b bkt2 --delete-source "$D/del.txt"
is "delete-source: exit 0" "$RC" 0
ok "delete-source: file removed" test ! -e "$D/del.txt"
cp "$D/k1" "$D/keep.txt"
run s3-put -b no-such-bucket --delete-source "$D/keep.txt"
like "failed upload: NoSuchBucket" "$ERR" \
    '^s3-put: cannot put s3://no-such-bucket/keep.txt: 404 NoSuchBucket: '
is "failed upload: exit 1" "$RC" 1
ok "failed upload: file kept" test -e "$D/keep.txt"

# -n: requests shown, nothing sent, no secret
run s3-put -n -b bkt2 -k dry/ "$D/k1" "$D/s64m"
is "dry run: exit 0" "$RC" 0
like "dry run: single PUT" "$(printf '%s\n' "$OUT" | sed -n 1p)" \
    '"requests":\[\{"method":"PUT","url":"http://127.0.0.1:[0-9]+/bkt2/dry/k1",'
like "dry run: multipart" "$(printf '%s\n' "$OUT" | sed -n 2p)" \
    '"method":"POST","url":"[^"]*/bkt2/dry/s64m\?uploads".*"parts":8'
case $OUT in
*"$AWS_SECRET_ACCESS_KEY"*|*Signature*) fail "dry run: no secret" ;;
*) pass "dry run: no secret" ;;
esac
run s3-put -n -b bkt2 -k dry/ --part-size 16MiB --multipart-threshold 5m \
    "$D/s64m"
like "dry run: sizes as every tool reads them (16MiB, 5m)" "$RC $OUT" \
    '^0 .*"method":"POST",.*"parts":4'
port=$(free_port)
run env -u AWS_SECRET_ACCESS_KEY s3-put -n -b bkt2 \
    --endpoint "http://127.0.0.1:$port" "$D/k1"
is "dry run: no credentials needed, nothing sent" "$RC" 0

# wrong secret: 403, exit 5, S3's code and message, no record
AWS_SECRET_ACCESS_KEY=wrong-secret run s3-put -b bkt1 -k w.txt "$D/k1"
is "wrong secret: exit 5" "$RC" 5
is "wrong secret: no record" "$OUT" ""
like "wrong secret: message" "$ERR" \
    '^s3-put: cannot put s3://bkt1/w.txt: 403 SignatureDoesNotMatch: The request signature'
printf '{"fetch":{"path":"%s"}}\n' "$D/k1" "$D/k1" >"$TMP/in"
AWS_SECRET_ACCESS_KEY=wrong-secret run s3-put -b bkt1 -k w.txt <"$TMP/in"
is "wrong secret, records: exit 5" "$RC" 5
is "wrong secret, records: no record" "$OUT" ""

# usage (2), config (3), network (6), local I/O (7)
run s3-put "$D/k1"
is "no bucket: exit 2" "$RC" 2
run s3-put -b bkt1 --part-size 1M "$D/k1"
is "part size under 5 MiB: exit 2" "$RC" 2
run s3-put -b bkt1 -j 0 "$D/k1"
like "-j 0: exit 2, the one wording" "$RC $ERR" \
    "^2 s3-put: bad -j '0': a number from 1 to 64\$"
run s3-put -b bkt1 - "$D/k1"
is "stdin without a key: exit 2" "$RC" 2
run env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_SHARED_CREDENTIALS_FILE=/nonexistent AWS_CONFIG_FILE=/nonexistent \
    s3-put -b bkt1 "$D/k1"
is "no credentials: exit 3" "$RC" 3
like "no credentials: message" "$ERR" '^s3-put: no AWS credentials'
run s3-put -b bkt1 --endpoint ftp://x "$D/k1"
is "bad endpoint: exit 3" "$RC" 3
port=$(free_port)
run s3-put -b bkt1 --retries 1 --endpoint "http://127.0.0.1:$port" "$D/k1"
is "nobody listening: exit 6" "$RC" 6
like "nobody listening: retried" "$ERR" 'k1: .*on PutObject of s3://bkt1/k1, retry 1 of 1$'
like "nobody listening: then failed" "$ERR" '^s3-put: cannot put s3://bkt1/k1: .*onnect'
s3-put -b bkt1 -k full.txt "$D/k1" >/dev/full 2>"$TMP/err"
is "stdout write error: exit 7" "$?" 7

done_testing
