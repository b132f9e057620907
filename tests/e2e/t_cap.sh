#!/bin/sh
# A name with more answers than resolver.max-addresses (4): the first 4 are allowed and a
# warning says how many were left out; never a silent cut.
. tests/e2e/lib.sh
S=allow_test_many_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' 'many.test. 60 IN A 10.99.0.2' 'many.test. 60 IN A 10.99.0.3' \
	'many.test. 60 IN A 10.99.0.4' 'many.test. 60 IN A 10.99.0.5' 'many.test. 60 IN A 10.99.0.6' \
	'many.test. 60 IN A 10.99.0.7' || finish
write_config enforce 3s '  - name: test-many' '    to: [many.test]' '    ports: [9090]'
agent_start || finish
wait_for 5 '[ "$(set_addrs $S | wc -l)" -eq 4 ]' &&
	ok "capped at 4: $(set_addrs $S | tr '\n' ' ')" || fail "set: $(set_addrs $S | tr '\n' ' ')"
grep -q "'many.test' has 6 addresses, more than resolver.max-addresses (4): allowed the first 4, ignoring 2" "$LOG" &&
	ok "warned: $(grep -o "'many.test' has.*" "$LOG" | head -1)" || fail "no cap warning"
# The status file follows the answer within a second.
wait_for 5 'inc "$FG" status --run-dir "$T/run" | grep -A1 "many.test:" | grep -q "2 addresses over resolver.max-addresses"' &&
	ok "status shows the cut" || fail "status: $(inc "$FG" status --run-dir "$T/run" | grep -A2 many.test)"
can_connect 10.99.0.2 9090 && ok "an allowed one connects" || fail "10.99.0.2:9090 blocked"
can_connect 10.99.0.7 9090 && fail "a cut address connects" || ok "a cut address is blocked"
finish
