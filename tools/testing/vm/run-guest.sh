#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Integration test of psteer.ko in a QEMU VM.
#
# Usage: tools/testing/vm/run-guest.sh --kernel SERIES|debug [--guest NAME]
#            [--bench-module] [--nic] [--nic-hash] [--nic-loop] [--icount]
#            [--smp N]
#
#   --kernel SERIES     Debian's current distro kernel of that series: 6.12,
#                       6.1, 7.N, latest, latest-rt (fetch-kernel.sh; built
#                       in its build root when the host lacks its compiler)
#   --kernel debug      the KUnit/debug kernel (kunit-kernel.sh): KASAN,
#                       lockdep, kmemleak
#   --kernel debug-rt   the same with PREEMPT_RT (kunit-kernel.sh --rt)
#   --guest NAME        guest script tools/testing/guest/NAME.sh (default
#                       integration); tools/testing/guest/lib.sh goes along as
#                       /psteer/lib.sh
#   --bench-module      also build psteer_bench.ko (tools/testing/bench/
#                       pieces/), as /psteer/psteer_bench.ko
#   --nic               boot with the NIC topology (vm-run.sh --nic,
#                       tools/testing/vm/nic-host.sh): a 4-queue virtio-net
#                       NIC with RSS as eth0, fed from a host namespace
#   --nic-hash          the same, the NIC reporting its RSS hash with each
#                       packet (QEMU's hash=on; PSTEER_GUEST_NIC_HASH=1 in
#                       the guest, which turns rxhash on)
#   --nic-loop          the NIC topology with the guest's own traffic: a
#                       second, single-queue NIC bridged on the host to the
#                       4-queue one (nic-host.sh's loop). The guest script's
#                       namespaces cli and srv get a NIC each instead of a
#                       veth pair (PSTEER_GUEST_TOPO=nic, lib.sh's
#                       setup_netns): cli's packets reach srv through the
#                       4-queue NIC and its RSS
#   --smp N             N CPUs (default 4)
#   --icount            guest time counts guest instructions (vm-run.sh's
#                       PSTEER_ICOUNT=1): for a guest script that compares
#                       durations within the VM, which then do not depend
#                       on the host's load
#
# Environment variables PSTEER_GUEST_NAME=VALUE (VALUE of letters, digits
# and ._:-) are set in the guest script too, e.g. PSTEER_GUEST_FUZZ_SEED.
#
# Builds psteer.ko against the kernel, packs it with the guest script into
# an initramfs, boots it (vm-run.sh) and passes only if the guest script
# exited 0 (its steps passed, or reported SKIP) and the kernel reported
# nothing. Console log: $PSTEER_OUT/logs/NAME-<kernel>.log; the STEP,
# THROUGHPUT and OFO lines are printed at the end, and the PASS line counts
# the skipped steps. PSTEER_VERBOSE=1 streams the console while it runs.
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

usage() { die "usage: $0 --kernel 6.12|6.1|7.N|latest|latest-rt|debug|debug-rt [--guest NAME] [--bench-module] [--nic] [--nic-hash] [--nic-loop] [--icount] [--smp N]"; }
which="" guest=integration bench=() nic=() icount=${PSTEER_ICOUNT:-0} nichash=0 nicloop=0
nicmods=() smp=4
while [ $# -gt 0 ]; do
	case "$1" in
	--bench-module)
		bench=(--bench)
		shift
		continue
		;;
	--nic)
		nic=(--nic)
		shift
		continue
		;;
	--nic-hash)
		nic=(--nic)
		nichash=1
		export PSTEER_GUEST_NIC_HASH=1
		shift
		continue
		;;
	--nic-loop)
		nic=(--nic)
		nicloop=1
		nicmods=(--module virtio_pci --module virtio_net)
		export PSTEER_GUEST_TOPO=nic
		shift
		continue
		;;
	--icount)
		icount=1
		shift
		continue
		;;
	esac
	[ $# -ge 2 ] || usage
	case "$1" in
	--kernel) which=$2 ;;
	--guest) guest=$2 ;;
	--smp) smp=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$which" ] || usage
