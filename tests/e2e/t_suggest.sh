#!/bin/sh
# Audit mode teaches: an unlisted flow (10.99.0.5:9090) connects and is seen, and so is
# an inbound one (10.99.0.7 -> this host's 7070, with 'ingress: audit'); `flowguard
# suggest -o conf.d/50-suggested.yaml` writes allow entries for them (to: and from:) that
# `flowguard check` accepts; after switching to enforce (both directions) and SIGHUP the
# same flows connect, while other unlisted addresses and ports stay blocked.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
flow() { "$PY" "$TOP/tests/e2e/flows.py" "$T/run/status.json" "$@"; }
OUT=$T/conf.d/50-suggested.yaml

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config audit 3s
sed -i 's/^mode: audit/mode: audit\ningress: audit/' "$CONF"
mkdir -p "$T/conf.d" "$T/emptyroot"
ip netns exec "$C" "$PY" "$HELPER" listen 7070 >/dev/null 2>&1 &
BG="$BG $!"
# An inbound connection from one of the peer's addresses (bound, so the source is known).
inbound() {
	inp "$PY" -c '
import socket, sys
s = socket.socket()
s.settimeout(1)
s.bind((sys.argv[1], 0))
try:
    s.connect(("10.99.0.1", 7070))
except OSError:
    sys.exit(1)
' "$1"
}
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
inc "$FG" suggest -c "$CONF" --catalog "$CATALOG" --run-dir "$T/run" -o "$OUT" 2>"$T/err"
[ $? -eq 0 ] && [ ! -e "$OUT" ] && grep -q "nothing blocked or would-be-blocked" "$T/err" &&
	ok "nothing seen yet: said on stderr, no file" || fail "suggest before any flow: $(cat "$T/err")"

can_connect 10.99.0.5 9090 && ok "audit: unlisted 10.99.0.5:9090 connects" || fail "10.99.0.5:9090 blocked"
wait_for 10 '[ "$(flow count destination=10.99.0.5 port=9090)" = 1 ]' &&
	ok "seen: $(flow verdict destination=10.99.0.5 port=9090) tcp 10.99.0.5:9090" ||
	fail "no entry for 10.99.0.5:9090"
inbound 10.99.0.7 && ok "ingress audit: 10.99.0.7 -> 7070 connects" || fail "inbound 10.99.0.7 -> 7070"
wait_for 10 '[ "$(flow count chain=ingress port=7070)" = 1 ]' &&
	ok "seen: $(flow verdict chain=ingress port=7070) inbound from $(flow source chain=ingress port=7070) to 7070" ||
	fail "no ingress entry for 7070: $(flow chain)"
inc "$FG" suggest -c "$CONF" --catalog "$CATALOG" --run-dir "$T/run" -o "$OUT" 2>"$T/err" &&
	[ "$(stat -c %a "$OUT")" = 644 ] && ok "suggest -o wrote $OUT (0644)" ||
	fail "suggest: rc $?, $(cat "$T/err")"
grep -q '^  - name: to-10-99-0-5-tcp$' "$OUT" && grep -q '^    to: \["10.99.0.5"\]$' "$OUT" &&
	grep -q '^    ports: \[9090\]$' "$OUT" && grep -q "^  # would block tcp 10.99.0.1:[0-9]* -> 10.99.0.5:9090" "$OUT" &&
	ok "entry to-10-99-0-5-tcp: 10.99.0.5 tcp/9090, with the observed flow" ||
	fail "suggested: $(cat "$OUT")"
grep -q '^  - name: from-10-99-0-7-tcp$' "$OUT" && grep -q '^    from: \["10.99.0.7"\]$' "$OUT" &&
	grep -q '^    ports: \[7070\]$' "$OUT" && ok "entry from-10-99-0-7-tcp: 10.99.0.7 to local tcp/7070" ||
	fail "no inbound entry: $(cat "$OUT")"
grep -q "to-10-99-0-2" "$OUT" && fail "suggested an allowed flow" || ok "allowed flows not suggested"
"$FG" check -c "$CONF" --catalog "$CATALOG" --root "$T/emptyroot" >"$T/check" 2>&1 &&
	ok "flowguard check accepts it: $(cat "$T/check")" || fail "check: $(cat "$T/check")"

sed -i -e 's/^mode: audit/mode: enforce/' -e 's/^ingress: audit/ingress: enforce/' "$CONF"
n=$(grep -c "Reloaded" "$LOG")
kill -HUP "$AGENT"
wait_for 10 '[ "$(grep -c "Reloaded" "$LOG")" -gt "$n" ]' && ok "enforce + SIGHUP: reloaded" ||
	fail "no reload: $(tail -5 "$LOG")"
inc nft list chain inet flowguard egress | grep -q 'comment "allow to-10-99-0-5-tcp (local configuration)"' &&
	ok "rule for to-10-99-0-5-tcp in the table" || fail "no rule: $(listing | grep allow)"
can_connect 10.99.0.5 9090 && ok "enforce: the suggested flow 10.99.0.5:9090 connects" ||
	fail "10.99.0.5:9090 blocked after applying the suggestion"
can_connect 10.99.0.6 9090 && fail "unlisted 10.99.0.6:9090 connected" || ok "enforce: unlisted 10.99.0.6:9090 blocked"
can_connect 10.99.0.5 8080 && fail "10.99.0.5:8080 connected" || ok "enforce: 10.99.0.5:8080 (not suggested) blocked"
inbound 10.99.0.7 && ok "enforce: the suggested inbound 10.99.0.7 -> 7070 connects" ||
	fail "inbound 10.99.0.7 -> 7070 blocked after applying the suggestion"
inbound 10.99.0.8 && fail "inbound 10.99.0.8 -> 7070 connected" || ok "enforce: inbound 10.99.0.8 -> 7070 blocked"
wait_for 10 '[ "$(flow verdict destination=10.99.0.6 port=9090)" = blocked ]' &&
	ok "10.99.0.6:9090 reported as blocked" || fail "10.99.0.6: '$(flow verdict destination=10.99.0.6 port=9090)'"

# A second run adds to the first: what the configuration allows now (the audit-mode
# entries are still in the agent's list) is left out, and no entry name is reused.
wait_for 10 '[ "$(flow count chain=ingress source=10.99.0.8)" = 1 ]'
inc "$FG" suggest -c "$CONF" --catalog "$CATALOG" --run-dir "$T/run" -o "$T/conf.d/60-more.yaml" 2>"$T/err" &&
	grep -q "left out what the configuration allows now: 2 flows" "$T/err" &&
	ok "second run: $(cat "$T/err")" || fail "second suggest: rc $?, $(cat "$T/err")"
m=$T/conf.d/60-more.yaml
grep -q -- '-> 10.99.0.6:9090 ' "$m" && grep -q -- '-> 10.99.0.5:8080 ' "$m" &&
	grep -q '^    from: \["10.99.0.8"\]$' "$m" && ! grep -q -- '-> 10.99.0.5:9090 ' "$m" &&
	! grep -q '"10.99.0.7"' "$m" && ok "second file: only the new flows" || fail "60-more.yaml: $(cat "$m")"
"$FG" check -c "$CONF" --catalog "$CATALOG" --root "$T/emptyroot" >"$T/check" 2>&1 &&
	ok "check accepts both files" || fail "check with both files: $(cat "$T/check")"
finish
