#!/bin/sh
# Our bytecode is what nft generates: apply in namespace A, "nft -f" of the printed plan in
# namespace B, and "nft list table inet flowguard" must read the same.
. tests/netns/lib.sh

compare() { # name, plan file, apply command...
	name=$1 plan=$2
	shift 2
	a=$(unshare -n sh -c ". tests/netns/lib.sh; $* >/dev/null && listing") || {
		fail "$name: apply failed: $a"
		return
	}
	b=$(unshare -n sh -c ". tests/netns/lib.sh; nft -f '$plan' && listing") || {
		fail "$name: nft -f failed: $b"
		return
	}
	if [ "$a" = "$b" ]; then
		ok "$name: nft list identical ($(printf '%s\n' "$a" | wc -l) lines)"
	else
		fail "$name: nft list differs"
		printf '%s\n' "$a" >"$TMPD/a.txt"
		printf '%s\n' "$b" >"$TMPD/b.txt"
		diff -u "$TMPD/b.txt" "$TMPD/a.txt" | head -40 >&2
	fi
}

TMPD=$(mktemp -d)
for src in sample sample-dyn; do
	"$FGNL" print $src >"$TMPD/$src.nft"
	compare "$src" "$TMPD/$src.nft" "$FGNL apply $src"
	compare "$src (no owner)" "$TMPD/$src.nft" "FLOWGUARD_FORCE_NO_OWNER=1 $FGNL apply $src"
done
# Every config the compiler accepts, through the real CLI: "flowguard apply" in one
# namespace, "flowguard plan | nft -f" in the other (issue 3's acceptance).
FG="./flowguard --catalog $FG_CATALOG"
for cfg in policies/examples/*.yaml tests/fixtures/good/*.yaml tests/fixtures/good/*/flowguard.yaml; do
	[ -f "$cfg" ] || continue
	$FG plan --no-resolve -c "$cfg" >"$TMPD/plan.nft" 2>"$TMPD/plan.err" ||
		{ fail "$cfg: plan failed: $(cat "$TMPD/plan.err")"; continue; }
	compare "$cfg" "$TMPD/plan.nft" "$FG apply -c $cfg"
done
# The detection fixtures' plans (facts from fake host trees) too.
for dir in tests/detect/*/; do
	[ -f "$dir/plan.nft" ] || continue
	cfg=tests/detect/auto.yaml
	[ -f "$dir/flowguard.yaml" ] && cfg=$dir/flowguard.yaml
	compare "$dir" "$dir/plan.nft" "$FG apply -c $cfg --root $dir/root"
done
rm -rf "$TMPD"
finish
