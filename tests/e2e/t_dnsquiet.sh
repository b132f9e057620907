#!/bin/sh
# An unreachable resolver is one warning line (the servers, how many names, the next retry),
# not one per name and retry; the per-name failures are debug lines; nothing retried says
# "ignoring". When it answers again: one line for the servers, one for the names back.
. tests/e2e/lib.sh

topo_up || { fail "topology"; finish; }
write_config enforce 2s
# No DNS server yet: 127.0.0.1:5399 refuses every query.
agent_start FLOWGUARD_DEBUG=1 || finish
fails_of() { grep -c "^<7>Failed to resolve '$1'" "$LOG"; }
# Four failures of one name: the first try and three retries with backoff (1, 2, 4 s).
wait_for 30 '[ "$(fails_of web.test)" -ge 4 ]' && ok "web.test failed $(fails_of web.test) times (debug lines)" ||
	fail "web.test retries: $(fails_of web.test)"
dnswarn=$(grep -E '^<4>.*(DNS|resolv)' "$LOG")
n=$(printf '%s\n' "$dnswarn" | grep -c .)
[ "$n" -eq 1 ] && ok "one DNS warning for $(grep -c "^<7>Failed to resolve" "$LOG") failed queries" ||
	fail "$n DNS warnings: $dnswarn"
printf '%s\n' "$dnswarn" | grep -Eq '^<4>DNS: 127\.0\.0\.1:5399 does not answer \(refused, unreachable or SERVFAIL\): ([0-9]+) of \1 names affected, 0 cached addresses kept; retrying with backoff, next in [0-9]+ s$' &&
	ok "it names the server, the names affected and the next retry" || fail "outage line: $dnswarn"
grep -i "resolv.*ignoring\|ignoring.*resolv" "$LOG" && fail "'ignoring' for a retried lookup" ||
	ok "no 'ignoring' for what is retried"
# flowguard status starts with a summary: the agent, the table, DNS health.
st=$(inc "$FG" status --run-dir "$T/run")
printf '%s\n' "$st" | sed -n 1p | grep -q '^agent: running, pid [0-9]*, .*mode enforce$' &&
	printf '%s\n' "$st" | sed -n 2p | grep -q '^table inet flowguard: present, held by the agent$' &&
	printf '%s\n' "$st" | sed -n 3p | grep -Eq '^DNS: 127\.0\.0\.1:5399 not answering \(refused, unreachable or SERVFAIL\) for [0-9]+ s: ([0-9]+) of \1 names affected, 0 cached addresses kept; next retry in [0-9]+ s$' &&
	ok "status summary: $(printf '%s\n' "$st" | sed -n 3p)" || fail "status summary: $(printf '%s\n' "$st" | head -5)"
printf '%s\n' "$st" | grep -q '^  allow_test_web_names_v4, allow_test_web_names_v6: web.test$' &&
	ok "status lists each DNS-fed set's names" || fail "sets: $(printf '%s\n' "$st" | grep -A3 'DNS-fed sets')"
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
wait_for 15 'grep -q "DNS: 127.0.0.1:5399 answers again after [0-9]* s" "$LOG"' &&
	ok "back: $(grep -o 'DNS: 127.0.0.1:5399 answers again.*' "$LOG")" || fail "no recovery line"
wait_for 10 'grep -q "DNS: 1 name resolves again: web.test" "$LOG"' && ok "one line for the name back" ||
	fail "names back: $(grep 'resolve' "$LOG" | grep -v '^<7>')"
st=$(inc "$FG" status --run-dir "$T/run")
printf '%s\n' "$st" | sed -n 3p | grep -Eq '^DNS: [0-9]+ of [0-9]+ names fail: .*\(NXDOMAIN\).*; 0 cached addresses kept; next retry in [0-9]+ s$' &&
	ok "status once DNS answers: $(printf '%s\n' "$st" | sed -n 3p | cut -c1-90)..." ||
	fail "status after: $(printf '%s\n' "$st" | head -4)"
finish
