#!/bin/sh
# s3-get against moto with SigV4 checks: byte-exact against boto3's own
# download for 0 bytes, 1 byte, 3 MB with a SHA-256 checksum, 20 MiB in
# ranged parts (single-part and multipart ETags) and 256 MiB with peak
# RSS bounded; the "get" record; a missing object; bytes corrupted on the
# way (tests/s3-fault-proxy.py flip) and a download cut mid-way (cut=N),
# resumed, nothing partial ever visible; -o -; --name; refused
# credentials; usage.  Then keys moto's checker refuses even from
# botocore (unicode, '+', spaces) on an open moto, as s3-scan-keys.t
. tests/lib.sh
plan 59
. tests/s3-fault-proxy.sh

moto_up
at_exit proxy_stop
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
export HOOKPIPE_BACKOFF=10
D=$TMP/data
mkdir "$D" "$TMP/d1"
: >"$D/zero"
printf x >"$D/one"
head -c 3000000 /dev/urandom >"$D/three"
head -c 20971520 /dev/urandom >"$D/twenty"
$U mb getb -- putfile getb zero "$D/zero" - -- putfile getb one "$D/one" \
    text/plain -- putfile getb 'dir/three' "$D/three" - sha256 \
    -- putfile getb twenty "$D/twenty" video/mp4 \
    -- putfile getb mpu "$D/twenty" - mpu || fail "make the bucket"
