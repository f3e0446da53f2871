#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian kernel (image, modules, headers) into a private root,
# without installing anything on the host.
#
# Usage: tools/testing/vm/fetch-kernel.sh [--source] SERIES
#
#   6.12, 6.1        Debian 12's kernels, from the host's own apt lists
#                    (6.12 from the meta-package linux-headers-6.12-amd64,
#                    6.1 from linux-headers-amd64)
#   7.2, 7.3, ...    the newest generic kernel of that series in Debian's
#                    trixie, trixie-backports or sid (scripts/lib.sh's
#                    private apt lists over the host's mirror)
#   latest           the newest generic kernel of those suites
#   latest-rt        the newest PREEMPT_RT (-rt) kernel of those suites
#
# Versions are resolved from the archive each time, never named here. Both
# packaging layouts are handled: linux-image-KVER-unsigned with the vmlinuz
# in /boot (6.x), and 7.x's split into linux-binary-KVER (the vmlinuz
# under /usr/lib/modules/KVER/) and linux-modules-KVER. The unpacked
# result is cached in $PSTEER_CACHE/distro-KVER/ (re-fetched if the
# archive's package version for that KVER changed; a kernel no series
# resolves to any more is removed).
#
# The headers name the compiler the kernel was built with (gcc-N). When the
# host has no gcc-N, the build root of the suite the kernel comes from
# (scripts/buildroot.sh; debootstrap on first use, about 4 minutes) builds
# against it: BUILDROOT names it, and scripts/build-module.sh --root uses it.
#
# --source also fetches that kernel's source tree: Debian's
# linux-source-MAJOR.MINOR of the same package version, unpacked once into
# $PSTEER_CACHE/linux-source-PKGVER/ (the KUnit/debug kernel, kunit.py
# and checkpatch.pl come from it).
#
# Prints shell-assignable lines on stdout (everything else goes to stderr):
#   KVER=...       kernel release, e.g. 6.12.117+deb12-amd64
#   ROOT=...       private root the packages were unpacked into
#   KDIR=...       headers build dir: make -C "$KDIR" M=... modules
#   KERNEL=...     the bzImage (vmlinuz) to boot
#   CC=...         the compiler the kernel was built with, e.g. gcc-14
#   BUILDROOT=...  the build root to build in, empty for the host
#   PKGVER=...     the Debian package version, e.g. 7.3.4-1~bpo13+1
#   SOURCE=...     with --source: the unpacked source tree
# Use as: eval "$(tools/testing/vm/fetch-kernel.sh 6.12)"
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

usage() { die "usage: $0 [--source] 6.12|6.1|7.N|latest|latest-rt"; }
want_source=0
if [ "${1:-}" = --source ]; then
	want_source=1
	shift
fi
[ $# = 1 ] || usage
series=$1
case "$series" in
6.12) meta=linux-headers-6.12-amd64 ;;
6.1) meta=linux-headers-amd64 ;;
latest | latest-rt | [7-9].[0-9] | [7-9].[0-9][0-9]) meta="" ;;
*) die "unknown series '$1' (want 6.12, 6.1, 7.N, latest or latest-rt)" ;;
esac

ensure_host_pkgs

srcarg=()
[ "$want_source" = 0 ] || srcarg=(--source)
tmp="" dl=""
cleanup() { rm -rf ${tmp:+"$tmp"} ${dl:+"$dl"}; }
trap cleanup EXIT

# The apt-cache of the host (Debian 12's series) or of the private lists.
acache() {
	if [ -n "$meta" ]; then apt-cache "$@"; else suite_apt_cache "$@"; fi
}

# depends_of PKG: the package names PKG hard-depends on (first alternative).
depends_of() {
	acache depends --important "$1" 2>/dev/null |
		sed -n 's/^  Depends: \([^ <>]*\)$/\1/p'
}

# newest_version PKG: the highest version of PKG in the lists, if any.
newest_version() {
	acache madison "$1" 2>/dev/null | awk -F' [|] ' '{ gsub(/ /, "", $2); print $2 }' |
		sort -V | tail -n1
}

# download PKG=VER... : into $dl, from the host's lists or the private ones.
download() {
	if [ -n "$meta" ]; then
		(cd "$dl" && run apt-get download -q "$@") >&2
	else
		suite_apt_download "$dl" "$@"
	fi
}

