#!/bin/sh
# wh-listen --trusted-proxy, --proxy-header, --allow (and -c's allow):
# the client's address behind proxies, and who may deliver at all
. tests/lib.sh
plan 27
. tests/data/wh-listen/common.sh

rec() { sed -n "${1}p" "$TMP/rec" | jq -c "$2"; }

# no --trusted-proxy: the headers are the client's word, ignored
listen --path /h
post /h -H 'X-Forwarded-For: 203.0.113.7' -d '{}' >/dev/null
stop
is "untrusted: remote_addr is the peer" "$(rec 1 .remote_addr)" '"127.0.0.1"'
is "untrusted: no peer_addr" "$(rec 1 .peer_addr)" null

# the peer a trusted proxy, and 10/8 inside: the right-most untrusted hop
listen --path /h --trusted-proxy 127.0.0.1 --trusted-proxy 10.0.0.0/8
post /h -H 'X-Forwarded-For: 1.1.1.1, 203.0.113.7, 10.1.1.1' -d '{}' >/dev/null
post /h -H 'X-Forwarded-For: 203.0.113.8' -H 'X-Forwarded-For: 10.0.0.9' -d '{}' >/dev/null
post /h -d '{}' >/dev/null
post /h -H 'Forwarded: for=198.51.100.1' -d '{}' >/dev/null
post /h -H 'X-Forwarded-For: nonsense, 10.0.0.9' -d '{}' >/dev/null
stop
is "trusted: right-most untrusted hop, the forged left one passed over" "$(rec 1 .remote_addr)" '"203.0.113.7"'
is "trusted: the peer kept as peer_addr" "$(rec 1 .peer_addr)" '"127.0.0.1"'
is "trusted: header lines joined in order" "$(rec 2 .remote_addr)" '"203.0.113.8"'
is "trusted: no header: the peer" "$(rec 3 .remote_addr)" '"127.0.0.1"'
is "trusted: Forwarded ignored without --proxy-header forwarded" "$(rec 4 .remote_addr)" '"127.0.0.1"'
is "trusted: a hop that is no address: the proxy that reported it" "$(rec 5 .remote_addr)" '"10.0.0.9"'
is "trusted: the headers kept in the record" "$(rec 1 '.headers["x-forwarded-for"]')" '"1.1.1.1, 203.0.113.7, 10.1.1.1"'

# RFC 7239 Forwarded, IPv6 in quotes with a port
listen --path /h --trusted-proxy 127.0.0.0/8 --proxy-header forwarded
post /h -H 'Forwarded: for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https' -d '{}' >/dev/null
post /h -H 'X-Forwarded-For: 203.0.113.7' -d '{}' >/dev/null
stop
is "Forwarded: IPv6 with a port" "$(rec 1 .remote_addr)" '"2001:db8:cafe::17"'
is "Forwarded: X-Forwarded-For then ignored" "$(rec 2 .remote_addr)" '"127.0.0.1"'

# --allow: GitHub's hooks ranges (tests/data/wh-listen/github-meta.json)
GH=$(jq -r '.hooks[]' "$DATA/wh-listen/github-meta.json" | sed 's/^/--allow /')
# shellcheck disable=SC2086
listen --path /h --trusted-proxy 127.0.0.1 $GH
is "allow: GitHub's IPv4 range" "$(post /h -H 'X-Forwarded-For: 192.30.252.10' -d '{"n":1}')" 200
is "allow: GitHub's IPv6 range" "$(post /h -H 'X-Forwarded-For: 2a0a:a440::5' -d '{"n":2}')" 200
is "allow: another address 403" "$(post /h -H 'X-Forwarded-For: 203.0.113.7' -d '{"n":3}')" 403
is "allow: the answer says why" "$(cat "$TMP/resp")" "forbidden: address not allowed"
is "allow: the proxy itself is not a sender" "$(post /h -d '{"n":4}')" 403
is "allow: 404 still first for other paths" "$(post /other -d '{}')" 404
stop
is "allow: only the allowed recorded" "$(jq -c .body.n "$TMP/rec" | tr '\n' ' ')" "1 2 "
like "allow: the refusal on stderr with the client's address" "$(cat "$TMP/log")" "POST /h from 203.0.113.7: 403 address not in --allow"

# without a trusted proxy a forged header does not get past --allow
listen --path /h --allow 10.0.0.0/8
is "allow, untrusted: forged X-Forwarded-For refused" "$(post /h -H 'X-Forwarded-For: 10.0.0.1' -d '{}')" 403
stop

# -c: a path's allow replaces the command line's
cat > "$TMP/c.yaml" <<Y
paths:
  /gh:
    allow: [192.30.252.0/22, 2a0a:a440::/29]
  /stripe:
    allow: 127.0.0.1
  /open:
Y
listen -c "$TMP/c.yaml" --allow 127.0.0.0/8
is "-c allow: a path's own ranges" "$(post /gh -d '{}')" 403
is "-c allow: a single range" "$(post /stripe -d '{}')" 200
is "-c allow: a path without: --allow's" "$(post /open -d '{}')" 200
stop

# bad ranges: exit 2 on the command line, 3 in the file
run wh-listen -p "$PORT" --allow 10.1.2.3/8
is "--allow with host bits: exit 2" "$RC" 2
like "--allow with host bits: said" "$ERR" "bits set past the /8"
printf 'paths:\n  /a:\n    allow: [example.com]\n' > "$TMP/bad.yaml"
run wh-listen -p "$PORT" -c "$TMP/bad.yaml"
is "allow: a name in -c: exit 3" "$RC.$(echo "$ERR" | grep -c 'bad.yaml:3: /a: allow: bad address range')" 3.1
run wh-listen -p "$PORT" --proxy-header via
is "--proxy-header via: exit 2" "$RC" 2
done_testing