rec() {	# rec KEY [SIZE ETAG]: an s3-scan record
	if [ $# -gt 1 ]; then
		printf '{"s3":{"bucket":"getb","key":"%s","size":%s,"etag":"%s"}}\n' \
		    "$1" "$2" "$3"
	else
		printf '{"s3":{"bucket":"getb","key":"%s"}}\n' "$1"
	fi
}
s3-scan -b getb --state "$TMP/st" --once >"$TMP/recs" ||
    fail "s3-scan the bucket"
field() { sed -n "s/.*\"$1\":\"\\{0,1\\}\\([^\",}]*\\).*/\\1/p"; }
nothing_partial() {	# nothing_partial DIR: no file at all, none hidden
	[ -z "$(ls -A "$1")" ]
}

# ---- every size, byte-exact against boto3 ----
/usr/bin/time -v s3-get -o "$TMP/d1" "$TMP/recs" >"$TMP/o1" 2>"$TMP/e1"
RC=$?
is "five objects: exit 0" "$RC" 0
is "five objects: five records" "$(lines "$TMP/o1")" 5
is "stderr: only time's report" "$(grep -c '^s3-get' "$TMP/e1")" 0
for k in zero one dir/three twenty mpu; do
	$U download getb "$k" "$TMP/boto"
	f=$(printf %s "$k" | tr / _)
	ok "$k: byte-exact against boto3's download" cmp "$TMP/boto" "$TMP/d1/$f"
done
line=$(grep '"key":"twenty"' "$TMP/o1")
like "the get record: path, size, sha256, verified" "$line" \
    '"get":\{"path":"'"$TMP"'/d1/twenty","size":20971520,"sha256":"'"$(sha256sum <"$D/twenty" | cut -c1-64)"'","verified":"md5"\}'
like "the record passes through" "$line" '^\{"s3":\{"bucket":"getb","key":"twenty","size":20971520,'
is "verified: checksum, MD5, multipart ETag (part size from HeadObject partNumber=1)" \
    "$(grep '"key":"dir/three"' "$TMP/o1" | field verified) $(grep '"key":"one"' "$TMP/o1" | field verified) $(grep '"key":"mpu"' "$TMP/o1" | field verified)" \
    "sha256 md5 md5-parts"
is "0 bytes: size 0, the empty SHA-256" \
    "$(grep '"key":"zero"' "$TMP/o1" | field size) $(grep '"key":"zero"' "$TMP/o1" | field sha256)" \
    "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
is "no temporary file left" "$(ls -A "$TMP/d1" | grep -c '^\.')" 0

# ---- 256 MiB: parts, peak RSS ----
head -c 268435456 /dev/urandom >"$D/huge"
$U putfile getb huge "$D/huge" video/mp4 || fail "put 256 MiB"
mkdir "$TMP/big"
t0=$(date +%s)
/usr/bin/time -v s3-get -o "$TMP/big" >"$TMP/o2" 2>"$TMP/e2" <<EOF2
$(rec huge 268435456 "$(md5sum <"$D/huge" | cut -c1-32)")
EOF2
RC=$?
t1=$(date +%s)
is "256 MiB: exit 0" "$RC" 0
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$TMP/e2")
ok "256 MiB: peak RSS under 64 MiB (${rss} KiB, $((t1 - t0)) s)" \
    test "${rss:-999999}" -lt 65536
$U download getb huge "$TMP/boto"
ok "256 MiB: byte-exact against boto3's download" cmp "$TMP/boto" "$TMP/big/huge"
rm -f "$TMP/boto" "$TMP/big/huge" "$D/huge"

# ---- a missing object, among others ----
{ rec one; rec nosuch; rec zero; } >"$TMP/in3"
mkdir "$TMP/o3"
run s3-get -o "$TMP/o3" "$TMP/in3"
is "missing: exit 1" "$RC" 1
like "missing: the line, the object, S3's code" "$ERR" \
    "^s3-get: $TMP/in3:2: s3://getb/nosuch: no such object \\(HTTP 404 NoSuchKey"
is "missing: not passed on, the others are" "$(printf '%s\n' "$OUT" | field key | tr '\n' ' ')" "one zero "
is "missing: no file for it" "$(ls "$TMP/o3" | tr '\n' ' ')" "one zero "

# ---- an object changed since it was listed: its parts ask If-Match ----
mkdir "$TMP/o3b"
run s3-get -o "$TMP/o3b" <<EOF2
$(rec twenty 20971520 0123456789abcdef0123456789abcdef)
EOF2
like "changed since listed (parts): exit 1, S3's 412" "$RC:$ERR" \
    '^1:s3-get: stdin:1: s3://getb/twenty: changed since its ETag "0123456789abcdef0123456789abcdef" \(HTTP 412 PreconditionFailed'
ok "changed since listed: no file, none hidden" nothing_partial "$TMP/o3b"

# ---- bytes corrupted on the way: no file, exit 6 ----
for k in one dir/three twenty mpu; do
	proxy "GET /getb/$k:flip:0"
	rm -rf "$TMP/o4"; mkdir "$TMP/o4"
	run s3-get --endpoint "$EP" -o "$TMP/o4" <<EOF2
$(grep "\"key\":\"$k\"" "$TMP/recs")
EOF2
	case $k in
	one) like "flipped, $k: the ETag check fails, exit 6" "$RC:$ERR" \
	    '^6:s3-get: stdin:1: s3://getb/one: the MD5 of the bytes \([0-9a-f]{32}\) is not the object.s ETag 9dd4e461268c8034f5c8564e155c67a6$' ;;
	dir/three) like "flipped, $k: the checksum fails, exit 6" "$RC:$ERR" \
	    '^6:s3-get: stdin:1: s3://getb/dir/three: the SHA-256 of the bytes is not the object.s checksum' ;;
	mpu) like "flipped, $k (multipart ETag): the ETag check fails, exit 6" \
	    "$RC:$ERR" '^6:s3-get: stdin:1: s3://getb/mpu: the MD5 of the parts. MD5s \([0-9a-f]{32}\) is not the object.s ETag [0-9a-f]{32}-3$' ;;
	*) like "flipped, $k (in parts): the ETag check fails, exit 6" "$RC:$ERR" \
	    '^6:s3-get: stdin:1: s3://getb/twenty: the MD5 of the bytes' ;;
	esac
	ok "flipped, $k: no file, none hidden" nothing_partial "$TMP/o4"
	is "flipped, $k: no record" "$OUT" ""
