#!/bin/sh
# Blocked flows reach the NFLOG group: "flowguard apply" of an enforce config with
# blocked.log-group, then netlink/nflog.c (through tests/netns/nflogcat) reads what the
# final egress rule logs: prefix, protocol, addresses, port, uid. A second listener on the
# group gets EBUSY; the kernel's limit holds a burst of 2000 packets to burst + rate * t.
. tests/netns/lib.sh
NFLOGCAT=${NFLOGCAT:?run through tests/netns/run.sh}
GROUP=4177
RATE=10
TMPD=$(mktemp -d)
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	rm -rf "$TMPD"
}
trap cleanup EXIT

cat >"$TMPD/fg.yaml" <<EOF
mode: enforce
roles: [agent]
region: de-1
dns-servers: [192.0.2.53]
ntp-servers: [192.0.2.123]
blocked:
  log-group: $GROUP
  log-rate: $RATE
EOF

# The dummy driver is not in every kernel; one end of a veth pair is an interface as good.
ip link set lo up
ip link add fg0 type veth peer name fg1 || { fail "veth"; finish; }
ip addr add 10.77.0.1/24 dev fg0
ip link set fg0 up
ip link set fg1 up

./flowguard --catalog "$FG_CATALOG" apply -c "$TMPD/fg.yaml" >/dev/null 2>"$TMPD/apply.err" ||
	{ fail "apply: $(cat "$TMPD/apply.err")"; finish; }
want="limit rate $RATE/second burst $((2 * RATE)) packets log prefix \"flowguard drop egress: \" group $GROUP"
nft list chain inet flowguard egress | grep -qF "$want" && ok "final rule: $want" ||
	fail "no final rule '$want': $(nft list chain inet flowguard egress)"

# nflogcat $name said "ready", or is gone.
cat_settled() {
	grep -q '^ready$' "$TMPD/$name.out" 2>/dev/null || ! kill -0 "$cat_pid" 2>/dev/null
}

# Starts nflogcat ARGS... in the background (output in $TMPD/$1.out/.err); waits for "ready".
start_cat() {
	name=$1
	shift
	"$NFLOGCAT" "$@" >"$TMPD/$name.out" 2>"$TMPD/$name.err" &
	cat_pid=$!
	pids="$pids $cat_pid"
	wait_until cat_settled
	grep -q '^ready$' "$TMPD/$name.out" 2>/dev/null && return 0
	fail "$name: nflogcat not ready: $(cat "$TMPD/$name.err")"
	return 1
}

# One blocked TCP connection: the SYN is logged with everything the agent attributes by.
if start_cat tcp -g $GROUP -n 1 -t 10; then
	python3 -c '
import socket
s = socket.socket()
s.settimeout(0.5)
try:
    s.connect(("10.77.0.9", 9999))
except OSError:
    pass
'
	wait "$cat_pid"
	line=$(grep -v '^ready$' "$TMPD/tcp.out")
	re='^prefix="flowguard drop egress: " proto=tcp src=10\.77\.0\.1 dst=10\.77\.0\.9 sport=[1-9][0-9]* dport=9999 icmp=-1 uid=0 len=60$'
	printf '%s\n' "$line" | grep -qE "$re" && ok "blocked SYN: $line" ||
		fail "blocked SYN not read as expected: '$line' ($(cat "$TMPD/tcp.err"))"
fi

# The owner is the sending socket's, not always root's.
# pyenv's python3 (on PATH) is not readable by other users: the system one is.
if ! command -v setpriv >/dev/null || [ ! -x /usr/bin/python3 ]; then
	fail "uid test needs setpriv and /usr/bin/python3"
elif start_cat uid -g $GROUP -n 1 -t 10; then
	setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    u.sendto(b"x", ("10.77.0.9", 53))
except OSError:
    pass
'
	wait "$cat_pid"
	line=$(grep -v '^ready$' "$TMPD/uid.out")
	re='^prefix="flowguard drop egress: " proto=udp src=10\.77\.0\.1 dst=10\.77\.0\.9 sport=[1-9][0-9]* dport=53 icmp=-1 uid=65534 len=29$'
	printf '%s\n' "$line" | grep -qE "$re" && ok "blocked datagram of uid 65534: $line" ||
		fail "uid 65534 not read as expected: '$line' ($(cat "$TMPD/uid.err"))"
fi

# Without CAP_NET_ADMIN the kernel refuses the bind with EPERM, which is not taken for EBUSY.
if ! command -v setpriv >/dev/null; then
	fail "EPERM test needs setpriv"
else
	chmod 755 "$TMPD"
	cp "$NFLOGCAT" "$TMPD/nflogcat"
	chmod 755 "$TMPD/nflogcat"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$TMPD/nflogcat" -g $((GROUP + 1)) -t 0 \
		>/dev/null 2>"$TMPD/noperm.err"
	rc=$?
	[ $rc = 2 ] && grep -q EPERM "$TMPD/noperm.err" && ok "unprivileged listener: EPERM" ||
		fail "unprivileged listener: rc $rc, $(cat "$TMPD/noperm.err")"
fi

# Only one listener per group and namespace: the second is told EBUSY, and the group is
# free again once the first has gone.
if start_cat first -g $GROUP -t 10; then
	"$NFLOGCAT" -g $GROUP -t 0 >/dev/null 2>"$TMPD/second.err"
	rc=$?
	[ $rc = 2 ] && grep -q EBUSY "$TMPD/second.err" && ok "second listener: EBUSY" ||
		fail "second listener: rc $rc, $(cat "$TMPD/second.err")"
	kill "$cat_pid"
	wait "$cat_pid" 2>/dev/null
	"$NFLOGCAT" -g $GROUP -t 0 >/dev/null 2>"$TMPD/third.err" && ok "group free after close" ||
		fail "group still held after close: $(cat "$TMPD/third.err")"
fi

# 2000 UDP datagrams as fast as python sends them: the kernel passes up at most the burst
# plus the rate per second the sending took (plus slack for the clock), and not nothing.
if start_cat burst -g $GROUP -t 4; then
	secs=$(python3 -c '
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
t = time.monotonic()
for i in range(2000):
    try:
        u.sendto(b"x", ("10.77.0.9", 9999))
    except OSError:
        pass
print(int(time.monotonic() - t) + 1)
')
	wait "$cat_pid"
	n=$(grep -c '^prefix="flowguard drop egress: " proto=udp .* dport=9999 ' "$TMPD/burst.out")
	max=$((2 * RATE + RATE * secs + 5))
	[ "$n" -ge 1 ] && [ "$n" -le "$max" ] && ok "burst of 2000: $n logged (at most $max in ${secs}s)" ||
		fail "burst of 2000: $n logged, want 1..$max; $(cat "$TMPD/burst.err")"
fi
finish
