#!/bin/sh
# One-shot apply does not probe (issue 8): it asks for owner|persist and, on a kernel that
# refuses persist, commits once more without flags. The kernel without persist is this one
# behind faultshim.so (FG_FAULT_NO_PERSIST=1): persist goes out as an unknown flag, which
# the real kernel refuses as a 5.12 .. 6.8 kernel refuses persist. Each refused batch must
# be aborted whole: the table ends up exactly as a normal apply leaves it, without flags,
# with one committed transaction (the generation id moves by one).
. tests/netns/lib.sh
FAULTSHIM=${FAULTSHIM:?run through tests/netns/run.sh}
LOGF=$(mktemp)

# fgnl's arguments, on "a kernel without persist"; the shim's notes go to $LOGF.
nopersist() {
	: >"$LOGF"
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
	LD_PRELOAD=$FAULTSHIM FG_FAULT_NO_PERSIST=1 FG_FAULT_LOG=$LOGF "$FGNL" "$@" 2>&1
}

refusals() {
	grep -c 'persist sent as an unknown flag' "$LOGF"
}

flags() {
	"$FGNL" status | sed -n 's/^table inet flowguard: flags \([a-z,]*\).*/\1/p'
}

# The reference results, on this kernel as it is.
nft flush ruleset
"$FGNL" apply sample-dyn >/dev/null || fail "apply sample-dyn"
want_dyn=$(listing)
nft flush ruleset
out=$("$FGNL" apply sample) || fail "apply sample: $out"
want=$(listing)
[ "$(flags)" = persist ] && ok "persist kernel: apply set owner,persist (an orphan once it exits)" ||
	fail "flags with persist: $(flags)"

# The shim itself: the probe (status) sees no persist, but owner.
nopersist status | grep -q 'kernel: owner yes, persist no' &&
	ok "shim: the probe finds owner without persist" || fail "shim probe: $(nopersist status)"

# 1. Into an empty ruleset: refused once, then the whole table without flags.
nft flush ruleset
g1=$(genid)
out=$(nopersist apply sample) || fail "no persist: apply failed: $out"
g2=$(genid)
[ "$(refusals)" = 1 ] && ok "no persist: the kernel refused persist once" ||
	fail "refusals: $(refusals) (shim log: $(cat "$LOGF"))"
[ "$(listing)" = "$want" ] && ok "no persist: the table is complete" || fail "table differs"
"$FGNL" audit sample >/dev/null && ok "no persist: audit matches" || fail "audit"
[ "$(flags)" = none ] && ok "no persist: no flags (owner would die with apply's socket)" ||
	fail "flags: $(flags)"
case "$out" in *"flags none"*) ok "no persist: apply says: $out" ;;
*) fail "apply output: $out" ;; esac
[ $((g2 - g1)) -eq 1 ] && ok "no persist: one committed transaction (genid $g1 -> $g2)" ||
	fail "genid $g1 -> $g2: the refused batch was not aborted whole"

# 2. A change to that unflagged table: refused, then applied in place, nothing half-done.
g1=$(genid)
out=$(nopersist apply sample-dyn) || fail "no persist: change failed: $out"
g2=$(genid)
[ "$(refusals)" = 1 ] && ok "no persist, change: refused once" || fail "refusals: $(refusals)"
[ "$(listing)" = "$want_dyn" ] && ok "no persist, change: the table is the new one, whole" ||
	fail "changed table differs"
[ $((g2 - g1)) -eq 1 ] && ok "no persist, change: one committed transaction" ||
	fail "genid $g1 -> $g2"

# 3. Unchanged: the refused batch is the only one sent; nothing committed.
g1=$(genid)
out=$(nopersist apply sample-dyn) || fail "no persist: re-apply failed: $out"
[ "$(genid)" = "$g1" ] && ok "no persist, unchanged: nothing committed ($out)" ||
	fail "re-apply moved genid: $out"

# 4. Forced off: persist is never asked for, so nothing is refused.
nft flush ruleset
out=$(FLOWGUARD_FORCE_NO_PERSIST=1 nopersist apply sample) || fail "forced: $out"
[ "$(refusals)" = 0 ] && [ "$(flags)" = none ] && [ "$(listing)" = "$want" ] &&
	ok "FLOWGUARD_FORCE_NO_PERSIST: no flags, nothing refused" ||
	fail "forced: refusals $(refusals), flags $(flags)"

# 5. Negative: another refusal is not retried without flags, and leaves no table.
nft flush ruleset
out=$(nopersist bad sample) && fail "a bad set was accepted: $out"
[ "$(refusals)" = 1 ] || fail "bad: refusals $(refusals)"
nft list table inet flowguard >/dev/null 2>&1 && fail "bad: a table was left behind" ||
	ok "no persist + a refused set: no table, error: $(echo "$out" | head -1 | cut -c1-90)"
case "$out" in *"set '"*"kernel rejected it"*) ;; *) fail "bad: error names no set: $out" ;; esac
out=$("$FGNL" bad sample) && fail "persist kernel: a bad set was accepted"
nft list table inet flowguard >/dev/null 2>&1 && fail "bad, persist kernel: a table was left" ||
	ok "persist kernel + a refused set: no table"

# 6. The daemon's path probes: on that kernel it holds the table with owner only, and the
# table goes with it (fgnl hold: probe, then owner plus persist where the probe found it).
nft flush ruleset
: >"$LOGF"
ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
LD_PRELOAD=$FAULTSHIM FG_FAULT_NO_PERSIST=1 FG_FAULT_LOG=$LOGF "$FGNL" hold sample 30 >/dev/null &
holder=$!
wait_until status_says 'flags owner (owner'
"$FGNL" status | grep -q 'flags owner (owner' && ok "no persist, daemon path: owner only" ||
	fail "holder flags: $("$FGNL" status | grep '^table')"
kill "$holder"
wait "$holder" 2>/dev/null
wait_table absent && ok "no persist, daemon path: the table went with its owner" ||
	fail "owner-only table survived"

rm -f "$LOGF"
finish
