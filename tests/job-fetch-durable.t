#!/bin/sh
# job-fetch: files synced and renamed in input order before they are
# reported; local I/O failures (create, write, rename) exit 7
. tests/lib.sh
plan 40
. tests/fake/start.sh
start_fake
U=$API
# the complete jobs the platform knows
seed_jobs $(seq 1 200 | sed 's/^/m/') d1 d2 d3 d4 d5 d6 r1 r2 r3 c1 \
    big-1000000 big-12582912 bigcut-12582912 bigre-12582912 big-5000001
unset JOB_API_URL JOB_API_TOKEN
echo jobtoken >"$TMP/tok"
want() { python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())' "output of job $1
"; }
job() { printf '{"body":{"id":"%s","event":"job_complete"}}\n' "$@"; }
temps() { ls -A "$1" | grep -c '^\.job-fetch'; }

# many at once: all there, reported in input order
mkdir "$TMP/many"
seq 1 200 | sed 's/.*/{"body":{"id":"m&"}}/' >"$TMP/many.ndjson"
run job-fetch -j 8 --api "$U" --token-file "$TMP/tok" -o "$TMP/many" "$TMP/many.ndjson"
is "200 files: exit 0" "$RC" 0
is "200 files: records in input order" "$(recs 'r["body"]["id"]' | tr '\n' ' ')" "$(seq 1 200 | sed 's/^/m/' | tr '\n' ' ')"
is "200 files: all there" "$(ls "$TMP/many" | wc -l | tr -d ' ')" 200
is "200 files: the 137th whole" "$(sha256sum <"$TMP/many/m137" | cut -c1-64)" "$(want m137)"
is "200 files: each record's sha256 is its file's" "$(recs 'r["fetch"]["sha256"] == __import__("hashlib").sha256(open(r["fetch"]["path"], "rb").read()).hexdigest()' | sort -u)" "True"
is "200 files: no temporary files" "$(temps "$TMP/many")" 0

# one name for several records: renamed in input order, the last wins
mkdir "$TMP/dup"
job d1 d2 d3 d4 d5 d6 >"$TMP/dup.ndjson"
run job-fetch -j 4 --api "$U" --token-file "$TMP/tok" -o "$TMP/dup" --name same "$TMP/dup.ndjson"
is "same name: exit 0" "$RC" 0
is "same name: the last record's file" "$(sha256sum <"$TMP/dup/same" | cut -c1-64)" "$(want d6)"
is "same name: the last record says so" "$(recs 'r["fetch"]["sha256"]' | tail -n 1)" "$(want d6)"
is "same name: one file, no temporary" "$(ls -A "$TMP/dup" | tr '\n' ' ')" "same "
rm -rf "$TMP/dup"; mkdir "$TMP/dup"
run env HOOKPIPE_NAMED_TEMP=1 job-fetch -j 4 --api "$U" --token-file "$TMP/tok" -o "$TMP/dup" --name same "$TMP/dup.ndjson"
is "same name, named temporaries: the last record's file" "$(sha256sum <"$TMP/dup/same" | cut -c1-64)" "$(want d6)"
is "same name, named temporaries: one file, no temporary" "$(ls -A "$TMP/dup" | tr '\n' ' ')" "same "

# --skip-existing within one run: the first is kept, the rest skipped
mkdir "$TMP/skip"
run job-fetch -j 4 --api "$U" --token-file "$TMP/tok" -o "$TMP/skip" --name same --skip-existing "$TMP/dup.ndjson"
is "skip in one run: exit 0" "$RC" 0
is "skip in one run: the first written, the rest skipped" "$(recs 'r["fetch"].get("skipped", False)' | tr '\n' ' ')" "False True True True True True "
is "skip in one run: the first record's file" "$(sha256sum <"$TMP/skip/same" | cut -c1-64)" "$(want d1)"
is "skip in one run: no temporary" "$(temps "$TMP/skip")" 0

