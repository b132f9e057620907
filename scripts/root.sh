# Sourced by the scripts that need root: setup.sh (only to install), demo.sh and the netns,
# e2e and system suites. A fresh Debian 12 runs them as root and has no sudo; a user runs
# them through sudo. Source it before the script changes directory: it notes the script's
# path for the re-run.
#
# as_root "$@": as root, returns 0. As a user, re-runs the script through sudo when sudo is
# installed, keeping the environment (the suites' knobs, NETNS_TOOLS, ASAN_OPTIONS); make
# check asks for sudo once up front and sets FG_SUDO=no when that was refused.
# Returns 1 when root is out of reach: the caller skips or fails.
as_root_self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

as_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	[ "${FG_SUDO:-}" != no ] && command -v sudo >/dev/null 2>&1 || return 1
	exec sudo -E "$as_root_self" "$@"
}
