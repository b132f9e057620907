#!/bin/sh
# disable: removes an un-owned or orphaned table; stops a flowguard owner first.
. tests/netns/lib.sh

"$FGNL" disable | grep -q 'no table' && ok "disable without a table is a no-op" || fail "disable (none)"
FLOWGUARD_FORCE_NO_OWNER=1 "$FGNL" apply sample >/dev/null
"$FGNL" disable >/dev/null && wait_table absent && ok "un-owned table removed" || fail "un-owned"
"$FGNL" apply sample >/dev/null
"$FGNL" disable >/dev/null && wait_table absent && ok "orphaned persist table removed" || fail "orphan"
"$FGNL" hold sample 30 >/dev/null &
holder=$!
wait_table present
out=$("$FGNL" disable)
wait_table absent && ok "owned table: $(echo "$out" | head -1)" || fail "owned: $out"
kill -0 "$holder" 2>/dev/null && fail "owner still running"
wait "$holder" 2>/dev/null
finish
