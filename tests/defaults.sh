#!/bin/sh
# The shipped default config and the demo policy must stay valid, and so must every
# commented example in the default config once uncommented (the docs cannot rot).
set -u
cd "$(dirname "$0")/.."
FG="./flowguard --catalog policies/catalog/swp.yaml"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fail=$((fail + 1)); }

$FG check -c init/flowguard.yaml >/dev/null && ok || bad "init/flowguard.yaml does not check"
$FG check -c policies/examples/demo.yaml >/dev/null && ok || bad "demo.yaml does not check"

# Uncomment every example key; give auto what detection would (this build has none yet).
sed -e 's/^#\([a-z]\)/\1/' -e 's/^#\(  [a-z-]*:\)/\1/' -e 's/^#\(  - \)/\1/' \
    -e 's/^#\(    [a-z]\)/\1/' -e 's/^roles: auto/roles: [agent, relay]/' \
    -e 's/^region: auto/region: de-1/' -e 's/^dns-servers: auto/dns-servers: [192.0.2.53]/' \
    -e 's/^ingress: off/ingress: audit/' init/flowguard.yaml >"$tmp/full.yaml"
if $FG check -c "$tmp/full.yaml" >"$tmp/out" 2>&1; then ok; else bad "uncommented default: $(cat "$tmp/out")"; fi
grep -q 'allow_backup_names_v4' "$tmp/out" 2>/dev/null || true
$FG plan --no-resolve -c "$tmp/full.yaml" >"$tmp/full.nft" 2>"$tmp/full.err" || bad "plan of the uncommented default"
grep -q '@allow_backup_names_v4 tcp dport 873' "$tmp/full.nft" && ok || bad "example allow entry missing from plan"
if command -v nft >/dev/null && [ "$(id -u)" -eq 0 ]; then
	unshare -n nft -c -f "$tmp/full.nft" && ok || bad "nft -c rejects the uncommented default's plan"
fi
echo "defaults: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
