#!/bin/sh
# End-to-end tests of the agent (flowguard run): each tests/e2e/t_*.sh builds its own
# namespaces (lib.sh), never the host's. Prints "e2e: N passed, N failed"; as a user,
# re-runs itself through sudo (scripts/root.sh); skips (exit 0) without root or the tools.
# Usage: run.sh [tests/e2e/t_x.sh]
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
pass=0
fail=0
suite=$(date +%s)
for t in tests/e2e/t_*.sh; do
	[ -n "${1:-}" ] && [ "$t" != "$1" ] && continue
	echo "$t"
	start=$(date +%s)
	if timeout 300 sh "$t"; then
		pass=$((pass + 1))
	else
		echo "FAILED: $t" >&2
		fail=$((fail + 1))
	fi
	echo "  ($(($(date +%s) - start)) s)"
done
echo "e2e: $pass passed, $fail failed ($(($(date +%s) - suite)) s)"
[ "$fail" -eq 0 ]
