#!/bin/sh
# Runs every tests/netns/t_*.sh in its own network namespace ("unshare -n"), never in the
# host's. Prints "netns: N passed, N failed"; skips (exit 0) without root or unshare.
set -u
cd "$(dirname "$0")/../.." || exit 1
if [ "$(id -u)" -ne 0 ] || ! unshare -n true 2>/dev/null || ! command -v nft >/dev/null; then
	echo "netns: skipped (needs root, unshare -n and nft)"
	exit 0
fi
TMPDIR_NS=$(mktemp -d)
export TMPDIR_NS
trap 'rm -rf "$TMPDIR_NS"' EXIT
# The driver links the same objects as the binary (make has built them).
objs=$(ls netlink/*.o policies/*.o agent/*/*.o | grep -v '^agent/cli/main\.o$')
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror -g -o "$TMPDIR_NS/fgnl" \
	tests/netns/fgnl.c $objs $(pkg-config --cflags --libs libnftnl libmnl yaml-0.1 libcares libsystemd); then
	echo "netns: 0 passed, 1 failed (driver does not build)"
	exit 1
fi
export FGNL="$TMPDIR_NS/fgnl"
# The resolver's driver (t_resolver.sh), the same way.
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror -g -o "$TMPDIR_NS/fgres" \
	tests/netns/fgres.c $objs $(pkg-config --cflags --libs libnftnl libmnl yaml-0.1 libcares libsystemd); then
	echo "netns: 0 passed, 1 failed (resolver driver does not build)"
	exit 1
fi
export FGRES="$TMPDIR_NS/fgres"
# The NFLOG reader's driver (t_nflog.sh), the same way.
# shellcheck disable=SC2086
if ! ${CC:-cc} -std=gnu11 -D_GNU_SOURCE -I. -Wall -Wextra -Werror -g -o "$TMPDIR_NS/nflogcat" \
	tests/netns/nflogcat.c $objs $(pkg-config --cflags --libs libnftnl libmnl yaml-0.1 libcares libsystemd); then
	echo "netns: 0 passed, 1 failed (nflog driver does not build)"
	exit 1
fi
export NFLOGCAT="$TMPDIR_NS/nflogcat"
# The fault injector (t_fault.sh): an LD_PRELOAD shim over sendto(); never sanitized
# (check-asan's CC), an instrumented preload would bring a second sanitizer runtime.
if ! cc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -shared -fPIC \
	-o "$TMPDIR_NS/faultshim.so" tests/netns/faultshim.c -ldl; then
	echo "netns: 0 passed, 1 failed (fault shim does not build)"
	exit 1
fi
export FAULTSHIM="$TMPDIR_NS/faultshim.so"
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
