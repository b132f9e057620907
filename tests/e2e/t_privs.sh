#!/bin/sh
# Least privilege: started as root outside systemd (no NOTIFY_SOCKET, no INVOCATION_ID),
# the agent keeps only CAP_NET_ADMIN (bit 12) in every set and has no_new_privs, read from
# /proc/PID/status; it still programs the table, follows a DNS change and reloads on SIGHUP.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
NET_ADMIN=0000000000001000

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s
ip netns exec "$C" env -u NOTIFY_SOCKET -u INVOCATION_ID "$FG" run -c "$CONF" --catalog "$CATALOG" \
	--state-dir "$STATE" --run-dir "$T/run" >>"$LOG" 2>&1 &
AGENT=$!
wait_for 30 'grep -q "Ready:" "$LOG"' || { fail "agent not ready: $(tail -5 "$LOG")"; finish; }
caps() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$AGENT/status"; }
for k in CapEff CapPrm CapBnd; do
	[ "$(caps $k)" = $NET_ADMIN ] && ok "$k $NET_ADMIN (CAP_NET_ADMIN only)" ||
		fail "$k is $(caps $k), want $NET_ADMIN"
done
for k in CapInh CapAmb; do
	[ "$(caps $k)" = 0000000000000000 ] && ok "$k empty" || fail "$k is $(caps $k)"
done
[ "$(caps NoNewPrivs)" = 1 ] && ok "NoNewPrivs: 1" || fail "NoNewPrivs: $(caps NoNewPrivs)"
wait_for 5 has_addr $S 10.99.0.2 && ok "table programmed: $S holds 10.99.0.2" ||
	fail "set: $(set_addrs $S)"
dns_set web.test 'web.test. 2 IN A 10.99.0.3'
wait_for 6 has_addr $S 10.99.0.3 && ok "follows DNS: 10.99.0.3 added" || fail "set: $(set_addrs $S)"
can_connect 10.99.0.3 8080 && ok "the new address connects" || fail "10.99.0.3:8080 blocked"
# SIGHUP re-runs load and detection with CAP_NET_ADMIN only: still a clean reload.
kill -HUP "$AGENT"
wait_for 5 'grep -q "Reloaded: \|Reload failed" "$LOG"' && ! grep -q "Reload failed" "$LOG" &&
	ok "SIGHUP: $(grep -o "Reloaded: .*" "$LOG" | cut -c1-80)" || fail "SIGHUP: $(grep -i reload "$LOG")"
[ "$(caps CapEff)" = $NET_ADMIN ] && ok "after SIGHUP: still CAP_NET_ADMIN only" || fail "CapEff $(caps CapEff)"
agent_stop && ok "SIGTERM: exit 0" || fail "exit status on SIGTERM"
finish
