#!/bin/sh
# Other firewalls (issue 4): another table's base chain on input/output that can drop is a
# conflict, with table, chain, hook, priority and policy; an accept-only chain coexists
# (evidence); our own table and hooks flowguard does not use are never conflicts.
. tests/netns/lib.sh

json() {
	./flowguard detect --json 2>"$TMPDIR_NS/detect.err" >"$TMPDIR_NS/detect.json" ||
		fail "detect --json: $(cat "$TMPDIR_NS/detect.err")"
}

# The JSON's conflict objects, one a line (detection_print_json writes them so).
conflicts() {
	sed -n '/"conflicts"/,$p' "$TMPDIR_NS/detect.json" | grep '"where"'
}

evidence() {
	sed -n '/"evidence"/,/"conflicts"/p' "$TMPDIR_NS/detect.json" | grep '"fact": "firewall"'
}

# has_conflict WHERE HOOK PRIORITY POLICY: exactly that conflict is reported.
has_conflict() {
	conflicts | grep -Eq "\"where\": *\"$1\", *\"hook\": *\"$2\", *\"priority\": *$3, *\"policy\": *\"$4\""
}

json
conflicts | grep -q . && fail "conflicts without other tables: $(conflicts)" ||
	ok "no other tables: no conflicts"

# An iptables-nft style OUTPUT chain with policy drop: the issue's acceptance case.
nft add table ip filter
nft add chain ip filter OUTPUT '{ type filter hook output priority 0; policy drop; }'
# Accept-only chains on both hooks, as nftables.service's default table has them.
nft add table inet filter
nft add chain inet filter output '{ type filter hook output priority 0; policy accept; }'
nft add chain inet filter input '{ type filter hook input priority 0; policy accept; }'
nft add rule inet filter input ct state established,related accept
# Our own table, with an input policy drop of its own: never reported.
"$FGNL" apply sample >/dev/null || fail "apply sample"
json
has_conflict "table ip filter chain OUTPUT" output 0 drop &&
	ok "policy drop on output: conflict (table, chain, hook, priority, policy)" ||
	fail "output policy drop not reported: $(conflicts)"
conflicts | grep -q 'table ip filter chain OUTPUT.*iptables-nft table created by iptables' &&
	ok "named as an iptables-nft table" || fail "origin: $(conflicts)"
conflicts | grep -q 'inet filter' && fail "accept-only chain reported as a conflict: $(conflicts)" ||
	ok "accept-only chains: no conflict"
evidence | grep -q '"table inet filter chain input (hook input, priority 0, policy accept)".*coexists' &&
	evidence | grep -q '"table inet filter chain output (hook output, priority 0, policy accept)"' &&
	ok "accept-only chains: evidence, both hooks named" || fail "coexisting: $(evidence)"
grep -q 'inet flowguard' "$TMPDIR_NS/detect.json" &&
	fail "our table reported: $(grep 'inet flowguard' "$TMPDIR_NS/detect.json")" ||
	ok "our own table never reported"

# Drops in an accept chain: a rule of its own, and a reject in a chain it jumps to.
nft add table ip6 t2
nft add chain ip6 t2 in '{ type filter hook input priority 10; policy accept; }'
nft add rule ip6 t2 in tcp dport 22 drop
nft add table inet t3
nft add chain inet t3 deny
nft add rule inet t3 deny reject
nft add chain inet t3 out '{ type filter hook output priority -150; policy accept; }'
nft add rule inet t3 out ip daddr 192.0.2.1 jump deny
# Hooks flowguard does not use: a drop there is not a conflict.
nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
nft add table ip t4
nft add chain ip t4 pre '{ type filter hook prerouting priority 0; policy drop; }'
json
has_conflict "table ip6 t2 chain in" input 10 accept &&
	conflicts | grep -q 'chain in".*1 drop/reject rule of its own' &&
	ok "drop rule in a policy-accept input chain: conflict" || fail "ip6 t2: $(conflicts)"
