#!/bin/sh
# Runs each libFuzzer target for a bounded time on a copy of its seed corpus.
# Prints "fuzz: N passed, N failed"; a crash or sanitizer report fails the target.
set -u
# A UBSan report must fail the target, not scroll past.
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
secs=$1
shift
pass=0
fail=0
for bin in "$@"; do
	name=$(basename "$bin" | sed 's/^fuzz_//')
	work=$(mktemp -d)
	[ -d "tests/fuzz/corpus/$name" ] && cp -r "tests/fuzz/corpus/$name/." "$work/"
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=1024 -print_final_stats=0 \
		"$work" >"$work.log" 2>&1; then
		pass=$((pass + 1))
	else
		echo "FAILED: $bin (log follows)" >&2
		tail -40 "$work.log" >&2
		fail=$((fail + 1))
	fi
	rm -rf "$work" "$work.log"
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