# the order of system calls: each file fsynced before its link or rename,
# each record written after that and a directory fsync that followed it;
# nameless (O_TMPFILE) files, and named temporaries as where the file
# system has no O_TMPFILE (HOOKPIPE_NAMED_TEMP=1 forces that)
if command -v strace >/dev/null 2>&1 &&
    strace -f -o /dev/null true 2>/dev/null; then
	for mode in nameless named; do
	rm -rf "$TMP/tr"; mkdir "$TMP/tr"
	head -n 40 "$TMP/many.ndjson" >"$TMP/tr.ndjson"
	nt=; [ $mode = named ] && nt=1
	# LeakSanitizer cannot run under ptrace
	run env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	    HOOKPIPE_NAMED_TEMP=$nt \
	    strace -f -qq -s 65536 -o "$TMP/strace" \
	    -e trace=openat,fsync,renameat,linkat,write \
	    job-fetch -j 8 --api "$U" --token-file "$TMP/tok" -o "$TMP/tr" "$TMP/tr.ndjson"
	is "strace ($mode files): exit 0" "$RC" 0
	is "strace ($mode files): durable before reported" "$(python3 - "$TMP/strace" "$TMP/tr" $mode <<'PY'
import re, sys
log, d, mode = sys.argv[1], sys.argv[2], sys.argv[3]
kinds = {"linkat": 0, "renameat": 0}
dirfd, fdtmp, pend = None, {}, {}
synced, renamed, dsync, problems, reported = set(), {}, [], [], 0
line_re = re.compile(r'^(\d+) +(?:(\w+)\((.*?)(?: <unfinished \.\.\.>$|\) += (-?\d+)))')
res_re = re.compile(r'^(\d+) +<\.\.\. (\w+) resumed>.*\) += (-?\d+)')
for i, l in enumerate(open(log)):
    l = l.rstrip("\n")
    m = res_re.match(l)
    if m:
        pid, name, ret = m.group(1), m.group(2), int(m.group(3))
        start, args = pend.pop(pid, (i, ""))
    else:
        m = line_re.match(l)
        if not m:
            continue
        pid, name, args, ret = m.group(1), m.group(2), m.group(3), m.group(4)
        if ret is None:
            fd = args.split(",")[0]
            pend[pid] = (i, args + ("|" + fdtmp.get(fd, "") if name == "fsync" else ""))
            continue
        start, ret = i, int(ret)
        if name == "fsync":
            args += "|" + fdtmp.get(args.split(",")[0], "")
    if ret < 0 and name != "openat":
        problems.append("failed: " + l)
        continue
    if name == "openat":
        if "O_DIRECTORY" in args and d in args and ret >= 0:
            dirfd = str(ret)
        mt = re.search(r'"(\.job-fetch[^"]*)"', args)
        if mt and ret >= 0:
            fdtmp[str(ret)] = mt.group(1)
        elif "O_TMPFILE" in args and ret >= 0:
            fdtmp[str(ret)] = "nameless#%d" % i
    if name in kinds:
        kinds[name] += 1
    if name == "linkat":
        # a nameless file linked in: /proc/self/fd/N -> its name
        mt = re.findall(r'"([^"]*)"', args)
        src = fdtmp.get(mt[0].rsplit("/", 1)[1], "?")
        if src not in synced:
            problems.append("linked before its fsync: " + mt[1])
        elif mt[1].startswith(".job-fetch"):
            synced.add(mt[1])  # then renamed over the old file
        renamed[mt[1]] = i
    elif name == "fsync":
        fd, tmp = args.split("|")
        if fd == dirfd:
            dsync.append((start, i))
        elif tmp:
            synced.add(tmp)
    elif name == "renameat":
        mt = re.findall(r'"([^"]*)"', args)
        if mt[0] not in synced:
            problems.append("renamed before its fsync: " + mt[0])
        renamed[mt[1]] = i
    elif name == "write" and args.startswith("1, "):
        for p in re.findall(r'\\"path\\":\\"([^\\"]*)\\"', args):
            reported += 1
            n = p.rsplit("/", 1)[1]
            if n not in renamed:
                problems.append("reported, never renamed: " + n)
            elif not any(s > renamed[n] and e < start for s, e in dsync):
                problems.append("reported before a directory fsync: " + n)
if reported != 40:
    problems.append("%d records seen, not 40" % reported)
want = "linkat" if mode == "nameless" else "renameat"
if kinds[want] != 40:
    problems.append("%d %s calls, not 40: %s" % (kinds[want], want, kinds))
print("\n".join(problems[:5]) or "ok")
PY
)" ok
	is "strace ($mode files): no temporary" "$(temps "$TMP/tr")" 0
	done
else
	for mode in nameless named; do
		skip "strace ($mode files): exit 0" "no usable strace"
		skip "strace ($mode files): durable before reported" "no usable strace"
		skip "strace ($mode files): no temporary" "no usable strace"
	done
fi

