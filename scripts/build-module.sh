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

# One build in OUTDIR at a time: make check runs two tests at once, and
# two of them may build for the same kernel (the second waits, then
# finds little or nothing to rebuild).
mkdir -p "$(dirname "$outdir")"
exec 8>"$outdir.lock"
flock 8
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

# --- sparse (C=1, C=2) -------------------------------------------------------
# From 6.15 on, Kbuild runs scripts/checker-valid.sh, which asks sparse to
# parse __typeof_unqual__, and when that fails it checks nothing, with
# only a warning. Debian's linux-headers packages do not ship the script,
# and the sparse of Debian 12 and 13 (0.6.4) does not parse
# __typeof_unqual__. So the script is written into the headers when they
# lack it, and the checker is the build root's sparse if it passes, else
# sid's newest, unpacked under the cache (built against glibc 2.38: it
# runs in a build root, not on Debian 12).

# write_checker_valid FILE: what the kernel's script does, for headers
# that lack it: prints 1 if the checker ($1, then its flags) parses
# __typeof_unqual__ without an error, 0 if not; fails if there is none.
write_checker_valid() {
	cat >"$1.tmp" <<'SCRIPT'
#!/bin/sh
# Written by psteer's scripts/build-module.sh: Debian's linux-headers
# packages do not ship scripts/checker-valid.sh, which Kbuild runs for C=1
# and C=2. Prints 1 if the checker ($1, then its flags) parses
# __typeof_unqual__ without an error, else 0.
command -v "$1" >/dev/null 2>&1 || exit 1
f=$(mktemp) || exit 1
trap 'rm -f "$f"' EXIT
printf 'static inline int u(const int *q)\n{\n\t__typeof_unqual__(*q) v = *q;\n\treturn v;\n}\n' >"$f"
if "$@" "$f" 2>&1 | grep -q error; then echo 0; else echo 1; fi
SCRIPT
	chmod +x "$1.tmp"
	mv "$1.tmp" "$1"
}

# in_root CMD...: CMD on the host, or in the build root.
in_root() {
	if [ -n "$buildroot" ]; then
		"$PSTEER_TOP/scripts/buildroot.sh" --exec "$buildroot" "$@"
	else
		"$@"
	fi
}

# sid_sparse: the directory sid's newest sparse package is unpacked in.
sid_sparse() {
	local ver dir dl
	suite_apt_update >&2
	ver=$(suite_pkg_version sid sparse)
	[ -n "$ver" ] || die "no sparse package in sid"
	dir=$PSTEER_CACHE/sparse-$ver
	mkdir -p "$PSTEER_CACHE"
	exec 7>"$dir.lock"
	flock 7
	if [ ! -f "$dir/.done" ]; then
		log "unpacking sid's sparse $ver into $dir"
		# apt-get download runs as _apt: a directory it can write to.
		dl=$(mktemp -d)
		chmod 777 "$dl"
		suite_apt_download "$dl" "sparse=$ver" || die "could not download sparse $ver"
		rm -rf "$dir"
		dpkg-deb -x "$dl"/sparse_*.deb "$dir" || die "could not unpack sparse $ver"
		rm -rf "$dl"
		touch "$dir/.done"
	fi
	exec 7>&-
	echo "$dir"
}

# checker_arg: CHECK=SPARSE for make when the build root's own sparse is
# not good enough for KDIR, else nothing.
checker_arg() {
	local srctree valid dir
	srctree=$(sed -n 's|^include \(/.*\)/Makefile$|\1|p' "$kdir/Makefile" | head -n1)
	[ -n "$srctree" ] || srctree=$kdir
	grep -q 'scripts/checker-valid\.sh' "$srctree/Makefile" || return 0
	valid=$srctree/scripts/checker-valid.sh
	[ -f "$valid" ] || write_checker_valid "$valid"
	[ "$(in_root "$valid" sparse 2>/dev/null)" != 1 ] || return 0
	[ -n "$buildroot" ] || die "the host's sparse does not parse __typeof_unqual__, which $kdir's Kbuild asks of it: build in a build root (--root)"
	dir=$(sid_sparse)
	[ "$(in_root "$valid" "$dir/usr/bin/sparse" 2>/dev/null)" = 1 ] ||
		die "neither $buildroot's sparse nor $dir/usr/bin/sparse parses __typeof_unqual__"
	echo "CHECK=$dir/usr/bin/sparse"
}

for a in "$@"; do
	case "$a" in
	C=1 | C=2)
		a=$(checker_arg)
		[ -z "$a" ] || set -- "$@" "$a"
		break
		;;
	esac
done
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
