#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel + initramfs (from initramfs.sh) in QEMU and judge the run.
#
# Usage: tools/testing/vm/vm-run.sh --kernel K --initrd I [--mem 1G] [--smp 4]
#            [--timeout SECONDS] [--append "extra cmdline"] [--log FILE] [--nic]
#
#   --kernel   bzImage/vmlinuz (or a PVH-capable ELF vmlinux)
#   --timeout  guest watchdog (psteer.timeout=); the host kills QEMU
#              PSTEER_BOOT_SLACK (default 120) seconds later. Default 600.
#   --log      console log (default: a temporary file, removed afterwards)
#   --nic      the NIC topology (tools/testing/vm/nic-host.sh): a 4-queue
#              virtio-net NIC with RSS, fed by a tap in a private network
#              namespace of the host, QEMU run in it, and a second serial
#              port (guest /dev/ttyS1) for the guest's requests to the host
#              (the host's rr in that namespace, the tap's counters);
#              PSTEER_NIC_HASH=1: the NIC reports its RSS hash;
#              PSTEER_NIC_LOOP=1: a second NIC bridged to the first on the
#              host, for the guest's own traffic (nic-host.sh's loop)
#
# PSTEER_ICOUNT=1 adds -icount shift=0,sleep=off (TCG only): guest time
# advances one nanosecond per guest instruction, whatever the host does,
# for benchmarks that count instructions (tools/testing/bench/).
#
# TCG, single-threaded (multi-threaded TCG was measured to crash a guest
# now and then; the KVM of these machines cannot boot a stock kernel), with
# -cpu max,-erms,-fsrm,-la57,-cx16. TCG emulates rep movsb slowly. Without LA57
# the guest uses 4-level paging, as most servers do: once in about 15 boots
# of the 7.3 debug kernel with 5-level paging, an interrupt at 0.004 s
# (during identify_cpu(), which in 7.3 clears and refills the CPUID table
# with interrupts on, LA57 bit included) made KASAN report "wild-memory-
# access in do_raw_spin_lock", before psteer was loaded. PSTEER_KVM=1 uses
# KVM instead, for real hardware. Without CX16 (cmpxchg16b): twice, under
# -icount (make bench) and under plain TCG (the stability benchmark), a
# 6.12 guest died of a double fault in SLUB's allocation fast path, right
# after the per-CPU "cmpxchg16b %gs:(%rsi)", with EFLAGS holding the low
# bits of RAX (0x57078242 for RAX ffff8e1557078000): QEMU 7.2's TCG
# emulation of that instruction. Without the feature the kernel calls
# this_cpu_cmpxchg16b_emu() instead (x86-64 does not require CX16).
#
# At most PSTEER_VM_SLOTS VMs (default 1) run at a time (locks in
# $PSTEER_CACHE): another caller waits.
# The console goes to stdout and to the log. Exit status 0 if and only if
# the guest printed "PSTEER-SENTINEL: PASS" and the log has no kernel
# warning, BUG, Oops, KASAN/UBSAN/DEBUG_OBJECTS/list/lockdep/kmemleak
# report, call trace or panic;
# otherwise a one-line reason on stderr and exit 1.
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

usage() {
	die "usage: $0 --kernel K --initrd I [--mem 1G] [--smp 4] [--timeout S] [--append ARGS] [--log FILE] [--nic]"
}

kernel="" initrd="" mem=1G smp=4 timeout=600 append="" logfile="" nic=0
while [ $# -gt 0 ]; do
	if [ "$1" = --nic ]; then
		nic=1
		shift
		continue
	fi
	[ $# -ge 2 ] || usage
	case "$1" in
	--kernel) kernel=$2 ;;
	--initrd) initrd=$2 ;;
	--mem) mem=$2 ;;
	--smp) smp=$2 ;;
	--timeout) timeout=$2 ;;
	--append) append=$2 ;;
	--log) logfile=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -f "$kernel" ] || die "no kernel '$kernel'"
[ -f "$initrd" ] || die "no initrd '$initrd'"
case "$timeout" in '' | *[!0-9]*) die "--timeout wants seconds" ;; esac
command -v qemu-system-x86_64 >/dev/null || ensure_host_pkgs

tmplog="" nicdir="" agent=""
nic_qemu=() netns=()
# shellcheck source=nic-host.sh
. "$(dirname "$0")/nic-host.sh"
cleanup() {
	[ -z "$agent" ] || kill "$agent" 2>/dev/null || true
	nic_down
	[ -z "$nicdir" ] || rm -rf "$nicdir"
	[ -z "$tmplog" ] || rm -f "$tmplog"
}
trap cleanup EXIT
if [ -z "$logfile" ]; then
	tmplog=$(mktemp)
	logfile=$tmplog
