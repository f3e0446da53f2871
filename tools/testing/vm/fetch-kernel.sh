#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian distro kernel (image + headers) into a private root, without
# installing anything on the host.
#
# Usage: tools/testing/vm/fetch-kernel.sh SERIES      (SERIES = 6.12 or 6.1)
#
# The version is resolved from the archive each time (6.12 from the
# meta-package linux-headers-6.12-amd64, 6.1 from linux-headers-amd64) and
# the unpacked result is cached in $PSTEER_CACHE/distro-KVER/ (re-fetched if
# the archive's package version for that KVER changed).
#
# Prints shell-assignable lines on stdout (everything else goes to stderr):
#   KVER=...    kernel release, e.g. 6.12.117+deb12-amd64
#   ROOT=...    private root the packages were unpacked into
#   KDIR=...    headers build dir: make -C "$KDIR" M=... modules
#   KERNEL=...  the bzImage (vmlinuz) to boot
# Use as: eval "$(tools/testing/vm/fetch-kernel.sh 6.12)"
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 1 ] || die "usage: $0 6.12|6.1"
series=$1
case "$series" in
6.12) meta=linux-headers-6.12-amd64 ;;
6.1) meta=linux-headers-amd64 ;;
*) die "unknown series '$1' (want 6.12 or 6.1)" ;;
esac

ensure_host_pkgs

tmp="" dl=""
cleanup() { rm -rf ${tmp:+"$tmp"} ${dl:+"$dl"}; }
trap cleanup EXIT

# depends_of PKG: the package names PKG hard-depends on (first alternative).
depends_of() {
	apt-cache depends --important "$1" 2>/dev/null |
		sed -n 's/^  Depends: \([^ <>]*\)$/\1/p'
}

if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 ||
	[ -z "$(depends_of "$meta")" ]; then
	[ "$(id -u)" = 0 ] || die "apt lists missing; run apt-get update as root"
	run apt-get update -q >&2
fi

hdr=$(depends_of "$meta" | grep -m1 '^linux-headers-') ||
	die "cannot resolve $meta with apt-cache"
kver=${hdr#linux-headers-}
pkgver=$(apt-cache policy "$hdr" | sed -n 's/^  Candidate: //p')
case "$pkgver" in "" | "(none)") die "no candidate for $hdr" ;; esac
common=$(depends_of "$hdr" | grep -m1 -- '-common$') ||
	die "cannot find the -common package of $hdr"
kbuild=$(depends_of "$hdr" | grep -m1 '^linux-kbuild-') ||
	die "cannot find the linux-kbuild package of $hdr"
image=linux-image-$kver-unsigned
log "series $series: $kver (package version $pkgver)"

dir=$PSTEER_CACHE/distro-$kver
root=$dir/root
kdir=$root/usr/src/linux-headers-$kver
kernel=$root/boot/vmlinuz-$kver

mkdir -p "$PSTEER_CACHE"
exec 9>"$PSTEER_CACHE/.fetch-$kver.lock"
flock 9

if [ "$(cat "$dir/.done" 2>/dev/null)" != "$pkgver" ]; then
	start=$(date +%s)
	rm -rf "$dir"
	tmp=$(mktemp -d "$PSTEER_CACHE/.fetch-XXXXXX")
	# apt-get download drops privileges to _apt, who cannot enter $HOME:
	# download into a world-writable directory under /tmp.
	dl=$(mktemp -d)
	chmod 777 "$dl"
	# All four come from the same source package: pin its version so an
	# unversioned name (linux-kbuild-6.1) cannot pick another upload.
	if ! (cd "$dl" && run apt-get download -q \
		"$image=$pkgver" "$hdr=$pkgver" "$common=$pkgver" "$kbuild=$pkgver") >&2; then
		# Stale lists name uploads the archive no longer has: update
		# them and resolve again, once.
		[ -z "${PSTEER_FETCH_RETRY:-}" ] || die "cannot download the $kver packages"
		[ "$(id -u)" = 0 ] || die "cannot download the $kver packages (stale apt lists?)"
		log "download failed: updating the apt lists and resolving again"
		run apt-get update -q >&2
		cleanup
		exec 9>&-
		PSTEER_FETCH_RETRY=1 exec "$0" "$series"
	fi
	mkdir -p "$tmp/root"
	for deb in "$dl"/*.deb; do
		run dpkg -x "$deb" "$tmp/root"
	done
	# The arch headers' Makefile includes the -common tree by absolute path.
	mf=$tmp/root/usr/src/linux-headers-$kver/Makefile
	[ -f "$mf" ] || die "no $mf in the headers package"
	run sed -i "s|/usr/src/|$root/usr/src/|g" "$mf"
	run depmod -b "$tmp/root" "$kver"
	mkdir -p "$dir"
	mv "$tmp/root" "$root"
	rm -rf "$tmp" "$dl"
	tmp="" dl=""
	echo "$series" >"$dir/.series"
	echo "$pkgver" >"$dir/.done"
	log "fetched $kver in $(($(date +%s) - start)) s"
	# Older kernels of this series are no longer wanted.
	for old in "$PSTEER_CACHE"/distro-*/.series; do
		if [ -f "$old" ] && [ "$old" != "$dir/.series" ] &&
			[ "$(cat "$old")" = "$series" ]; then
			run rm -rf "${old%/.series}" >&2
		fi
	done
fi

[ -f "$kernel" ] || die "no $kernel"
[ -d "$kdir" ] || die "no $kdir"
echo "KVER=$kver"
echo "ROOT=$root"
echo "KDIR=$kdir"
echo "KERNEL=$kernel"
