#!/bin/sh
# Runs every tests/netns/t_*.sh in its own network namespace ("unshare -n"), never in the
# host's. Prints "netns: N passed, N failed"; as a user, re-runs itself
# through sudo (scripts/root.sh); skips (exit 0) without root or unshare.
set -u
. "$(dirname "$0")/../../scripts/root.sh"
cd "$(dirname "$0")/../.." || exit 1
# The drivers and the fault shim are built by make (check-netns, which passes their
# directory); run by hand, this asks make for them and comes back.
if [ -z "${NETNS_TOOLS:-}" ]; then
	exec make --no-print-directory check-netns T="${1:-}"
fi
as_root "$@"
if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null || ! command -v nft >/dev/null; then
	echo "netns: skipped (needs root, unshare -n and nft)"
	exit 0
fi
export FGNL="$NETNS_TOOLS/fgnl" FGRES="$NETNS_TOOLS/fgres" NFLOGCAT="$NETNS_TOOLS/nflogcat"
export FAULTSHIM="$NETNS_TOOLS/faultshim.so"
TMPDIR_NS=$(mktemp -d)
export TMPDIR_NS
trap 'rm -rf "$TMPDIR_NS"' EXIT
HOST_NETNS=$(readlink /proc/self/ns/net)
export HOST_NETNS
pass=0
fail=0
for t in tests/netns/t_*.sh; do
	[ -n "${1:-}" ] && [ "$t" != "$1" ] && continue
	echo "$t"
	if timeout 300 unshare -n sh "$t"; then
		pass=$((pass + 1))
	else
		echo "FAILED: $t" >&2
		fail=$((fail + 1))
	fi
done
echo "netns: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
