#!/bin/sh
# Blocked flows (issue 7): the final rule logs to NFLOG group blocked.log-group and the
# agent explains each new flow once in the journal (notice), keeps it in status.json's
# "blocked" object (the schema `flowguard suggest` reads) and in the metrics; a flood of
# logged packets rewrites status.json at most about once a second (strace counts the
# renames); repeats become one summary line per flow after blocked.report-interval (3 s
# here); a DNS change re-explains
# the flows; audit mode says "would block"; a group another process holds is one warning
# naming blocked.log-group, and a reload to a free group starts listening.
. tests/e2e/lib.sh
STATUS=$T/run/status.json
M=$T/metrics.prom

# Binds NFLOG group $1 in the client netns and holds it (as ulogd2 would), independent
# of the agent's code: raw nfnetlink, NFULNL_MSG_CONFIG with NFULNL_CFG_CMD_BIND.
cat >"$T/holder.py" <<'EOP'
import socket, struct, sys, time
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
attr = struct.pack("=HHB3x", 5, 1, 1)                      # NFULA_CFG_CMD: BIND
body = struct.pack("=BBH", 0, 0, socket.htons(int(sys.argv[1]))) + attr
hdr = struct.pack("=IHHII", 16 + len(body), (4 << 8) | 1, 1 | 4, 1, 0)
s.send(hdr + body)
err = struct.unpack("=i", s.recv(4096)[16:20])[0]
print("bound" if err == 0 else "error %d" % err, flush=True)
time.sleep(600)
EOP
# UDP datagrams to a blocked destination, as fast as the socket takes them.
cat >"$T/flood.py" <<'EOP'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for i in range(int(sys.argv[3])):
    try:
        s.sendto(b"x" * 32, (sys.argv[1], int(sys.argv[2])))
    except OSError:
        pass
    sent += 1
print(sent)
EOP

# A field of the newest flow to $1 (python expression over f), from status.json.
flow() {
	"$PY" - "$STATUS" "$1" "$2" <<-'EOP' 2>/dev/null
	import json, sys
	b = json.load(open(sys.argv[1]))["blocked"]
	fl = [f for f in b["flows"] if f["destination"] == sys.argv[2]]
	print(eval(sys.argv[3], {"f": fl[0], "b": b}) if fl else "")
	EOP
}

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s 'metrics:' "  textfile: $M" '  interval: 1s'
agent_start || finish
wait_for 5 'has_addr allow_test_web_names_v4 10.99.0.2' ||
	fail "web.test not resolved"

can_connect 10.99.0.2 9090 && fail "10.99.0.2:9090 connects (should be blocked)"
wait_for 5 'grep -q "blocked tcp 10.99.0.1:[0-9]* -> 10.99.0.2:9090 (egress, uid 0)" "$LOG"' &&
	ok "journal: $(grep -o "blocked tcp 10.99.0.1.*9090.*" "$LOG" | head -1)" ||
	fail "no 'blocked' line for 10.99.0.2:9090"
n=$(grep -c "blocked tcp 10.99.0.1:[0-9]* -> 10.99.0.2:9090" "$LOG")
[ "$n" -eq 1 ] && ok "one line for the flow (SYN retries are aggregated)" || fail "$n lines"
grep -q "<5>blocked tcp" "$LOG" || grep -q "flowguard: blocked tcp" "$LOG" &&
	ok "logged at notice level" || fail "level: $(grep "blocked tcp" "$LOG" | head -1)"
wait_for 3 '[ "$(flow 10.99.0.2 "f[\"port\"]")" = 9090 ]' || fail "no flow in $STATUS"
"$PY" - "$STATUS" >"$T/schema.log" 2>&1 <<-'EOP' && ok "status.json blocked: $(cat "$T/schema.log")" ||
import json, sys
b = json.load(open(sys.argv[1]))["blocked"]
assert set(b) == {"log_group", "listening", "error", "totals", "flows"}, b.keys()
assert b["log_group"] == 4100 and b["listening"] is True and b["error"] == "", b
assert b["totals"]["egress_blocked"] >= 1, b["totals"]
f = [f for f in b["flows"] if f["destination"] == "10.99.0.2"][0]
keys = {"chain", "verdict", "protocol", "source", "source_port", "destination", "port",
        "icmp_type", "uid", "packets", "bytes", "first_seen", "last_seen", "name",
        "name_current", "name_until", "port_flows", "closest", "explanation"}
