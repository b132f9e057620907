#!/bin/sh
# Injected netlink faults at the socket (faultshim.so over sendto of a batch), each checked
# against the table afterwards: never a partial table, a clear error, a retry where right.
. tests/netns/lib.sh
FAULTSHIM=${FAULTSHIM:?run through tests/netns/run.sh}
LOGF=$(mktemp)

# $1 errno $2 batches to fail; the rest: fgnl's arguments.
faulty() {
	e=$1 n=$2
	shift 2
	: >"$LOGF"
	# verify_asan_link_order=0: under make check-asan the preload comes before libasan.
	ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
	LD_PRELOAD=$FAULTSHIM FG_FAULT_ERRNO=$e FG_FAULT_BATCHES=$n FG_FAULT_LOG=$LOGF "$FGNL" "$@" 2>&1
}

# 1. EPERM on every batch while applying into an empty ruleset: no table at all.
nft flush ruleset
out=$(faulty 1 -1 apply sample) && fail "EPERM: apply succeeded: $out"
[ -s "$LOGF" ] || fail "EPERM: the shim injected nothing"
nft list table inet flowguard >/dev/null 2>&1 && fail "EPERM: a table exists" ||
	ok "EPERM on apply: no table, error: $(echo "$out" | grep -i 'operation not permitted' | head -1 | cut -c1-90)"
echo "$out" | grep -qi 'operation not permitted' || fail "EPERM: no clear error: $out"

# The change the faults hit: sample -> sample-dyn; its result, applied without faults.
"$FGNL" apply sample-dyn >/dev/null || fail "apply sample-dyn"
want=$(listing)

# 2. With a table in place, each fault on every batch of a change leaves it exactly as it was.
"$FGNL" apply sample >/dev/null || fail "apply sample"
before=$(listing)
for e in "1 EPERM" "16 EBUSY" "12 ENOMEM" "105 ENOBUFS"; do
	num=${e%% *} name=${e#* }
	out=$(faulty "$num" -1 apply sample-dyn) && fail "$name: the change was accepted: $out"
	[ "$(listing)" = "$before" ] && ok "$name on every batch of a change: table unchanged, exit non-zero" ||
		fail "$name: table changed"
done

# 3. ENOBUFS once (the outcome unknown): re-read and retried, the change lands whole.
out=$(faulty 105 1 apply sample-dyn) || fail "ENOBUFS once: not retried: $out"
[ "$(wc -l <"$LOGF")" -eq 1 ] || fail "ENOBUFS once: $(wc -l <"$LOGF") faults injected"
[ "$(listing)" = "$want" ] && [ "$(listing)" != "$before" ] &&
	ok "ENOBUFS once: retried, the whole change applied" || fail "ENOBUFS once: table after retry"


# 4. EPERM once is not retried: refused permission stays refused; the table is not touched.
"$FGNL" apply sample >/dev/null || fail "apply sample"
before=$(listing)
out=$(faulty 1 1 apply sample-dyn) && fail "EPERM once: accepted (retried?): $out"
[ "$(listing)" = "$before" ] && ok "EPERM once: no retry, table unchanged" || fail "EPERM once: table changed"

# 5. The ruleset moves between the read and the batch: another process adds a chain to the
#    table after apply read it. The batch carries the generation of the read, so the kernel
#    refuses it whole; apply reads again and the table ends as planned, without the other
#    chain (sent on top of it instead, the change would leave the chain there).
"$FGNL" apply sample >/dev/null || fail "apply sample"
export FG_FAULT_RACE="nft add chain inet flowguard intruder"
out=$(faulty 0 0 apply sample-dyn) || fail "race: apply failed: $out"
unset FG_FAULT_RACE
grep -qx 'race: .*intruder' "$LOGF" || fail "race: the other change did not run: $(cat "$LOGF")"
[ "$(listing)" = "$want" ] && ok "ruleset changed between read and batch: refused, read again, applied as planned" ||
	fail "race: table after apply: $(listing | grep -n intruder)"
rm -f "$LOGF"
finish
