# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Common helpers for psteer's host scripts, in scripts/ and tools/testing/.
#
# Usage: . "$(dirname "$0")/lib.sh"   (sourced, by its path from the script:
# ../../scripts/lib.sh from tools/testing/, ../../../scripts/lib.sh a level
# down); it defines PSTEER_TOP, PSTEER_OUT, PSTEER_CACHE, JOBS and helpers,
# and runs nothing.

PSTEER_CACHE=${PSTEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/psteer}
PSTEER_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PSTEER_OUT=${PSTEER_OUT:-$PSTEER_TOP/build}
JOBS=${JOBS:-$(nproc)}

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }

# Host packages every script may need, from Debian's archive only.
PSTEER_HOST_PKGS="build-essential bc bison flex cpio xz-utils kmod
	libelf-dev libssl-dev dwarves sparse python3 perl rsync
	qemu-system-x86 busybox-static iperf3 iproute2 linux-source-6.12
	gnuplot-nox shellcheck ethtool nftables"

# ensure_host_pkgs: install whatever of PSTEER_HOST_PKGS is missing.
ensure_host_pkgs() {
	local p missing=""
	for p in $PSTEER_HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root or install them)"
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	run apt-get update -q >&2
	# shellcheck disable=SC2086
	run apt-get install -y -q --no-install-recommends $missing >&2
}

# Debian's kernel source package: the KUnit kernel, kunit.py and checkpatch.pl
# all come from it.
PSTEER_SOURCE_PKG=${PSTEER_SOURCE_PKG:-linux-source-6.12}

# linux_source_version: version of the installed $PSTEER_SOURCE_PKG.
linux_source_version() {
	dpkg-query -W -f='${Version}' "$PSTEER_SOURCE_PKG" 2>/dev/null ||
		die "$PSTEER_SOURCE_PKG is not installed"
}

# linux_source: print the unpacked source tree
# $PSTEER_CACHE/linux-source-<version>, unpacking
# /usr/src/$PSTEER_SOURCE_PKG.tar.xz first if needed (once, under a lock).
linux_source() {
	local ver tarball src
	ver=$(linux_source_version)
	tarball=/usr/src/$PSTEER_SOURCE_PKG.tar.xz
	src=$PSTEER_CACHE/linux-source-$ver
	if [ ! -f "$src/.done" ]; then
		[ -f "$tarball" ] || die "no $tarball"
		mkdir -p "$PSTEER_CACHE"
		(
			flock 9
			if [ ! -f "$src/.done" ]; then
				log "unpacking $tarball ($ver)"
				rm -rf "$src" "$src.tmp"
				mkdir -p "$src.tmp"
				tar -xf "$tarball" -C "$src.tmp" --strip-components=1
				mv "$src.tmp" "$src"
				touch "$src/.done"
			fi
		) 9>"$PSTEER_CACHE/.linux-source.lock"
	fi
	echo "$src"
}
