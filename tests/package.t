#!/bin/sh
# the Debian package: dpkg-buildpackage -b on a copy of the tree builds a
# .deb; lintian finds nothing at warning level or above; unpacked in a
# scratch root (dpkg -x) its tools run and its pages and completion are
# where man and bash-completion look
. tests/lib.sh
plan 9
for c in dpkg-buildpackage dh lintian dpkg-deb man; do
	command -v $c >/dev/null || { skip_rest "$c is missing (sh scripts/deps installs it)"; exit 0; }
done
# the tree as git knows it (what a clone has), without what was built
mkdir "$TMP/src" "$TMP/src/hookpipe" "$TMP/root"
(cd "$HP_TOP" && { git ls-files -co --exclude-standard 2>/dev/null ||
    find . -path ./build -prune -o -path ./build-san -prune -o -type f -print; } |
    grep -v '^tests/oracle/node_modules/' | grep -v '^build' |
    tar -cf - -T -) | tar -xf - -C "$TMP/src/hookpipe"
(cd "$TMP/src/hookpipe" && dpkg-buildpackage -b -us -uc -j2) \
    >"$TMP/build.log" 2>&1
is "dpkg-buildpackage -b -us -uc: exit 0" "$?" 0 || tail -n 20 "$TMP/build.log" | sed 's/^/#   /'
deb=$(ls "$TMP/src"/hookpipe_*_*.deb 2>/dev/null | head -n 1)
ok "a .deb is built" test -s "$deb"
lintian --fail-on warning --display-level '>=warning' --allow-root \
    "$TMP/src"/hookpipe_*.changes >"$TMP/lintian" 2>&1
is "lintian: clean at warning level" "$?:$(grep -v '^N:' "$TMP/lintian")" "0:"
dpkg -x "$deb" "$TMP/root"
R=$TMP/root/usr
run "$R/bin/wh-route" -V
like "wh-route -V from the package" "$OUT$ERR" '^wh-route \(hookpipe\) 0\.'
is "every tool is in it" "$(ls "$R/bin" | tr '\n' ' ')" \
    "$(ls "$HP_BUILD/bin" | tr '\n' ' ')"
ok "man -l renders its wh-route(1)" sh -c \
    "man -l '$R/share/man/man1/wh-route.1.gz' 2>&1 | grep -q 'route'"
ok "its hookpipe(7) too" test -s "$R/share/man/man7/hookpipe.7.gz"
is "bash completion for every tool" \
    "$(ls "$R/share/bash-completion/completions" | tr '\n' ' ')" \
    "$(ls "$HP_BUILD/bin" | tr '\n' ' ')"
echo '{"a":1}' | "$R/bin/wh-route" -w a=1 >"$TMP/out" 2>&1
is "its wh-route routes" "$(cat "$TMP/out")" '{"a":1}'
done_testing
