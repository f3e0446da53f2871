#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make deb`: build the psteer-dkms Debian package with Debian's own tooling
# (debhelper, dh-dkms; debian/ in the tree) and print its path.
#
# Usage: scripts/deb.sh   (no arguments)
#
# The tree's files (git ls-files, or find outside a checkout) are copied to
# $PSTEER_OUT/deb/psteer-VERSION/ and built there with dpkg-buildpackage -b;
# the package lands in $PSTEER_OUT/deb/. It holds the sources under
# /usr/src/psteer-VERSION (built by DKMS on install, for every kernel with
# headers), /usr/sbin/psteer and psteer.8, and /etc/modprobe.d/psteer.conf.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: $0"
PSTEER_HOST_PKGS="$PSTEER_HOST_PKGS debhelper dh-dkms dkms fakeroot lintian"
ensure_host_pkgs

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$PSTEER_TOP/dkms.conf")
[ -n "$ver" ] || die "no PACKAGE_VERSION in dkms.conf"
out=$PSTEER_OUT/deb
src=$out/psteer-$ver
rm -rf "$out"
mkdir -p "$src"
if git -C "$PSTEER_TOP" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$PSTEER_TOP" ls-files --cached --others --exclude-standard
else
	(cd "$PSTEER_TOP" && find . \( -name .git -o -path ./build \) -prune -o -type f -print |
		sed 's|^\./||')
fi | (cd "$PSTEER_TOP" && while IFS= read -r f; do [ -f "$f" ] && printf '%s\n' "$f"; done) |
	(cd "$PSTEER_TOP" && tar -cf - -T -) | tar -xf - -C "$src"
log "building psteer-dkms $ver in $src"
(cd "$src" && run dpkg-buildpackage -us -uc -b) >"$out/build.log" 2>&1 ||
	{ tail -n 30 "$out/build.log" >&2; die "dpkg-buildpackage failed (see $out/build.log)"; }
deb=$(ls "$out"/psteer-dkms_"$ver"_*.deb)
log "built $deb"
echo "$deb"
