#!/bin/sh
# Re-applying an unchanged ruleset sends nothing: the generation id does not move.
. tests/netns/lib.sh

for src in sample sample-dyn; do
	"$FGNL" apply $src >/dev/null || fail "$src: first apply"
	g1=$(genid)
	out=$("$FGNL" apply $src) || fail "$src: second apply"
	g2=$(genid)
	case "$out" in *unchanged*) ok "$src: second apply says unchanged" ;;
	*) fail "$src: second apply: $out" ;; esac
	[ "$g1" = "$g2" ] && ok "$src: genid unchanged ($g1)" || fail "$src: genid $g1 -> $g2"
	"$FGNL" audit $src >/dev/null && ok "$src: audit clean" || fail "$src: audit after apply"
done
# A change on top is applied in place: the sample-dyn -> sample step empties dynamic sets.
"$FGNL" apply sample >/dev/null || fail "sample after sample-dyn"
"$FGNL" audit sample >/dev/null && ok "sample-dyn -> sample applied" || fail "audit after change"
finish