if [ -n "$meta" ]; then
	if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 ||
		[ -z "$(depends_of "$meta")" ]; then
		[ "$(id -u)" = 0 ] || die "apt lists missing; run apt-get update as root"
		run apt-get update -q >&2
	fi
	hdr=$(depends_of "$meta" | grep -m1 '^linux-headers-') ||
		die "cannot resolve $meta with apt-cache"
	pkgver=$(apt-cache policy "$hdr" | sed -n 's/^  Candidate: //p')
else
	suite_apt_update
	case "$series" in
	latest) re='[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-amd64' ;;
	latest-rt) re='[0-9]+\.[0-9]+\.[0-9]+\+deb[0-9]+-rt-amd64' ;;
	*) re="${series//./\\.}\\.[0-9]+\\+deb[0-9]+-amd64" ;;
	esac
	hdr="" pkgver=""
	for cand in $(suite_apt_cache pkgnames linux-headers- 2>/dev/null |
		grep -E "^linux-headers-$re\$" | sort -rV); do
		pkgver=$(newest_version "$cand")
		[ -z "$pkgver" ] || { hdr=$cand && break; }
	done
	[ -n "$hdr" ] || die "Debian's $PSTEER_SUITES carry no kernel of series $series"
fi
kver=${hdr#linux-headers-}
case "$pkgver" in "" | "(none)") die "no candidate for $hdr" ;; esac
common=$(depends_of "$hdr" | grep -m1 -- '-common$') ||
	die "cannot find the -common package of $hdr"
kbuild=$(depends_of "$hdr" | grep -m1 '^linux-kbuild-') ||
	die "cannot find the linux-kbuild package of $hdr"
cc=$(depends_of "$hdr" | sed -n 's/^\(gcc-[0-9][0-9]*\)\(-for-host\)\{0,1\}$/\1/p' | head -n1)
cc=${cc:-gcc}
# 7.x: vmlinuz in linux-binary-KVER, modules in linux-modules-KVER.
if [ -n "$(newest_version "linux-binary-$kver")" ]; then
	pkgs=("linux-binary-$kver" "linux-modules-$kver")
	# linux-base-KVER: config, System.map, modules.order and .builtin.
	[ -z "$(newest_version "linux-base-$kver")" ] || pkgs+=("linux-base-$kver")
elif [ -n "$(newest_version "linux-image-$kver-unsigned")" ]; then
	pkgs=("linux-image-$kver-unsigned")
else
	pkgs=("linux-image-$kver")
