#!/bin/sh
# harvest.hold must never make the host's DNS worse than no flowguard (issue 13), with
# the CDN world of cdn.sh and a bound of 100 ms (large enough to tell apart from the
# resolver's own time on a busy machine):
#   running   every answer arrives; the daemon lets them go, not the bound
#   SIGSTOP   every answer still arrives, each after about the bound (the helper lets it
#             go), none lost; after SIGCONT the daemon gives the verdicts again
#   SIGKILL   the helper lets go what it holds and exits, the queue is unbound, and the
#             rule's bypass passes every answer at once; no helper is left behind
#   no queue  a kernel that cannot queue (FLOWGUARD_FORCE_NO_QUEUE=1): the table copies
#             answers instead (harvest only), and status and the log say so
. tests/e2e/lib.sh
. tests/e2e/cdn.sh
BOUND=100

# asks N: N queries for www.cdn.test, one at a time; "answered slowest_ms" on stdout.
asks() {
	ip netns exec "$C" "$PY" "$TOP/tests/e2e/dnsask.py" $RESOLVER www.cdn.test "$1" |
		awk '{ printf "%d %d\n", $1, $4 }'
}

hold() { # a field of the status file's hold object
	status_of "['harvest']['hold']['$1']"
}

helper_pid() {
	cat /proc/"$AGENT"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | head -1
}

topo_up || { fail "topology"; finish; }
cdn_up 11 1 20 || finish
cdn_config "harvest:" "  hold: true" "  hold-timeout-ms: $BOUND" "allow:" "  - name: cdn" \
	"    to: [www.cdn.test]" "    ports: [8080]"
agent_start || finish
[ "$(status_of "['harvest']['mode']")" = hold ] && ok "hold via $(hold via), bound $(hold timeout_ms) ms" ||
	fail "mode: $(status_of "['harvest']")"

# Running.
set -- $(asks 20)
[ "$1" = 20 ] && ok "running: 20/20 answers, slowest $2 ms" || fail "running: $1/20 answers"
wait_for 3 '[ "$(hold on_time)" -gt 0 ]' && ok "running: $(hold on_time) let go by the daemon, $(hold late) late" ||
	fail "running: on_time $(hold on_time)"

# Stopped: the helper alone.
l0=$(hold late)
u0=$(hold unheld)
HELPER=$(helper_pid)
kill -STOP "$AGENT"
set -- $(asks 10)
got=$1 worst=$2
kill -CONT "$AGENT"
[ "$got" = 10 ] && ok "SIGSTOP: 10/10 answers, none lost" || fail "SIGSTOP: $got/10 answers"
[ "$worst" -ge $((BOUND * 9 / 10)) ] && [ "$worst" -lt $((BOUND + 400)) ] &&
	ok "SIGSTOP: the slowest answer took $worst ms: held about the bound ($BOUND ms), not longer" ||
	fail "SIGSTOP: slowest answer $worst ms (bound $BOUND ms)"
wait_for 3 '[ $(($(hold late) + $(hold unheld) - l0 - u0)) -ge 10 ]' &&
	ok "SIGSTOP: counted: late +$(($(hold late) - l0)), unheld (never read) +$(($(hold unheld) - u0))" ||
	fail "SIGSTOP: late $l0 -> $(hold late), unheld $u0 -> $(hold unheld)"
o0=$(hold on_time)
set -- $(asks 5)
wait_for 3 '[ "$(hold on_time)" -gt "$o0" ]' && [ "$1" = 5 ] &&
	ok "SIGCONT: the daemon lets answers go again ($o0 -> $(hold on_time))" ||
	fail "SIGCONT: $1/5 answers, on_time $o0 -> $(hold on_time)"

# Killed.
[ -n "$HELPER" ] && [ "$(cat /proc/"$HELPER"/comm 2>/dev/null)" = flowguard-hold ] ||
	fail "no helper process under the agent"
kill -KILL "$AGENT"
wait "$AGENT" 2>/dev/null
AGENT=
wait_for 5 '[ ! -e /proc/$HELPER ]' && ok "SIGKILL: the helper went with the daemon" ||
	fail "SIGKILL: the helper $HELPER is still there"
set -- $(asks 20)
[ "$1" = 20 ] && [ "$2" -lt $BOUND ] && ok "SIGKILL: 20/20 answers, slowest $2 ms: bypass passes them at once" ||
	fail "SIGKILL: $1/20 answers, slowest $2 ms"
inc nft list chain inet flowguard dns_answers 2>/dev/null | grep -q 'queue num' &&
	ok "SIGKILL: the table (and its queue rules) stayed in place" || fail "SIGKILL: the queue rules are gone"

# A kernel that cannot queue.
: >"$LOG"
agent_start FLOWGUARD_FORCE_NO_QUEUE=1 || finish
[ "$(status_of "['harvest']['mode']")" = copy ] && status_of "['harvest']['error']" | grep -q 'hold unavailable' &&
	grep -q 'DNS answer hold: hold unavailable' "$LOG" &&
	ok "no queue: harvest only, said in status ($(status_of "['harvest']['error']")) and the log" ||
	fail "no queue: $(status_of "['harvest']")"
inc nft list chain inet flowguard dns_answers 2>/dev/null | grep -q 'queue' &&
	fail "no queue: the table still queues" || ok "no queue: the table copies answers (log group), no queue"
set -- $(asks 5)
[ "$1" = 5 ] && ok "no queue: 5/5 answers" || fail "no queue: $1/5 answers"
finish
