#!/bin/sh
# s3-scan against moto with SigV4 checks: a listing of several pages
# (more than 1,000 keys, v2 tokens and v1 markers), types from HeadObject
# (with --type) or the key's extension, prefixes (keys, prefixes and v1 markers
# without "/": moto's verifier refuses even botocore's signature of a
# query value with one; s3-scan-keys.t has those), an empty bucket, one that does not
# exist, a changed object, --max, --status, and the usage errors
. tests/lib.sh
plan 35

moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
export HOOKPIPE_BACKOFF=10
$U mb big empty1 -- fill big v- 1005 -- put big 'with space.mov' - \
    -- put big doc.txt text/plain -- put big raw.bin - \
    -- put big 'img/p.JPG' image/jpeg -- put big vid-1.mp4 video/mp4 \
    -- put big vid-2.mp4 video/mp4 -- put big typed.dat image/png || fail "make the buckets"
S=$TMP/st
keys() { sed 's/.*"key":"\([^"]*\)".*/\1/' "$1"; }

run s3-scan -b big -b empty1 --state "$S" --once --type 'video/*'
is "video/*: exit 0" "$RC" 0
printf '%s\n' "$OUT" >"$TMP/o1"
is "video/*: 1,005 + 3 over two pages" "$(lines "$TMP/o1")" 1008
is "video/*: no key twice" "$(keys "$TMP/o1" | sort -u | wc -l | tr -d ' ')" 1008
etag=$(printf 'v-00000.mp4' | md5sum | cut -c1-32)
like "record: bucket, key, size, ETag (MD5 of the body), time, type" \
    "$(sed -n 1p "$TMP/o1")" \
    '^\{"s3":\{"bucket":"big","key":"v-00000.mp4","size":11,"etag":"'"$etag"'","last_modified":"20[0-9-]+T[0-9:.]+Z","content_type":"video/mp4"\}\}$'
like "a key with a space, stored without a type: from its extension" \
    "$(grep 'with space' "$TMP/o1")" '"key":"with space.mov",.*"content_type":"video/quicktime"'
is "the last page's key is there" "$(grep -c '"v-01004.mp4"' "$TMP/o1")" 1
is "stderr empty" "$ERR" ""
run s3-scan --state "$S" --status
is "--status: processing, skipped" "$OUT" \
    '{"pending":0,"processing":1008,"done":0,"failed":0,"skipped":4,"redelivered":0}'
run s3-scan -b big --state "$S" --once --type 'video/*'
is "again within the lease: exit 0" "$RC" 0
is "again within the lease: nothing" "$OUT" ""

# an object written again with other bytes is new again (a new ETag)
"$PY" -c 'import boto3, os, sys
from botocore.config import Config
c = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    config=Config(s3={"addressing_style": "path"}))
c.put_object(Bucket="big", Key="v-00004.mp4", Body=b"other",
    ContentType="video/mp4")'
run s3-scan -b big --state "$S" --once --type 'video/*'
like "other bytes: the object again, its new ETag" "$OUT" \
    '"key":"v-00004.mp4","size":5,"etag":"'"$(printf other | md5sum | cut -c1-32)"'"'

# types: exact, a class, none given (all), from the extension
run s3-scan -b big --state "$TMP/t1" --once --type text/plain \
    --type 'image/*'
is "--type text/plain --type image/*: three" "$(printf '%s\n' "$OUT" |
    keys /dev/stdin | sort | tr '\n' ' ')" "doc.txt img/p.JPG typed.dat "
like "--type: the stored type (HeadObject), not the extension's" \
    "$(printf '%s\n' "$OUT" | grep typed.dat)" '"content_type":"image/png"'
run s3-scan -b big --state "$TMP/t2" --once
is "no --type: every object" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 1012
like "no --type: no HeadObject, the extension's type or null" \
    "$(printf '%s\n' "$OUT" | grep typed.dat)" '"content_type":null'
like "no type and no known extension: null" "$(printf '%s\n' "$OUT" |
    grep raw.bin)" '"content_type":null'

# ListObjects v1 with markers
run s3-scan -b big --state "$TMP/v1" --once --list-v1
is "--list-v1: exit 0" "$RC" 0
is "--list-v1: every object once over two pages" \
    "$(printf '%s\n' "$OUT" | keys /dev/stdin | sort -u | wc -l | tr -d ' ')" 1012

# prefixes
run s3-scan -b big --state "$TMP/p" --once --prefix vid
is "--prefix vid: two" "$(printf '%s\n' "$OUT" | keys /dev/stdin |
    tr '\n' ' ')" "vid-1.mp4 vid-2.mp4 "
run s3-scan -b big --state "$TMP/p" --once --prefix nothing
is "a prefix that matches nothing: exit 0, nothing" "$RC:$OUT" "0:"

# --max per pass; the rest waits, pending
run s3-scan -b big --state "$TMP/m" --once --max 7
is "--max 7: seven" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 7
run s3-scan -b big --state "$TMP/m" --once --max 7
is "--max 7 again: the next seven, in listing order" "$(printf '%s\n' "$OUT" |
    sed -n 1p | keys /dev/stdin):$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" \
    "v-00003.mp4:7"
run s3-scan --state "$TMP/m" --status
like "--max: the rest pending" "$OUT" '^\{"pending":998,"processing":14,'

# an empty bucket; one that does not exist
run s3-scan -b empty1 --state "$TMP/e" --once
is "empty bucket: exit 0, nothing" "$RC:$OUT:$ERR" "0::"
run s3-scan -b nosuch-bucket --state "$TMP/e" --once
is "no such bucket: exit 5" "$RC" 5
is "no such bucket: says so" "$ERR" \
    "s3-scan: cannot list bucket nosuch-bucket: 404 NoSuchBucket: The specified bucket does not exist"
run s3-scan -b nosuch-bucket -b big --state "$TMP/e2" --once --prefix vid
is "a missing bucket and a good one: exit 5" "$RC" 5
is "... the good one is scanned" "$(printf '%s\n' "$OUT" | wc -l | tr -d ' ')" 2
AWS_SECRET_ACCESS_KEY=wrong run s3-scan -b big --state "$TMP/e3" --once
is "wrong secret: exit 5" "$RC" 5
like "wrong secret: S3's code" "$ERR" '403 SignatureDoesNotMatch'

# usage and config
run s3-scan -b big --once
is "no --state: exit 2" "$RC" 2
run s3-scan -b big --state "$S" --once --interval 5
is "--once and --interval: exit 2" "$RC" 2
run s3-scan -b big --state "$S" --status
is "--status with -b: exit 2" "$RC" 2
run s3-scan -b big --state /nonexistent/dir/st --once
is "a state file that cannot be made: exit 3" "$RC" 3
HOOKPIPE_BACKOFF=x run s3-scan -b big --state "$S" --once
is "bad HOOKPIPE_BACKOFF: exit 3" "$RC" 3