done
# a store that does not answer HeadObject partNumber=1: the size alone
proxy "HEAD /getb/mpu:501:0"
rm -rf "$TMP/o4"; mkdir "$TMP/o4"
run s3-get --endpoint "$EP" --retries 0 -o "$TMP/o4" <<EOF2
$(grep '"key":"mpu"' "$TMP/recs")
EOF2
is "no part size from the store: exit 0, the size checked" \
    "$RC:$(printf '%s\n' "$OUT" | field verified):$ERR" "0:size:"
ok "no part size: the file byte-exact" cmp "$D/twenty" "$TMP/o4/mpu"

# ---- a download cut mid-way: resumed ----
proxy "GET /getb/dir/three:cut=1000000:1"
rm -rf "$TMP/o5"; mkdir "$TMP/o5"
run s3-get --endpoint "$EP" -o "$TMP/o5" <<EOF2
$(grep '"key":"dir/three"' "$TMP/recs")
EOF2
is "cut at 1 MB: exit 0" "$RC" 0
ok "cut at 1 MB: byte-exact" cmp "$D/three" "$TMP/o5/dir_three"
like "cut at 1 MB: a warning, a retry" "$ERR" '^s3-get: warning: .*retry 1 of'
is "cut at 1 MB: two GETs, the cut and the rest" \
    "$(grep -c 'GET /getb/dir/three.*-> 200 cut' "$LOG"):$(grep -c 'GET /getb/dir/three.*-> 206' "$LOG")" "1:1"
proxy "GET /getb/twenty:cut=1000000:2"
rm -rf "$TMP/o6"; mkdir "$TMP/o6"
run s3-get --endpoint "$EP" -o "$TMP/o6" <<EOF2
$(grep '"key":"twenty"' "$TMP/recs")
EOF2
is "parts, two cut: exit 0, byte-exact" "$RC:$(cmp "$D/twenty" "$TMP/o6/twenty" && echo same)" "0:same"
is "parts, two cut: three parts and the two rests" \
    "$(grep -c 'GET /getb/twenty.*-> 206 cut' "$LOG"):$(grep -c 'GET /getb/twenty.*-> 206$' "$LOG")" "2:3"
# retries spent: nothing at all in the directory (named temporaries too)
for named in "" 1; do
	proxy "GET /getb/dir/three:cut=1000000:0"
	rm -rf "$TMP/o7"; mkdir "$TMP/o7"
	HOOKPIPE_NAMED_TEMP=$named run s3-get --endpoint "$EP" --retries 1 \
	    -o "$TMP/o7" <<EOF2
$(grep '"key":"dir/three"' "$TMP/recs")
EOF2
	is "cut every time${named:+ (named temporaries)}: exit 6" "$RC" 6
	ok "cut every time${named:+ (named temporaries)}: nothing partial visible" \
	    nothing_partial "$TMP/o7"
done

# ---- SIGTERM in the middle of a download in parts ----
proxy "GET /getb/twenty:hold=0.5:0"
rm -rf "$TMP/o12"; mkdir "$TMP/o12"
grep '"key":"twenty"' "$TMP/recs" >"$TMP/in12"
s3-get --endpoint "$EP" -j 1 --part-size 1M -o "$TMP/o12" "$TMP/in12" \
    >"$TMP/out12" 2>"$TMP/err12" &
pid=$!
proxy_wait 'twenty.*-> held'
t0=$(date +%s)
kill -TERM $pid
wait $pid
RC=$?
t1=$(date +%s)
like "SIGTERM mid-parts: exit 6 within seconds, says so" \
    "$RC:$((t1 - t0 < 5)):$(cat "$TMP/err12")" \
    '^6:1:s3-get: .*in12:1: s3://getb/twenty: stopped by a signal$'
ok "SIGTERM mid-parts: no file, none hidden, no record" \
    test -z "$(ls -A "$TMP/o12")$(cat "$TMP/out12")"

