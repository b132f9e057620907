#!/bin/sh
# Builds (or updates) the signed apt repository with reprepro: make apt-repo.
#
#   deploy/apt/build-repo.sh DIR KEY DEB...
#
# DIR/state holds reprepro's configuration and database (keep it: the next release is
# added to it); DIR/public is what to publish (dists/, pool/, and the public key as
# flowguard-archive.asc). KEY is the signing key's fingerprint in the caller's gpg keyring
# ($GNUPGHOME): reprepro signs Release as InRelease and Release.gpg with it. The secret
# key never goes near the repository; see "Rolling out to a fleet" in README.md.
set -eu
[ $# -ge 3 ] || { echo "usage: $0 DIR KEY DEB..." >&2; exit 2; }
dir=$1 key=$2
shift 2
[ -n "$key" ] || { echo "$0: no signing key (make apt-repo APT_SIGN_KEY=FINGERPRINT)" >&2; exit 2; }
gpg --batch --list-secret-keys "$key" >/dev/null 2>&1 ||
	{ echo "$0: no secret key $key in ${GNUPGHOME:-~/.gnupg}" >&2; exit 1; }
arch=$(dpkg-deb -f "$1" Architecture)
mkdir -p "$dir/state/conf" "$dir/public"
# Codename bookworm: the suite the role's deb822 source names (flowguard_repo_suite).
cat >"$dir/state/conf/distributions" <<EOD
Origin: flowguard
Label: flowguard
Codename: bookworm
Architectures: $arch
Components: main
Description: flowguard packages for Debian 12
SignWith: $key
EOD
for deb in "$@"; do
	reprepro -b "$dir/state" --outdir "$dir/public" includedeb bookworm "$deb"
done
gpg --batch --armor --export "$key" >"$dir/public/flowguard-archive.asc"
echo "apt-repo: $dir/public (bookworm main $arch), signed by $key"
