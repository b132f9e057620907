#!/bin/sh
# Audit mode: what enforce would drop connects, and the audit rule counts it.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config audit 3s
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
finish
