#!/bin/sh
# Saving the ruleset: "nft list ruleset" with flowguard's persist table in it does not load
# back on nft 1.0.6 (a bare "flags" line); the README's save-without-flowguard block saves
# every other table, and what it saves loads (into an empty ruleset, and beside the table).
. tests/netns/lib.sh

ip link set lo up
nft -f - <<'NFT' || fail "the site's own tables"
table inet filter {
	set admins { type ipv4_addr; flags interval; elements = { 192.0.2.0/24 } }
	chain input { type filter hook input priority 0; policy accept; ip saddr @admins tcp dport 22 accept; }
}
table ip nat {
	chain post { type nat hook postrouting priority 100; policy accept; oifname "eth9" masquerade; }
}
NFT
./flowguard apply -c policies/examples/demo.yaml --catalog "$FG_CATALOG" >/dev/null 2>&1 ||
	fail "apply of the demo policy"
persist=0
"$FGNL" status | grep -q 'flags persist' && persist=1
nft list ruleset >"$TMPDIR_NS/full.nft"
if [ $persist = 1 ]; then
	unshare -n nft -c -f "$TMPDIR_NS/full.nft" 2>/dev/null &&
		fail "nft 1.0.6 reads a saved persist table back (the README says it cannot)" ||
		ok "plain 'nft list ruleset' with the persist table does not load back"
fi
# The README's block, as written there (it writes /etc/nftables.conf: point it here).
sed -n '/^# save-without-flowguard/,/^```$/p' README.md | sed '$d' |
	sed "s|/etc/nftables.conf|$TMPDIR_NS/saved.nft|" >"$TMPDIR_NS/save.sh"
[ -s "$TMPDIR_NS/save.sh" ] || fail "no save-without-flowguard block in README.md"
sh "$TMPDIR_NS/save.sh" || fail "the save block failed"
grep -q 'table inet flowguard' "$TMPDIR_NS/saved.nft" && fail "flowguard's table was saved" ||
	ok "saved without flowguard's table"
grep -q 'table inet filter' "$TMPDIR_NS/saved.nft" && grep -q 'table ip nat' "$TMPDIR_NS/saved.nft" &&
	ok "the other tables are saved" || fail "saved: $(cat "$TMPDIR_NS/saved.nft")"
# It loads beside the table (the flush takes the un-owned table too, as at boot) ...
nft -f "$TMPDIR_NS/saved.nft" && ok "the saved ruleset loads" || fail "nft -f of the saved ruleset"
nft list table inet filter | grep -q 'tcp dport 22 accept' && nft list table ip nat >/dev/null &&
	ok "tables back as saved" || fail "after load: $(nft list ruleset)"
# ... and into a namespace that never saw flowguard.
unshare -n nft -c -f "$TMPDIR_NS/saved.nft" && ok "the saved ruleset loads into an empty ruleset" ||
	fail "nft -c in an empty namespace"
finish
