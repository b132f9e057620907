# The CDN world of the harvest tests; sourced after lib.sh (its topology is the base).
#   peer netns  10.99.0.53: unbound (caching, port 53), stub zones cdn.test, wild.test and
#               fresh.test
#               -> cdnauth.py on 127.0.0.1:5300, whose answers move at every TTL;
#               10.99.128.0/17 is local (any address answers on 8080 and 9090)
#   client      routes 10.99.128.0/17 via the peer; the agent trusts 10.99.0.53
CDNAUTH=$TOP/tests/e2e/cdnauth.py
CHURNAPP=$TOP/tests/e2e/churnapp.py
RESOLVER=10.99.0.53
EPOCHS=$T/epochs.log

# cdn_up SEED TTL_MIN TTL_MAX. CDN_ANSWER_ALL=1: every other name (the catalog's) has an
# address for an hour, instead of NXDOMAIN: no refresh bursts while something is measured.
cdn_up() {
	_rest='local-zone: "." static'
	[ "${CDN_ANSWER_ALL:-0}" = 1 ] &&
		_rest='local-zone: "." redirect
	    local-data: ". 3600 IN A 10.99.127.1"'
	ip -n "$P" addr add $RESOLVER/24 dev fg1 || return 1
	ip -n "$P" route add local 10.99.128.0/17 dev lo || return 1
	ip -n "$C" route add 10.99.128.0/17 via 10.99.0.2 || return 1
	unbound_head $RESOLVER 53 10.99.0.0/24 no >"$T/unbound-cdn.conf"
	cat >>"$T/unbound-cdn.conf" <<-EOC
	    $_rest
	    local-zone: "cdn.test." transparent
	    local-zone: "wild.test." transparent
	    local-zone: "fresh.test." transparent
	stub-zone:
	    name: "cdn.test."
	    stub-addr: 127.0.0.1@5300
	stub-zone:
	    name: "wild.test."
	    stub-addr: 127.0.0.1@5300
	stub-zone:
	    name: "fresh.test."
	    stub-addr: 127.0.0.1@5300
	EOC
	ip netns exec "$P" "$PY" "$CDNAUTH" 127.0.0.1 5300 "$1" "$2" "$3" "$EPOCHS" >"$T/cdnauth.out" 2>&1 &
	BG="$BG $!"
	ip netns exec "$P" unbound -d -c "$T/unbound-cdn.conf" >"$T/unbound-cdn.log" 2>&1 &
	BG="$BG $!"
	wait_for 5 'inc dig @$RESOLVER +time=1 +tries=1 +short www.cdn.test | grep -q "^10\.99\.1"' ||
		{ fail "the CDN resolver does not answer: $(cat "$T/unbound-cdn.log" "$T/cdnauth.out")"; return 1; }
}

# cdn_config [LINE...]: the client's configuration, on defaults but for the test's world.
cdn_config() {
	cat >"$CONF" <<-EOC
	mode: enforce
	roles: [agent]
	region: de-1
	dns-servers: [$RESOLVER]
	ntp-servers: [10.99.0.2]
	resolver:
	  servers: [$RESOLVER]
	EOC
	for _line in "$@"; do printf '%s\n' "$_line" >>"$CONF"; done
}

epochs() {
	grep -c '^EPOCH' "$EPOCHS" 2>/dev/null || echo 0
}

# The "SUMMARY ..." line of a churnapp output file, as "k=v" words.
summary() {
	grep '^SUMMARY' "$1" | cut -d' ' -f2-
}

# field FILE KEY: one number of the summary.
field() {
	summary "$1" | tr ' ' '\n' | grep "^$2=" | cut -d= -f2
}

# The agent's status file's value at a JSON path (python dict syntax: ['harvest']['mode']).
status_of() {
	"$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print(d$1)" "$T/run/status.json"
}