has_conflict "table inet t3 chain out" output -150 accept &&
	conflicts | grep -q 'drops in chain deny it jumps to' &&
	ok "reject in a chain it jumps to: conflict, negative priority" || fail "inet t3: $(conflicts)"
conflicts | grep -Eq 'FORWARD|t4' && fail "forward/prerouting reported: $(conflicts)" ||
	ok "forward and prerouting chains: not conflicts"

# The vendor agent's own "iptables -I INPUT -p tcp --dport 4118 -j ACCEPT" (iptables-nft
# emits the same bytecode as this nft rule), next to ufw's chains.
nft add chain ip filter INPUT '{ type filter hook input priority 0; policy accept; }'
nft add rule ip filter INPUT tcp dport 4118 counter accept
nft add rule ip filter INPUT tcp dport 4122 accept
nft add chain ip filter ufw-user-input
json
evidence | grep -q '"tcp dport 4118 accept in table ip filter chain INPUT".*Deep Security Agent.*do_not_open_ports_on_iptables' &&
	evidence | grep -q '"tcp dport 4122 accept in table ip filter chain INPUT"' &&
	ok "vendor 4118/4122 accept rules recognised" || fail "vendor rules: $(evidence)"
conflicts | grep -q 'chain INPUT' && fail "accept-only INPUT reported: $(conflicts)" ||
	ok "vendor rules alone: no conflict"
has_conflict "table ip filter chain OUTPUT" output 0 drop &&
	conflicts | grep -q 'iptables-nft table created by ufw' &&
	ok "ufw's chains name ufw" || fail "ufw origin: $(conflicts)"

# A verdict map is not read: it may drop, so it is a conflict that says so.
nft add table inet t5
nft add chain inet t5 in '{ type filter hook input priority 5; policy accept; }'
nft add rule inet t5 in tcp dport vmap '{ 22 : drop, 80 : accept }'
# iptables-nft's REJECT is an xt target, not nft's reject (only where iptables-nft exists).
if command -v ip6tables-nft >/dev/null; then
	ip6tables-nft -A OUTPUT -p udp --dport 9 -j REJECT || fail "ip6tables-nft REJECT"
fi
json
has_conflict "table inet t5 chain in" input 5 accept &&
	conflicts | grep -q '1 verdict map flowguard does not read, which may drop' &&
	ok "verdict map: conflict, named as unread" || fail "vmap: $(conflicts)"
if command -v ip6tables-nft >/dev/null; then
	has_conflict "table ip6 filter chain OUTPUT" output 0 accept &&
		ok "ip6tables-nft -j REJECT (xt target): conflict" || fail "REJECT: $(conflicts)"
	nft delete table ip6 filter
else
	ok "ip6tables-nft not installed: REJECT target not checked"
fi
nft delete table inet t5

# The same, without the rest of detection (what status can call).
"$FGNL" conflicts >"$TMPDIR_NS/fw.out" 2>&1 || fail "fgnl conflicts: $(cat "$TMPDIR_NS/fw.out")"
grep -q '^conflict: table ip filter chain OUTPUT | hook output | priority 0 | policy drop' \
	"$TMPDIR_NS/fw.out" && [ "$(grep -c '^conflict:' "$TMPDIR_NS/fw.out")" -eq 3 ] &&
	ok "detect_firewalls alone: the same 3 conflicts" || fail "alone: $(cat "$TMPDIR_NS/fw.out")"

# flowguard status reports them too (issue 4: in detect and status).
./flowguard status --run-dir "$TMPDIR_NS/norun" >"$TMPDIR_NS/st.out" 2>&1
grep -q '^  table ip filter chain OUTPUT:$' "$TMPDIR_NS/st.out" &&
	grep -q 'policy drop' "$TMPDIR_NS/st.out" &&
	ok "status names the conflicting chain" || fail "status: $(cat "$TMPDIR_NS/st.out")"
finish
