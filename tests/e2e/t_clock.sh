#!/bin/sh
# Wall-clock jumps (issue 9) through tests/e2e/clockshim.so, which moves only the agent's
# CLOCK_REALTIME: forward 2 days, then back 2 days, while it runs. No mass expiry (the
# DNS-fed set keeps its address, the kernel element timeouts stay what TTL and grace say),
# refresh continues (a record change reaches the set after each jump), the state file gets
# the jumped clock's times. Restarts with DNS down (names.h's rules for the state file):
# written at +2 days, loaded at +0 ("from the future": counts as seen now, bounded by
# max-stale from the load); written and loaded at -2 days (kept); written at -2 days and
# loaded at +2 days, beyond max-stale (1 h): dropped, and DNS fills the set again.
. tests/e2e/lib.sh
S=allow_test_web_names_v4
SHIM=$TOP/tests/e2e/clockshim.so
DAY2=172800
[ -f "$SHIM" ] || make -s tests/e2e/clockshim.so >/dev/null 2>&1 ||
	{ fail "no $SHIM (make tests/e2e/clockshim.so)"; finish; }

clock_set() { # clock_set REALTIME_OFFSET_S
	printf 'realtime %s\n' "$1" >"$T/clock.tmp" && mv "$T/clock.tmp" "$T/clock"
}

start() {
	agent_start FG_CLOCK_FILE="$T/clock" LD_PRELOAD="$SHIM"
}

# Seconds until the element for $2 in set $1 expires, as the kernel counts it ("" if none).
expires() {
	inc nft list set inet flowguard "$1" 2>/dev/null | tr -d '\n' | tr ',{}' '\n\n\n' |
		grep -F " $2 " | grep -o 'expires [0-9dhms]*' | head -1 | sed 's/expires //' |
		awk '{ s = 0; t = $0
			while (match(t, /^[0-9]+(ms|d|h|m|s)/)) {
				u = substr(t, 1, RLENGTH); t = substr(t, RLENGTH + 1)
				n = u + 0; sub(/^[0-9]+/, "", u)
				s += u == "d" ? n * 86400 : u == "h" ? n * 3600 : u == "m" ? n * 60 : u == "s" ? n : 0
			}
			print s }'
}

# within A B SLACK: |A - B| <= SLACK
within() {
	[ -n "$1" ] && [ "$1" -ge $(($2 - $3)) ] && [ "$1" -le $(($2 + $3)) ]
}

# The agent's wall clock as the status file shows it (seconds).
agent_wall() {
	sed -n 's/^  "updated_ms": \([0-9]*\),$/\1/p' "$T/run/status.json" 2>/dev/null | awk '{ print int($1 / 1000) }'
}

# The "seen" time the state file holds for address $1 of web.test.
saved_seen() {
	awk -v a="$1" '$1 == "web.test" && $2 == a { print $3 }' "$STATE/names" 2>/dev/null
}

# The agent's last good answer for web.test, as the wall clock of the status file (s).
last_good() {
	status_eval 'name("web.test")["last_good_ms"] // 1000'
}

# jump LABEL OFFSET OLD NEW: the wall clock jumps to OFFSET while OLD is the answer;
# then the record changes to NEW.
jump() {
	# shellcheck disable=SC2034 # read by wait_for's eval
	old=$3
	# shellcheck disable=SC2034
	new=$4
	clock_set "$2"
	# shellcheck disable=SC2034
	want=$(($(date +%s) + $2))
	wait_for 10 'within "$(last_good)" $want 30' ||
		fail "$1: no answer on the jumped clock: last good answer at $(last_good), want ~$want"
	e=$(expires $S "$3")
	has_addr $S "$3" && within "$e" 30 6 &&
		ok "$1: after the first answer on the jumped clock $3 is still allowed, kernel timeout ${e} s (TTL 2 s + 30 s, not jumped)" ||
		fail "$1: after the jump: $(set_addrs $S | tr '\n' ' ') expires '$e'"
	t0=$(now_ms)
	dns_set web.test "web.test. 2 IN A $4"
	wait_for 5 has_addr $S "$4" && ok "$1: refresh continues: $4 in the set $(($(now_ms) - t0)) ms after the change" ||
		fail "$1: $4 not in the set: $(set_addrs $S | tr '\n' ' ')"
	e=$(expires $S "$4")
	within "$e" 32 5 && ok "$1: $4's kernel timeout ${e} s" || fail "$1: $4 expires '$e'"
	want=$(($(date +%s) + $2))
	wait_for 3 'within "$(agent_wall)" $want 30' && ok "$1: the agent's wall clock is $(($(agent_wall) - $(date +%s))) s off" ||
		fail "$1: the shim is not in effect: status says $(agent_wall), want ~$want"
	wait_for 8 'within "$(saved_seen $new)" $want 30' &&
		ok "$1: state file saved with the jumped clock ($4 seen $(($(saved_seen "$4") - $(date +%s))) s from real now)" ||
		fail "$1: state file: $(cat "$STATE/names" 2>/dev/null | tr '\n' '|')"
	wait_for 10 '! has_addr $S $old' && ok "$1: $3 left after its grace, on the boot clock" ||
		fail "$1: $3 still allowed: $(set_addrs $S | tr '\n' ' ')"
}

