#!/bin/sh
# Malformed and hostile DNS answers (issue 9) from tests/e2e/dnsbad.py instead of unbound:
# each fault has its own name (BEH.bad.test, set allow_bad_BEH_names_v4), all at once.
# Every name first answers 10.99.0.2 (A); then its fault is served for a while: the agent
# stays up, warns, and the set holds exactly A the whole time (nft monitor records every
# change, tests/e2e/nftwatch.py: no address of a faulty reply, 10.99.0.9 or 10.99.1.x, ever
# appears, and A never goes);
# then the name answers 10.99.0.3 (B) and the set converges to exactly B (no stuck refresh).
. tests/e2e/lib.sh
DNSBAD=$TOP/tests/e2e/dnsbad.py
CTL=$T/dnsbad.ctl
QLOG=$T/dnsbad.log
A=10.99.0.2
B=10.99.0.3
# The faults whose replies come back at once (each refresh round is one failure)...
FAST="trunc ptrloop ptrpast other cname ancount rdlen5 nxdomain"
# ...those that make c-ares wait (2 s, 4 s, 8 s: ~14 s to give up)...
SLOW="tc badid otherq timeout"
# ...and the oversized one, alone: its broken TCP stream makes c-ares drop every query
# then in flight on that server (ECONNREFUSED), which would hide the others' own faults.
ALL="$FAST $SLOW big"
# Not a fault: a complete 64 KB answer over TCP with 4000 addresses, last and alone. The
# agent keeps max-addresses (4) of them, the first in order, and says so.
HUGE="10.98.0.1 10.98.0.2 10.98.0.3 10.98.0.4 "

set_of() {
	echo "allow_bad_$1_names_v4"
}

# ctl ADDR [BEH...]: the names of the listed faults serve them, the others answer ADDR.
# The control file is replaced atomically.
ctl() {
	_addr=$1
	shift
	for _b in $ALL huge; do
		case " $* " in
		*" $_b "*) echo "$_b.bad.test $_b" ;;
		*) echo "$_b.bad.test good $_addr" ;;
		esac
	done >"$CTL.tmp" && mv "$CTL.tmp" "$CTL"
}

# The reason of the last warning for fault $1 ("" if none).
warned() {
	grep -o "Failed to resolve '$1.bad.test': .*, keeping 1 cached" "$LOG" | tail -1 |
		sed -e "s/^Failed to resolve '$1.bad.test': //" -e 's/, keeping 1 cached$//'
}

# What the warning must say for fault $1: its own failure, not a side effect of another.
reason_re() {
	case $1 in
	cname) echo "CNAME does not continue the chain" ;;
	nxdomain) echo "Domain name not found" ;;
	tc | badid | otherq | timeout) echo "Timeout" ;;
	big) echo "no server answered usefully|Timeout" ;;
	*) echo "no usable address record|Misformatted DNS reply" ;;
	esac
}

# Checks and keeps (in why_BEH) the reason fault $1 was warned about, right after its phase:
# a later phase's side effects (big's broken TCP fails every query in flight) do not count.
took() {
	_why=$(warned "$1")
	eval "why_$1=\$_why"
	echo "$_why" | grep -qE "$(reason_re "$1")" ||
		fail "$1: warned for another reason: '$_why' (want /$(reason_re "$1")/)"
}

served() { # served BEH: how many A queries got the fault (UDP or TCP)
	grep -c " $1.bad.test 1 $1" "$QLOG" 2>/dev/null
}

# The config: short TTLs, and max-ttl 4 s caps the failure backoff at 4 s (names.h).
write_bad_config() {
	cat >"$CONF" <<-EOC
	mode: enforce
	roles: [agent]
	region: de-1
	dns-servers: [127.0.0.1]
	resolver:
	  servers: [127.0.0.1:5399]
	  min-ttl: 1s
	  max-ttl: 4s
	  grace: 2s
	  max-stale: 1h
	  max-addresses: 4
	allow:
	EOC
	for _b in $ALL huge; do
		printf '  - name: bad-%s\n    to: [%s.bad.test]\n    ports: [8080]\n' "$_b" "$_b" >>"$CONF"
	done
}

topo_up || { fail "topology"; finish; }
ctl $A
ip netns exec "$C" "$PY" "$DNSBAD" 5399 "$CTL" "$QLOG" >"$T/dnsbad.out" 2>&1 &
DNS=$!
wait_for 5 'grep -q ready "$T/dnsbad.out"' || { fail "dnsbad.py: $(cat "$T/dnsbad.out")"; finish; }
inc dig @127.0.0.1 -p 5399 +time=1 +tries=1 +short trunc.bad.test | grep -qx $A ||
	{ fail "dnsbad.py does not answer"; finish; }
write_bad_config
watch_start "$T/mon" || finish
agent_start FLOWGUARD_DEBUG=1 || finish
for b in $ALL; do
	wait_for 5 has_addr "$(set_of "$b")" $A || fail "$b: start: $(set_addrs "$(set_of "$b")")"
