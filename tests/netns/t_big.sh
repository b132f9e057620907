#!/bin/sh
# A 100,000-element set in one batch (split across NEWSETELEM messages), then a diff of
# 1,000 removals and 1,000 additions, with and without DESTROYSETELEM.
. tests/netns/lib.sh

count() {
	nft list set inet flowguard big_v4 | tr ',' '\n' | grep -c '10\.'
}

for destroy in yes no; do
	nft delete table inet flowguard 2>/dev/null
	env=""
	[ $destroy = no ] && env="FLOWGUARD_FORCE_NO_DESTROY=1"
	env $env "$FGNL" big 100000 >/dev/null || fail "apply 100000"
	n=$(count)
	[ "$n" = 100000 ] && ok "100000 elements applied" || fail "applied $n elements"
	out=$(env $env "$FGNL" bigdiff 100000 1000) || fail "diff (destroy=$destroy): $out"
	n=$(count)
	[ "$n" = 100000 ] && ok "diff of 1000 (destroy=$destroy): $n elements" || fail "after diff: $n"
	nft list set inet flowguard big_v4 | grep -q '10\.0\.0\.0\b' && fail "10.0.0.0 not removed"
	nft list set inet flowguard big_v4 | grep -q '10\.3\.21\.14\b' && ok "new last element present" ||
		fail "10.3.13.62 missing"
done
finish
