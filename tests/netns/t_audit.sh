#!/bin/sh
# audit: 0 when equal, 1 with a diff naming the drift; DNS-fed sets' elements are ignored.
. tests/netns/lib.sh

"$FGNL" apply sample >/dev/null
"$FGNL" audit sample >/dev/null && ok "clean after apply" || fail "not clean"
nft add element inet flowguard dns_v4 '{ 203.0.113.5 timeout 1m }'
"$FGNL" audit sample >/dev/null && ok "dynamic set elements ignored" || fail "dynamic elements"
nft add rule inet flowguard input tcp dport 22 accept
nft delete element inet flowguard ranges_v4 '{ 192.0.2.1 }'
out=$("$FGNL" audit sample)
rc=$?
[ $rc = 1 ] && ok "drift: exit 1" || fail "drift: rc $rc"
printf '%s\n' "$out" | grep -q '^+		tcp dport 22 accept$' && ok "diff shows the added rule" ||
	fail "added rule not shown: $out"
printf '%s\n' "$out" | grep -q '^-.*192.0.2.1 comment "one host"' && ok "diff shows the deleted element" ||
	fail "deleted element not shown: $out"
nft delete table inet flowguard
out=$("$FGNL" audit sample)
[ $? = 1 ] && ok "missing table: $out" || fail "missing table"
finish
