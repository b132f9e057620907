#!/bin/sh
# Install every Debian package the build, the tests and the demo need.
# Idempotent: with everything installed it does nothing (and needs no root).
set -eu
PKGS="build-essential pkg-config make gcc
libnftnl-dev libmnl-dev libyaml-dev libc-ares-dev libcmocka-dev
nftables iptables iproute2 unbound bind9-dnsutils python3 clang libclang-rt-14-dev"
# make bench: iperf3 (packet path), strace (idle wake-ups)
PKGS="$PKGS iperf3 strace"
# tests/e2e/t_metrics.sh: an independent reader of the Prometheus text format
PKGS="$PKGS python3-prometheus-client"
# make deb, make check-system: the package build, lintian, the container (systemd-nspawn)
PKGS="$PKGS debhelper devscripts lintian systemd-container debootstrap"
# make analyze: the static analysers
PKGS="$PKGS cppcheck clang-tidy-14"
# make format, make format-check (.clang-format)
PKGS="$PKGS clang-format-14"
# make apt-repo, make check-fleet: the signed repository (reprepro, gnupg), the Ansible role
# and its lint (ansible ships community.docker's nsenter connection and ansible.posix's
# json callback), ssh for the lockout-guard case. promtool comes from Debian's prometheus
# package, extracted by the test (apt-get download), not installed.
PKGS="$PKGS ansible ansible-lint reprepro gnupg gpgv openssh-client"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
# Root only to install: a user with sudo re-runs this through sudo, root needs no sudo.
. "$(dirname "$0")/root.sh"
if ! as_root "$@"; then
	echo "setup: need root (or sudo) to install:$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# shellcheck disable=SC2086
apt-get install -y --no-install-recommends $missing