assert set(f) == keys, set(f) ^ keys
assert (f["chain"], f["verdict"], f["protocol"], f["source"], f["port"], f["uid"]) == \
    ("egress", "blocked", "tcp", "10.99.0.1", 9090, 0), f
assert f["name"] == "web.test" and f["name_current"] is True and f["name_until"] is None, f
assert f["icmp_type"] is None and f["packets"] >= 1 and f["bytes"] > 0, f
assert f["first_seen"].endswith("Z") and "T" in f["first_seen"], f
assert "web.test" in f["explanation"], f
print(f["explanation"])
EOP
	fail "schema: $(cat "$T/schema.log")"
inc "$FG" status --json --run-dir "$T/run" >"$T/status.json" 2>&1
"$PY" -c 'import json,sys; f=json.load(open(sys.argv[1]))["agent"]["blocked"]["flows"][0]; assert f["icmp_type"] is None and f["name_current"] is True and isinstance(f["port"], int), f' \
	"$T/status.json" && ok "status --json carries the flows as JSON" || fail "status --json: $(cat "$T/status.json")"
inc "$FG" status --run-dir "$T/run" >"$T/status.txt" 2>&1
grep -q "blocked flows (NFLOG group 4100): egress [1-9]" "$T/status.txt" &&
	grep -q "blocked tcp 10.99.0.1 -> 10.99.0.2:9090 (egress" "$T/status.txt" &&
	ok "flowguard status shows totals and the flow" || fail "status text: $(cat "$T/status.txt")"
wait_for 3 'grep -q "^flowguard_blocked_packets_total{chain=\"egress\",verdict=\"drop\"} [1-9]" "$M"' &&
	grep -q "^flowguard_blocked_listening 1" "$M" && grep -q "^flowguard_blocked_flows [1-9]" "$M" &&
	ok "metrics: blocked packets, flows, listening" || fail "metrics: $(grep blocked "$M")"
"$PY" tests/e2e/promcheck.py "$M" >/dev/null || fail "metrics invalid: $("$PY" tests/e2e/promcheck.py "$M")"

# DNS moves web.test away: the flow's explanation follows (it was web.test).
dns_set web.test 'web.test. 2 IN A 10.99.0.3'
wait_for 15 '[ "$(flow 10.99.0.2 "f[\"name_current\"]")" = False ]' &&
	ok "after the DNS change: $(flow 10.99.0.2 'f["explanation"]')" ||
	fail "not re-explained: $(flow 10.99.0.2 'f')"

# A flood (log-rate raised so the kernel passes it all up): few status rewrites.
write_config enforce 3s 'blocked:' '  log-rate: 10000' 'metrics:' "  textfile: $M" '  interval: 1s'
n=$(grep -c Reloaded "$LOG")
kill -HUP "$AGENT"
wait_for 5 '[ "$(grep -c Reloaded "$LOG")" -gt $n ]' || fail "reload with log-rate 10000"
# strace counts the renames of status.json from the flood's start until the agent has read
# every logged packet of it. Each DNS answer rewrites status.json too, at once: each failed
# one is a warning in the log (the catalog's names, failing since the reload), the rest
# (web.test, TTL 2 s, and its old address's grace) come to at most one a second.
strace -f -tt -e trace=rename,renameat,renameat2 -p "$AGENT" -o "$T/strace.log" 2>"$T/strace.err" &
ST=$!
wait_for 10 'grep -q attached "$T/strace.err"' || fail "strace: $(cat "$T/strace.err")"
r0=$(wc -l <"$T/strace.log")
f0=$(grep -c "Failed to resolve" "$LOG")
start=$(now_ms)
sent=$(inc "$PY" "$T/flood.py" 10.99.0.7 5353 20000)
wait_for 10 '[ "$(flow 10.99.0.7 "f[\"packets\"]")" -ge 1000 ] 2>/dev/null' &&
	ok "flood: $sent datagrams, $(flow 10.99.0.7 'f["packets"]') counted in one flow" ||
	fail "flood: flow $(flow 10.99.0.7 'f')"
