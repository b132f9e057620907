#!/bin/sh
# Detection fixtures: for each tests/detect/NAME/root (a fake host tree),
#   flowguard detect --root ROOT --json   must equal NAME/expected.json (its warnings on
#                                         stderr NAME/detect.err, when there are any), and
#   flowguard plan --root ROOT            must equal NAME/plan.nft (stdout) or, when the
#                                         plan is refused, NAME/plan.err (stderr, exit 2).
# NAME/flowguard.yaml replaces tests/detect/auto.yaml as the configuration.
# FG_UPDATE_GOLDENS=1 rewrites the expected files; review the diff before committing.
# Prints "detect: N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
FG=./flowguard
CATALOG=policies/catalog/swp.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

# compare NAME GOLDEN ACTUAL
compare() {
	if [ "${FG_UPDATE_GOLDENS:-0}" = 1 ]; then
		cp "$3" "$2"
	fi
	if [ -f "$2" ] && cmp -s "$2" "$3"; then
		pass=$((pass + 1))
	else
		echo "FAIL: $1: $(basename "$2") differs:" >&2
		diff -u "$2" "$3" >&2 | head -40
		fail=$((fail + 1))
	fi
}

for dir in tests/detect/*/; do
	dir=${dir%/}
	[ -d "$dir/root" ] || continue
	name=$(basename "$dir")
	cfg=tests/detect/auto.yaml
	[ -f "$dir/flowguard.yaml" ] && cfg=$dir/flowguard.yaml
	$FG detect --json --root "$dir/root" >"$tmp/json" 2>"$tmp/warn"
	compare "$name" "$dir/expected.json" "$tmp/json"
	# Warnings about broken host files must name the file and line: keep them as goldens.
	if [ -s "$tmp/warn" ] || [ -f "$dir/detect.err" ]; then
		compare "$name" "$dir/detect.err" "$tmp/warn"
	fi
	if $FG plan --no-resolve -c "$cfg" --catalog "$CATALOG" --root "$dir/root" >"$tmp/plan" 2>"$tmp/err"; then
		compare "$name" "$dir/plan.nft" "$tmp/plan"
	else
		compare "$name" "$dir/plan.err" "$tmp/err"
	fi
done
echo "detect: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
