#!/bin/sh
# One refused object aborts the whole batch: the previous table stays, the error names it.
. tests/netns/lib.sh

"$FGNL" apply sample >/dev/null || fail "apply sample"
before=$(listing)
g1=$(genid)
out=$("$FGNL" bad sample-dyn 2>&1) && fail "bad batch was accepted"
g2=$(genid)
case "$out" in
*"set 'xxx"*"(bad.yaml:7:3 (flow too-long-name))"*"kernel rejected it"*) ok "error names the set: $(echo "$out" | cut -c1-60)...$(echo "$out" | sed 's/.*kernel rejected/kernel rejected/')" ;;
*) fail "error text: $out" ;;
esac
[ "$(listing)" = "$before" ] && ok "table untouched" || fail "table changed"
[ "$g1" = "$g2" ] && ok "genid unchanged" || fail "genid moved $g1 -> $g2"
finish
