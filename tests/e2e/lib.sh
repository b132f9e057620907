# Shared helpers for the end-to-end tests; sourced by each t_*.sh (tests/e2e/run.sh runs them).
# Each test builds its own world and removes it on exit, never touching the host's namespace:
#   client netns  lo: unbound on 127.0.0.1:5399 (records changed with unbound-control), the agent
#                 fg0 10.99.0.1/24 -- veth --
#   peer netns    fg1 10.99.0.2-9/24, TCP echo listeners on 8080 and 9090 (every address)
set -u
TOP=$(pwd)
FG=${FG:-$TOP/flowguard}
CATALOG=$TOP/policies/catalog/swp.yaml
HELPER=$TOP/tests/e2e/helper.py
NFTWATCH=$TOP/tests/e2e/nftwatch.py
PY=/usr/bin/python3
. "$TOP/tests/lib/unbound.sh"
[ -x "$PY" ] || PY=python3
C=fge2e-c-$$
P=fge2e-p-$$
T=$(mktemp -d /tmp/fge2e.XXXXXX)
CONF=$T/flowguard.yaml
LOG=$T/agent.log
NOTIFY=$T/notify.log
STATE=$T/state
DNSCONF=$T/unbound.conf
AGENT=
WRAP= # a command the agent runs under (valgrind)
DNS=
BG=
fails=0

fail() {
	echo "  FAIL: $*" >&2
	fails=$((fails + 1))
}

ok() {
	echo "  ok: $*"
}

now_ms() {
	date +%s%3N
}

# Waits until the processes $@ have exited (they may still write into $T); SIGKILL for any
# still there after 10 s.
reap() {
	_i=0
	for _p in "$@"; do
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt 200 ]; do
			sleep 0.05
			_i=$((_i + 1))
		done
		kill -9 "$_p" 2>/dev/null
	done
}

