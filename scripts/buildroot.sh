#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build roots: a minimal Debian of a newer suite, for kernels built with a
# compiler the host lacks (Debian 13's 7.x kernels want gcc-14, sid's gcc-16;
# their headers reject gcc-12 and their kbuild tools need a newer libc).
#
# Usage: scripts/buildroot.sh SUITE COMPILER
#            the root for SUITE (trixie, sid, ...) with COMPILER (gcc-14,
#            ...), made once with debootstrap --variant=minbase from the
#            host's Debian mirror (about 4 minutes), then reused; its
#            path on stdout
#        scripts/buildroot.sh --exec ROOT CMD [ARGS...]
#            run CMD in ROOT, in the current directory, with the tree,
#            $PSTEER_OUT, $PSTEER_CACHE and /tmp visible at the same paths
#            (bind mounts in a private mount namespace: nothing stays
#            mounted when CMD ends)
#
# A root is cached in $PSTEER_CACHE/buildroot-SUITE-COMPILER_VERSION-KEY/
# (KEY: a hash of the package list), so a new compiler upload in the
# suite, or a new package here, makes a new root. Needs root (debootstrap,
# chroot). The packages: the compiler and what kbuild, sparse and a kernel
# build need.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 SUITE COMPILER | $0 --exec ROOT CMD [ARGS...]"; }

if [ "${1:-}" = --exec ]; then
	[ $# -ge 3 ] || usage
	root=$2
	shift 2
	[ -x "$root/bin/sh" ] || die "$root is not a build root"
	[ "$(id -u)" = 0 ] || die "a build root needs root (chroot)"
	mkdir -p "$PSTEER_OUT" "$PSTEER_CACHE"
	# shellcheck disable=SC2016 # expanded by the inner shell
	exec unshare --mount --propagation private -- /bin/sh -c '
		root=$1 cwd=$2 top=$3 out=$4 cache=$5
		shift 5
		for d in /proc /dev /tmp "$top" "$out" "$cache"; do
			mkdir -p "$root$d"
			mount --bind "$d" "$root$d" || exit 1
		done
		exec chroot "$root" /usr/bin/env -i PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/tmp LC_ALL=C.UTF-8 /bin/sh -c "cd \"\$0\" && exec \"\$@\"" "$cwd" "$@"
	' sh "$root" "$PWD" "$PSTEER_TOP" "$PSTEER_OUT" "$PSTEER_CACHE" "$@"
fi

[ $# = 2 ] || usage
suite=$1 cc=$2
case "$suite" in *[!a-z-]* | "") die "bad suite '$suite'" ;; esac
case "$cc" in gcc-[0-9]*) ;; *) die "bad compiler '$cc' (want gcc-N)" ;; esac
[ "$(id -u)" = 0 ] || die "a build root needs root (debootstrap)"
ensure_host_pkgs
suite_apt_update

pkgs="$cc,make,bc,bison,flex,cpio,kmod,xz-utils,zstd,perl,python3,rsync"
pkgs+=",libelf-dev,libssl-dev,pahole,sparse"
ccver=$(suite_pkg_version "$suite" "$cc")
[ -n "$ccver" ] || die "$suite has no $cc"
key=$(echo "$pkgs" | sha256sum | cut -c1-8)
dir=$PSTEER_CACHE/buildroot-$suite-${cc}_$ccver-$key

mkdir -p "$PSTEER_CACHE"
exec 9>"$PSTEER_CACHE/.buildroot-$suite-$cc.lock"
flock 9
if [ ! -f "$dir/.done" ]; then
	start=$(date +%s)
	log "making the $suite build root with $cc $ccver (debootstrap)"
	rm -rf "$dir" "$dir.tmp"
	progress "debootstrap $suite" "1 to 4 minutes" --log "$PSTEER_CACHE/buildroot-$suite.log" \
		run debootstrap --variant=minbase --include="$pkgs" \
		"$suite" "$dir.tmp" "$(debian_mirror)" ||
		die "debootstrap of $suite failed (see $PSTEER_CACHE/buildroot-$suite.log)"
	# The package cache is not needed again.
	rm -rf "$dir.tmp/var/cache/apt/archives/"*.deb
	mv "$dir.tmp" "$dir"
	touch "$dir/.done"
	log "made $dir in $(($(date +%s) - start)) s"
	# Older roots of this suite and compiler are no longer wanted.
	for old in "$PSTEER_CACHE/buildroot-$suite-${cc}_"*; do
		[ "$old" = "$dir" ] || [ ! -d "$old" ] || run rm -rf "$old" >&2
	done
fi
# gcc and cc are the suite's compiler: a kernel built here and the modules
# built against it later both call plain gcc and see the same version.
for name in gcc cc; do
	# (relative: resolved in the root; ../../bin is the root's /usr/bin)
	ln -sfn "../../bin/$cc" "$dir/usr/local/bin/$name"
done
echo "$dir"
