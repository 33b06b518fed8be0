#!/bin/sh
# job-fetch: downloads, names, resume after a cut, redirects, errors
. tests/lib.sh
plan 48
. tests/fake/start.sh
start_fake
U=$API
unset JOB_API_URL JOB_API_TOKEN
echo jobtoken >"$TMP/tok"
mkdir "$TMP/out.d"
O=$TMP/out.d
want() { python3 -c 'import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode() * int(sys.argv[2])).hexdigest())' "output of job $1
" "${2:-1}"; }
# the jobs the platform knows (expired is not one: 404; gone has expired: 410)
seed_jobs abc named utf evil redir cut slow a1 gone expired
job() { printf '{"body":{"id":"%s","event":"job_complete"}}\n' "$@"; }

job abc named utf evil redir >"$TMP/jobs.ndjson"
run job-fetch --api "$U" --token-file "$TMP/tok" -o "$O" "$TMP/jobs.ndjson"
is "exit 0" "$RC" 0
is "GET with Bearer token" "$(reqs 'r["method"] + " " + r["path"].split("?")[0] + " " + r["headers"].get("authorization", "-")' | sort)" "GET /signed/redir -
GET /v1/jobs/abc/output Bearer jobtoken
GET /v1/jobs/evil/output Bearer jobtoken
GET /v1/jobs/named/output Bearer jobtoken
GET /v1/jobs/redir/output Bearer jobtoken
GET /v1/jobs/utf/output Bearer jobtoken"
is "file named after the id" "$(sha256sum <"$O/abc" | cut -c1-64)" "$(want abc)"
is "output record" "$(recs 'r["fetch"]["path"], r["fetch"]["bytes"], r["fetch"]["sha256"], r["fetch"]["content_type"]' | head -n 1)" "('$O/abc', 18, '$(want abc)', 'text/plain')"
ok "Content-Disposition name" test -f "$O/report 1.csv"
ok "filename* preferred" test -f "$O/résumé.txt"
is "hostile name sanitized, stays in the directory" "$(recs 'r["fetch"]["path"]' | sed -n 4p)" "$O/pa\"sswd"
ok "nothing escaped" test ! -e "$TMP/etc"
is "redirect to a signed URL, no token sent there" "$(recs 'r["fetch"]["url"]' | sed -n 5p)" "http://127.0.0.1:$PORT2/signed/redir"
is "the signature stays out of the record" "$(recs '"sig=" in json.dumps(r)' | sort -u)" "False"
is "the signed file" "$(sha256sum <"$O/redir" | cut -c1-64)" "$(want redir)"
is "no temporary files left" "$(ls -A "$O" | grep -c '^\.job-fetch')" 0

# a connection cut mid-body: the retry asks for the rest
: >"$REQLOG"
job cut >"$TMP/in"; run job-fetch --api "$U" --token-file "$TMP/tok" -o "$O" <"$TMP/in"
is "cut: exit 0" "$RC" 0
is "cut: whole file" "$(sha256sum <"$O/cut" | cut -c1-64)" "$(want cut 4000)"
is "cut: resumed with Range" "$(reqs 'r["headers"].get("range", "-")')" "-
bytes=36000-"
like "cut: retry warned" "$ERR" 'warning: stdin:1: .*retry 1 of 3'

# --name, --skip-existing
job abc >"$TMP/in"; run job-fetch --api "$U" --token-file "$TMP/tok" -o "$O" --name '{body.event}-{body.id}.txt' <"$TMP/in"
is "--name" "$(recs 'r["fetch"]["path"]')" "$O/job_complete-abc.txt"
: >"$REQLOG"
job abc >"$TMP/in"; run job-fetch --api "$U" --token-file "$TMP/tok" -o "$O" --name '{body.event}-{body.id}.txt' --skip-existing <"$TMP/in"
is "--skip-existing: nothing fetched" "$(wc -l <"$REQLOG" | tr -d ' ')" 0
is "--skip-existing: said so" "$(recs 'r["fetch"]["skipped"]')" "True"
job named >"$TMP/in"; run job-fetch --api "$U" --token-file "$TMP/tok" -o "$O" --skip-existing <"$TMP/in"
is "--skip-existing with the server's name" "$(recs 'r["fetch"]["path"], r["fetch"]["skipped"]')" "('$O/report 1.csv', True)"

# --url: the signed output-url the platform hands out (GET
# /v1/jobs/ID/output-url, api-py's get_job_output_download_url), no token
printf 'Authorization: Bearer jobtoken\n' >"$TMP/auth"
printf '{"asset":"a1"}\n' | wh-send -X GET -u "$U/v1/jobs/{asset}/output-url" \
    --header-file "$TMP/auth" >"$TMP/in"
run job-fetch --url '{http.body.url}' --id '{asset}' -o "$O" <"$TMP/in"
is "--url: exit 0" "$RC" 0
is "--url: named after --id" "$(recs 'r["fetch"]["path"]')" "$O/a1"
is "--url: the signed file" "$(sha256sum <"$O/a1" | cut -c1-64)" "$(want a1)"
# the storage refuses an unsigned URL as S3 does (403): a refusal, exit 5
printf '{"asset":"a2","u":"http://127.0.0.1:%s/signed/a1"}\n' "$PORT2" >"$TMP/in"
run job-fetch --url '{u}' --id '{asset}' -o "$O" <"$TMP/in"
is "--url unsigned: 403 refused, exit 5" "$RC" 5

# expired and missing jobs are record errors
job expired abc gone >"$TMP/exp.ndjson"
run job-fetch --api "$U" --token-file "$TMP/tok" -o "$O" --errors "$TMP/errs" "$TMP/exp.ndjson"
is "expired: exit 1" "$RC" 1
like "404 says expired or missing" "$ERR" 'exp.ndjson:1: job expired is expired or missing \(HTTP 404'
like "410 too" "$ERR" 'exp.ndjson:3: job gone is expired or missing \(HTTP 410'
is "the good one written" "$(recs 'r["body"]["id"]')" "abc"
is "errors file" "$(recs 'r["body"]["id"]' "$TMP/errs" | tr '\n' ' ')" "expired gone "

# a bad token stops the run
echo wrong >"$TMP/bad"
: >"$REQLOG"
run job-fetch -j 1 --api "$U" --token-file "$TMP/bad" -o "$O" "$TMP/jobs.ndjson"
is "401: exit 5" "$RC" 5
is "401: one request" "$(wc -l <"$REQLOG" | tr -d ' ')" 1

# no headers for longer than --timeout
G=http://127.0.0.1:$PORT
job slow >"$TMP/in"; run job-fetch --timeout 1 --retries 0 --url "$G/slow/3" --id slow -o "$O" <"$TMP/in"
is "stall: exit 6" "$RC" 6
is "stall: no file, no temporary" "$(ls -A "$O" | grep -c -e '^\.job-fetch' -e '^slow$')" 0
# headers and half the body, then nothing (the server holds the
# connection for 120 s): the documented stall timeout cuts it, each try
: >"$REQLOG"
s=$(date +%s)
job half >"$TMP/in"; run job-fetch --timeout 2 --retries 1 --url "$G/stall/200000" --id half -o "$O" <"$TMP/in"
e=$(date +%s)
is "stall mid-body: exit 6" "$RC" 6
is "stall mid-body: tried twice" "$(wc -l <"$REQLOG" | tr -d ' ')" 2
ok "stall mid-body: cut by --timeout, not the server (took $((e - s)) s)" test $((e - s)) -lt 30
like "stall mid-body: said" "$ERR" 'stdin:1: .*(timeout|timed out|stall)'
is "stall mid-body: no file, no temporary" "$(ls -A "$O" | grep -c -e '^\.job-fetch' -e '^half$')" 0
job slow >"$TMP/in"; run job-fetch --timeout 5 --api "$U" --token-file "$TMP/tok" -o "$O" <"$TMP/in"
is "slow but moving: exit 0" "$RC" 0
is "slow: whole file" "$(sha256sum <"$O/slow" | cut -c1-64)" "$(want slow 4000)"

# -n, usage, config, -e
: >"$REQLOG"
job abc >"$TMP/in"; run job-fetch -n --api "$U" --token-file "$TMP/tok" -o "$O" <"$TMP/in"
is "-n: nothing fetched" "$(wc -l <"$REQLOG" | tr -d ' ')" 0
like "-n: token masked" "$OUT" 'Authorization: \*\*\*'
run job-fetch --api "$U" </dev/null
is "no -o: exit 2" "$RC" 2
run job-fetch -o "$O" </dev/null
is "no --api or --url: exit 2" "$RC" 2
run job-fetch --api "$U" -o "$TMP/nodir" </dev/null
is "missing directory: exit 3" "$RC" 3
run job-fetch -e --api "$U" --token-file "$TMP/tok" -o "$O" "$TMP/exp.ndjson"
is "-e: exit 4" "$RC" 4
DEAD=$(free_port)
job abc >"$TMP/in"; run job-fetch --retries 1 --api "http://127.0.0.1:$DEAD" -o "$O" <"$TMP/in"
is "server down: exit 6" "$RC" 6
echo '{"x":1}' >"$TMP/in"; run job-fetch --api "$U" -o "$O" <"$TMP/in"
like "missing id: clear message" "$ERR" "stdin:1: template '\{body.id\}': no field body.id"
done_testing
