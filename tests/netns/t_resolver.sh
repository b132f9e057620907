#!/bin/sh
# agent/resolver.c against unbound in this namespace (testbed.md section 2): record TTLs, the
# CNAME chain's minimum, NXDOMAIN, refusals, runtime changes, 100 addresses, stopped and
# silent servers, cancellation. Explicit servers only: the host's resolv.conf is never used.
. tests/netns/lib.sh
FGRES=${FGRES:?run through tests/netns/run.sh}
PORT=5399

if ! command -v unbound >/dev/null || ! command -v unbound-control >/dev/null; then
	echo "  skip: unbound not installed"
	exit 0
fi
ip link set lo up
D=$(mktemp -d)
UPID=
cleanup() {
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
	rm -rf "$D"
}
trap cleanup EXIT
# ::1 appears on lo unless IPv6 is disabled; then the v6 listener and check are skipped.
V6=
ip -6 addr show dev lo 2>/dev/null | grep -q '::1/128' && V6=1

# Chains live in an auth-zone: unbound does not follow CNAMEs of local-data, and a stub
# resolver like c-ares never chases them itself. for-upstream: no keeps TTLs from counting down.
cat >"$D/chain.zone" <<EOF
\$ORIGIN chain.example.
@	3600 IN SOA ns admin 1 3600 600 86400 30
@	3600 IN NS ns
ns	3600 IN A 192.0.2.1
c1	300 IN CNAME c2
c2	200 IN CNAME inner
inner	5 IN A 192.0.2.40
inner	5 IN AAAA 2001:db8::40
c3	7 IN CNAME inner2
inner2	100 IN A 192.0.2.41
EOF
{
	echo 'server:'
	echo "    interface: 127.0.0.1@$PORT"
	[ -n "$V6" ] && echo "    interface: ::1@$PORT"
	cat <<EOF
    port: $PORT
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$D"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    do-not-query-localhost: yes
    access-control: 127.0.0.0/8 allow
    access-control: ::1 allow
    module-config: "iterator"
    local-zone: "test." static
    local-zone: "refused.test." refuse
    local-data: "a.test. 60 IN A 192.0.2.10"
    local-data: "a.test. 60 IN AAAA 2001:db8::10"
    local-data: "mixed.test. 60 IN A 192.0.2.12"
    local-data: "mixed.test. 60 IN A 192.0.2.11"
    local-data: "mixed.test. 45 IN AAAA 2001:db8::11"
    local-data: "v4only.test. 30 IN A 192.0.2.13"
    local-data: "txt.test. 60 IN TXT hello"
    local-data: "rt.test. 30 IN A 192.0.2.20"
EOF
	i=100
	while [ $i -ge 1 ]; do
		echo "    local-data: \"many.test. 50 IN A 192.0.2.$i\""
		i=$((i - 1))
	done
	# A stub zone whose only server unbound may not ask: SERVFAIL at once.
	cat <<EOF
stub-zone:
    name: "sf.example."
    stub-addr: 127.0.0.9@5300
auth-zone:
    name: "chain.example."
    zonefile: "$D/chain.zone"
    for-downstream: yes
    for-upstream: no
remote-control:
    control-enable: yes
    control-interface: $D/ctl.sock
    control-use-cert: no
EOF
} >"$D/unbound.conf"
UC="unbound-control -c $D/unbound.conf"

unbound_up() {
	$UC status >/dev/null 2>&1
}

start_unbound() {
	# Not the driver's fifos: unbound holding one open would keep fgres -i from its EOF.
	unbound -d -c "$D/unbound.conf" >"$D/unbound.log" 2>&1 3>&- 4<&- &
	UPID=$!
	wait_until unbound_up && return 0
	cat "$D/unbound.log" >&2
	return 1
}

stop_unbound() {
	kill "$UPID"
	wait "$UPID" 2>/dev/null
	UPID=
}

# Runs fgres and prints its answers. A driver that saw the contract broken (a callback twice,
# never, or from inside resolver_query()) is noted in $D/broken, reported at the end.
run() {
	"$FGRES" "$@"
	rc=$?
	[ $rc -eq 0 ] || echo "fgres $*: exit $rc" >>"$D/broken"
}

# The same without the ms= field, for exact comparisons.
res() {
	run "$@" | sed 's/ ms=[0-9]*//'
}

# check WHAT GOT WANT: an exact comparison.
check() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# field LINE N: the Nth space-separated field.
field() {
	printf '%s\n' "$1" | cut -d' ' -f"$2"
}

# check_status WHAT GOT STATUS...: the answer's status is one of these.
check_status() {
	what=$1
	got=$2
	shift 2
	for st in "$@"; do
		if [ "$(field "$got" 2)" = "$st" ]; then
			ok "$what -> $st"
			return
		fi
	done
	fail "$what: got '$got', want status $*"
}

ms_of() {
	printf '%s\n' "$1" | sed -n 's/.* ms=\([0-9]*\).*/\1/p'
}

start_unbound || {
	fail "unbound did not start"
	finish
}
S="127.0.0.1:$PORT"
A_ANS="a.test ok ttl=60 n=2 192.0.2.10 2001:db8::10"
NX="ENOENT ttl=0 n=0 detail='Domain name not found'"

check "A+AAAA with the record TTLs" "$(res -s "$S" a.test)" "$A_ANS"
check "TTL is the minimum over A and AAAA; addresses sorted" "$(res -s "$S" mixed.test)" \
	"mixed.test ok ttl=45 n=3 192.0.2.11 192.0.2.12 2001:db8::11"
