#!/bin/sh
# Disk full: the state directory is a full 64 KiB tmpfs (in the agent's own mount
# namespace, so the host's mounts are untouched). Saving the answers fails with ENOSPC,
# a warning says so, and the agent keeps enforcing and following DNS.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s
mkdir -p "$STATE"
ip netns exec "$C" unshare -m --propagation private sh -c '
	mount -t tmpfs -o size=64k,mode=0700 fgfull "$1" || exit 97
	dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null
	shift
	exec "$@"' sh "$STATE" "$FG" run -c "$CONF" --catalog "$CATALOG" --state-dir "$STATE" \
	--run-dir "$T/run" >>"$LOG" 2>&1 &
AGENT=$!
wait_for 30 'grep -q "Ready:" "$LOG"' || { fail "agent not ready: $(tail -5 "$LOG")"; finish; }
[ -e "$STATE/fill" ] && fail "the tmpfs is visible outside the agent's mount namespace" ||
	ok "the full tmpfs is the agent's alone"
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
wait_for 8 'grep -q "Failed to save the last good answers to .*No space left on device.*enforcement continues" "$LOG"' &&
	ok "disk full: $(grep -o "Failed to save.*" "$LOG" | head -1 | cut -c1-110)" ||
	fail "no ENOSPC warning: $(grep -i save "$LOG" | tail -2)"
dns_set web.test 'web.test. 2 IN A 10.99.0.3'
wait_for 6 has_addr $S 10.99.0.3 && ok "still follows DNS: 10.99.0.3 added" || fail "set: $(set_addrs $S)"
can_connect 10.99.0.3 8080 && ok "the new address connects" || fail "10.99.0.3:8080 blocked"
can_connect 10.99.0.4 8080 && fail "an unlisted address connects" || ok "still enforcing: unlisted blocked"
kill -0 "$AGENT" && ok "the agent keeps running" || fail "the agent died"
agent_stop; rc=$?
[ "$rc" -eq 0 ] && ok "SIGTERM: exit 0 (the final save failed too, warned)" || fail "exit $rc on SIGTERM"
finish
