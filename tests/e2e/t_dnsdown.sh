#!/bin/sh
# DNS server stopped: the addresses stay (past TTL and grace), with one warning for the outage;
# restarted with a new answer: the agent recovers. The 6 s of outage pass at once for the
# agent (tests/e2e/clockshim.so moves its wall and boot clocks, as a suspend does), not in real time.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
SHIM=$TOP/tests/e2e/clockshim.so
[ -f "$SHIM" ] || make -s tests/e2e/clockshim.so >/dev/null 2>&1 ||
	{ fail "no $SHIM (make tests/e2e/clockshim.so)"; finish; }

topo_up || { fail "topology"; finish; }
: >"$T/clock"
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 2s
agent_start FG_CLOCK_FILE="$T/clock" LD_PRELOAD="$SHIM" || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
dns_stop
# Written 6 s on (3 s of slack before that), in the round that answered a failed query (the
# next query is set from the moved clock): its log lines, and any removal, come before it.
# shellcheck disable=SC2034 # read by wait_for's eval
j=$((($(date +%s) + 6 - 3) * 1000))
printf 'realtime 6\nboottime 6\n' >"$T/clock.tmp" && mv "$T/clock.tmp" "$T/clock"
wait_for 15 '[ "$(status_eval "(s[\"updated_ms\"] >= $j and name(\"web.test\")[\"failures\"] > 0 and
	not name(\"web.test\")[\"in_flight\"] and name(\"web.test\")[\"next_query_ms\"] >= $j)")" = True ]' ||
	fail "no failed query 6 s on: $(status_eval 'name("web.test")')"
has_addr $S 10.99.0.2 && can_connect 10.99.0.2 8080 &&
	ok "DNS down 6 s (TTL 2 s + grace 2 s): 10.99.0.2 still allowed" ||
	fail "address lost while DNS was down: $(set_addrs $S)"
grep -q "^<4>DNS: 127.0.0.1:5399 does not answer (.*): [0-9]* of [0-9]* names affected, 1 cached addresses kept; retrying with backoff, next in [0-9]* s" "$LOG" &&
	[ "$(grep -c '^<4>DNS: ' "$LOG")" -le 2 ] &&
	ok "warned once: $(grep -o "DNS: 127.0.0.1:5399 does not answer.*" "$LOG" | tail -1)" ||
	fail "no outage warning: $(grep '^<4>' "$LOG")"
inc "$FG" status --run-dir "$T/run" | grep -A1 "web.test:" | grep -q "last error:" &&
	ok "status shows the last error" || fail "status: $(inc "$FG" status --run-dir "$T/run" | grep -A2 web.test)"
dns_up 'web.test. 2 IN A 10.99.0.6' || finish
t0=$(now_ms)
wait_for 30 has_addr $S 10.99.0.6 && ok "DNS back: new answer applied after $(($(now_ms) - t0)) ms" ||
	fail "no recovery: $(set_addrs $S)"
can_connect 10.99.0.6 8080 && ok "10.99.0.6 connects" || fail "10.99.0.6 blocked"
wait_for 8 '! has_addr $S 10.99.0.2' && ok "stale 10.99.0.2 removed after the good answer's grace" ||
	fail "10.99.0.2 kept: $(set_addrs $S)"
finish