check "A only (AAAA NODATA)" "$(res -s "$S" v4only.test)" "v4only.test ok ttl=30 n=1 192.0.2.13"
check "CNAME chain: the inner record's shorter TTL" "$(res -s "$S" c1.chain.example)" \
	"c1.chain.example ok ttl=5 n=2 192.0.2.40 2001:db8::40"
check "CNAME chain: the CNAME's shorter TTL" "$(res -s "$S" c3.chain.example)" \
	"c3.chain.example ok ttl=7 n=1 192.0.2.41"
check "NXDOMAIN -> ENOENT" "$(res -s "$S" nosuch.test)" "nosuch.test $NX"
check "NXDOMAIN in an auth zone -> ENOENT" "$(res -s "$S" nosuch.chain.example)" \
	"nosuch.chain.example $NX"
check "a name without addresses: ENODATA (a failure: the last good answer is kept)" \
	"$(res -s "$S" txt.test)" \
	"txt.test ENODATA ttl=0 n=0 detail='no usable address record (NODATA, or an answer for another name or malformed)'"
check "an address needs no query" "$(res -s "$S" 192.0.2.7)" "192.0.2.7 ok ttl=0 n=1 192.0.2.7"
check_status "REFUSED" "$(res -s "$S" refused.test)" ECONNREFUSED
# c-ares 1.18.1 moves on from a SERVFAIL as from a dead server, and ends with "refused".
check_status "SERVFAIL" "$(res -s "$S" -r 1 x.sf.example)" ECONNREFUSED EIO

want="many.test ok ttl=50 n=100"
i=1
while [ $i -le 100 ]; do
	want="$want 192.0.2.$i"
	i=$((i + 1))
done
got=$(res -s "$S" many.test)
if [ "$got" = "$want" ]; then
	ok "100 A records, all returned, sorted (over TCP)"
else
	fail "100 A records: got '$(printf '%s' "$got" | cut -c1-120)...'"
fi

[ -z "$V6" ] || check "IPv6 server" "$(res -s "[::1]:$PORT" a.test)" "$A_ANS"
# Nothing listens on 127.0.0.2: the answer comes from the second server.
check "second server after a dead one" "$(res -s 127.0.0.2:$PORT -s "$S" -t 500 a.test)" "$A_ANS"

# One resolver across record changes, a stopped server and its restart (-i: a line a batch).
mkfifo "$D/in" "$D/out"
"$FGRES" -s "$S" -t 300 -r 2 -i <"$D/in" >"$D/out" &
drv=$!
exec 3>"$D/in" 4<"$D/out"
ask() {
	echo "$*" >&3
	got=
	while IFS= read -r line <&4; do
		[ "$line" = . ] && break
		got="$got$line"
	done
	printf '%s\n' "$got" | sed 's/ ms=[0-9]*//'
}
RT="rt.test ok ttl=30 n=1 192.0.2.20"
check "runtime: before the change" "$(ask rt.test)" "$RT"
$UC local_data_remove rt.test >/dev/null
$UC local_data 'rt.test. 3 IN A 192.0.2.21' >/dev/null
$UC local_data 'rt.test. 3 IN AAAA 2001:db8::21' >/dev/null
check "runtime: the next query sees the change" "$(ask rt.test)" \
	"rt.test ok ttl=3 n=2 192.0.2.21 2001:db8::21"
$UC local_data_remove rt.test >/dev/null
check_status "runtime: removed" "$(ask rt.test)" ENOENT
stop_unbound
check_status "runtime: server stopped" "$(ask rt.test)" ETIMEDOUT ECONNREFUSED
start_unbound || fail "unbound did not restart"
check "runtime: server restarted, the same resolver recovers" "$(ask rt.test)" "$RT"
exec 3>&-
wait "$drv" || fail "fgres -i: exit $?"
exec 4<&-

# Stopped server: refused at once on loopback, else a timeout; within 500 + 1000 ms either
# way (1.18.1 doubles the timeout each round), plus slack.
stop_unbound
got=$(run -s "$S" -t 500 -r 2 a.test)
check_status "stopped server" "$got" ETIMEDOUT ECONNREFUSED
[ "$(ms_of "$got")" -le 2500 ] || fail "stopped server: too slow: '$got'"

# A server that never answers (its packets dropped): ETIMEDOUT after every try.
start_unbound || fail "unbound did not restart"
if ! { nft add table inet fgres_t &&
	nft add chain inet fgres_t in '{ type filter hook input priority 0; }' &&
	nft add rule inet fgres_t in meta l4proto '{ udp, tcp }' th dport $PORT drop; }; then
	fail "nft drop rule"
fi
got=$(run -s "$S" -t 300 -r 2 a.test)
check_status "silent server" "$got" ETIMEDOUT
ms=$(ms_of "$got")
if [ "${ms:-0}" -ge 850 ] && [ "$ms" -le 2000 ]; then
	ok "silent server: given up after 300 + 600 ms ($ms ms)"
else
	fail "silent server: not after 300 + 600 ms: '$got'"
fi
check "resolver_free cancels what is in flight" "$(res -s "$S" -t 1000 -c 100 a.test)" \
	"a.test ECANCELED ttl=0 n=0 detail='DNS query cancelled'"
nft delete table inet fgres_t
check "answers again once the drop rule is gone" "$(res -s "$S" a.test)" "$A_ANS"

if [ -s "$D/broken" ]; then
	fail "driver: $(cat "$D/broken")"
else
	ok "every query called back exactly once, never from inside resolver_query()"
fi
finish
