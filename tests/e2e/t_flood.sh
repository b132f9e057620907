#!/bin/sh
# A flood of 100,000 blocked UDP packets to four destinations, with the kernel's log rate
# raised to blocked.log-rate 10000/s so that the agent, not the kernel's limit, is what
# is tested. The agent's memory stays bounded, each destination gets one log line (repeats
# are summed into its entry and summarised at most once a minute), status.json counts at
# most what was sent and more than nothing, and the drop rule counted every packet.
#
# The memory bound: the blocked-flow table is allocated once, at start, for
# blocked.max-tracked entries; four destinations touch four entries. What could grow is
# per-packet work: 100,000 packets, of which the kernel passes up to ~10,000/s, so even 11
# bytes kept per packet would exceed 1 MiB. Growth of VmHWM and VmRSS must stay under 1 MiB.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
flow() { "$PY" "$TOP/tests/e2e/flows.py" "$T/run/status.json" "$@"; }
N=100000

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config enforce 3s 'blocked:' '  log-rate: 10000'
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$AGENT/status"; }
drop() {
	inc nft list chain inet flowguard egress | grep 'counter.* drop comment' |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}
# Warm up the path (first entry, first log line, first status write), then measure.
can_connect 10.99.0.9 9090
wait_for 10 '[ "$(flow count destination=10.99.0.9)" = 1 ]' || fail "warm-up entry not seen"
wait_for 10 'grep -q "blocked tcp 10\.99\.0\.1:[0-9]* -> 10\.99\.0\.9:9090 " "$LOG"' ||
	fail "warm-up line not logged"
wait_for 10 'nflog_drained 4100' || fail "warm-up: NFLOG not drained: $(cat "$T/nflog")"
hwm0=$(kb VmHWM)
rss0=$(kb VmRSS)
drop0=$(drop)
lines0=$(wc -l <"$LOG")

sent=$(inc "$PY" -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
dsts = [("10.99.0.%d" % h, 7000 + h) for h in (3, 4, 5, 6)]
n = 0
for i in range(int(sys.argv[1]) // len(dsts)):
    for d in dsts:
        try:
            s.sendto(b"flood-flood-flood-flood", d)
        except OSError:
            pass  # EPERM: the drop rule
        n += 1
print(n)
' "$N" 2>&1 | tail -1)
[ "$sent" = "$N" ] && ok "sent $sent UDP packets to 10.99.0.3-6" || fail "sender: $sent"
# Let the agent drain the NFLOG socket and rewrite the status file.
wait_for 10 '[ "$(flow count protocol=udp)" = 4 ]' || fail "not 4 flows: $(flow count protocol=udp)"
wait_for 30 'nflog_drained 4100' || fail "NFLOG not drained: $(cat "$T/nflog")"
kill -0 "$AGENT" 2>/dev/null && ok "agent alive after the flood" || fail "agent died"

hwm1=$(kb VmHWM)
rss1=$(kb VmRSS)
[ $((hwm1 - hwm0)) -lt 1024 ] && [ $((rss1 - rss0)) -lt 1024 ] &&
	ok "memory bounded: VmHWM $hwm0 -> $hwm1 kB, VmRSS $rss0 -> $rss1 kB" ||
	fail "memory grew: VmHWM $hwm0 -> $hwm1 kB, VmRSS $rss0 -> $rss1 kB"

total=0
for h in 3 4 5 6; do
	K="destination=10.99.0.$h port=700$h protocol=udp"
	n=$(flow count $K)
	p=$(flow sum:packets $K)
	[ "$n" = 1 ] && [ "$p" -gt 0 ] && [ "$p" -le $((N / 4)) ] &&
		ok "10.99.0.$h:700$h: one entry, $p packets (0 < p <= $((N / 4)) sent)" ||
		fail "10.99.0.$h:700$h: $n entries, $p packets"
	total=$((total + ${p:-0}))
	l=$(grep -c "blocked udp 10\.99\.0\.1:[0-9]* -> 10\.99\.0\.$h:700$h " "$LOG")
	[ "$l" -ge 1 ] && [ "$l" -le 2 ] && ok "10.99.0.$h: $l log line(s)" ||
		fail "10.99.0.$h: $l log lines"
done
# Every line the flood caused, whatever its wording (a summary, a warning about lost
# messages): those after the mark that name a flooded address.
added=$(tail -n +$((lines0 + 1)) "$LOG" | grep -c "10\.99\.0\.[3-6]")
[ "$added" -le 8 ] && ok "the flood made $added log lines for $N packets" ||
	fail "the flood made $added log lines: $(tail -n +$((lines0 + 1)) "$LOG" | grep "10\.99\.0\.[3-6]" | tail -5)"
drop1=$(drop)
[ -n "$drop0" ] && [ $((drop1 - drop0)) -ge "$N" ] &&
	ok "drop rule counted $((drop1 - drop0)) packets (all $N dropped); the agent saw $total" ||
	fail "drop counter $drop0 -> $drop1"
can_connect 10.99.0.2 8080 && ok "allowed flow still connects" || fail "10.99.0.2:8080 blocked"
finish
