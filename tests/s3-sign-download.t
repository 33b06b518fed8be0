#!/bin/sh
# presigned URLs against moto without signature checks (moto answers 500
# to presigned URLs when it checks signatures): a presigned GET downloads
# with plain curl, a presigned PUT uploads.  The same server takes s3-put
# uploads of keys that moto's checker rejects even from botocore
# (non-ASCII, '+', '%'): their round trip is checked here.
. tests/lib.sh
plan 14

moto_open_up || { done_testing; exit 0; }
U="$PY tests/s3-util.py"
$U mb bkt1

printf 'hello, presigned world\n' >"$TMP/obj"
h=$(sha256sum <"$TMP/obj" | cut -c1-64)
n=0
for k in 'é/ü/日本.txt' 'a+b.txt' '100%.txt' 'q?x#y&z=1.txt' 'sp ace/x y'; do
	n=$((n + 1))
	run s3-put -b bkt1 -k "$k" "$TMP/obj"
	is "s3-put key '$k': exit 0" "$RC" 0
	printf '%s\n' "$OUT" >>"$TMP/put.out"
	run s3-sign -e 300 "s3://bkt1/$k"
	url=$(printf '%s\n' "$OUT" | sed 's/.*"signed_url":"\([^"]*\)".*/\1/')
	curl -sS -f --max-time 10 -o "$TMP/dl$n" "$url" 2>"$TMP/curl.err"
	is "presigned GET of '$k' with curl" "$(sha256sum <"$TMP/dl$n" |
	    cut -c1-64)" "$h"
done
like "unicode key in the output record" "$(sed -n 1p "$TMP/put.out")" \
    '"key":"é/ü/日本.txt",.*"url":"s3://bkt1/é/ü/日本.txt"'
got=$($U sha bkt1 'é/ü/日本.txt' 'a+b.txt' '100%.txt' 'q?x#y&z=1.txt' \
    'sp ace/x y' 2>&1)
is "boto3 reads the same objects back" "$got" "$h
$h
$h
$h
$h"

# presigned PUT, record mode
printf '{"s3":{"bucket":"bkt1","key":"up/loaded.bin"}}\n' |
    s3-sign -m PUT -e 60 >"$TMP/rec"
url=$(sed 's/.*"signed_url":"\([^"]*\)".*/\1/' "$TMP/rec")
head -c 100000 /dev/urandom >"$TMP/up"
curl -sS -f --max-time 10 -T "$TMP/up" "$url" >/dev/null 2>"$TMP/curl.err"
is "presigned PUT with curl: exit 0" "$?" 0
is "presigned PUT: object right" "$($U sha bkt1 up/loaded.bin 2>&1)" \
    "$(sha256sum <"$TMP/up" | cut -c1-64)"

done_testing