fi
pkgs+=("$hdr" "$common" "$kbuild")
# The suite the headers come from, for the build root (a backports
# kernel is built in its base suite).
suite=$(acache madison "$hdr" 2>/dev/null | awk -F' [|] ' -v v="$pkgver" '
	{ gsub(/ /, "", $2) } $2 == v { split($3, a, " "); sub(/\/.*/, "", a[2]); print a[2]; exit }')
suite=${suite%-backports}
log "series $series: $kver (package version $pkgver from ${suite:-?}, built with $cc)"

dir=$PSTEER_CACHE/distro-$kver
root=$dir/root
kdir=$root/usr/src/linux-headers-$kver
kernel=$root/boot/vmlinuz-$kver

mkdir -p "$PSTEER_CACHE"
exec 9>"$PSTEER_CACHE/.fetch-$kver.lock"
flock 9

if [ "$(cat "$dir/.done" 2>/dev/null)" != "$pkgver ${pkgs[*]}" ]; then
	start=$(date +%s) dlrc=0
	rm -rf "$dir"
	tmp=$(mktemp -d "$PSTEER_CACHE/.fetch-XXXXXX")
	# apt-get download drops privileges to _apt, who cannot enter $HOME:
	# download into a world-writable directory under /tmp.
	dl=$(mktemp -d)
	chmod 777 "$dl"
	# All come from the same source package: pin its version so an
	# unversioned name (linux-kbuild-6.1) cannot pick another upload.
	want=()
	for p in "${pkgs[@]}"; do want+=("$p=$pkgver"); done
	progress "downloading ${pkgs[*]}" "6 to 25 s" download "${want[@]}" || dlrc=$?
	if [ "$dlrc" != 0 ]; then
		# Stale lists name uploads the archive no longer has: update
		# them and resolve again, once.
		[ -z "${PSTEER_FETCH_RETRY:-}" ] || die "cannot download the $kver packages"
		[ "$(id -u)" = 0 ] || die "cannot download the $kver packages (stale apt lists?)"
		log "download failed: updating the apt lists and resolving again"
		if [ -n "$meta" ]; then run apt-get update -q >&2; else suite_apt_update --force; fi
		cleanup
		exec 9>&-
		PSTEER_FETCH_RETRY=1 exec "$0" "${srcarg[@]}" "$series"
	fi
	mkdir -p "$tmp/root"
	for deb in "$dl"/*.deb; do
		run dpkg -x "$deb" "$tmp/root"
	done
	# Merged /usr (7.x): modules and vmlinuz under usr/lib/modules.
	if [ -d "$tmp/root/usr/lib/modules" ] && [ ! -e "$tmp/root/lib" ]; then
		ln -s usr/lib "$tmp/root/lib"
	fi
	if [ ! -f "$tmp/root/boot/vmlinuz-$kver" ]; then
		[ -f "$tmp/root/usr/lib/modules/$kver/vmlinuz" ] || die "no vmlinuz in the $kver packages"
		mkdir -p "$tmp/root/boot"
		ln -s "../usr/lib/modules/$kver/vmlinuz" "$tmp/root/boot/vmlinuz-$kver"
	fi
	# The arch headers' Makefile includes the -common tree by absolute path.
	mf=$tmp/root/usr/src/linux-headers-$kver/Makefile
	[ -f "$mf" ] || die "no $mf in the headers package"
	run sed -i "s|/usr/src/|$root/usr/src/|g" "$mf"
	run depmod -b "$tmp/root" "$kver"
	mkdir -p "$dir"
	mv "$tmp/root" "$root"
	rm -rf "$tmp" "$dl"
	tmp="" dl=""
	echo "$pkgver ${pkgs[*]}" >"$dir/.done"
	log "fetched $kver in $(($(date +%s) - start)) s"
fi
# .series lists the series that resolve to this kernel; a kernel that no
# series resolves to any more is removed.
grep -qx -- "$series" "$dir/.series" 2>/dev/null || echo "$series" >>"$dir/.series"
for old in "$PSTEER_CACHE"/distro-*/.series; do
	if [ ! -f "$old" ] || [ "$old" = "$dir/.series" ] || ! grep -qx -- "$series" "$old"; then
		continue
	fi
	grep -vx -- "$series" "$old" >"$old.new" || true
	mv "$old.new" "$old"
	[ -s "$old" ] || run rm -rf "${old%/.series}" >&2
done

source=""
if [ "$want_source" = 1 ]; then
	mm=$(echo "$kver" | cut -d. -f1,2)
	source=$PSTEER_CACHE/linux-source-$pkgver
	exec 8>"$PSTEER_CACHE/.linux-source.lock"
	flock 8
	if [ ! -f "$source/.done" ]; then
		start=$(date +%s)
		rm -rf "$source" "$source.tmp"
		dl=$(mktemp -d)
		chmod 777 "$dl"
		download "linux-source-$mm=$pkgver" ||
			die "cannot download linux-source-$mm $pkgver"
		mkdir -p "$dl/x" "$source.tmp"
		run dpkg -x "$dl"/linux-source-"$mm"_*.deb "$dl/x"
		tarball=$(find "$dl/x/usr/src" -maxdepth 1 -name "linux-source-$mm.tar.*" | head -n1)
		[ -n "$tarball" ] || die "no source tarball in linux-source-$mm $pkgver"
		log "unpacking linux-source-$mm $pkgver"
		tar -xf "$tarball" -C "$source.tmp" --strip-components=1
		mv "$source.tmp" "$source"
		touch "$source/.done"
		rm -rf "$dl"
		dl=""
		log "fetched linux-source-$mm $pkgver in $(($(date +%s) - start)) s"
	fi
	exec 8>&-
fi

buildroot=""
if ! command -v "$cc" >/dev/null; then
	[ -n "$suite" ] || die "no suite known for $hdr, hence no build root for $cc"
	buildroot=$(run "$PSTEER_TOP/scripts/buildroot.sh" "$suite" "$cc")
fi

[ -f "$kernel" ] || die "no $kernel"
[ -d "$kdir" ] || die "no $kdir"
echo "KVER=$kver"
echo "ROOT=$root"
echo "KDIR=$kdir"
echo "KERNEL=$kernel"
echo "CC=$cc"
echo "BUILDROOT=$buildroot"
echo "PKGVER=$pkgver"
echo "SOURCE=$source"
