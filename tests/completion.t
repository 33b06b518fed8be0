#!/bin/sh
# bash completion (scripts/gen-completion, built by make): loaded by a real
# bash, it completes each tool's options; every option it offers is one
# the tool accepts (getopt's own answer), and every long option of each
# man page's SYNOPSIS is offered (the usage string and the page agree)
. tests/lib.sh
C=$HP_BUILD/completion/hookpipe
TOOLS=$(ls "$HP_BUILD/bin")
plan 7
command -v bash >/dev/null || { skip_rest "bash is not installed"; exit 0; }

ok "the completion script is bash" bash -n "$C"
# comp TOOL WORD...: what bash completes for the last WORD
comp() {
	bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
	    _hookpipe "$1"; printf "%s\n" "${COMPREPLY[@]}"' sh "$C" "$@" |
	    sort | tr '\n' ' ' | sed 's/ $//'
}
is "wh-route --st completes" "$(comp wh-route --st)" "--state --strict"
mkdir "$TMP/d" && : >"$TMP/d/rules.yaml"
is "an option's file argument completes to files" \
    "$(cd "$TMP/d" && comp wh-route -c ru)" "rules.yaml"
is "every tool has an entry" "$(for t in $TOOLS; do
    [ -n "$(comp "$t" -)" ] || echo "$t"; done)" ""

# what the script offers per tool, as "tool opt" lines
bash -c '. "$1"; for t in $2; do COMP_WORDS=("$t" -); COMP_CWORD=1
    _hookpipe "$t"; for o in "${COMPREPLY[@]}"; do echo "$t $o"; done
    done' sh "$C" "$TOOLS" >"$TMP/offered"
# accepted TOOL OPT: getopt takes OPT.  Given alone, an option that
# wants an argument says so; a flag followed by an unknown option draws
# getopt's refusal of that one only.  No tool runs further than getopt.
bad=""
while read -r t o; do
	e=$(cd "$TMP" && timeout 5 "$t" "$o" --zz-unknown </dev/null 2>&1 >/dev/null)
	rc=$?
	case $rc:$e in
	*"unrecognized option '--zz-unknown'"*) continue ;;
	0:*) continue ;;	# -h, -V: done before the unknown one
	esac
	e=$(cd "$TMP" && timeout 5 "$t" "$o" </dev/null 2>&1 >/dev/null)
	case $e in
	*"requires an argument"*) continue ;;
	esac
	bad="$bad $t:$o"
done <"$TMP/offered"
is "every option offered is one getopt takes" "$bad" ""
like "options offered in all" "$(wc -l <"$TMP/offered")" '^ *[2-9][0-9][0-9]$'

# each page's SYNOPSIS long options are offered (the usage names them)
miss=""
for t in $TOOLS; do
	[ -f "man/$t.1" ] || { miss="$miss $t:no-page"; continue; }
	for o in $(sed -n '/^\.Sh SYNOPSIS/,/^\.Sh/p' "man/$t.1" |
	    sed 's/\\-/-/g' | grep -o 'Fl -[a-z][a-z0-9-]*' | sed 's/^Fl -/--/' |
	    sort -u); do
		grep -qx "$t $o" "$TMP/offered" || miss="$miss $t:$o"
	done
done
is "every long option of each SYNOPSIS is offered" "$miss" ""
done_testing
