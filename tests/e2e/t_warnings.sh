#!/bin/sh
# A relay without relay-clients, ingress managed: 4122 is open to any address, and the
# agent says so at every generation -- in its log, in status (text and --json) -- until
# relay-clients is set (SIGHUP): then the warning is gone from status.
. tests/e2e/lib.sh
W='relay-clients is not set: any address may connect to port 4122'

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config audit 3s
sed -i -e 's/^roles: \[agent\]/roles: [relay]\ningress: audit/' "$CONF"
agent_start || finish
grep -q "warning: $W" "$LOG" && ok "log: $(grep -o "warning: $W" "$LOG" | head -1)" ||
	fail "no warning in the log: $(tail -5 "$LOG")"
out=$(inc "$FG" status --run-dir "$T/run")
echo "$out" | grep -q "^warning: $W (relay-clients-in: Relay clients -> Relays)$" &&
	ok "status shows the warning" || fail "status: $out"
inc "$FG" status --json --run-dir "$T/run" | "$PY" -c '
import json, sys
w = json.load(sys.stdin)["agent"]["warnings"]
assert len(w) == 1 and w[0].startswith(sys.argv[1]), w
' "$W" && ok "status --json: warnings holds it" || fail "status --json warnings"
inc nft list chain inet flowguard ingress | grep -q 'tcp dport 4122 counter' &&
	ok "the table accepts 4122 from any address, as warned" || fail "no 4122 rule"

printf 'relay-clients: [10.99.0.0/24]\n' >>"$CONF"
: >"$NOTIFY"
kill -HUP "$AGENT"
wait_for 10 'grep -q "READY=1" "$NOTIFY"' && ok "reloaded with relay-clients" || fail "no reload"
wait_for 5 '! inc "$FG" status --run-dir "$T/run" | grep -q "^warning:"' &&
	ok "status: no warning once relay-clients is set" ||
	fail "status still warns: $(inc "$FG" status --run-dir "$T/run" | grep '^warning:')"
inc nft list chain inet flowguard ingress | grep -q 'saddr @relay_clients_v4 tcp dport 4122' &&
	ok "4122 only from relay-clients now" || fail "no relay_clients rule"
agent_stop || fail "exit status on SIGTERM"
finish
