#!/bin/sh
# Audit mode: what enforce would drop connects, and the audit rule counts it. The state
# directory cannot be created (its parent is a file): a warning, and the agent goes on.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config audit 3s
: >"$T/file"
STATE=$T/file/state
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
inc nft list chain inet flowguard egress | grep -q 'log prefix "flowguard audit egress: "' &&
	ok "audit rule in place" || fail "no audit rule"
before=$(inc nft list chain inet flowguard egress | grep -A1 'flowguard audit egress' | tail -1)
can_connect 10.99.0.2 8080 && ok "allowed flow connects" || fail "10.99.0.2:8080"
can_connect 10.99.0.3 9090 && ok "unlisted flow connects in audit mode" || fail "audit blocked 10.99.0.3:9090"
after=$(inc nft list chain inet flowguard egress | grep -A1 'flowguard audit egress' | tail -1)
[ "$before" != "$after" ] && ok "the audit rule counted it: ${after#"${after%%counter*}"}" ||
	fail "audit counter unchanged: $after"
grep -q "Failed to create '$STATE'" "$LOG" &&
	wait_for 3 'grep -q "Failed to save the last good answers to .*enforcement continues" "$LOG"' &&
	ok "unwritable state directory: warned, enforcement continues" ||
	fail "no warning about $STATE"
finish
