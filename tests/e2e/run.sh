#!/bin/sh
# End-to-end tests of the agent (flowguard run): each tests/e2e/t_*.sh builds its own
# namespaces (lib.sh), never the host's. Prints "e2e: N passed, N failed"; as a user,
# re-runs itself through sudo (scripts/root.sh); skips (exit 0) without root or the tools.
# Usage: run.sh [tests/e2e/t_x.sh]
# E2E_TIMEOUT (300 s) bounds each test (bench/harvest.sh runs t_harvest.sh longer).
set -u
. "$(dirname "$0")/../../scripts/root.sh"
as_root "$@"
cd "$(dirname "$0")/../.." || exit 1
for tool in ip nft unbound unbound-control dig; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "e2e: skipped (no $tool; make setup installs it)"
		exit 0
	fi
done
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
	echo "e2e: skipped (needs root for network namespaces)"
	exit 0
fi
if [ ! -x ./flowguard ]; then
	echo "e2e: 0 passed, 1 failed (no ./flowguard: run make)"
	exit 1
fi
suite=$(date +%s)
out=$(mktemp -d)
lanes=${E2E_JOBS:-1}
# The slowest first (they wait out DNS timers and TTLs), so that parallel lanes end together.
slow="t_harvest t_dnsquiet t_clock t_soak t_dnsbad t_dnsdown t_suspend t_blocked"
tests=
for t in $(for n in $slow; do echo "tests/e2e/$n.sh"; done) tests/e2e/t_*.sh; do
	[ -f "$t" ] || continue
	[ -n "${1:-}" ] && [ "$t" != "$1" ] && continue
	case " $tests " in *" $t "*) continue ;; esac
	tests="$tests $t"
done

# run_lane: takes the next test nobody has taken (mkdir is the claim), until none is left;
# prints "passed failed" on fd 3.
run_lane() {
	_n=0 _p=0 _f=0
	for t in $tests; do
		_n=$((_n + 1))
		mkdir "$out/claim.$_n" 2>/dev/null || continue
		echo "$t"
		start=$(date +%s)
		if timeout "${E2E_TIMEOUT:-300}" sh "$t"; then
			_p=$((_p + 1))
		else
			echo "FAILED: $t" >&2
			_f=$((_f + 1))
		fi
		echo "  ($(($(date +%s) - start)) s)"
	done
	echo "$_p $_f" >&3
}

# E2E_JOBS=N runs N lanes at once (each test has network namespaces and files of its own;
# most of a test's time is waiting for the agent's timers); each lane's output is shown
# whole when it ends, never interleaved.
pass=0
fail=0
k=0
while [ $k -lt "$lanes" ]; do
	if [ "$lanes" -eq 1 ]; then
		run_lane 3>"$out/$k.count"
	else
		run_lane 3>"$out/$k.count" >"$out/$k.log" 2>&1 &
	fi
	k=$((k + 1))
done
wait
k=0
while [ $k -lt "$lanes" ]; do
	[ -f "$out/$k.log" ] && cat "$out/$k.log"
	read -r p f <"$out/$k.count" || { p=0; f=1; }
	pass=$((pass + p))
	fail=$((fail + f))
	k=$((k + 1))
done
rm -rf "$out"
echo "e2e: $pass passed, $fail failed ($(($(date +%s) - suite)) s)"
[ "$fail" -eq 0 ]
