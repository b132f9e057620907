#!/bin/sh
# Runs each libFuzzer target: first over every input of its committed corpus once
# (-runs=0: a replay, so a fixed crash stays fixed), then for SECONDS of fuzzing on a copy of
# that corpus (new inputs stay out of the tree). Usage: run.sh SECONDS fuzz_target...
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
	corpus=tests/fuzz/corpus/$name
	work=$(mktemp -d)
	[ -d "$corpus" ] && cp -r "$corpus/." "$work/"
	opts="-timeout=10 -rss_limit_mb=1024 -print_final_stats=0"
	# shellcheck disable=SC2086
	if { [ ! -d "$corpus" ] || "$bin" $opts -runs=0 "$corpus" >"$work.log" 2>&1; } &&
		"$bin" $opts -max_total_time="$secs" "$work" >>"$work.log" 2>&1; then
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
