#!/bin/sh
# flow: bucket processing from cron, scripts/examples/bucket-process.sh
# (s3-scan --once | s3-get | processor | s3-done) against moto with SigV4
# checks: two buckets, mixed media types, the same key in both; each video
# processed exactly once per run from its downloaded file, nothing again
# in the next run; an object written again with other bytes is processed
# again; one the processor refuses is not settled, not handed out again
# within its lease, processed after it
. tests/lib.sh
plan 14

moto_up
PY=$PEERS_PYTHON
U="$PY tests/s3-util.py"
export HOOKPIPE_BACKOFF=10
$U mb cams studio -- put cams a.mp4 video/mp4 -- put cams 'day 1/b.mov' - \
    -- put cams notes.txt text/plain -- put studio a.mp4 video/mp4 \
    -- put studio pic.jpg image/jpeg -- put studio 'c/refuse.mp4' video/mp4 \
    -- put studio raw.bin - || fail "make the buckets"

# the processor: each record's file must hold the object's bytes (the key,
# or what the test wrote again); logs "bucket key bytes"; refuses
# c/refuse.mp4 while $TMP/refuse exists
PLOG=$TMP/proc.log
: >"$PLOG"
cat >"$TMP/proc.sh" <<'P'
while IFS= read -r rec; do
	b=$(printf '%s\n' "$rec" | jq -r .s3.bucket)
	k=$(printf '%s\n' "$rec" | jq -r .s3.key)
	f=$(printf '%s\n' "$rec" | jq -r .get.path)
	[ -f "$f" ] || { echo "missing $b $k" >>"$PLOG"; continue; }
	echo "$b $k $(cat "$f")" >>"$PLOG"
	if [ "$k" = c/refuse.mp4 ] && [ -e "$TMP/refuse" ]; then
		continue
	fi
	printf '%s\n' "$rec"
done
P
export PLOG TMP
: >"$TMP/refuse"
cron_run() {
	: >"$PLOG"
	env BUCKETS="cams studio" STATE="$TMP/state.db" LEASE=3 \
	    PROCESSOR=". $TMP/proc.sh" WORK="$TMP/work" \
	    bash scripts/examples/bucket-process.sh >"$TMP/run.out" 2>"$TMP/run.err"
	RC=$?
}
processed() { sort "$PLOG" | tr '\n' '|'; }

cron_run
is "run 1: exit 0, quiet" "$RC:$(cat "$TMP/run.err")" "0:"
is "run 1: each video once, from its file; no text, image or binary" \
    "$(processed)" \
    "cams a.mp4 a.mp4|cams day 1/b.mov day 1/b.mov|studio a.mp4 a.mp4|studio c/refuse.mp4 c/refuse.mp4|"
is "run 1: s3-done settled the three accepted" "$(lines "$TMP/run.out")" 3
like "run 1: s3-done passes the get record on" "$(grep '"key":"day 1/b.mov"' "$TMP/run.out")" \
    '"get":\{"path":"[^"]*/cams_day 1_b.mov","size":11,"sha256":"[0-9a-f]{64}","verified":"md5"\}'
is "run 1: the run's directory is gone" "$(ls -A "$TMP/work")" ""

cron_run
is "run 2 (within the lease): exit 0, nothing processed" "$RC:$(processed)" "0:"

# cams/a.mp4 written again with other bytes: new again
"$PY" -c 'import boto3, os
from botocore.config import Config
c = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"],
    config=Config(s3={"addressing_style": "path"}))
c.put_object(Bucket="cams", Key="a.mp4", Body=b"version two",
    ContentType="video/mp4")'
cron_run
is "run 3: only the changed object, its new bytes" "$RC:$(processed)" \
    "0:cams a.mp4 version two|"
cron_run
is "run 4: nothing" "$RC:$(processed)" "0:"

# the refused one, after its lease: handed out again, accepted
rm -f "$TMP/refuse"
sleep 3.5
cron_run
is "run 5 (lease over): the refused one again, alone" "$RC:$(processed)" \
    "0:studio c/refuse.mp4 c/refuse.mp4|"
is "run 5: settled" "$(lines "$TMP/run.out")" 1
cron_run
is "run 6: nothing" "$RC:$(processed)" "0:"
st=$(s3-scan --state "$TMP/state.db" --status)
like "status: nothing pending or processing, five done (a.mp4 twice), three skipped" "$st" \
    '^\{"pending":0,"processing":0,"done":5,"failed":0,"skipped":3,"redelivered":1\}$'

# a stage that fails fails the run: a bucket that does not exist
env BUCKETS="cams nosuchbucket" STATE="$TMP/state.db" PROCESSOR=cat \
    WORK="$TMP/work" bash scripts/examples/bucket-process.sh \
    >"$TMP/run.out" 2>"$TMP/run.err"
RC=$?
is "a missing bucket: the run fails with s3-scan's status" "$RC" 5
like "a missing bucket: s3-scan says which" "$(cat "$TMP/run.err")" \
    'cannot list bucket nosuchbucket'
done_testing