case "$smp" in '' | *[!0-9]* | 0) usage ;; esac
script=$PSTEER_TOP/tools/testing/guest/$guest.sh
[ -f "$script" ] || die "no guest script $script"
# The NIC topology needs a tap on the host: without one the test cannot
# run here, and says so (check.sh lists the skip) rather than fail.
if [ ${#nic[@]} != 0 ] && [ ! -c /dev/net/tun ]; then
	echo "STEP $guest: SKIP (the host has no /dev/net/tun for the NIC topology's tap)"
	exit 0
fi

ensure_host_pkgs
tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
tmp=$(mktemp -d)

modargs=() buildroot=()
case "$which" in
debug | debug-rt)
	rtarg=()
	[ "$which" = debug ] || rtarg=(--rt)
	mapfile -t kk < <(run "$PSTEER_TOP/tools/testing/vm/kunit-kernel.sh" "${rtarg[@]}")
	[ -n "${kk[0]:-}" ] || die "no KUnit kernel"
	kdir=${kk[0]} kernel=${kk[0]}/arch/x86/boot/bzImage mem=2G
	[ -z "${kk[1]:-}" ] || buildroot=(--root "${kk[1]}")
	build=$PSTEER_OUT/$which
	;;
*)
	KVER="" ROOT="" KDIR="" KERNEL="" BUILDROOT=""
	eval "$(run "$PSTEER_TOP/tools/testing/vm/fetch-kernel.sh" "$which")"
	kdir=$KDIR kernel=$KERNEL mem=1G
	build=$PSTEER_OUT/$KVER
	modargs=(--kver "$KVER" --modroot "$ROOT")
	[ -z "$BUILDROOT" ] || buildroot=(--root "$BUILDROOT")
	;;
esac

kos=$(run "$PSTEER_TOP/scripts/build-module.sh" "${bench[@]}" "${buildroot[@]}" "$kdir" "$build")
ko=$(echo "$kos" | head -n1)
files=(--file "$ko:/psteer/psteer.ko")
[ ${#bench[@]} = 0 ] || files+=(--file "$(echo "$kos" | tail -n1):/psteer/psteer_bench.ko")
# The guest's settings: PSTEER_GUEST_* variables, sourced by lib.sh.
env | grep -E '^PSTEER_GUEST_[A-Z0-9_]+=[A-Za-z0-9_.:-]*$' >"$tmp/env" || true
run "$PSTEER_TOP/tools/testing/vm/initramfs.sh" --out "$tmp/initrd.cpio.gz" "${modargs[@]}" \
	"${nicmods[@]}" "${files[@]}" --file "$PSTEER_TOP/tools/testing/guest/lib.sh:/psteer/lib.sh" \
	--file "$tmp/env:/psteer/env" --run "$script"

logs=$PSTEER_OUT/logs
mkdir -p "$logs"
logfile=$logs/$guest-$which.log
[ "$nicloop" = 0 ] || logfile=$logs/$guest-nic-$which.log
console=/dev/null
[ "${PSTEER_VERBOSE:-0}" = 0 ] || console=/dev/stdout
rc=0
PSTEER_ICOUNT=$icount PSTEER_NIC_HASH=$nichash PSTEER_NIC_LOOP=$nicloop run "$PSTEER_TOP/tools/testing/vm/vm-run.sh" --kernel "$kernel" --initrd "$tmp/initrd.cpio.gz" \
	--mem "$mem" --smp "$smp" --timeout "${PSTEER_INTEGRATION_TIMEOUT:-900}" --log "$logfile" \
	"${nic[@]}" >"$console" || rc=$?

echo "--- $guest ($which): results"
grep -E '^(STEP [^:]*: |THROUGHPUT |OFO |iperf3 [^ ]*: |note: )' "$logfile" || true
if [ "$rc" != 0 ]; then
	echo "--- last console lines ($logfile)"
	tail -n 40 "$logfile"
	die "$guest ($which): FAIL"
fi
# Steps that reported SKIP (guest lib.sh) pass, but say so.
skipped=$(grep -cE '^STEP [^:]*: SKIP' "$logfile" || true)
if [ "$skipped" = 0 ]; then
	log "$guest ($which): PASS"
else
	log "$guest ($which): PASS, skipped steps: $skipped"
fi
