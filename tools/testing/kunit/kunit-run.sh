#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run psteer's KUnit suites in the debug kernel (KASAN, lockdep, kmemleak).
#
# Usage: tools/testing/kunit/kunit-run.sh   (no arguments)
#
# Builds (or reuses) the KUnit kernel with kunit-kernel.sh, builds psteer.ko
# and psteer_kunit.ko against it, boots them in QEMU (KUnit runs the suites
# when psteer_kunit.ko loads and prints KTAP on the console), then unloads
# both and asks kmemleak for leaks (guest.sh, the guest script). The
# console's KTAP goes through kunit.py parse from the same linux-source
# tree, and check-cases.py counts the cases and checks the expected ones.
#
# Fails if the VM run fails (no PASS sentinel, or any kernel warning/splat),
# if kunit.py reports a failed or crashed test, if no test ran, or if a case
# listed in kunit/expected-cases.txt (one name per line; # comments) did not
# pass. Log: $PSTEER_OUT/logs/kunit.log (console), kunit.json (parsed).
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
ensure_host_pkgs

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
tmp=$(mktemp -d)

logs=$PSTEER_OUT/logs
mkdir -p "$logs"
mapfile -t kk < <(run "$PSTEER_TOP/tools/testing/vm/kunit-kernel.sh")
[ -n "${kk[0]:-}" ] || die "no KUnit kernel"
kdir=${kk[0]} buildroot=()
[ -z "${kk[1]:-}" ] || buildroot=(--root "${kk[1]}")
src=${kk[2]:?kunit-kernel.sh printed no source tree}
kunitpy=$src/tools/testing/kunit/kunit.py
[ -f "$kunitpy" ] || die "no $kunitpy"

mapfile -t kos < <(run "$PSTEER_TOP/scripts/build-module.sh" --kunit "${buildroot[@]}" "$kdir" "$PSTEER_OUT/debug")
[ "${#kos[@]}" = 2 ] || die "expected psteer.ko and psteer_kunit.ko from build-module.sh"

run "$PSTEER_TOP/tools/testing/vm/initramfs.sh" --out "$tmp/initrd.cpio.gz" \
	--run "$PSTEER_TOP/tools/testing/kunit/guest.sh" \
	--file "${kos[0]}:/psteer/psteer.ko" --file "${kos[1]}:/psteer/psteer_kunit.ko"

vmrc=0
run "$PSTEER_TOP/tools/testing/vm/vm-run.sh" --kernel "$kdir/arch/x86/boot/bzImage" \
	--initrd "$tmp/initrd.cpio.gz" --mem 2G --timeout "${PSTEER_KUNIT_TIMEOUT:-600}" \
	--log "$logs/kunit.log" >"$logs/kunit.console" || vmrc=$?

# The built-in KUnit run at boot prints an empty KTAP document of its own:
# parse only what came after /init started the guest script.
sed -n '/^init: running \/psteer\/run.sh/,$p' "$logs/kunit.log" >"$tmp/ktap.log"
parserc=0
rm -f "$logs/kunit.json"
run python3 "$kunitpy" parse --json="$logs/kunit.json" "$tmp/ktap.log" || parserc=$?

# Count the cases (kunit.py's JSON) and check that the expected ones passed
# (the KTAP lines).
expected=$PSTEER_TOP/kunit/expected-cases.txt
[ -f "$expected" ] || expected=""
checkrc=0
python3 "$PSTEER_TOP/tools/testing/kunit/check-cases.py" \
	"$tmp/ktap.log" "$logs/kunit.json" "$expected" || checkrc=$?

reason=""
[ "$checkrc" = 0 ] || reason="case check failed"
[ "$parserc" = 0 ] || reason="kunit.py parse reported failures"
[ "$vmrc" = 0 ] || reason="the VM run failed (see $logs/kunit.log)"
[ -z "$reason" ] || die "KUnit: FAIL: $reason"
log "KUnit: PASS (log: $logs/kunit.log)"
