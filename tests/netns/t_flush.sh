#!/bin/sh
# Someone else's "nft flush ruleset" / "nft delete table": refused while an agent owns the
# table; otherwise the next apply puts it back.
. tests/netns/lib.sh

"$FGNL" hold sample 30 >/dev/null &
holder=$!
wait_table present || fail "holder did not create the table"
nft flush ruleset 2>/dev/null
nft delete table inet flowguard 2>/dev/null && fail "delete of an owned table succeeded"
nft list table inet flowguard >/dev/null 2>&1 && ok "flush ruleset / delete table refused while owned" ||
	fail "owned table was removed"
kill "$holder"
wait "$holder" 2>/dev/null

for mode in persist-orphan no-owner; do
	if [ $mode = no-owner ]; then
		FLOWGUARD_FORCE_NO_OWNER=1 "$FGNL" apply sample >/dev/null || fail "$mode: apply"
	fi
	nft flush ruleset || fail "$mode: flush ruleset refused"
	nft list table inet flowguard >/dev/null 2>&1 && fail "$mode: table survived the flush"
	"$FGNL" apply sample >/dev/null || fail "$mode: apply after flush"
	"$FGNL" audit sample >/dev/null && ok "$mode: recovered by the next apply after flush" ||
		fail "$mode: not recovered"
	nft delete table inet flowguard || fail "$mode: delete table"
	"$FGNL" apply sample >/dev/null && "$FGNL" audit sample >/dev/null &&
		ok "$mode: recovered after delete table" || fail "$mode: not recovered after delete"
done
finish
