#!/bin/sh
# An invalid config at start: exit 2 with the error located. SIGHUP with a bad config: the table stays exactly as it was (nft list before and after)
# and the error is logged with file:line:col; with a good config: applied in place, the
# known answers carried over (DNS is down by then, so they can only come from the old store), RELOADING=1 then READY=1 for systemd.
# STATUS= says a refused reload until a good one lands; the log says what each reload read and changed.
. tests/e2e/lib.sh
S=allow_test_web_names_v4

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s
sed 's/^mode: enforce/mode: enforcee/' "$CONF" >"$T/bad.yaml"
inc timeout 10 "$FG" run -c "$T/bad.yaml" --catalog "$CATALOG" --state-dir "$STATE" \
	--run-dir "$T/run" >"$T/bad.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "bad.yaml:1:7: error: unknown mode" "$T/bad.log" &&
	! inc nft list table inet flowguard >/dev/null 2>&1 &&
	ok "invalid config at start: exit 2, located error, no table" ||
	fail "bad start: rc $rc, $(cat "$T/bad.log")"
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
before=$(listing)
: >"$NOTIFY"

sed -i 's/ports: \[8080\]/ports: [8080, 80800]/' "$CONF"
line=$(grep -n 80800 "$CONF" | cut -d: -f1)
kill -HUP "$AGENT"
wait_for 5 'grep -q "Reload failed" "$LOG"' && ok "bad config refused" || fail "no 'Reload failed'"
grep -q "$CONF:$line:[0-9]*: .*80800" "$LOG" &&
	ok "error located: $(grep -o "flowguard.yaml:$line:[0-9]*:.*" "$LOG" | head -1)" ||
	fail "no $CONF:$line:col error in the log"
# The refusal is written to status.json after the agent is done with the SIGHUP: any
# change to the table it would make comes before.
wait_for 10 '[ -n "$(status_eval "s[\"reload_error\"]")" ]' || fail "status.json shows no refusal"
after=$(listing)
[ "$before" = "$after" ] && ok "table unchanged (nft list before = after)" ||
	{ fail "table changed by a refused reload"; echo "$before" >"$T/a"; echo "$after" >"$T/b"; diff "$T/a" "$T/b" >&2; }
grep -q "RELOADING=1" "$NOTIFY" && grep -q "READY=1" "$NOTIFY" &&
	ok "systemd: RELOADING=1, then READY=1" || fail "notify: $(cat "$NOTIFY")"
inc "$FG" status --run-dir "$T/run" | grep -q "REFUSED" && ok "status reports the refused reload" ||
	fail "status does not show the refusal"
grep "STATUS=" "$NOTIFY" | tail -1 | grep -q "last reload REFUSED" &&
	ok "systemd STATUS= says the last reload was refused" || fail "STATUS=: $(grep STATUS= "$NOTIFY" | tail -1)"
kill -0 "$AGENT" && ok "agent still running" || fail "agent died"

# With DNS down, what the new configuration allows can only come from the carried answers.
dns_stop
sed -i 's/ports: \[8080, 80800\]/ports: [8080, 9090]/' "$CONF"
: >"$NOTIFY"
kill -HUP "$AGENT"
wait_for 5 'grep -q "Reloaded" "$LOG"' && ok "good config applied" || fail "no 'Reloaded' in the log"
has_addr $S 10.99.0.2 && ok "known answer carried over: 10.99.0.2 stays" ||
	fail "set emptied by the reload: $(set_addrs $S)"
listing | grep -q "tcp dport 9090" && ok "new rule in the table" || fail "no dport 9090 rule"
can_connect 10.99.0.2 9090 && ok "10.99.0.2:9090 now connects" || fail "9090 still blocked"
grep -q "READY=1" "$NOTIFY" && ok "READY=1 after the reload" || fail "notify: $(cat "$NOTIFY")"
grep "STATUS=" "$NOTIFY" | tail -1 | grep -q "REFUSED" &&
	fail "STATUS= still says refused after a good reload" || ok "STATUS= clear after a good reload"
# The journal's audit trail: which files were read, what the reload changed.
grep -qF "Reload read catalog $CATALOG; configuration $CONF" "$LOG" &&
	ok "logged the files read" || fail "no files: $(grep 'Reload read' "$LOG")"
grep -qF "reload: rule added in chain egress: allow entry test-web (local configuration): ip daddr @allow_test_web_names_v4 tcp dport 9090 counter accept" "$LOG" &&
	grep -qF "reload: rule added in chain egress: allow entry test-web (local configuration): ip6 daddr @allow_test_web_names_v6 tcp dport 9090 counter accept" "$LOG" &&
	ok "logged the rules added" || fail "changes: $(grep 'reload:' "$LOG")"

# flowguard reload (the unit's ExecReload=): validates, tells the agent, returns its verdict.
reload() { inc "$FG" reload -c "$CONF" --catalog "$CATALOG" --run-dir "$T/run" >"$T/rl.out" 2>&1; }
sed -i 's/ports: \[8080, 9090\]/ports: [8080, 90900]/' "$CONF"
before=$(listing)
reload
rc=$?
[ $rc -eq 2 ] && grep -q "flowguard.yaml:[0-9]*:[0-9]*: error: port '90900'" "$T/rl.out" &&
	grep -q "the agent (pid $AGENT) refused the reload: the configuration is invalid" "$T/rl.out" &&
	ok "flowguard reload, invalid: exit 2, the error located, the agent's refusal" ||
	fail "reload invalid (rc $rc): $(cat "$T/rl.out")"
[ "$before" = "$(listing)" ] && ok "flowguard reload, invalid: table unchanged" || fail "table changed"
grep "STATUS=" "$NOTIFY" | tail -1 | grep -q "last reload REFUSED" &&
	ok "flowguard reload, invalid: STATUS= says refused" || fail "STATUS=: $(grep STATUS= "$NOTIFY" | tail -1)"
sed -i 's/ports: \[8080, 90900\]/ports: [8080, 9090]/' "$CONF"
reload && grep -q "the agent (pid $AGENT) reloaded" "$T/rl.out" && ok "flowguard reload, valid: exit 0" ||
	fail "reload valid: $(cat "$T/rl.out")"
inc "$FG" reload -c "$CONF" --catalog "$CATALOG" --run-dir "$T/nothing" >"$T/rl.out" 2>&1
[ $? -eq 1 ] && grep -q "no agent runs" "$T/rl.out" && ok "flowguard reload without an agent: exit 1" ||
	fail "reload without agent: $(cat "$T/rl.out")"

# A directory in the way of the carry-over file: the agent takes its fallback.
mkdir "$T/run/names.reload"
n=$(grep -c "Reloaded" "$LOG")
kill -HUP "$AGENT"
wait_for 5 '[ "$(grep -c "Reloaded" "$LOG")" -gt "$n" ]' &&
	grep -q "carrying the allowed addresses over as fresh answers" "$LOG" &&
	ok "carry-over file blocked: fallback taken" || fail "no reload with the fallback"
has_addr $S 10.99.0.2 && can_connect 10.99.0.2 8080 && ok "fallback: 10.99.0.2 stays" ||
	fail "fallback lost the address: $(set_addrs $S)"
finish
