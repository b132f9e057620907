#!/bin/sh
# Spoofed and stray DNS answers never reach a set (issue 13). Two misbehaving servers in
# the peer namespace (dnsbad.py): T on 10.99.0.55, the trusted resolver (dns-servers,
# resolver.servers), and U on 10.99.0.56, which the host may query (an allow entry) but
# does not trust. Each answer below carries an address that must never appear in any
# set; a wildcard name answered by T is the positive control (harvest is at work):
#   x.wild.bad.test via T, good      -> 10.99.0.4 allowed (answers only: no query asks it)
#   y.wild.bad.test via U, good      -> 10.99.0.8: not a trusted resolver
#   z.wild.bad.test forged from T's  -> 10.99.0.5: no query went out (no conntrack entry)
#     address and port 53
#   n.other.test via T, good         -> 10.99.0.7: a name the policy does not allow
#   cname/other .bad.test via T      -> 10.99.0.9: a CNAME, or an address, off the chain
#                                       that starts at the question (evil.test is allowed!)
#   trunc ptrloop ptrpast ancount rdlen5 .bad.test via T -> 10.99.0.9: malformed
#   badid otherq .bad.test via T     -> 10.99.0.9: no query this host sent has that id, or
#                                       that question (otherq's is evil.test: allowed!)
#   big.bad.test via T (no EDNS)     -> 10.99.1.x: larger than the query takes over UDP
#   tc.bad.test via T                -> truncated: the asker retries over TCP
# Every set is sampled every 0.2 s throughout; the status file counts each rejection.
. tests/e2e/lib.sh
DNSBAD=$TOP/tests/e2e/dnsbad.py
TRUSTED=10.99.0.55
UNTRUSTED=10.99.0.56
CHAIN="cname other"
MALFORMED="trunc ptrloop ptrpast ancount rdlen5"
NOQUERY="badid otherq"
OTHER="big tc"

topo_up || { fail "topology"; finish; }
ip -n "$P" addr add $TRUSTED/24 dev fg1
ip -n "$P" addr add $UNTRUSTED/24 dev fg1
{
	echo "x.wild.bad.test good 10.99.0.4"
	echo "n.other.test good 10.99.0.7"
	for b in $CHAIN $MALFORMED $NOQUERY $OTHER; do echo "$b.bad.test $b"; done
} >"$T/t.ctl"
echo "y.wild.bad.test good 10.99.0.8" >"$T/u.ctl"
for s in t u; do
	a=$TRUSTED
	[ $s = u ] && a=$UNTRUSTED
	ip netns exec "$P" "$PY" "$DNSBAD" 53 "$T/$s.ctl" "$T/$s.log" $a >"$T/$s.out" 2>&1 &
	BG="$BG $!"
	wait_for 5 'grep -q ready "$T/$s.out"' || { fail "dnsbad $s: $(cat "$T/$s.out")"; finish; }
done
cat >"$CONF" <<EOF
mode: enforce
roles: [agent]
region: de-1
dns-servers: [$TRUSTED]
ntp-servers: [10.99.0.2]
resolver:
  servers: [$TRUSTED]
allow:
  - name: wild
    to: ["*.wild.bad.test", evil.test]
    ports: [8080]
  - name: faults
    to: [$(echo $CHAIN $MALFORMED $NOQUERY $OTHER | sed 's/\([a-z0-9]*\)/\1.bad.test/g; s/ /, /g')]
    ports: [8080]
  - name: untrusted-dns
    to: [$UNTRUSTED]
    ports: [53]
    protocol: udp
EOF
agent_start || finish
# Every element any set gets from now on, from `nft monitor` (sampling would miss one that
# stays for less than its period).
watch_start "$T/mon" || finish

# Answers harvested for the wildcard (y and z would count here, were they copied).
wild_harvested() {
	"$PY" -c "import json,sys; print([n['harvested'] for n in json.load(open(sys.argv[1]))['names'] if n['fqdn'] == '*.wild.bad.test'][0])" \
		"$T/run/status.json"
}
# UDP datagrams that reached the client for no socket (the forged answers land there).
noports() {
	inc awk '/^Udp:/ { if (h) print $3; h = 1 }' /proc/net/snmp
}
rejected() {
	"$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['harvest']['answers']['rejected']['$1'])" \
		"$T/run/status.json"
}

# Positive control first: the wildcard fills from T's answer.
inc dig @$TRUSTED +time=1 +tries=1 +short x.wild.bad.test >/dev/null
wait_for 5 has_addr allow_wild_answers_v4 10.99.0.4 &&
	ok "control: x.wild.bad.test via the trusted resolver: 10.99.0.4 in the wildcard's set" ||
	fail "control: harvest did not take a good answer: $(set_addrs allow_wild_answers_v4)"

# Not a trusted resolver. (The status file follows the control within a second.)
wait_for 5 '[ "$(wild_harvested)" -ge 1 ]'
w0=$(wild_harvested)
p0=$(noports)
inc dig @$UNTRUSTED +time=1 +tries=1 +short y.wild.bad.test | grep -qx 10.99.0.8 ||
	fail "the untrusted server did not answer"
