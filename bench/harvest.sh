#!/bin/sh
# make bench-harvest: DNS answer harvest and hold, measured (issue 13). Root; in namespaces
# that tests/e2e/lib.sh makes and removes, never the host's. Two parts:
#   1. Latencies, in the CDN world of tests/e2e/cdn.sh with addresses that do not move:
#      HARVEST_QUERIES (1100) queries, one at a time, of a name whose answer changes no set
#      (www.cdn.test, cached) and of names whose answer always adds an address
#      (RND.fresh.test), with harvest.hold on (the default bound, 5 ms) and off (copies).
#      From the agent: the hold's read -> verdict and harvest's read -> committed (p50/p99
#      of its last 1024 answers); from the client: each query's round trip, so the hold's
#      cost is the difference to the copy run. The agent runs at nice -5, as its unit has it.
#   2. The churn (tests/e2e/t_harvest.sh) at full length: HARVEST_SECONDS (300) per mode.
# Prints the results as Markdown (for BENCHMARKS.md).
set -u
cd "$(dirname "$0")/.." || exit 1
N=${HARVEST_QUERIES:-1100}
SECS=${HARVEST_SECONDS:-300}
if [ "$(id -u)" -ne 0 ]; then
	echo "bench-harvest: needs root (network namespaces)" >&2
	exit 1
fi
RES=$(mktemp /tmp/fgbench-harvest.XXXXXX)
trap 'rm -f "$RES"' EXIT

latencies() (
	. tests/e2e/lib.sh
	. tests/e2e/cdn.sh

	# queries NAME: N queries one at a time; "p50 p99 max" of the round trips in ms.
	queries() {
		ip netns exec "$C" "$PY" tests/e2e/dnsask.py $RESOLVER "$1" "$N" | cut -d' ' -f2-
	}

	# The hold's late and unheld counts so far (0 0 without hold).
	misses() {
		echo "$(status_of "['harvest']['hold']['late']") $(status_of "['harvest']['hold']['unheld']")"
	}

	# phase MODE KIND NAME: the queries, then the agent's own numbers from the status file
	# (the hold's late and unheld counts: those of this phase).
	phase() {
		before=$(misses)
		rtt=$(queries "$3")
		mark=$(now_ms)
		# The status file follows within a second: wait for a rewrite after the last query.
		wait_for 5 '[ "$(status_of "[\"updated_ms\"]")" -gt "$mark" ]'
		echo "$1 $2 client $rtt $(status_of "['harvest']['hold']['latency_p50_us']") \
$(status_of "['harvest']['hold']['latency_p99_us']") $(status_of "['harvest']['latency_p50_us']") \
$(status_of "['harvest']['latency_p99_us']") $(echo "$before $(misses)" | awk '{ print $3 - $1, $4 - $2 }')" >>"$RES"
	}

	# As the unit runs it (init/flowguard.service: Nice=-5).
	WRAP="nice -n -5"
	topo_up || exit 1
	CDN_ANSWER_ALL=1 cdn_up 3 600 600 || exit 1
	for mode in hold copy; do
		h="  hold: false"
		[ $mode = hold ] && h="  hold: true"
		cdn_config "harvest:" "$h" "  max-addresses: 4096" "allow:" "  - name: cdn" \
			"    to: [www.cdn.test, \"*.fresh.test\"]" "    ports: [8080]"
		agent_start || exit 1
		# The start's own burst of queries is over before anything is measured.
		wait_for 30 '! status_of "[\"names\"]" | grep -q "\x27in_flight\x27: True"'
		phase $mode unchanged www.cdn.test
		phase $mode changed RND.fresh.test
		agent_stop
	done
)

say() { echo "bench-harvest: $*" >&2; }

say "latencies: $N queries per phase"
latencies || { say "latency part failed"; exit 1; }
say "churn: ${SECS} s per mode (t_harvest.sh)"
HARVEST_SECONDS=$SECS HARVEST_RESULTS=$RES E2E_TIMEOUT=$((SECS * 3 + 300)) \
	./tests/e2e/run.sh tests/e2e/t_harvest.sh >&2 || say "the churn test FAILED (see above)"

awk '
$3 == "client" { lat[$1 " " $2] = $0 }
/^(poll|harvest|hold) / { churn[$1] = $0 }
END {
	print "| answer | mode | client RTT p50 / p99 / max (ms) | hold: read -> verdict p50 / p99 (us) | harvest: read -> committed p50 / p99 (us) | late / unheld |"
	print "|---|---|---|---|---|---|"
	split("unchanged changed", kinds, " ")
	split("copy hold", modes, " ")
	for (k = 1; k <= 2; k++) for (m = 1; m <= 2; m++) {
		split(lat[modes[m] " " kinds[k]], f, " ")
		printf "| %s | %s | %s / %s / %s | %s | %s | %s |\n", kinds[k], modes[m], f[4], f[5], f[6],
		       modes[m] == "hold" ? f[7] " / " f[8] : "-",
		       kinds[k] == "changed" ? f[9] " / " f[10] : "- (nothing to commit)",
		       modes[m] == "hold" ? f[11] " / " f[12] : "-"
	}
	print ""
	print "| mode | connections (resolve, then connect at once) |"
	print "|---|---|"
	for (m in churn) { c = churn[m]; sub(/^[a-z]+ /, "", c); printf "| %s | %s |\n", m, c }
}' "$RES"