# ---- -o -, --name ----
s3-get -o - >"$TMP/stream" 2>"$TMP/e8" <<EOF2
$(grep '"key":"dir/three"' "$TMP/recs")
EOF2
is "-o -: exit 0, no record, the body" "$?:$(cmp "$D/three" "$TMP/stream" && echo same)" "0:same"
run s3-get -o - "$TMP/in3"
like "-o - with a second record: refused, exit 1" "$RC:$ERR" \
    '^1:s3-get: '"$TMP"'/in3:2: -o - takes one record'
rm -rf "$TMP/o9"; mkdir "$TMP/o9"
run s3-get -o "$TMP/o9" --name 'x-{s3.bucket}-{s3.key}' "$TMP/recs"
is "--name: the template, '/' made '_'" "$(ls "$TMP/o9" | tr '\n' ' ')" \
    "x-getb-dir_three x-getb-mpu x-getb-one x-getb-twenty x-getb-zero "

# ---- an S3 event notification (the shape of tests/data/sqs/s3-two.json,
# AWS's: one entry, the key form-encoded) ----
rm -rf "$TMP/o11"; mkdir "$TMP/o11"
jq -c '{Records: [.Records[0] | .s3.bucket.name = "getb" |
    .s3.object.key = "dir%2Fthree" | del(.s3.object.size, .s3.object.eTag)]}' \
    "$DATA/sqs/s3-two.json" >"$TMP/event"
run s3-get -o "$TMP/o11" "$TMP/event"
is "an event notification: exit 0, its object" \
    "$RC:$(cmp "$D/three" "$TMP/o11/dir_three" && echo same)" "0:same"
run s3-get -o "$TMP/o11" "$DATA/sqs/s3-two.json"
like "a notification of two entries: a record error" "$RC:$ERR" \
    '^1:s3-get: .*s3-two.json:1: an event notification of 2 entries: one a record'

# ---- refused, usage ----
AWS_SECRET_ACCESS_KEY=wrong run s3-get -o "$TMP/o9" "$TMP/in3"
like "a wrong secret: exit 5, S3's words" "$RC:$ERR" \
    '^5:s3-get: .*in3:1: cannot get s3://getb/one: HTTP 403 SignatureDoesNotMatch'
run s3-get "$TMP/in3"
is "no -o: exit 2" "$RC" 2
run s3-get -o "$TMP/nodir" "$TMP/in3"
like "-o not a directory: exit 3" "$RC:$ERR" '^3:s3-get: cannot open directory'
printf '{"s3":{"bucket":"getb"}}\nnot json\n' >"$TMP/bad"
run s3-get -o "$TMP/o9" "$TMP/bad"
like "no key, not JSON: exit 1, each line" "$RC:$(printf '%s\n' "$ERR" | cut -d: -f1-3 | tr '\n' ' ')" \
    "^1:s3-get: $TMP/bad:1 s3-get: $TMP/bad:2 \$"

# ---- odd keys on an open moto ----
moto_open_up || { done_testing; exit 0; }
U="$PY tests/s3-util.py"
$U mb oddb
for k in 'é/ü/日本.mp4' 'a+b.mp4' 'sp ace/x y.mov'; do
	$U put oddb "$k" - || fail "put $k"
done
s3-scan -b oddb --state "$TMP/st2" --once >"$TMP/odd"
rm -rf "$TMP/o10"; mkdir "$TMP/o10"
run s3-get -o "$TMP/o10" "$TMP/odd"
is "odd keys: exit 0, three" "$RC:$(printf '%s\n' "$OUT" | grep -c '"get"')" "0:3"
is "odd keys: each holds its key's bytes" \
    "$(cat "$TMP/o10/a+b.mp4"):$(cat "$TMP/o10/sp ace_x y.mov"):$(cat "$TMP/o10/é_ü_日本.mp4")" \
    "a+b.mp4:sp ace/x y.mov:é/ü/日本.mp4"
done_testing
