#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build psteer.ko (and optionally psteer_kunit.ko) out of tree against KDIR.
#
# Usage: scripts/build-module.sh [--kunit] [--bench] [--clean] [--root BUILDROOT]
#            KDIR OUTDIR [-- MAKE_ARGS...]
#   KDIR      kernel build dir (distro headers from fetch-kernel.sh, or the
#             KUnit kernel's build dir from kunit-kernel.sh)
#   OUTDIR    build dir; the sources (Kbuild, Makefile, src/, include/ and,
#             with --kunit, kunit/) are rsync'ed there, so one source tree
#             can be built against several kernels side by side
#   --kunit   also build kunit/ (psteer_kunit.ko) against OUTDIR/Module.symvers
#   --bench   also build tools/testing/bench/pieces/ (psteer_bench.ko) in
#             OUTDIR/bench, with its own copy of src/ and include/
#   --clean   start from an empty OUTDIR (full rebuild: every warning shows)
#   --root    run kbuild in that build root (scripts/buildroot.sh; the
#             BUILDROOT fetch-kernel.sh prints for a kernel built with a
#             compiler the host lacks); empty means the host
#   MAKE_ARGS extra kbuild arguments, e.g. C=2 for sparse
#
# The make output goes to stderr and to OUTDIR/build.log; the built .ko
# paths are printed on stdout, psteer.ko first.
# PSTEER_SRC overrides the source tree (default: this repository).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() { die "usage: $0 [--kunit] [--bench] [--clean] [--root BUILDROOT] KDIR OUTDIR [-- MAKE_ARGS...]"; }

kunit=0 bench=0 clean=0 buildroot=""
while [ $# -gt 0 ]; do
	case "$1" in
	--root)
		[ $# -ge 2 ] || usage
		buildroot=$2
		shift
		;;
	--kunit) kunit=1 ;;
	--bench) bench=1 ;;
	--clean) clean=1 ;;
	-*) usage ;;
	*) break ;;
	esac
	shift
done
[ $# -ge 2 ] || usage
kdir=$1 outdir=$2
shift 2
if [ $# -gt 0 ]; then
	[ "$1" = -- ] || usage
	shift
fi
src=${PSTEER_SRC:-$PSTEER_TOP}

[ -f "$kdir/Makefile" ] || die "$kdir is not a kernel build dir"
[ -f "$src/Kbuild" ] || die "no $src/Kbuild: the module sources are missing"
[ "$kunit" = 0 ] || [ -f "$src/kunit/Kbuild" ] || die "no $src/kunit/Kbuild"

[ "$clean" = 0 ] || run rm -rf "$outdir"
mkdir -p "$outdir"
outdir=$(cd "$outdir" && pwd)

# copy_item ITEM TO: the source file or directory ITEM (relative to the
# tree) at TO. --delete drops removed sources; build products are
# protected so kbuild can rebuild incrementally.
copy_item() {
	if [ -d "$src/$1" ]; then
		run rsync -a --delete --filter='P *.o' --filter='P *.ko' \
			--filter='P *.mod' --filter='P *.mod.c' --filter='P .*.cmd' \
			--filter='P modules.order' --filter='P Module.symvers' \
			--filter='P *.a' --filter='P .*.d' --filter='P src/' \
			--filter='P include/' "$src/$1/" "$2/"
	else
		run rsync -a "$src/$1" "$2"
	fi
}

items=(Kbuild src include)
[ -f "$src/Makefile" ] && items+=(Makefile)
[ "$kunit" = 1 ] && items+=(kunit)
for item in "${items[@]}"; do
	[ -e "$src/$item" ] || continue
	copy_item "$item" "$outdir/$item"
done
if [ "$bench" = 1 ]; then
	mkdir -p "$outdir/bench"
	copy_item tools/testing/bench/pieces "$outdir/bench"
	copy_item src "$outdir/bench/src"
	copy_item include "$outdir/bench/include"
fi

log=$outdir/build.log
: >"$log"
# make_m DIR ARGS...: run kbuild for the external module in DIR.
make_m() {
	local dir=$1
	shift
	local chroot=()
	[ -z "$buildroot" ] || chroot=("$PSTEER_TOP/scripts/buildroot.sh" --exec "$buildroot")
	run "${chroot[@]}" make -C "$kdir" M="$dir" W=1 -j"$JOBS" "$@" modules 2>&1 |
		tee -a "$log" >&2
	return "${PIPESTATUS[0]}"
}

make_m "$outdir" "$@" || die "build of psteer.ko failed (see $log)"
[ -f "$outdir/psteer.ko" ] || die "no psteer.ko after the build"
echo "$outdir/psteer.ko"
if [ "$kunit" = 1 ]; then
	make_m "$outdir/kunit" KBUILD_EXTRA_SYMBOLS="$outdir/Module.symvers" "$@" ||
		die "build of the kunit module failed (see $log)"
	[ -f "$outdir/kunit/psteer_kunit.ko" ] || die "no kunit/psteer_kunit.ko after the build"
	echo "$outdir/kunit/psteer_kunit.ko"
fi
if [ "$bench" = 1 ]; then
	make_m "$outdir/bench" "$@" || die "build of the bench module failed (see $log)"
	[ -f "$outdir/bench/psteer_bench.ko" ] || die "no bench/psteer_bench.ko after the build"
	echo "$outdir/bench/psteer_bench.ko"
fi
