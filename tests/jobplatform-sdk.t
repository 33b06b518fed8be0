#!/bin/sh
# the job platform's fake (tests/fake/jobplatform.py) answers its own
# client library, voxel51/api-py (vendored in tests/oracle/voxel51-api-py),
# as the library expects: the fake and the library agree, so the examples
# written against the fake speak the platform's API
. tests/lib.sh
. tests/fake/start.sh
plan 17
if ! python3 -c 'import requests, dateutil, six' 2>/dev/null; then
	skip_rest "python3 lacks requests, dateutil or six"; done_testing; exit 0
fi
start_fake
seed_jobs j-1 gone expired
python3 tests/jobplatform-sdk.py "$API" >"$TMP/sdk" 2>"$TMP/sdk.err"
while IFS= read -r l; do
	case $l in
	"ok "*) pass "api-py: ${l#ok }" ;;
	"not ok "*) fail "api-py: ${l#not ok }" ;;
	esac
done <"$TMP/sdk"
[ -s "$TMP/sdk.err" ] && sed 's/^/# /' "$TMP/sdk.err"
done_testing
