#!/bin/sh
# Start: the sets hold the resolved addresses; an allowed name:port connects, an unlisted
# address or port does not (enforce); systemd hears READY=1, STATUS= and WATCHDOG=1;
# flowguard status shows it, and says so when the agent is gone.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s
can_connect 10.99.0.3 8080 && ok "before the agent: no firewall yet" || fail "peer unreachable"
agent_start WATCHDOG_USEC=600000 || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "set $S holds web.test's 10.99.0.2" ||
	fail "set: $(set_addrs $S)"
can_connect 10.99.0.2 8080 && ok "allowed name:port connects" || fail "10.99.0.2:8080 blocked"
can_connect 10.99.0.3 8080 && fail "unlisted address connected" || ok "unlisted address blocked"
can_connect 10.99.0.2 9090 && fail "unlisted port connected" || ok "unlisted port blocked"
grep -q 'STATUS=agent de-1: [0-9]* names, [0-9]* addresses' "$NOTIFY" &&
	ok "STATUS= line: $(grep 'STATUS=agent' "$NOTIFY" | tail -1)" ||
	fail "notify: $(cat "$NOTIFY")"
wait_for 2 '[ "$(grep -c "WATCHDOG=1" "$NOTIFY")" -ge 3 ]' &&
	ok "WATCHDOG=1 every 300 ms (half of WATCHDOG_USEC)" || fail "watchdog: $(grep -c WATCHDOG=1 "$NOTIFY") pings"
grep -q '"table_flags": "owner,persist"' "$T/run/status.json" &&
	ok "status.json: table flags owner,persist" ||
	fail "status.json: $(head -c 600 "$T/run/status.json")"
[ "$(stat -c %a "$T/run/status.json")" = 600 ] && [ "$(stat -c %a "$T/run")" = 700 ] &&
	ok "status.json mode 0600 in a 0700 directory" || fail "status file modes"
out=$(inc "$FG" status --run-dir "$T/run")
echo "$out" | grep -q "agent: running, pid $AGENT" && echo "$out" | grep -q "web.test" &&
	echo "$out" | grep -q "10.99.0.2 .*TTL" && ok "flowguard status shows web.test" ||
	fail "status: $out"
inc "$FG" status --json --run-dir "$T/run" | "$PY" -c '
import json, sys
d = json.load(sys.stdin)
n = [x for x in d["agent"]["names"] if x["fqdn"] == "web.test"][0]
assert d["running"] and d["kernel"]["table"]["owner"], d
assert n["addresses"][0]["address"] == "10.99.0.2" and "ttl_left_s" in n["addresses"][0], n
' && ok "flowguard status --json parses, with ttl_left_s" || fail "status --json"
agent_stop && ok "SIGTERM: exit 0" || fail "exit status on SIGTERM"
inc nft list table inet flowguard >/dev/null 2>&1 && ok "table left in place (fail closed)" ||
	fail "table gone after stop"
[ -s "$T/state/names" ] && ok "last good answers saved on stop" || fail "no $T/state/names"
out=$(inc "$FG" status --run-dir "$T/run")
[ $? -eq 1 ] && echo "$out" | grep -q "agent: NOT running" && ok "status: no agent running" ||
	fail "status after stop: $out"
finish
