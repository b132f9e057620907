#!/bin/sh
# flowguard audit against a running agent: the DNS-fed sets are compared with its current
# answers (an address it never resolved is "extra, not in the agent's current answers", a
# deleted one "missing, in the agent's current answer for web.test"), and audit says who
# changed the table when the agent saw it. Exit codes: 0 in sync, 1 drift. The agent runs
# without table ownership (FLOWGUARD_FORCE_NO_OWNER=1) and is stopped (SIGSTOP) while the
# table drifts, so that it does not restore it before audit looks.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config enforce 3s
agent_start FLOWGUARD_FORCE_NO_OWNER=1 || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
audit() { inc "$FG" audit -c "$CONF" --catalog "$CATALOG" --run-dir "$T/run" "$@"; }
wait_for 5 'audit >"$T/a.out" 2>&1' && ok "in sync: exit 0 ($(head -1 "$T/a.out"))" ||
	fail "not in sync: $(cat "$T/a.out")"
grep -q "DNS-fed sets: elements not compared" "$T/a.out" &&
	fail "DNS-fed sets not compared with a running agent" || ok "DNS-fed sets compared"

# A foreign change the agent sees (and undoes): audit names who made it.
inc nft add rule inet flowguard egress ip daddr 10.99.0.8 accept
wait_for 5 'grep -q "restoring it" "$LOG"' || fail "the agent did not see the change"
wait_for 5 '[ "$(inc nft list chain inet flowguard egress | grep -c 10.99.0.8)" = 0 ]' ||
	fail "not restored"
kill -STOP "$AGENT"
inc nft delete element inet flowguard $S '{ 10.99.0.2 }'
inc nft add element inet flowguard $S '{ 10.99.0.9 timeout 1h }'
audit >"$T/a.out" 2>&1
rc=$?
[ $rc -eq 1 ] && ok "drift: exit 1" || fail "rc $rc: $(cat "$T/a.out")"
grep -qxF "  set $S: 1 element missing: 10.99.0.2 (in the agent's current answer for web.test)" "$T/a.out" &&
	ok "words: the deleted DNS element is in the agent's answer" || fail "missing: $(cat "$T/a.out")"
grep -qxF "  set $S: 1 element extra: 10.99.0.9 (not in the agent's current answers)" "$T/a.out" &&
	ok "words: the foreign DNS element is not" || fail "extra: $(cat "$T/a.out")"
grep -Eq "^the running agent \(pid $AGENT\) saw 1 foreign change; the last, [0-9]+ s ago: process [0-9]+ \('nft'\) added a rule$" "$T/a.out" &&
	ok "who changed it: $(grep 'the running agent' "$T/a.out")" || fail "who: $(cat "$T/a.out")"
audit --json >"$T/a.json" 2>"$T/a.err"
rc=$?
"$PY" - "$T/a.json" "$AGENT" <<'PYEOF' && [ $rc -eq 1 ] && ok "--json: the same, exit 1" || fail "--json (rc $rc): $(cat "$T/a.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["in_sync"] is False and d["dns_checked"] is True, d
kinds = sorted((c["kind"], c["set"], c["elements"][0]) for c in d["changes"])
assert kinds == [("elements_extra", "allow_test_web_names_v4", "10.99.0.9"),
                 ("elements_missing", "allow_test_web_names_v4", "10.99.0.2")], kinds
assert all(c["dns"] for c in d["changes"])
a = d["agent"]
assert a["pid"] == int(sys.argv[2]) and a["foreign_changes"] == 1, a
assert a["last_change"]["comm"] == "nft" and a["last_change"]["what"] == "added a rule", a
PYEOF
kill -CONT "$AGENT"
# Back in the agent's hands: it restores what it sees changed.
wait_for 5 'audit >/dev/null 2>&1' && ok "restored: in sync again" || fail "still drifted: $(audit)"
finish
