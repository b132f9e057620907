# shellcheck shell=bash
# Result counting and waiting for the booted-container tests (tests/system, tests/fleet).
# Each test defines its own finish(), which prints "NAME: N passed, N failed".

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# check NAME CMD...: passes when CMD exits 0.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else bad "$name"; fi
}
die() {
	bad "$*"
	finish
}
# wait_for SECONDS CMD...: polls CMD every 0.2 s.
wait_for() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}
# container_leader NSPAWN_PID: prints the container's init (its PID 1, as the host sees it)
# once systemd-nspawn has started it; fails after 15 s.
container_leader() {
	local leader
	for _ in $(seq 300); do
		leader=$(pgrep -P "$1" -x systemd | head -1)
		[ -n "$leader" ] && { echo "$leader"; return 0; }
		sleep 0.05
	done
	return 1
}
# container_state LEADER: waits until the container's systemd has finished booting and
# prints its state (running, degraded, or what it was when 30 s ran out).
container_state() {
	local state=
	for _ in $(seq 300); do
		state=$(nsenter -t "$1" -a systemctl is-system-running --wait 2>/dev/null) && break
		[ "$state" = degraded ] && break
		sleep 0.1
	done
	echo "$state"
}