# restart LABEL OFFSET: stops the agent and DNS, starts the agent at OFFSET with DNS down.
restart() {
	agent_stop || fail "$1: agent exit status $rc"
	[ -n "$DNS" ] && dns_stop
	clock_set "$2"
	start || finish
}

topo_up || { fail "topology"; finish; }
clock_set 0
dns_up 'web.test. 2 IN A 10.99.0.2' || finish
write_config enforce 3s
watch_start "$T/mon" || finish
start || finish
wait_for 5 has_addr $S 10.99.0.2 && ok "start: 10.99.0.2" || fail "set: $(set_addrs $S)"

# Whether the set ever goes empty while the clock jumps: nft monitor has every change.
w1=$(now_ms)
jump "forward 2 days" $DAY2 10.99.0.2 10.99.0.3
w2=$(now_ms)
restart "restart at +0 with the file from +2 days" 0
e=$(expires $S 10.99.0.3)
has_addr $S 10.99.0.3 && [ -n "$e" ] && [ "$e" -gt 3000 ] && [ "$e" -le 3600 ] &&
	ok "file from the future: 10.99.0.3 loaded as seen now, bounded by max-stale (expires ${e} s <= 3600)" ||
	fail "file from the future: $(set_addrs $S | tr '\n' ' ') expires '$e'"
dns_start || finish
wait_for 15 has_addr $S 10.99.0.2 && ok "DNS back: 10.99.0.2" || fail "DNS back: $(set_addrs $S)"
w3=$(now_ms)
jump "back 2 days" -$DAY2 10.99.0.2 10.99.0.4
w4=$(now_ms)
watch_sync "$T/mon" || fail "nft monitor lags"
gaps="$(watch_missing "$T/mon" $S - "$w1" "$w2") $(watch_missing "$T/mon" $S - "$w3" "$w4")"
[ -n "$(watch_states "$T/mon" $S "$w1" "$w2")" ] && [ -n "$(watch_states "$T/mon" $S "$w3" "$w4")" ] &&
	[ "$gaps" = " " ] && ok "the set never went empty while the clock jumped ($((w2 - w1 + w4 - w3)) ms, every commit)" ||
	fail "the set was empty: $gaps"
restart "restart at -2 days with the file from -2 days" -$DAY2
e=$(expires $S 10.99.0.4)
has_addr $S 10.99.0.4 && [ -n "$e" ] && [ "$e" -gt 3000 ] && [ "$e" -le 3600 ] &&
	ok "file written after the jump back loads: 10.99.0.4 (expires ${e} s)" ||
	fail "file from -2 days: $(set_addrs $S | tr '\n' ' ') expires '$e'"

restart "restart at +2 days with the file from -2 days" $DAY2
wait_for 2 '! has_addr $S 10.99.0.4' &&
	ok "file older than max-stale (4 days by this clock): dropped, the set is empty with DNS down" ||
	fail "a 4-day-old answer was kept: $(set_addrs $S | tr '\n' ' ') expires '$(expires $S 10.99.0.4)'"
dns_start || finish
t0=$(now_ms)
wait_for 15 has_addr $S 10.99.0.2 && ok "DNS back: 10.99.0.2 after $(($(now_ms) - t0)) ms" ||
	fail "no refresh after the restart: $(set_addrs $S)"
kill -0 "$AGENT" 2>/dev/null && ok "agent alive" || fail "agent died"
finish
