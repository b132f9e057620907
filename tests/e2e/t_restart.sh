#!/bin/sh
# Ownership and persist: others cannot touch the running agent's table; kill -9 leaves it
# in place (orphaned, fail closed); a restart adopts it without a moment without the table
# (nft list polled throughout) and fills it from the saved answers before DNS is back; the
# journal says it adopted the orphan and what it repaired in it.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
inc "$FG" status --run-dir "$T/run" | grep -q "persist yes" || {
	echo "  skipped: the kernel has no NFT_TABLE_F_PERSIST (6.9+)"
	exit 0
}
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config enforce 3s
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
out=$(inc nft delete table inet flowguard 2>&1) && fail "another process deleted the owned table" ||
	ok "owned: nft delete table refused (${out%%
*})"
out=$(inc "$FG" apply -c "$CONF" --catalog "$CATALOG" 2>&1)
rc=$?
[ $rc -eq 1 ] && case "$out" in
*"held by the running flowguard agent (pid $AGENT)"*"systemctl reload flowguard"*) true ;;
*) false ;; esac && ok "apply while the agent runs: names it, suggests systemctl reload" ||
	fail "apply while the agent runs (rc $rc): $out"
wait_for 7 'grep -q web.test "$T/state/names" 2>/dev/null' && ok "last good answers saved" ||
	fail "no saved answers in $T/state/names"

ip netns exec "$C" sh -c 'while [ ! -e "$1" ]; do echo >>"$3"
	nft list table inet flowguard >/dev/null 2>&1 || echo gap >>"$2"; done' sh \
	"$T/stop-sampler" "$T/gaps" "$T/samples" &
SAMPLER=$!
BG="$BG $SAMPLER"
# samples: how many times the sampler has looked.
samples() {
	cat "$T/samples" 2>/dev/null | wc -l
}
wait_for 10 '[ "$(samples)" -ge 1 ]' || fail "the sampler did not start"
old=$AGENT
kill -9 "$AGENT"
wait "$AGENT" 2>/dev/null
AGENT=
# The sampler looks at the table a few more times with no agent at all.
# shellcheck disable=SC2034 # read by wait_for's eval
n=$(samples)
wait_for 10 '[ "$(samples)" -ge $((n + 5)) ]' || fail "the sampler stopped"

inc "$FG" status --run-dir "$T/run" >"$T/st" 2>&1
grep -q "flags persist$" "$T/st" && grep -q "NOT running" "$T/st" &&
	ok "kill -9: table stays, orphaned (flags persist, no owner)" || fail "after kill -9: $(cat "$T/st")"
# Someone changes the orphan meanwhile: the next agent repairs it, and says what it repaired.
h=$(inc nft -a list chain inet flowguard egress | sed -n 's/.*@allow_test_web_names_v4 tcp dport 8080 .* # handle \([0-9]*\)$/\1/p')
inc nft delete rule inet flowguard egress handle "$h" || fail "cannot change the orphaned table"
dns_stop
agent_start || finish
grep -q "start: adopting table inet flowguard, left in place by an earlier agent (persist, no owner)" "$LOG" &&
	ok "journal: the orphan was adopted" || fail "no adoption line: $(grep 'start:' "$LOG")"
grep -qF "start: repairing: rule missing in chain egress: allow entry test-web (local configuration): ip daddr @allow_test_web_names_v4 tcp dport 8080 counter accept" "$LOG" &&
	ok "journal: what the start repaired" || fail "no repair line: $(grep 'start:' "$LOG")"
has_addr $S 10.99.0.2 && can_connect 10.99.0.2 8080 &&
	ok "restart with DNS down: 10.99.0.2 allowed from the saved answers" ||
	fail "fast boot: $(set_addrs $S)"
touch "$T/stop-sampler"
wait "$SAMPLER"
samples=$(samples)
gaps=$(cat "$T/gaps" 2>/dev/null | wc -l)
[ "$gaps" -eq 0 ] && [ "$samples" -ge 10 ] &&
	ok "no moment without the table during kill -9 and restart ($samples samples)" ||
	fail "table missing in $gaps of $samples samples"
inc "$FG" status --run-dir "$T/run" | grep -q "flags owner,persist (owner: netlink portid $AGENT)" &&
	ok "adopted: owner is the new agent (pid $AGENT, was $old)" ||
	fail "status: $(inc "$FG" status --run-dir "$T/run" | tail -3)"
finish
