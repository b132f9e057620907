#!/bin/sh
# Owner and persist, as kernel.h describes them; and the path without them (probe forced off).
. tests/netns/lib.sh

"$FGNL" hold sample 30 >"$TMPDIR_NS/hold.out" &
holder=$!
wait_table present || fail "holder did not create the table"
"$FGNL" status | grep -q 'flags owner,persist (owner: netlink portid' &&
	ok "held table: owner,persist" || fail "status: $("$FGNL" status)"
nft add rule inet flowguard input accept 2>/dev/null && fail "foreign rule added to an owned table"
out=$("$FGNL" apply sample-dyn) && fail "apply into an owned table succeeded"
# The holder calls itself flowguard (as an agent would): apply names it and says to reload it.
case "$out" in *"held by the running flowguard agent (pid $holder)"*"systemctl reload flowguard"*)
	ok "apply refused, the agent named: ${out%%;*}" ;;
*) fail "apply error: $out" ;; esac
kill "$holder"
wait "$holder" 2>/dev/null
nft list table inet flowguard >/dev/null 2>&1 && ok "persist: table survives its owner" ||
	fail "persist: table gone with its owner"
"$FGNL" status | grep -q 'flags persist$' && ok "orphan: flags persist, no owner" ||
	fail "orphan status: $("$FGNL" status)"
nft add rule inet flowguard output counter || fail "orphan not writable by others"
"$FGNL" apply sample >/dev/null && "$FGNL" audit sample >/dev/null && ok "one-shot apply repairs the orphan" ||
	fail "apply on orphan"
"$FGNL" status | grep -q 'flags persist$' && ok "apply left it an orphan (no needless adoption)" ||
	fail "after apply: $("$FGNL" status)"
g1=$(genid)
"$FGNL" hold sample 30 >/dev/null &
holder=$!
wait_until status_says 'owner,persist'
g2=$(genid)
"$FGNL" status | grep -q 'owner,persist' && ok "daemon adopts the orphan in place (genid $g1 -> $g2)" ||
	fail "not adopted"
kill "$holder"
wait "$holder" 2>/dev/null

nft delete table inet flowguard
FGNL_NO_PERSIST=1 "$FGNL" hold sample 30 >/dev/null &
holder=$!
wait_table present || fail "owner-only holder"
kill "$holder"
wait "$holder" 2>/dev/null
wait_table absent && ok "owner without persist: table dies with its owner" || fail "owner-only table survived"

FLOWGUARD_FORCE_NO_OWNER=1 "$FGNL" apply sample >/dev/null || fail "apply without owner"
FLOWGUARD_FORCE_NO_OWNER=1 "$FGNL" status | grep -q 'owner no, persist no' &&
	ok "forced off: probe reports no owner/persist" || fail "forced status"
"$FGNL" status | grep -q 'flags none' && ok "forced off: table has no flags" || fail "flags: $("$FGNL" status)"
nft add rule inet flowguard output counter && "$FGNL" apply sample >/dev/null &&
	"$FGNL" audit sample >/dev/null && ok "forced off: foreign change repaired by apply" ||
	fail "forced off: repair"
finish