fi
mkdir -p "$(dirname "$logfile")"

if [ "${PSTEER_KVM:-0}" = 1 ]; then
	accel=(-accel kvm -cpu host)
else
	# shellcheck disable=SC2054 # commas belong to QEMU's option syntax
	accel=(-accel tcg,thread=single -cpu max,-erms,-fsrm,-la57,-cx16)
	# shellcheck disable=SC2054 # as above
	[ "${PSTEER_ICOUNT:-0}" != 1 ] || accel+=(-icount shift=0,sleep=off)
fi
cmdline="console=ttyS0 panic=-1 oops=panic panic_on_warn=1 psteer.timeout=$timeout"
[ -z "$append" ] || cmdline="$cmdline $append"
host_timeout=$((timeout + ${PSTEER_BOOT_SLACK:-120}))

# PSTEER_VM_SLOTS VMs at a time on this machine (1 unless make check
# says otherwise): a single-threaded TCG VM keeps a host core busy, and
# one more VM than cores would slow every one of them into its timeouts.
# Wait for a free slot (a lock in $PSTEER_CACHE each).
mkdir -p "$PSTEER_CACHE"
slots=${PSTEER_VM_SLOTS:-1}
[[ "$slots" =~ ^[1-9][0-9]*$ ]] || die "PSTEER_VM_SLOTS=$slots: a number of VMs, 1 or more"
slot=0 waited=0
while :; do
	exec 9>"$PSTEER_CACHE/.vm.lock$( [ "$slot" = 0 ] || echo ".$slot")"
	flock -n 9 && break
	exec 9>&-
	slot=$(((slot + 1) % slots))
	if [ "$slot" = 0 ]; then
		[ "$waited" = 1 ] || log "waiting for another test VM to finish"
		waited=1
		sleep 2
	fi
done

if [ "$nic" = 1 ]; then
	[ "$(id -u)" = 0 ] || die "--nic needs root (a network namespace and a tap)"
	hostrr=$PSTEER_OUT/host/rr
	mkdir -p "${hostrr%/*}"
	# Built aside and renamed: another VM's test may be running it.
	if [ ! "$hostrr" -nt "$PSTEER_TOP/tools/testing/vm/rr.c" ]; then
		run gcc -O2 -Wall -o "$hostrr.$$" "$PSTEER_TOP/tools/testing/vm/rr.c"
		mv -f "$hostrr.$$" "$hostrr"
	fi
	nicdir=$(mktemp -d)
	nic_up "$nicdir"
	netns=(ip netns exec "$NIC_NS")
	nic_agent "$hostrr" &
	agent=$!
fi

# vm: QEMU, its console (CRLF line ends: the CR stripped, unbuffered to
# stay live) to stdout and the log; its exit status.
vm() {
	run "${netns[@]}" timeout -k 10 "$host_timeout" qemu-system-x86_64 "${accel[@]}" \
		-smp "$smp" -m "$mem" -nodefaults -no-user-config -display none \
		-serial stdio -monitor none -no-reboot "${nic_qemu[@]}" \
		-kernel "$kernel" -initrd "$initrd" -append "$cmdline" </dev/null 2>&1 |
		sed -u 's/\r$//' | tee "$logfile"
	return "${PIPESTATUS[0]}"
}

start=$(date +%s)
: >"$logfile"
rc=0
progress "VM ${kernel##*/}, console $logfile" "at most $host_timeout s" --watch "$logfile" vm || rc=$?
elapsed=$(($(date +%s) - start))

# fail REASON: one-line verdict on stderr, exit 1.
fail() {
	log "FAIL ($elapsed s): $*"
	exit 1
}

case "$rc" in
0) ;;
124 | 137) fail "QEMU killed by the host timeout after ${host_timeout}s (guest hung?)" ;;
*) fail "QEMU exited with status $rc" ;;
esac

# Kernel reports that fail a run, whatever the guest said.
bad='WARNING:|BUG:|Oops|KASAN|UBSAN|ODEBUG|list_(add|del) corruption|possible recursive locking|lockdep|INFO: possible|circular locking|Call Trace|[Kk]ernel panic|unreferenced object'
# Boot banners that match the above but report nothing.
benign='RCU lockdep checking is enabled'
if line=$(grep -E "$bad" "$logfile" | grep -m1 -vE "$benign"); then
	fail "kernel reported: $line"
fi
if ! grep -q 'PSTEER-SENTINEL: PASS' "$logfile"; then
	if line=$(grep -m1 'PSTEER-SENTINEL: FAIL' "$logfile"); then
		fail "guest: ${line#*PSTEER-SENTINEL: }"
	fi
	fail "no PSTEER-SENTINEL line: the guest did not finish (last line: $(tail -n1 "$logfile"))"
fi
log "PASS ($elapsed s)"
