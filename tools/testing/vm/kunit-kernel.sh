#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the KUnit/debug test kernel from Debian's source of the
# newest kernel Debian carries ($PSTEER_SOURCE_SERIES, default latest:
# linux-source-7.3 from trixie-backports today), with the compiler that
# kernel was built with (in its build root when the host lacks it), and
# print its build directory (usable as KDIR for external modules), on a
# second line the build root to build modules in (empty for the host) and
# on a third the source tree (kunit.py).
#
# Usage: tools/testing/vm/kunit-kernel.sh [--rt]
#   --rt   the same debug kernel with PREEMPT_RT (debug-rt.config over
#          debug.config): lockdep and DEBUG_ATOMIC_SLEEP under RT's
#          sleeping spinlocks and threaded softirqs, which Debian's -rt
#          kernel does not enable
#
# Cached in $PSTEER_CACHE/kunit-<package version>-<compiler>[-rt]-<config
# hash>/; a second run with the same source upload and fragments (beside
# this script) is instant. The hash is of the whole files, comments
# included: editing any line means a rebuild (about 10 minutes).
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

rt=""
if [ "${1:-}" = --rt ]; then
	rt=-rt
	shift
fi
[ $# = 0 ] || die "usage: $0 [--rt]"
ensure_host_pkgs

eval "$(run "$PSTEER_TOP/tools/testing/vm/fetch-kernel.sh" --source "$PSTEER_SOURCE_SERIES")"
src=$SOURCE
frags=("$PSTEER_TOP/tools/testing/vm/debug.config")
[ -z "$rt" ] || frags+=("$PSTEER_TOP/tools/testing/vm/debug-rt.config")
key=$(cat "${frags[@]}" | sha256sum | cut -c1-12)
out=$PSTEER_CACHE/kunit-$PKGVER-$CC$rt-$key
chroot=()
[ -z "$BUILDROOT" ] || chroot=("$PSTEER_TOP/scripts/buildroot.sh" --exec "$BUILDROOT")
# In a build root, gcc is the kernel's own compiler (buildroot.sh); the
# modules built against $out later use the same plain gcc.
kmake=(make -s -C "$src" O="$out" ARCH=x86_64)

done_() {
	log "kernel: debug$rt $KVER from linux-source $PKGVER ($CC)"
	echo "$out"
	echo "$BUILDROOT"
	echo "$src"
	exit 0
}
[ ! -f "$out/.done" ] || done_

# One build at a time: a second caller waits for the first and reuses it.
mkdir -p "$PSTEER_CACHE"
exec 9>"$out.lock"
flock 9
# A build started without the lock (older copy of this script) shows up as
# a make process on $out: wait for it rather than starting a second one.
while [ ! -f "$out/.done" ] && pgrep -f -- "make .*O=$out( |$)" >/dev/null; do
	log "waiting for the running build of $out"
	sleep 20
done
[ ! -f "$out/.done" ] || done_

rm -rf "$out"
mkdir -p "$out"
cat "${frags[@]}" >"$out/.config"
run "${chroot[@]}" "${kmake[@]}" olddefconfig >&2

# Every option the fragment asks for must have survived olddefconfig.
bad=0
while IFS= read -r line; do
	case "$line" in CONFIG_*) ;; *) continue ;; esac
	opt=${line%%=*}
	val=${line#*=}
	if [ "$val" = n ]; then
		grep -qx "$opt=[ym]" "$out/.config" && { log "$opt is set"; bad=1; }
	else
		grep -qx "$line" "$out/.config" || { log "$line did not stick"; bad=1; }
	fi
done < <(cat "${frags[@]}")
[ "$bad" = 0 ] || die "the config fragments do not apply to $KVER's source"

log "building the KUnit kernel$rt (linux-source $PKGVER, $CC) in $out with $JOBS jobs"
start=$(date +%s)
progress "building the KUnit kernel$rt" "about $((18 / JOBS)) minutes with $JOBS jobs (9 with 2)" \
	run "${chroot[@]}" "${kmake[@]}" -j"$JOBS" vmlinux bzImage modules >&2
log "built in $(( $(date +%s) - start )) s"
touch "$out/.done"
done_
