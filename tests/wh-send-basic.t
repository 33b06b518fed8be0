#!/bin/sh
# wh-send: requests made, records written, exit codes
. tests/lib.sh
plan 41
. tests/fake/start.sh
start_fake
U=http://127.0.0.1:$PORT

run wh-send -u "$U/hook/{id}" -H 'X-Event: {event}' <"$DATA/http/records.ndjson"
is "all sent: exit 0" "$RC" 0
# -j 4: requests may arrive in any order, so they are compared sorted
is "three requests" "$(reqs 'r["method"] + " " + r["path"]' | sort)" "POST /hook/1
POST /hook/2
POST /hook/3"
is "header templates" "$(reqs 'r["path"] + " " + r["headers"]["x-event"]' | sort | cut -d ' ' -f 2)" "job_complete
job_complete
job_failed"
is "body is the record" "$(reqs 'r["body"] if r["path"] == "/hook/1" else ""' | grep .)" \
    '{"id":1,"event":"job_complete","who":"ann"}'
is "content type" "$(reqs 'r["headers"]["content-type"]' | sort -u)" \
    "application/json"
like "user agent names the tool" "$(reqs 'r["headers"]["user-agent"]' | head -n 1)" '^wh-send/[0-9.]+ \(hookpipe\)$'
is "output adds http" "$(recs 'r["id"], r["http"]["status"], r["http"]["body"]["ok"]')" "(1, 200, True)
(2, 200, True)
(3, 200, True)"

# order kept with -j while answers come back out of order
: >"$REQLOG"
printf '{"s":"0.6"}\n{"s":"0.1"}\n{"s":"0.3"}\n{"s":"0"}\n' >"$TMP/slow.ndjson"
run wh-send -j 4 -X GET -u "$U/slow/{s}" "$TMP/slow.ndjson"
is "-j keeps input order" "$(recs 'r["s"]')" "0.6
0.1
0.3
0"
is "GET has no body" "$(reqs 'r["method"] + r["body"]' | sort -u)" "GET"

# JSON template body and -d (-j 1: the first request is the first record)
: >"$REQLOG"
run wh-send -j 1 -u "$U/b" --body-file "$DATA/http/body.json" <"$DATA/http/records.ndjson"
is "--body-file keeps types" "$(reqs 'r["body"]' | head -n 1)" \
    '{"job":1,"n":1,"text":"job_complete by ann","fixed":true}'
: >"$REQLOG"
run wh-send -j 1 -u "$U/b" -X PUT -H 'Content-Type: text/plain' -d 'hi {who|upper}' <"$DATA/http/records.ndjson"
is "-d text body, -X PUT" "$(reqs 'r["method"] + " " + r["body"] + " " + r["headers"]["content-type"]' | head -n 1)" "PUT hi ANN text/plain"

# secret headers from a file; -n masks them
: >"$REQLOG"
run wh-send -u "$U/iconik" --header-file "$DATA/http/headers.txt" <"$DATA/http/records.ndjson"
is "header file sent" "$(reqs 'r["headers"]["auth-token"] + " " + r["headers"]["app-id"]' | head -n 1)" "s3cr3t-token app-123"
: >"$REQLOG"
run wh-send -n -u "$U/iconik" --header-file "$DATA/http/headers.txt" <"$DATA/http/records.ndjson"
is "-n: exit 0" "$RC" 0
is "-n: nothing sent" "$(wc -l <"$REQLOG" | tr -d ' ')" 0
is "-n: request described" "$(recs 'r["request"]["method"] + " " + r["request"]["url"]' | head -n 1)" "POST $U/iconik"
like "-n: secret masked" "$OUT" 'Auth-Token: \*\*\*'
case "$OUT$ERR" in *s3cr3t*) fail "-n: secret not printed";; *) pass "-n: secret not printed";; esac

# exit 1: a bad record and a refused one; the others go through
printf '{"id":200}\nnot json\n{"id":400}\n{"nope":1}\n{"id":201}\n' >"$TMP/mixed.ndjson"
run wh-send --errors "$TMP/errors.ndjson" -u "$U/status/{id|default:200}" "$TMP/mixed.ndjson"
is "partial: exit 1" "$RC" 1
like "bad JSON reported with its line" "$ERR" 'wh-send: .*mixed.ndjson:2: invalid JSON'
like "4xx reported" "$ERR" ':3: HTTP 400 from http://127.0.0.1:[0-9]+/status/400: status 400'
is "errors file has the failed records" "$(recs 'r["error"]["line"]' "$TMP/errors.ndjson")" "2
3"
is "good records out" "$(recs 'r.get("id")')" "200
None
201"

# template error is a record error with a clear message
run wh-send -u "$U/x/{missing}" <"$DATA/http/records.ndjson"
like "template error" "$ERR" "stdin:1: template '.*/x/\{missing\}': no field missing"
is "template error: exit 1" "$RC" 1

# exit 2: usage
run wh-send -u 'ftp://127.0.0.1/x' </dev/null
is "bad URL: exit 2" "$RC" 2
like "bad URL message" "$ERR" "bad URL 'ftp://127.0.0.1/x': not http or https"
run wh-send -u "$U/x/{a" </dev/null
is "bad template: exit 2" "$RC" 2
run wh-send -u "http://[bad/{id}" <"$DATA/http/records.ndjson"
like "bad rendered URL is a record error" "$ERR" "stdin:1: bad URL"
run wh-send </dev/null
is "no -u: exit 2" "$RC" 2

# exit 3: missing header file
run wh-send -u "$U/x" --header-file "$TMP/nope" </dev/null
is "missing header file: exit 3" "$RC" 3
HOOKPIPE_BACKOFF=soon run wh-send -u "$U/x" </dev/null
is "bad HOOKPIPE_BACKOFF: exit 3" "$RC" 3
like "bad HOOKPIPE_BACKOFF: says why" "$ERR" "bad HOOKPIPE_BACKOFF 'soon': a number from 0 to 60000"

# exit 4: -e stops at the first bad record
: >"$REQLOG"
run wh-send -e -u "$U/x" "$TMP/mixed.ndjson"
is "-e: exit 4" "$RC" 4

# exit 5: 401 stops the run
: >"$REQLOG"
seq 1 20 | sed 's/.*/{"n":&}/' >"$TMP/many.ndjson"
run wh-send -j 1 -u "$U/status/401" "$TMP/many.ndjson"
is "401: exit 5" "$RC" 5
is "401: stopped early" "$(wc -l <"$REQLOG" | tr -d ' ')" 1
like "401: the rest reported as not sent" "$ERR" 'many.ndjson:2: cannot send to .*: not sent: the run was stopped'


# exit 6: the server is down
DEAD=$(free_port)
run wh-send --retries 1 -u "http://127.0.0.1:$DEAD/x" <"$DATA/http/records.ndjson"
is "connection refused: exit 6" "$RC" 6
like "retry warned" "$ERR" 'stdin:1: .*retry 1 of 1'
like "failure reported" "$ERR" "stdin:1: cannot send to http://127.0.0.1:$DEAD/x"

# --accept
run wh-send --accept 2xx,404 -u "$U/status/404" <"$DATA/http/records.ndjson"
is "--accept 404: exit 0" "$RC" 0
is "--accept: body kept as text" "$(recs 'r["http"]["body"]' | head -n 1)" "status 404"
done_testing
