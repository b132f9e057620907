#!/bin/sh
# Self-healing with ownership forced off (FLOWGUARD_FORCE_NO_OWNER=1): whatever another
# process does to table inet flowguard is undone within 1 s, and the log names it. The 1 s
# is timed by nft monitor (tests/e2e/nftwatch.py), from the other process's commit to the
# agent's restoring one, as the monitor reads them (two commits read at once show as 0 ms): a
# busy machine slows the shell that checks, not what is measured.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

# Runs "nft $*" in the client namespace; then waits until the table is back to $want and
# says how long the agent took.
heal_check() {
	what=$1
	shift
	t0=$(now_ms)
	inc nft "$@" || { fail "$what: nft $*"; return; }
	if ! wait_for 20 '[ "$(listing)" = "$want" ]'; then
		fail "$what: not restored within 20 s"
		listing | diff - "$T/want" >&2
		return
	fi
	watch_sync "$T/mon" || fail "$what: nft monitor lags"
	ms=$("$PY" "$NFTWATCH" reaction "$T/mon" "$t0")
	[ -n "$ms" ] && [ "$ms" -le 1000 ] && ok "$what: restored in $ms ms" ||
		fail "$what: restored in '$ms' ms, not within 1 s: $(tail -n 20 "$T/mon")"
}

topo_up || { fail "topology"; finish; }
watch_start "$T/mon" || finish
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config enforce 3s
agent_start FLOWGUARD_FORCE_NO_OWNER=1 || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
# The table changes by itself only while the first answers come in: once every name has
# answered or failed (TTL 60 s, and the catalog's names have no address), it holds still,
# and each commit of the agent's from here on is a restore.
wait_for 20 '[ "$(status_eval "all(n[\"failures\"] or n[\"last_good_ms\"] for n in s[\"names\"])")" = True ]' ||
	fail "the first answers did not all come in: $(status_eval 's["names"]')"
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
finish
