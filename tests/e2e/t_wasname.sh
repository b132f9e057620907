#!/bin/sh
# "was <name> until ... ago": web.test (TTL 1 s, min-ttl 1 s, grace 2 s) moves from
# 10.99.0.3 to 10.99.0.4; once the old address is out of the set, a connection to it is
# blocked and explained by the name it had: name web.test, name_current false,
# name_until set, and the log line says so. suggest allows the name on a port it lacks,
# never the old address, and says the client of the port it has uses a stale answer.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
flow() { "$PY" "$TOP/tests/e2e/flows.py" "$T/run/status.json" "$@"; }
K="destination=10.99.0.3 port=8080 protocol=tcp"

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 1 IN A 10.99.0.3' || finish
write_config enforce 2s
agent_start || finish
wait_for 5 has_addr $S 10.99.0.3 && ok "start: web.test is 10.99.0.3" || fail "set: $(set_addrs $S)"
can_connect 10.99.0.3 8080 && ok "10.99.0.3:8080 connects" || fail "10.99.0.3:8080 blocked"
t0=$(now_ms)
dns_set web.test 'web.test. 1 IN A 10.99.0.4'
wait_for 5 has_addr $S 10.99.0.4 && ok "web.test is now 10.99.0.4" || fail "set: $(set_addrs $S)"
wait_for 10 '! has_addr $S 10.99.0.3' &&
	ok "10.99.0.3 left the set $(($(now_ms) - t0)) ms after the change (TTL 1 s + grace 2 s)" ||
	fail "10.99.0.3 still in the set: $(set_addrs $S)"
can_connect 10.99.0.3 8080 && fail "old address still connects" || ok "old address blocked"
wait_for 10 '[ "$(flow count $K)" = 1 ]' && ok "one entry for 10.99.0.3:8080" ||
	fail "entries for 10.99.0.3:8080: $(flow count $K)"
why=$(flow explanation $K)
echo "$why" | grep -q "^10.99.0.3 was web.test until [0-9]* s ago" &&
	ok "explanation: $why" || fail "explanation: '$why'"
[ "$(flow name $K)" = web.test ] && [ "$(flow name_current $K)" = false ] &&
	[ -n "$(flow name_until $K)" ] && ok "name web.test, name_current false, name_until $(flow name_until $K)" ||
	fail "name '$(flow name $K)', name_current '$(flow name_current $K)', name_until '$(flow name_until $K)'"
grep -q "blocked tcp 10\.99\.0\.1:[0-9]* -> 10\.99\.0\.3:8080 (egress, uid 0): 10\.99\.0\.3 was web\.test until [0-9]* s ago" "$LOG" &&
	ok "log line names the old name" || fail "log: $(grep 10.99.0.3 "$LOG" | tail -3)"
can_connect 10.99.0.3 9090 && fail "10.99.0.3:9090 connected" || ok "old address, another port: blocked"
K9="destination=10.99.0.3 port=9090"
wait_for 10 '[ "$(flow count $K9)" = 1 ]' && ok "its entry: $(flow explanation $K9)" ||
	fail "no entry for 10.99.0.3:9090"
inc "$FG" suggest -c "$CONF" --catalog "$CATALOG" --run-dir "$T/run" >"$T/suggest.yaml" 2>"$T/suggest.err"
grep -q '^    to: \["web.test"\]$' "$T/suggest.yaml" && grep -q '^    ports: \[9090\]$' "$T/suggest.yaml" &&
	! grep -q '"10.99.0.3"' "$T/suggest.yaml" &&
	grep -q "10.99.0.3 was web.test until .*not 10.99.0.3" "$T/suggest.yaml" &&
	ok "suggest: web.test on 9090, not the old address, and says why" ||
	fail "suggest: $(cat "$T/suggest.yaml" "$T/suggest.err")"
grep -q "tcp 10.99.0.3 port 8080 was web.test until .*'test-web' allows web.test on it already: the client used a stale answer" "$T/suggest.err" &&
	ok "suggest: 8080 is web.test's already: $(grep stale "$T/suggest.err")" ||
	fail "suggest stderr: $(cat "$T/suggest.err")"
finish
