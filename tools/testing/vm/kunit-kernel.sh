#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build (once) the KUnit/debug test kernel from Debian's linux-source-6.12
# and print its build directory (usable as KDIR for external modules).
#
# Usage: tools/testing/vm/kunit-kernel.sh   (no arguments)
#
# Cached in $PSTEER_CACHE/kunit-<source version>-<config hash>/; a second
# run with the same source package and debug.config (beside this script)
# is instant. The hash is of the whole file, comments included: editing
# any line of debug.config means an 8-minute rebuild.
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
ensure_host_pkgs

ver=$(linux_source_version)
frag=$PSTEER_TOP/tools/testing/vm/debug.config
key=$(sha256sum "$frag" | cut -c1-12)
out=$PSTEER_CACHE/kunit-$ver-$key

if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

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
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi

src=$(linux_source)

rm -rf "$out"
mkdir -p "$out"
cp "$frag" "$out/.config"
run make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >&2

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
done <"$frag"
[ "$bad" = 0 ] || die "debug.config does not apply to $ver"

log "building the KUnit kernel ($ver) in $out with $JOBS jobs"
start=$(date +%s)
run make -s -C "$src" O="$out" ARCH=x86_64 -j"$JOBS" vmlinux bzImage modules >&2
log "built in $(( $(date +%s) - start )) s"
touch "$out/.done"
echo "$out"