# No matching query: a forged answer from the trusted resolver's address and port.
ip netns exec "$P" "$PY" - $TRUSTED 10.99.0.1 <<'EOP' || fail "forging failed"
import socket, struct, sys
src, dst = sys.argv[1], sys.argv[2]
name = b"".join(bytes([len(l)]) + l.encode() for l in "z.wild.bad.test".split(".")) + b"\0"
dns = struct.pack("!HHHHHH", 0x4242, 0x8180, 1, 1, 0, 0) + name + struct.pack("!HH", 1, 1)
dns += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + socket.inet_aton("10.99.0.5")
udp = struct.pack("!HHHH", 53, 33333, 8 + len(dns), 0) + dns
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
s.bind((src, 0))
for _ in range(3):
    s.sendto(udp, (dst, 0))
EOP
# A name the policy does not allow.
inc dig @$TRUSTED +time=1 +tries=1 +short n.other.test | grep -qx 10.99.0.7 ||
	fail "n.other.test: no answer"
[ $(($(noports) - p0)) -ge 3 ] && ok "the 3 forged answers reached the client ($(($(noports) - p0)) to no socket)" ||
	fail "the forged answers did not arrive: NoPorts $p0 -> $(noports)"
# The status file follows within a second; one more good answer for the wildcard, then look.
echo "x2.wild.bad.test good 10.99.0.4" >>"$T/t.ctl"
inc dig @$TRUSTED +time=1 +tries=1 +short x2.wild.bad.test >/dev/null
wait_for 5 '[ "$(wild_harvested)" -gt "$w0" ]'
[ "$(wild_harvested)" = $((w0 + 1)) ] &&
	ok "the untrusted server's and the forged answers for *.wild.bad.test were not harvested ($w0 -> $(wild_harvested): the control only)" ||
	fail "*.wild.bad.test harvested $w0 -> $(wild_harvested): want only the control's one"
ign=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['harvest']['answers']['ignored'])" "$T/run/status.json")
[ "$ign" -gt 0 ] && ok "n.other.test: ignored (not allowed); $ign ignored in all" ||
	fail "ignored: $ign"

# The rest, three times each, straight from the trusted resolver (without EDNS: a 512-byte
# limit; without the retry over TCP dig would make after a truncated answer).
for k in chain malformed no_query oversize truncated; do eval "r0_$k=\$(rejected $k)"; done
for b in $CHAIN $MALFORMED $NOQUERY $OTHER; do
	for i in 1 2 3; do inc dig @$TRUSTED +noedns +ignore +time=1 +tries=1 $b.bad.test >/dev/null 2>&1; done
done
more() { # more KIND: rejections of that kind since the loop began
	eval "echo \$((\$(rejected $1) - r0_$1))"
}
wait_for 10 '[ $(more chain) -ge 6 ] && [ $(more malformed) -ge 15 ] && [ $(more no_query) -ge 6 ] && [ $(more oversize) -ge 3 ] && [ $(more truncated) -ge 3 ]' &&
	ok "rejected: chain +$(more chain) (cname, other), malformed +$(more malformed) ($MALFORMED), no_query +$(more no_query) ($NOQUERY), oversize +$(more oversize) (big), truncated +$(more truncated) (tc)" ||
	fail "rejected: chain +$(more chain), malformed +$(more malformed), no_query +$(more no_query), oversize +$(more oversize), truncated +$(more truncated)"
grep -q "DNS answer harvest: rejected an answer" "$LOG" &&
	ok "the log says so once per reason: $(grep -c 'DNS answer harvest: rejected' "$LOG") lines" ||
	fail "no rejection in the log"

watch_sync "$T/mon" || fail "nft monitor: the capture did not catch up"
grep ' add element inet flowguard ' "$T/mon" >"$T/adds"
n=$(wc -l <"$T/adds")
bad=$(grep -oE '10\.99\.(0\.[5789]|1\.[0-9]+)([^0-9]|$)' "$T/adds" | tr -d ' ,}' | sort -u | tr '\n' ' ')
lost=$(grep -iE '^[0-9]+ #.*lost' "$T/mon")
# 10.99.0.4 (x.wild.bad.test, harvested above) shows the capture sees what harvest adds.
[ -z "$bad" ] && [ -z "$lost" ] && grep -q '[^0-9]10\.99\.0\.4[^0-9]' "$T/adds" &&
	ok "$n element additions seen by nft monitor: no spoofed or stray address ever (10.99.0.5, .7, .8, .9, 10.99.1.x)" ||
	fail "in a set at some point: '$bad' ($n additions${lost:+; the capture lost events: $lost})"
kill -0 "$AGENT" 2>/dev/null && ok "agent alive" || fail "agent died"

# What answers taught survives a reload and a restart (through the state file), with the
# TTL it had left: x.wild.bad.test's TTL is 1 s, plus resolver.grace (1 h by default).
kill -HUP "$AGENT"
wait_for 10 'grep -q "Reloaded" "$LOG"' || fail "no reload"
has_addr allow_wild_answers_v4 10.99.0.4 && ok "reload: 10.99.0.4 (learned from an answer) still allowed" ||
	fail "reload: the harvested address is gone: $(set_addrs allow_wild_answers_v4)"
agent_stop
agent_start || finish
has_addr allow_wild_answers_v4 10.99.0.4 && grep -q '^\*\.wild\.bad\.test 10\.99\.0\.4 .* answer$' "$STATE/names" &&
	ok "restart: 10.99.0.4 back from the state file ('*.wild.bad.test ... answer')" ||
	fail "restart: $(set_addrs allow_wild_answers_v4); state: $(grep wild "$STATE/names")"
finish
