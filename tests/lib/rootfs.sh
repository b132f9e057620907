#!/bin/bash
# shellcheck shell=bash
# The booted-container tests' Debian 12 root file system, shared by tests/system/run.sh and
# tests/fleet/run.sh: one debootstrap (minbase) with systemd, the tools both tests use and
# the .deb's dependencies, cached as a tarball in $FLOWGUARD_TEST_CACHE (default
# /var/cache/flowguard-test) keyed by the package list, so later runs skip the download.
# One list for both tests, so one download serves both: python3 and python3-apt are what
# Ansible needs on a target (without python3-apt its apt module tries to fetch it), and
# openssh-server gives the fleet test's lockout guard a control connection that goes
# through the container's own network and firewall.
# The .deb's run-time dependencies are in the list too, so the file system can be made
# before (or while) the package is built: `make check-system` and `make check-fleet` run
# this file as a script beside `make deb`. A dependency the list lacks still gets in (it
# changes the key: a second tarball).
#
#   . tests/lib/rootfs.sh; rootfs_tarball [DEB] || exit   (sets ROOTFS_TARBALL; logs on stdout)
#   tests/lib/rootfs.sh                                    (the same, as a command)
#
# Callers at once (the two tests in one make check) take turns on a lock in the cache: one
# runs debootstrap, the other then finds the tarball.

ROOTFS_SUITE=bookworm
# man-db: systemd-analyze verify checks that the unit's Documentation= man pages exist.
# libc6 ... libyaml-0-2: the package's shared libraries (debian/control's shlibs:Depends).
ROOTFS_PKGS="systemd systemd-sysv dbus nftables iproute2 procps unbound man-db python3 python3-apt
	openssh-server libc6 libc-ares2 libmnl0 libnftnl11 libyaml-0-2"

# rootfs_tarball [DEB]: ROOTFS_TARBALL names the cached tarball, built first if missing.
rootfs_tarball() {
	local deps='' pkgs key cache
	[ -z "${1:-}" ] || deps=$(dpkg-deb -f "$1" Depends | tr ',' '\n' |
		sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' | grep -v '^$')
	# shellcheck disable=SC2086
	pkgs=$(printf '%s\n' $ROOTFS_PKGS $deps | sort -u | tr '\n' ' ')
	key=$(printf '%s %s' "$ROOTFS_SUITE" "$pkgs" | sha256sum | cut -c1-12)
	cache=${FLOWGUARD_TEST_CACHE:-/var/cache/flowguard-test}
	ROOTFS_TARBALL=$cache/rootfs-$ROOTFS_SUITE-$key.tar
	mkdir -p "$cache" || return 1
	[ -s "$ROOTFS_TARBALL" ] && return 0
	(
		flock 9 || exit 1
		[ -s "$ROOTFS_TARBALL" ] || rootfs_debootstrap "$pkgs"
	) 9>"$cache/rootfs.lock"
}

# rootfs_debootstrap PKGS: debootstrap into ROOTFS_TARBALL.
rootfs_debootstrap() {
	local pkgs=$1 mirror t0 tmp
	mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
	[ -n "$mirror" ] || mirror=$(awk '$1=="deb"{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
	[ -n "$mirror" ] || mirror=http://deb.debian.org/debian
	echo "rootfs: debootstrap $ROOTFS_SUITE ($pkgs) from $mirror into the cache"
	t0=$(date +%s)
	tmp=$(mktemp -d /var/tmp/flowguard-rootfs.XXXXXX) || return 1
	# Two stages, so that dpkg in the second one installs without an fsync per file
	# (force-unsafe-io, as mmdebstrap does: a throwaway tree needs no crash safety) and
	# without the distribution's manuals, docs and translations (no man-db database to
	# build; the .deb installed later brings its own man pages). The settings are removed
	# afterwards. The second stage runs in a mount namespace of its own, so the /proc it
	# mounts goes with it.
	# shellcheck disable=SC2086
	if ! debootstrap --foreign --variant=minbase --include="$(echo $pkgs | tr ' ' ',')" \
		"$ROOTFS_SUITE" "$tmp/root" "$mirror" >"$tmp/debootstrap.log" 2>&1 ||
		! printf '%s\n' force-unsafe-io path-exclude=/usr/share/doc/* path-exclude=/usr/share/man/* \
			path-exclude=/usr/share/locale/* path-exclude=/usr/share/info/* \
			>"$tmp/root/etc/dpkg/dpkg.cfg.d/flowguard-test-unsafe-io" ||
		! echo "rootfs: downloaded and unpacked after $(($(date +%s) - t0)) s" ||
		! unshare -m chroot "$tmp/root" /debootstrap/debootstrap --second-stage \
			>>"$tmp/debootstrap.log" 2>&1; then
		tail -20 "$tmp/debootstrap.log"
		rm -rf "$tmp"
		return 1
	fi
	rm -f "$tmp/root/etc/dpkg/dpkg.cfg.d/flowguard-test-unsafe-io"
	rm -rf "$tmp/root/var/cache/apt/archives/"*.deb "$tmp/root/var/lib/apt/lists/"*_Packages
	# The rename is atomic: a reader without the lock never sees a partial tarball.
	tar -C "$tmp/root" -cf "$ROOTFS_TARBALL.$$" . && mv "$ROOTFS_TARBALL.$$" "$ROOTFS_TARBALL"
	rm -rf "$tmp"
	echo "rootfs: cached in $ROOTFS_TARBALL after $(($(date +%s) - t0)) s"
}

# Run as a command: make sure the tarball is there.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	. "$(dirname "$0")/../../scripts/root.sh"
	as_root "$@" || { echo "rootfs: needs root (debootstrap)"; exit 1; }
	rootfs_tarball "$@"
	exit
fi