done
[ "$fails" -eq 0 ] && ok "start: every name's set holds $A"

# What every set holds from here on, while the faults are served and while B comes in.
w0=$(now_ms)

# held FILE FROM TO: the contents a set had from FROM to TO, each once ("< A>;< A B>;"),
# from FILE, what watch_states printed for it.
held() {
	awk -v lo="$2" -v hi="$3" '$1 < hi && $2 > lo {
		k = ""
		for (i = 3; i <= NF; i++) k = k " " $i
		print "<" k ">"
	}' "$1" | sort -u | tr '\n' ';'
}

ctl $A $FAST $SLOW
t0=$(now_ms)
# Fast faults: at least 3 refresh rounds (backoff 1 s, 2 s, 4 s) and a warning each.
for b in $FAST; do
	wait_for 20 '[ "$(served $b)" -ge 3 ] && [ -n "$(warned $b)" ]' ||
		fail "$b: served $(served "$b") times, warning: '$(warned "$b")'"
	took "$b"
done
# Silent faults: c-ares retries (a new query each time), then gives up: a timeout.
for b in $SLOW; do
	wait_for 25 'warned $b | grep -q "Timeout"' ||
		fail "$b: no timeout warning after $(served "$b") faulty replies: '$(warned "$b")'"
	took "$b"
done
ctl $A big
wait_for 20 '[ "$(served big)" -ge 3 ] && [ -n "$(warned big)" ]' ||
	fail "big: served $(served big) times, warning: '$(warned big)'"
took big
grep -q "tcp big.bad.test 1 big" "$QLOG" || fail "big: c-ares never came back over TCP"
ctl $A huge
wait_for 15 '[ "$(set_addrs allow_bad_huge_names_v4 | tr "\n" " ")" = "$HUGE" ]' &&
	grep -q "'huge.bad.test' has 4000 addresses, more than resolver.max-addresses (4)" "$LOG" &&
	grep -q "tcp huge.bad.test 1 huge" "$QLOG" &&
	ok "huge: a 4000-address answer over TCP: the set holds the first 4 ($HUGE), with a warning" ||
	fail "huge: set $(set_addrs allow_bad_huge_names_v4 | tr '\n' ' '), log: $(grep "'huge.bad.test'" "$LOG" | tail -1)"
bad_ms=$(($(now_ms) - t0))
kill -0 "$AGENT" 2>/dev/null && ok "agent alive after ${bad_ms} ms of faulty answers" || fail "agent died"
wmark=$(now_ms)

ctl $B
t1=$(now_ms)
for b in $ALL huge; do
	wait_for 20 '[ "$(set_addrs "$(set_of $b)" | tr "\n" " ")" = "$B " ]' ||
		fail "$b: no convergence to $B: $(set_addrs "$(set_of "$b")" | tr '\n' ' ')"
done
conv_ms=$(($(now_ms) - t1))
wend=$(now_ms)
watch_sync "$T/mon" || fail "nft monitor lags"

# One verdict per fault, from the capture: during the fault exactly A; afterwards A, B or
# both (A leaves after its grace); never anything else, never empty.
# shellcheck disable=SC2046
"$PY" "$NFTWATCH" states-of "$T/mon" "$w0" "$wend" $(for b in $ALL; do set_of "$b"; done) >"$T/states.all"
for b in $ALL; do
	awk -v s="$(set_of "$b")" '$1 == s { sub(/^[^ ]* /, ""); print }' "$T/states.all" >"$T/states"
	during=$(held "$T/states" "$w0" "$wmark")
	after=$(held "$T/states" "$wmark" "$wend")
	[ "$during" = "< $A>;" ] || { fail "$b: during the fault the set was: '$during'"; continue; }
	echo "$after" | tr ';' '\n' | grep . | grep -vxF -e "< $A>" -e "< $B>" -e "< $A $B>" |
		grep -q . && { fail "$b: after the fault the set was: '$after'"; continue; }
	covered=$(awk '{ n += $2 - $1 } END { print n + 0 }' "$T/states")
	[ "$covered" -eq $((wend - w0)) ] ||
		{ fail "$b: the capture covers $covered of $((wend - w0)) ms"; continue; }
	ok "$b: $(served "$b") faulty replies; set held exactly $A for $((wmark - w0)) ms, then $B; warned: $(eval echo "\"\$why_$b\"")"
done
ok "every name converged to $B within $conv_ms ms of good answers"
grep "element inet flowguard allow_bad_" "$T/mon" | grep -q "10\.99\.0\.9\|10\.99\.1\." &&
	fail "an address of a faulty reply reached a set" ||
	ok "no address of a faulty reply (10.99.0.9, 10.99.1.x) ever in a set"
kill -0 "$AGENT" 2>/dev/null && ok "agent alive at the end" || fail "agent died"
finish
