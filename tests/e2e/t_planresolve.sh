#!/bin/sh
# flowguard plan resolves by default as the agent does at start (its resolver settings, a
# short timeout): the DNS-fed sets show the answers, each element with its name as comment;
# every such set names the names that feed it (comment lines, and the kernel comment where
# they fit); what did not resolve is said on stderr. --no-resolve is the offline view. The
# printed plan loads with nft -f.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' 'web.test. 60 IN AAAA fd00::2' || finish
write_config enforce 3s
plan() { inc "$FG" plan -c "$CONF" --catalog "$CATALOG" "$@"; }
plan >"$T/plan.nft" 2>"$T/plan.err"
rc=$?
block() { sed -n "/^	set $1 {/,/^	}/p" "$T/plan.nft"; }
[ $rc -eq 0 ] && block $S | grep -q 'elements = { 10.99.0.2 timeout [0-9hms]* comment "web.test" }' &&
	block allow_test_web_names_v6 | grep -q 'fd00::2 timeout [0-9hms]* comment "web.test"' &&
	ok "plan resolved web.test into its sets" || fail "plan (rc $rc): $(block $S)"
block $S | grep -qx '		# from DNS: web.test' &&
	block allow_test_web_names_v6 | grep -qx "		# from DNS: the names of $S" &&
	block $S | grep -qx '		comment "allow test-web (local configuration): addresses of web.test"' &&
	ok "each DNS-fed set names its sources (comment lines, kernel comment)" || fail "sources: $(block $S)"
grep -Eq '^flowguard: plan: 1 of [0-9]+ names resolved; not: .*\(NXDOMAIN\)' "$T/plan.err" &&
	ok "stderr: $(cut -c1-100 "$T/plan.err")..." || fail "stderr: $(cat "$T/plan.err")"
grep -q "^# Sets with 'flags timeout' hold what their names resolved to now" "$T/plan.nft" &&
	ok "header says the sets hold answers" || fail "header: $(sed -n 3p "$T/plan.nft")"
inc nft -f "$T/plan.nft" && has_addr $S 10.99.0.2 && ok "nft -f loads it; the set holds 10.99.0.2" ||
	fail "nft -f of the resolved plan"
inc nft delete table inet flowguard
plan --no-resolve >"$T/offline.nft" 2>"$T/offline.err"
! grep -q 'elements = .*comment "web.test"' "$T/offline.nft" && ! grep -q "names resolved" "$T/offline.err" &&
	grep -q "^# Sets with 'flags timeout' are filled from DNS at run time; they are empty here." "$T/offline.nft" &&
	ok "--no-resolve: empty DNS-fed sets, nothing asked" || fail "--no-resolve: $(cat "$T/offline.err")"
# A resolver that does not answer: the plan still comes, its sets empty, within the timeout.
dns_stop
t0=$(now_ms)
plan >"$T/down.nft" 2>"$T/down.err"
rc=$?
took=$(($(now_ms) - t0))
[ $rc -eq 0 ] && [ $took -lt 6000 ] && ! grep -q 'comment "web.test"' "$T/down.nft" &&
	grep -q '^flowguard: plan: 0 of [0-9]* names resolved' "$T/down.err" &&
	ok "DNS down: plan in $took ms, sets empty, said on stderr" || fail "DNS down (rc $rc, $took ms): $(cat "$T/down.err")"
finish
