#!/bin/sh
# The demo: apply the built-in example policy inside a throwaway network namespace and
# print the table the kernel now holds. The host's own firewall is never touched. Root:
# a user runs it through sudo.
set -eu
. "$(dirname "$0")/root.sh"
as_root "$@" || { echo "demo: needs root, or sudo" >&2; exit 1; }
cd "$(dirname "$0")/.."
exec unshare --net sh -c '
	ip link set lo up
	./flowguard apply -c policies/examples/demo.yaml --catalog policies/catalog/swp.yaml
	echo "# nft list table inet flowguard (in a throwaway network namespace)"
	nft list table inet flowguard
'
