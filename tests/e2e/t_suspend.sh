#!/bin/sh
# A suspend, as the agent sees it (issue 9): CLOCK_BOOTTIME, its deadline clock, jumps
# 10 minutes ahead (tests/e2e/clockshim.so; the wall clock jumps with it, as after a real
# resume). TTL 2 s, grace 3 s, max-stale 1 h: after resume every TTL and grace is over but
# the last good answer is only 10 minutes old.
# 1. DNS answers after the resume: the address is never missing from the set (nft monitor
#    records every change, tests/e2e/nftwatch.py), the refresh goes out, the next change
#    still arrives.
# 2. DNS does not answer after the resume (the network is not back yet): names.h's rule,
#    "on failure the last good addresses stay until max_stale after the last good answer",
#    keeps the address, with a warning.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
SHIM=$TOP/tests/e2e/clockshim.so
[ -f "$SHIM" ] || make -s tests/e2e/clockshim.so >/dev/null 2>&1 ||
	{ fail "no $SHIM (make tests/e2e/clockshim.so)"; finish; }

# Seconds until the element for $2 in set $1 expires, as nft prints it (e.g. "29s840ms").
expires() {
	inc nft list set inet flowguard "$1" 2>/dev/null | tr -d '\n' | tr ',{}' '\n\n\n' |
		grep -F " $2 " | grep -o 'expires [0-9dhms]*' | head -1 | sed 's/expires //'
}

suspend_for() { # suspend_for SECONDS: boot and wall clock move on by SECONDS more
	_sus=$((${_sus:-0} + $1))
	printf 'realtime %s\nboottime %s\n' "$_sus" "$_sus" >"$T/clock.tmp" && mv "$T/clock.tmp" "$T/clock"
}

# The agent's last good answer for web.test, as the wall clock of the status file (ms).
last_good() {
	status_eval 'name("web.test")["last_good_ms"]'
}

topo_up || { fail "topology"; finish; }
: >"$T/clock"
watch_start "$T/mon" || finish
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s
agent_start FLOWGUARD_DEBUG=1 FG_CLOCK_FILE="$T/clock" LD_PRELOAD="$SHIM" || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
from=$(now_ms)
wait_for 10 '[ "$(last_good)" -gt 0 ] 2>/dev/null' || fail "no answer in $T/run/status.json"
# shellcheck disable=SC2034 # read by wait_for's eval
g0=$(last_good)

suspend_for 600
# Resumed: the first answer on the jumped clock, then the next one (TTL 2 s) after it.
wait_for 15 '[ "$(last_good)" -gt $((g0 + 300000)) ] 2>/dev/null' || fail "no answer after the resume: $(last_good)"
# shellcheck disable=SC2034 # read by wait_for's eval
g1=$(last_good)
wait_for 15 '[ "$(last_good)" -gt "$g1" ] 2>/dev/null' || fail "no second answer after the resume"
to=$(now_ms)
watch_sync "$T/mon" || fail "nft monitor lags"
gaps=$(watch_missing "$T/mon" $S 10.99.0.2 "$from" "$to")
[ -z "$gaps" ] && [ -n "$(watch_states "$T/mon" $S "$from" "$to")" ] &&
	ok "resume with DNS up: 10.99.0.2 never missing from the set ($((to - from)) ms, every commit)" ||
	fail "resume with DNS up: 10.99.0.2 missing from the set: $(echo "$gaps" | head -3 | tr '\n' ' ')"
t0=$(now_ms)
dns_set web.test 'web.test. 2 IN A 10.99.0.3'
wait_for 5 has_addr $S 10.99.0.3 && ok "refresh after the resume: 10.99.0.3 after $(($(now_ms) - t0)) ms" ||
	fail "no refresh after the resume: $(set_addrs $S)"

wait_for 10 '! has_addr $S 10.99.0.2'
dns_stop
n0=$(grep -c "'web.test'" "$LOG")
# Written after the resume (the agent's wall clock is 600 s further on), in the round that
# answered a failed query (the next query is set from the new clock): that round's log
# lines, and any removal, come before it.
# shellcheck disable=SC2034 # read by wait_for's eval
j=$((($(date +%s) + _sus + 600 - 60) * 1000))
suspend_for 600
wait_for 15 '[ "$(status_eval "(s[\"updated_ms\"] >= $j and name(\"web.test\")[\"failures\"] > 0 and
	not name(\"web.test\")[\"in_flight\"] and name(\"web.test\")[\"next_query_ms\"] >= $j)")" = True ]' ||
	fail "no failed query after the resume: $(status_eval 'name("web.test")')"
after=$(tail -n +1 "$LOG" | grep "'web.test'" | tail -n +$((n0 + 1)))
echo "$after" | grep -q "Failed to resolve 'web.test': .*keeping 1 cached" &&
	! echo "$after" | grep -q "removed 10.99.0.3" &&
	ok "resume with DNS down: the agent keeps 10.99.0.3 (last good answer 10 min old, max-stale 1 h)" ||
	fail "resume with DNS down: the agent dropped the last good address 10 min into a 1 h max-stale: $(echo "$after" | head -3 | tr '\n' '|')"
if echo "$after" | grep -q "removed 10.99.0.3"; then
	has_addr $S 10.99.0.3 && fail "the agent logged 'removed 10.99.0.3' but the kernel set still holds it ($(expires $S 10.99.0.3) s left): it sent no delete" ||
		ok "agent and kernel agree: 10.99.0.3 gone from both"
else
	has_addr $S 10.99.0.3 && ok "agent and kernel agree: 10.99.0.3 in both" ||
		fail "the agent keeps 10.99.0.3 but the kernel set lacks it"
fi
kill -0 "$AGENT" 2>/dev/null && ok "agent alive" || fail "agent died"
finish
