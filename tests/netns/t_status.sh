#!/bin/sh
# flowguard status shows each flow's counter from the live table, one line per flow (its v4
# and v6 rules summed); with no agent, a table left in place is said to be unmaintained.
. tests/netns/lib.sh

ip link set lo up
./flowguard apply -c policies/examples/demo.yaml --catalog "$FG_CATALOG" >/dev/null 2>&1 ||
	fail "apply of the demo policy"
# One SYN to the relay's local port: counted by the relay-local rule (refused, nothing listens).
python3 -c 'import socket; s = socket.socket(); s.settimeout(1)
try: s.connect(("127.0.0.1", 4123))
except OSError: pass' 2>/dev/null
./flowguard status --run-dir "$TMPDIR_NS/norun" >"$TMPDIR_NS/status.out" 2>&1
grep -E '^ +[1-9][0-9]* +[0-9]+  relay-local \(row 21\)' "$TMPDIR_NS/status.out" >/dev/null &&
	ok "status: the relay-local rule counted the connection" ||
	fail "no counted relay-local rule: $(cat "$TMPDIR_NS/status.out")"
grep -qE '^ +0 +0  enforce: not an allowed flow' "$TMPDIR_NS/status.out" &&
	ok "status: the final drop rule is listed with its counter" ||
	fail "final rule missing: $(cat "$TMPDIR_NS/status.out")"
dups=$(awk '/^chain /{c=$2} /^ +[0-9]+ +[0-9]+  /{sub(/^ +[0-9]+ +[0-9]+  /, ""); print c ": " $0}' \
	"$TMPDIR_NS/status.out" | sort | uniq -d)
[ -z "$dups" ] && grep -q 'agent-swp (row 10)' "$TMPDIR_NS/status.out" &&
	ok "status: one line per flow (v4 and v6 rules summed)" || fail "listed twice: $dups"
grep -q '^agent: NOT running' "$TMPDIR_NS/status.out" &&
	grep -q '^table inet flowguard: KEPT (fail closed) but NO LONGER MAINTAINED' "$TMPDIR_NS/status.out" &&
	ok "status: no agent, the table is kept but not maintained" ||
	fail "unmaintained table not said: $(head -3 "$TMPDIR_NS/status.out")"
finish
