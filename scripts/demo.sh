#!/usr/bin/env bash
# Demo: psteer steering iperf3 traffic in a VM running Debian's 6.12 kernel.
#
# Usage: scripts/demo.sh
#
# Boots the 6.12 distro kernel in QEMU (TCG: slow, and the numbers vary
# about 2x between runs), loads psteer.ko with default parameters, runs
# iperf3 TCP with 32 streams for 10 s from netns cli to netns srv over a
# veth pair, and prints iperf3's summary and /proc/net/psteer/cpus (which
# CPU owns how many buckets and processed how many packets). Takes about
# 30 s once the kernel is cached. Console log: $PSTEER_OUT/logs/demo.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: $0"
ensure_host_pkgs
tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
tmp=$(mktemp -d)

KVER="" ROOT="" KDIR="" KERNEL=""
eval "$(run "$PSTEER_TOP/scripts/fetch-kernel.sh" 6.12)"
ko=$(run "$PSTEER_TOP/scripts/build-module.sh" "$KDIR" "$PSTEER_OUT/$KVER" | head -n1)
run "$PSTEER_TOP/scripts/initramfs.sh" --out "$tmp/initrd.cpio.gz" \
	--kver "$KVER" --modroot "$ROOT" --file "$ko:/psteer/psteer.ko" \
	--file "$PSTEER_TOP/scripts/guest/lib.sh:/psteer/lib.sh" \
	--run "$PSTEER_TOP/scripts/guest/demo.sh"

logs=$PSTEER_OUT/logs
mkdir -p "$logs"
log "booting $KVER with psteer (about 30 s)"
rc=0
run "$PSTEER_TOP/scripts/vm-run.sh" --kernel "$KERNEL" --initrd "$tmp/initrd.cpio.gz" \
	--timeout 300 --log "$logs/demo.log" >/dev/null || rc=$?

# section NAME: the guest's lines between its BEGIN and END markers, without
# kernel messages that the console interleaved.
section() {
	sed -n "/^=== PSTEER-DEMO $1 BEGIN/,/^=== PSTEER-DEMO $1 END/p" "$logs/demo.log" |
		sed '1d;$d' | grep -vE '^\[ *[0-9]+\.[0-9]+\] '
}

echo
echo "psteer demo on $KVER: iperf3 -c 10.0.0.2 -P 32 -t 10 (netns cli -> netns srv over veth)"
echo
section iperf3
echo
echo "/proc/net/psteer/cpus after the run:"
if command -v column >/dev/null; then
	section cpus | column -t
else
	section cpus
fi
if [ "$rc" != 0 ]; then
	tail -n 30 "$logs/demo.log"
	die "the demo VM failed (log: $logs/demo.log)"
fi