cleanup() {
	# shellcheck disable=SC2086
	if [ -n "$AGENT$BG$DNS" ]; then
		kill $AGENT $BG $DNS 2>/dev/null
		reap $AGENT $BG $DNS
	fi
	ip netns del "$C" 2>/dev/null
	ip netns del "$P" 2>/dev/null
	if [ "$fails" -ne 0 ] && [ -f "$LOG" ]; then
		echo "  --- agent log (last 40 lines) ---" >&2
		grep -v "NXDOMAIN" "$LOG" | tail -n 40 >&2
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

# Runs a command in the client / peer namespace.
inc() {
	ip netns exec "$C" "$@"
}

inp() {
	ip netns exec "$P" "$@"
}

# Polls a shell condition every 0.1 s, $1 * 10 times (so at least $1 seconds, and longer
# when a busy machine makes each try slow: the deadline stretches with the load).
# sh has no locals: helpers use _-prefixed names so that a test's own variables survive.
wait_for() {
	_limit=$(($1 * 10))
	shift
	_i=0
	while [ $_i -lt $_limit ]; do
		eval "$@" && return 0
		sleep 0.1
		_i=$((_i + 1))
	done
	return 1
}

topo_up() {
	ip netns add "$C" && ip netns add "$P" || return 1
	[ "$(inc readlink /proc/self/ns/net)" != "$(readlink /proc/self/ns/net)" ] || return 1
	ip -n "$C" link set lo up
	ip -n "$P" link set lo up
	ip -n "$C" link add fg0 type veth peer name fg1 netns "$P"
	ip -n "$C" addr add 10.99.0.1/24 dev fg0
	for _a in 2 3 4 5 6 7 8 9; do ip -n "$P" addr add 10.99.0.$_a/24 dev fg1; done
	ip -n "$C" link set fg0 up
	ip -n "$P" link set fg1 up
	# Background jobs run ip directly (not through inc/inp): $! must be the process itself.
	ip netns exec "$P" "$PY" "$HELPER" listen 8080 9090 >/dev/null 2>&1 &
	BG="$BG $!"
	wait_for 5 'inc "$PY" "$HELPER" connect 10.99.0.2 8080 0.2' || return 1
}

# unbound on 127.0.0.1:5399 in the client namespace. Every name outside local-data is
# NXDOMAIN (static "."), so the catalog's real names fail fast instead of timing out.
# Arguments: local-data records ('web.test. 2 IN A 10.99.0.2').
dns_up() {
	{
		unbound_head 127.0.0.1@5399 5399 127.0.0.0/8 yes
		echo '    local-zone: "." static'
		for _rr in "$@"; do printf '    local-data: "%s"\n' "$_rr"; done
		[ -f "$T/chain.zone" ] && cat <<-EOC
		    local-zone: "chain.test." transparent
		auth-zone:
		    name: "chain.test."
		    zonefile: "$T/chain.zone"
		    for-downstream: yes
		    for-upstream: no
		EOC
		cat <<-EOC
		remote-control:
		    control-enable: yes
		    control-interface: $T/ctl.sock
		    control-use-cert: no
		EOC
	} >"$DNSCONF"
	dns_start
}

# chain.test: an authoritative zone (unbound follows a CNAME inside it, as a real server
# does; local-data answers only the CNAME). alias.chain.test CNAME (60 s) ->
# inner.chain.test A $1 (2 s). Call before dns_up; again, then chain_reload, to change it.
chain_zone() {
	_serial=$(($(cat "$T/chain.serial" 2>/dev/null || echo 0) + 1))
	echo "$_serial" >"$T/chain.serial"
	cat >"$T/chain.zone" <<-EOC
	\$ORIGIN chain.test.
	@ 60 IN SOA ns.chain.test. h.chain.test. $_serial 3600 600 86400 1
	@ 60 IN NS ns.chain.test.
	ns 60 IN A 127.0.0.1
	alias 60 IN CNAME inner.chain.test.
	inner 2 IN A $1
	EOC
}

chain_reload() {
	unbound-control -c "$DNSCONF" auth_zone_reload chain.test >/dev/null
}

dns_start() {
	ip netns exec "$C" unbound -d -c "$DNSCONF" >"$T/unbound.log" 2>&1 &
	DNS=$!
	wait_for 5 'inc dig @127.0.0.1 -p 5399 +time=1 +tries=1 nosuch.test >/dev/null 2>&1' ||
		{ fail "unbound did not start: $(cat "$T/unbound.log")"; return 1; }
}

dns_stop() {
	kill "$DNS" 2>/dev/null
	wait "$DNS" 2>/dev/null
	DNS=
}

# dns_set NAME RECORD...: replaces every record of NAME ('web.test. 2 IN A 10.99.0.3').
dns_set() {
	_name=$1
	shift
	unbound-control -c "$DNSCONF" local_data_remove "$_name" >/dev/null || return 1
	for _rr in "$@"; do unbound-control -c "$DNSCONF" local_data "$_rr" >/dev/null || return 1; done
}

# The test configuration: explicit roles and region, the test names in 'allow:' entries
# so they go through the same path as the catalog's, short TTLs. $1: mode; $2: grace;
# the rest is appended (more allow entries).
write_config() {
	_mode=$1
	_grace=$2
	shift 2
	cat >"$CONF" <<-EOC
	mode: $_mode
	roles: [agent]
	region: de-1
	dns-servers: [127.0.0.1]
	resolver:
	  servers: [127.0.0.1:5399]
	  min-ttl: 1s
	  max-ttl: 1h
	  grace: $_grace
	  max-stale: 1h
	  max-addresses: 4
	allow:
	  - name: test-web
	    to: [web.test]
	    ports: [8080]
	EOC
	for _line in "$@"; do printf '%s\n' "$_line" >>"$CONF"; done
}

# Starts the agent in the client namespace (extra environment as arguments) and waits
# for READY=1 on our NOTIFY_SOCKET.
agent_start() {
	[ -e "$T/notify.sock" ] || {
		"$PY" "$HELPER" notify "$T/notify.sock" "$NOTIFY" &
		BG="$BG $!"
		wait_for 3 '[ -S "$T/notify.sock" ]'
	}
	: >"$NOTIFY"
	# shellcheck disable=SC2086
	ip netns exec "$C" env NOTIFY_SOCKET="$T/notify.sock" "$@" $WRAP "$FG" run -c "$CONF" --catalog "$CATALOG" \
		--state-dir "$STATE" --run-dir "$T/run" >>"$LOG" 2>&1 &
	AGENT=$!
	wait_for 30 'grep -q "READY=1" "$NOTIFY"' || { fail "agent not READY: $(tail -5 "$LOG")"; return 1; }
}

agent_stop() {
	kill "$AGENT" 2>/dev/null
	wait "$AGENT"
	rc=$? # the agent's exit status, for the caller's messages
	AGENT=
	return $rc
}

# The addresses in a set of table inet flowguard, one a line, sorted.
set_addrs() {
	inc nft list set inet flowguard "$1" 2>/dev/null | tr -d '\n' |
		grep -o 'elements = {[^}]*}' | grep -oE '[0-9]+(\.[0-9]+){3}|[0-9a-f:]*:[0-9a-f:]+' | sort
}

has_addr() {
	set_addrs "$1" | grep -qx "$2"
}

can_connect() {
	inc "$PY" "$HELPER" connect "$1" "$2" 1
}

# The table as text without what changes by itself: counters, element timeouts and expiry.
listing() {
	inc nft list table inet flowguard 2>&1 |
		sed -e 's/counter packets [0-9]* bytes [0-9]*/counter/g' \
		    -e 's/ timeout [0-9hms]*//g' -e 's/ expires [0-9dhms]*//g'
}

# The value of a python expression over the agent's status.json ("" if there is none yet):
# s is the document, name(F) the entry of name F.
status_eval() {
	"$PY" - "$T/run/status.json" "$1" <<-'EOP' 2>/dev/null
	import json, sys
	s = json.load(open(sys.argv[1]))
	name = lambda f: [n for n in s["names"] if n["fqdn"] == f][0]
	print(eval(sys.argv[2]))
	EOP
}

# nflog_drained GROUP: the agent has read every packet logged to NFLOG group GROUP: none
# waits in the kernel's buffer for the group (qlen; read first: once it is empty and nothing
# sends, nothing more comes) nor in the socket bound to it (Rmem).
nflog_drained() {
	inc awk -v g="$1" '$1 == g { print $2, $3 }' /proc/net/netfilter/nfnetlink_log >"$T/nflog"
	read -r _peer _qlen <"$T/nflog" && [ "$_qlen" -eq 0 ] &&
		inc awk -v p="$_peer" '$3 == p && $5 == 0 { ok = 1 } END { exit !ok }' /proc/net/netlink
}

# Records `nft monitor` in the client namespace into $1 (tests/e2e/nftwatch.py) from now on,
# so that a test can say what the table held at every moment, not only when it looked.
watch_start() {
	_cap=$1
	"$PY" "$NFTWATCH" --self-test >"$T/nftwatch.self" 2>&1 ||
		{ fail "nftwatch.py --self-test: $(cat "$T/nftwatch.self")"; return 1; }
	ip netns exec "$C" "$PY" "$NFTWATCH" record "$_cap" 2>>"$T/nftwatch.err" &
	BG="$BG $!"
	wait_for 30 'grep -q " # ready$" "$_cap" 2>/dev/null' ||
		{ fail "nft monitor not recording: $(cat "$T/nftwatch.err")"; return 1; }
}

# Makes sure capture $1 holds every event up to now: events come in order, so once a probe
# made now is in it, so is everything before.
watch_sync() {
	_cap=$1
	_probe=fgsync_$(now_ms)
	inc nft "add table ip $_probe; delete table ip $_probe" || return 1
	wait_for 30 'grep -q " add table ip $_probe$" "$_cap"'
}

# watch_states CAP SET FROM TO: what set SET held from FROM to TO (epoch ms), one line per
# stretch: "START END ADDR...".
watch_states() {
	"$PY" "$NFTWATCH" states "$@"
}

# watch_missing CAP SET ADDR FROM TO: the stretches in which ADDR was not in SET ("-": in
# which SET was empty); nothing if there were none.
watch_missing() {
	watch_states "$1" "$2" "$4" "$5" | awk -v a="$3" '{
		hit = 0
		for (i = 3; i <= NF; i++) if ($i == a || a == "-") hit = 1
		if (!hit) print $1 "-" $2 " (" $2 - $1 " ms)"
	}'
}

finish() {
	[ "$fails" -eq 0 ]
	exit $?
}
