#!/bin/sh
# Enforce mode, the acceptance case (t_blocked.sh covers the daemon's side: schema,
# metrics, re-explanation, status rewrites, a taken group): connecting to an unlisted
# address fails; the final rule's NFLOG event becomes exactly one aggregated entry in
# status.json's blocked.flows (right 5-tuple, chain, verdict, attribution; SYN retries and
# a second attempt counted in it) and exactly one "blocked tcp ..." log line; the drop
# rule's counter moved.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
flow() { "$PY" "$TOP/tests/e2e/flows.py" "$T/run/status.json" "$@"; }
K="destination=10.99.0.5 port=9090 protocol=tcp"

topo_up || { fail "topology"; finish; }
dns_up 'web.test. 60 IN A 10.99.0.2' || finish
write_config enforce 3s
agent_start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"
[ "$(flow blocked:listening)" = true ] && ok "status: listening on NFLOG group $(flow blocked:log_group)" ||
	fail "status blocked: listening $(flow blocked:listening), error '$(flow blocked:error)'"
drop() {
	inc nft list chain inet flowguard egress | grep 'counter.* drop comment' |
		sed -n 's/.*counter packets \([0-9]*\) .*/\1/p'
}
before=$(drop)

can_connect 10.99.0.5 9090 && fail "unlisted 10.99.0.5:9090 connected" ||
	ok "unlisted 10.99.0.5:9090 blocked"
can_connect 10.99.0.5 9090 && fail "second attempt connected" || ok "second attempt blocked too"
wait_for 10 '[ "$(flow count $K)" -ge 1 ] && [ "$(flow sum:packets $K)" -ge 2 ]' ||
	fail "no entry for 10.99.0.5:9090 in status.json"
n=$(flow count $K)
[ "$n" = 1 ] && ok "exactly one aggregated entry for tcp 10.99.0.5:9090" ||
	fail "$n entries for 10.99.0.5:9090"
[ "$(flow count)" = 1 ] && ok "and nothing else blocked" || fail "other entries: $(flow destination)"
check_field() { # FIELD WANT
	_v=$(flow "$1" $K | head -1)
	[ "$_v" = "$2" ] && ok "$1: $_v" || fail "$1 is '$_v', want '$2'"
}
check_field chain egress
check_field verdict blocked
check_field source 10.99.0.1
check_field uid 0
check_field name ""
check_field explanation "no flow allows this address or tcp/9090"
p=$(flow packets $K)
[ "$p" -ge 2 ] && ok "packets: $p (two attempts and their SYN retries in one entry)" ||
	fail "packets: $p"
sp=$(flow source_port $K)
[ "$sp" -ge 1024 ] && ok "source port $sp" || fail "source_port: '$sp'"
[ -n "$(flow first_seen $K)" ] && [ -n "$(flow last_seen $K)" ] && ok "first/last seen set" ||
	fail "first_seen '$(flow first_seen $K)', last_seen '$(flow last_seen $K)'"

pat="blocked tcp 10\.99\.0\.1:[0-9]* -> 10\.99\.0\.5:9090 (egress, uid 0): no flow allows this address or tcp/9090"
lines=$(grep -c "$pat" "$LOG")
[ "$lines" = 1 ] && ok "one log line: $(grep -o "blocked tcp 10.99.0.1.*" "$LOG" | head -1)" ||
	fail "$lines log lines for 10.99.0.5:9090: $(grep "10.99.0.5" "$LOG")"
after=$(drop)
[ -n "$before" ] && [ "$after" -ge $((before + p)) ] &&
	ok "drop rule counter $before -> $after" || fail "drop counter '$before' -> '$after'"
can_connect 10.99.0.2 8080 && ok "allowed flow still connects" || fail "10.99.0.2:8080 blocked"
[ "$(flow count)" = 1 ] && ok "an allowed connection adds no entry" || fail "entries: $(flow destination)"
finish
