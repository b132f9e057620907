#!/bin/sh
# The agent under valgrind through record churn, DNS outages, reloads and foreign changes
# (ownership forced off): no memory errors, no leaks, clean exit. SOAK_SECONDS (default 15)
# sets the length; the issue's 10-minute soak is SOAK_SECONDS=600.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
SECONDS_TOTAL=${SOAK_SECONDS:-15}

command -v valgrind >/dev/null || { echo "  skipped: no valgrind"; exit 0; }
topo_up || { fail "topology"; finish; }
chain_zone 10.99.0.4
dns_up 'web.test. 1 IN A 10.99.0.2' 'many.test. 1 IN A 10.99.0.2' || finish
write_config enforce 1s '  - name: test-alias' '    to: [alias.chain.test, many.test]' \
	'    ports: [8080]'
WRAP="valgrind -q --suppressions=$TOP/tests/e2e/valgrind.supp --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=definite,indirect --error-exitcode=9 --log-file=$T/vg.log"
agent_start FLOWGUARD_DEBUG=1 FLOWGUARD_FORCE_NO_OWNER=1 || finish
wait_for 10 has_addr $S 10.99.0.2 && ok "start under valgrind" || fail "set: $(set_addrs $S)"
# The records of round $1 (web.test two addresses, many.test five), set in unbound.
round_records() {
	dns_set web.test "web.test. 1 IN A 10.99.0.$a" "web.test. 1 IN A 10.99.0.$b"
	dns_set many.test "many.test. 1 IN A 10.99.0.2" "many.test. 1 IN A 10.99.0.3" \
		"many.test. 1 IN A 10.99.0.4" "many.test. 1 IN A 10.99.0.5" "many.test. 1 IN A 10.99.0.$a"
}

# web.test's current answer in the agent, as status.json has it: "A B", sorted.
current() {
	status_eval '" ".join(sorted(x["address"] for x in name("web.test")["addresses"] if x["current"]))'
}

# count PATTERN: how many log lines match.
count() {
	grep -c "$1" "$LOG"
}

t0=$(date +%s)
end=$((t0 + SECONDS_TOTAL))
i=0
# Each round waits for the agent to take in its answer, and there are at least 13 rounds,
# so every kind of churn comes round however slow the machine is (valgrind, other work).
while [ "$(date +%s)" -lt "$end" ] || [ $i -lt 13 ]; do
	i=$((i + 1))
	a=$((2 + i % 8))
	b=$((2 + (i + 3) % 8))
	round_records
	[ $((i % 5)) -eq 0 ] && chain_zone "10.99.0.$a" && chain_reload
	if [ $((i % 7)) -eq 0 ]; then
		n=$(count Reloaded)
		kill -HUP "$AGENT"
		wait_for 30 '[ "$(count Reloaded)" -gt $n ]' || fail "round $i: no reload"
	fi
	if [ $((i % 11)) -eq 0 ]; then
		n=$(count "restoring it")
		inc nft delete table inet flowguard
		wait_for 30 '[ "$(count "restoring it")" -gt $n ]' || fail "round $i: no restore"
	fi
	if [ $((i % 13)) -eq 0 ]; then
		# shellcheck disable=SC2034 # read by wait_for's eval
		n=$(count "keeping")
		dns_stop
		wait_for 30 '[ "$(count "keeping")" -gt $n ]' || fail "round $i: no failure with DNS down"
		dns_start || break
		round_records # unbound starts again from its configuration file
	fi
	want=$(printf '10.99.0.%s\n' $a $b | sort -u | tr '\n' ' ')
	wait_for 30 '[ "$(current) " = "$want" ]' || fail "round $i: web.test is '$(current)', want '$want'"
done
ok "$i rounds of churn in $(($(date +%s) - t0)) s"
wait_for 10 has_addr $S "10.99.0.$a" && ok "still following DNS" || fail "set: $(set_addrs $S)"
agent_stop && ok "clean exit, valgrind found nothing" || fail "exit $rc: $(cat "$T/vg.log")"
# "==PID==" lines are memcheck's findings; "--PID--" ones are valgrind's own notes
# (such as syscalls it does not know, which then fail with ENOSYS and take the fallback).
grep -q '^==' "$T/vg.log" && fail "valgrind: $(cat "$T/vg.log")"
grep -q "restoring it" "$LOG" && grep -q "Reloaded" "$LOG" && grep -q "keeping" "$LOG" &&
	ok "exercised restores, reloads and DNS failures" || fail "some path did not run"
finish