wait_for 30 'nflog_drained 4100' || fail "NFLOG not drained: $(cat "$T/nflog")"
took=$(($(now_ms) - start))
failed=$(($(grep -c "Failed to resolve" "$LOG") - f0))
kill "$ST"
wait "$ST" 2>/dev/null
w=$(tail -n +$((r0 + 1)) "$T/strace.log" | grep -c 'status.json"')
rest=$((w - failed))
# Per packet it would be thousands; the flood at most one a second, DNS one more.
[ "$w" -ge 1 ] && [ "$rest" -le $((2 * took / 1000 + 3)) ] &&
	ok "status.json rewritten $w times in $took ms of flood: $failed for failed DNS answers, $rest for the rest" ||
	fail "$w status rewrites in $took ms of flood: $failed for failed DNS answers, $rest for the rest"
n=$(grep -c "blocked udp 10.99.0.1:[0-9]* -> 10.99.0.7:5353" "$LOG")
[ "$n" -eq 1 ] && ok "one journal line for the flood" || fail "$n journal lines for the flood"

# Audit: "would block", and the connection goes through.
write_config audit 3s
n=$(grep -c Reloaded "$LOG")
kill -HUP "$AGENT"
wait_for 5 '[ "$(grep -c Reloaded "$LOG")" -gt $n ]' || fail "reload to audit"
can_connect 10.99.0.4 9090 && ok "audit: 10.99.0.4:9090 connects" || fail "audit blocks"
wait_for 5 'grep -q "would block tcp 10.99.0.1:[0-9]* -> 10.99.0.4:9090 (egress" "$LOG"' &&
	wait_for 3 '[ "$(flow 10.99.0.4 "f[\"verdict\"]")" = "would block" ]' &&
	ok "audit: 'would block' in the journal and status" || fail "no 'would block' for 10.99.0.4"
agent_stop || fail "agent exit $rc"

# Another listener holds the group: one warning, the agent runs on without events.
ip netns exec "$C" "$PY" "$T/holder.py" 4100 >"$T/holder.log" 2>&1 &
BG="$BG $!"
wait_for 5 'grep -q bound "$T/holder.log"' || fail "holder: $(cat "$T/holder.log")"
write_config enforce 3s
agent_start || finish
grep -q "NFLOG group 4100 is taken by another listener.*set blocked.log-group" "$LOG" &&
	ok "group taken: $(grep -o "NFLOG group 4100 is taken.*" "$LOG" | head -1)" ||
	fail "no warning for the taken group"
"$PY" -c 'import json,sys; b=json.load(open(sys.argv[1]))["blocked"]; assert not b["listening"] and b["error"], b' \
	"$STATUS" && ok "status: not listening, with the reason" || fail "status: $(grep -A3 '"blocked"' "$STATUS")"
inc "$FG" status --run-dir "$T/run" 2>&1 | grep -q "NOT listening on NFLOG group 4100" &&
	ok "flowguard status says so" || fail "status text lacks NOT listening"
write_config enforce 3s 'blocked:' '  log-group: 4101' '  report-interval: 3s'
kill -HUP "$AGENT"
wait_for 5 '"$PY" -c "import json,sys; assert json.load(open(sys.argv[1]))[\"blocked\"][\"listening\"]" "$STATUS" 2>/dev/null' &&
	ok "reload to group 4101: listening" || fail "not listening after the reload"
can_connect 10.99.0.5 9090
wait_for 5 'grep -q "blocked tcp 10.99.0.1:[0-9]* -> 10.99.0.5:9090" "$LOG"' &&
	ok "events on group 4101" || fail "no event on group 4101"
# Repeats of a reported flow: one summary line a report interval (here 3 s) after the first.
can_connect 10.99.0.5 9090
wait_for 10 'grep -q "blocked tcp 10.99.0.1:[0-9]* -> 10.99.0.5:9090 .*; [0-9]* more packets\{0,1\} in the last [0-9] s" "$LOG"' &&
	ok "summary: $(grep -o "; [0-9]* more packets* in the last [0-9]* s" "$LOG" | tail -1)" ||
	fail "no summary line for 10.99.0.5:9090"
finish
