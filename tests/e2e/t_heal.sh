#!/bin/sh
# Self-healing with ownership forced off (FLOWGUARD_FORCE_NO_OWNER=1): whatever another
# process does to table inet flowguard is undone within 1 s, and the log names it.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

# Runs "nft $*" in the client namespace; then waits (1 s at most) until the table is back
# to $want and says how long that took.
heal_check() {
	what=$1
	shift
	inc nft "$@" || { fail "$what: nft $*"; return; }
	t0=$(now_ms)
	if wait_for 1 '[ "$(listing)" = "$want" ]'; then
		ok "$what: restored in $(($(now_ms) - t0)) ms"
	else
		fail "$what: not restored within 1 s"
		listing | diff - "$T/want" >&2
	fi
}

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config enforce 3s
agent_start FLOWGUARD_FORCE_NO_OWNER=1 || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
sleep 0.3
want=$(listing)
echo "$want" >"$T/want"

heal_check "table deleted" delete table inet flowguard
grep -q "process [0-9]* ('nft') deleted the table; restoring it" "$LOG" &&
	ok "log: $(grep -o "process [0-9]* ('nft') deleted the table.*" "$LOG" | head -1)" ||
	fail "log does not name nft"
has_addr $S 10.99.0.2 && ok "DNS addresses restored with the table" || fail "set: $(set_addrs $S)"
handle=$(inc nft -a list chain inet flowguard egress | grep 'allow test-web' | head -1 |
	grep -o 'handle [0-9]*' | cut -d' ' -f2)
heal_check "rule deleted" delete rule inet flowguard egress handle "$handle"
heal_check "element deleted" delete element inet flowguard $S '{ 10.99.0.2 }'
heal_check "foreign element added" add element inet flowguard $S '{ 10.99.0.9 timeout 1h }'
heal_check "set flushed" flush set inet flowguard $S
heal_check "foreign rule added" add rule inet flowguard egress ip daddr 10.99.0.8 accept
can_connect 10.99.0.2 8080 && ok "10.99.0.2 still connects" || fail "10.99.0.2 blocked"
n=$(grep -c "restoring it" "$LOG")
[ "$n" -ge 6 ] && ok "$n restores logged" || fail "$n restores logged, want 6"
inc "$FG" status --run-dir "$T/run" | grep -q "restored the table [0-9]* times; last .* process [0-9]* ('nft')" &&
	ok "status shows the last restore" || fail "status: $(inc "$FG" status --run-dir "$T/run" | head -8)"

# A process name is the process's choice: one with a line break (nft copied under the name
# "n<LF><3>flowguard") must not forge a log line, nor a line in status.
weird="$T/$(printf 'n\n<3>flowguard')"
cp "$(command -v nft)" "$weird"
inc "$weird" delete table inet flowguard || fail "delete through $weird"
wait_for 1 '[ "$(listing)" = "$want" ]' && ok "deleted by a process with a line break in its name: restored" ||
	fail "not restored after the weird process"
grep -Fq "('n\x0a<3>flowguard') deleted the table; restoring it" "$LOG" &&
	! grep -q '^<3>flowguard' "$LOG" && ok "log: the process name escaped: $(grep -o "process [0-9]* ('n.x0a[^)]*)" "$LOG" | head -1)" ||
	fail "log: $(grep -n -A1 "deleted the table" "$LOG" | tail -3)"
inc "$FG" status --run-dir "$T/run" >"$T/st.txt" 2>&1
grep -Fq "('n\x0a<3>flowguard') deleted the table" "$T/st.txt" && ! grep -q '^<3>flowguard' "$T/st.txt" &&
	ok "status: the process name escaped" || fail "status: $(grep -A1 restored "$T/st.txt")"
finish