# exit 7: a rename that fails (the name is a directory); the records
# before it are still written
mkdir -p "$TMP/ren/blocker/x"
printf '{"body":{"id":"r1"},"n":"ok1"}\n{"body":{"id":"r2"},"n":"blocker"}\n{"body":{"id":"r3"},"n":"ok3"}\n' >"$TMP/ren.ndjson"
run job-fetch -j 2 --api "$U" --token-file "$TMP/tok" -o "$TMP/ren" --name '{n}' --errors "$TMP/ren.errs" "$TMP/ren.ndjson"
is "rename fails: exit 7" "$RC" 7
like "rename fails: says why" "$ERR" "ren.ndjson:2: cannot rename to .*/ren/blocker: Is a directory"
is "rename fails: the others written" "$(recs 'r["body"]["id"]' | tr '\n' ' ')" "r1 r3 "
is "rename fails: the record in --errors" "$(recs 'r["body"]["id"]' "$TMP/ren.errs")" "r2"
ok "rename fails: the directory untouched" test -d "$TMP/ren/blocker/x"
is "rename fails: no temporary" "$(temps "$TMP/ren")" 0

# exit 7: no file can be made in the directory (/proc takes none, root
# or not)
job c1 >"$TMP/in"
run job-fetch --api "$U" --token-file "$TMP/tok" -o /proc/self <"$TMP/in"
is "cannot create: exit 7" "$RC" 7
like "cannot create: says why" "$ERR" "stdin:1: job c1: cannot create a file in /proc/self"

# exit 7: a full filesystem (a 64 KiB tmpfs in a mount namespace of our
# own, where that is allowed)
mkdir "$TMP/full"
job big-1000000 >"$TMP/in"
if unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$1"' sh "$TMP/full" 2>/dev/null; then
	run unshare -m sh -c 'mount -t tmpfs -o size=64k tmpfs "$1" && shift && exec "$@"' sh "$TMP/full" \
	    job-fetch --retries 0 --api "$U" --token-file "$TMP/tok" -o "$TMP/full" "$TMP/in"
	is "disk full: exit 7" "$RC" 7
	like "disk full: says why" "$ERR" "job big-1000000: cannot write to .*: No space left on device"
	is "disk full: no record" "$OUT" ""
else
	skip "disk full: exit 7" "no tmpfs mount here"
	skip "disk full: says why" "no tmpfs mount here"
	skip "disk full: no record" "no tmpfs mount here"
fi
# outputs past 4 MiB are hashed by a thread reading the file back behind
# the writes: the digest is still the bytes', across a resume (206) and
# across a restart (a 200 after a cut), three at once
N=12582912
bigsum() { python3 -c 'import hashlib, sys
b = hashlib.sha256(b"hookpipe").digest() * 2048
n = int(sys.argv[1]); h = hashlib.sha256()
h.update(b * (n // len(b))); h.update(b[:n % len(b)]); print(h.hexdigest())' "$1"; }
W=$(bigsum $N)
mkdir "$TMP/bigs"
: >"$REQLOG"
job big-$N bigcut-$N bigre-$N big-5000001 >"$TMP/bigs.ndjson"
run job-fetch -j 3 --api "$U" --token-file "$TMP/tok" -o "$TMP/bigs" "$TMP/bigs.ndjson"
is "big outputs: exit 0" "$RC" 0
is "big outputs: records' sha256" "$(recs 'r["fetch"]["sha256"], r["fetch"]["bytes"]' | tr '\n' ' ')" "('$W', $N) ('$W', $N) ('$W', $N) ('$(bigsum 5000001)', 5000001) "
is "big outputs: files' sha256" "$(cd "$TMP/bigs" && sha256sum big-$N bigcut-$N bigre-$N | cut -c1-64 | tr '\n' ' ')" "$W $W $W "
is "big outputs: the cut one resumed with Range" "$(reqs 'r["path"] + " " + r["headers"].get("range", "-")' | grep bigcut)" "/v1/jobs/bigcut-$N/output -
/v1/jobs/bigcut-$N/output bytes=$((N / 2))-"
is "big outputs: a server that ignores Range: the file starts over" "$(reqs 'r["path"] + " " + r["headers"].get("range", "-")' | grep bigre)" "/v1/jobs/bigre-$N/output -
/v1/jobs/bigre-$N/output bytes=$((N / 2))-
/v1/jobs/bigre-$N/output -"
like "big outputs: retries warned" "$ERR" "retry 1 of 3"
is "big outputs: no temporary" "$(temps "$TMP/bigs")" 0

done_testing
