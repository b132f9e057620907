#!/bin/sh
# Audit mode: a connection to an unlisted address succeeds, and its event says "would
# block": one status entry with verdict "would block" and one "would block tcp ..." line.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
flow() { "$PY" "$TOP/tests/e2e/flows.py" "$T/run/status.json" "$@"; }
K="destination=10.99.0.5 port=9090 protocol=tcp"

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config audit 3s
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
can_connect 10.99.0.5 9090 && ok "unlisted 10.99.0.5:9090 connects in audit mode" ||
	fail "audit mode blocked 10.99.0.5:9090"
wait_for 10 '[ "$(flow count $K)" -ge 1 ]' || fail "no entry for 10.99.0.5:9090 in status.json"
[ "$(flow count $K)" = 1 ] && ok "one entry" || fail "$(flow count $K) entries"
v=$(flow verdict $K)
[ "$v" = "would block" ] && ok "verdict: would block" || fail "verdict: '$v'"
[ "$(flow chain $K)" = egress ] && [ "$(flow source $K)" = 10.99.0.1 ] &&
	ok "egress from 10.99.0.1" || fail "chain '$(flow chain $K)', source '$(flow source $K)'"
pat="would block tcp 10\.99\.0\.1:[0-9]* -> 10\.99\.0\.5:9090 (egress, uid 0): no flow allows this address or tcp/9090"
wait_for 3 'grep -q "$pat" "$LOG"'
[ "$(grep -c "$pat" "$LOG")" = 1 ] && ok "one log line: $(grep -o "would block tcp.*" "$LOG" | head -1)" ||
	fail "log: $(grep "10.99.0.5" "$LOG")"
grep -q "blocked tcp 10.99.0.1:[0-9]* -> 10.99.0.5" "$LOG" &&
	fail "a 'blocked' line in audit mode" || ok "no 'blocked' line in audit mode"
can_connect 10.99.0.2 9090 && ok "unlisted port on a listed address connects too" ||
	fail "10.99.0.2:9090 blocked in audit mode"
K2="destination=10.99.0.2 port=9090"
wait_for 10 '[ "$(flow count $K2)" = 1 ]' && ok "its entry: $(flow explanation $K2)" ||
	fail "no entry for 10.99.0.2:9090"
flow explanation $K2 | grep -q "10.99.0.2 is web.test (current answer)" &&
	[ "$(flow name $K2)" = web.test ] && [ "$(flow name_current $K2)" = true ] &&
	ok "attributed to web.test, current" ||
	fail "name '$(flow name $K2)', current '$(flow name_current $K2)'"
finish
