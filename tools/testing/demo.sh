#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Demo: psteer steering iperf3 traffic in a VM running Debian's 6.12 kernel.
#
# Usage: tools/testing/demo.sh   (no arguments)
#
# Boots the 6.12 distro kernel in QEMU (TCG: slow, and the numbers vary
# about 2x between runs), loads psteer.ko with default parameters, runs
# iperf3 TCP with 32 streams for 10 s from netns cli to netns srv over a
# veth pair, and prints iperf3's summary and /proc/net/psteer/cpus (which
# CPU owns how many buckets and processed how many packets). Takes about
# 30 s once the kernel is cached. Console log: $PSTEER_OUT/logs/demo.log.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
ensure_host_pkgs
tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
tmp=$(mktemp -d)

KVER="" ROOT="" KDIR="" KERNEL=""
eval "$(run "$PSTEER_TOP/tools/testing/vm/fetch-kernel.sh" 6.12)"
ko=$(run "$PSTEER_TOP/scripts/build-module.sh" "$KDIR" "$PSTEER_OUT/$KVER" | head -n1)
run "$PSTEER_TOP/tools/testing/vm/initramfs.sh" --out "$tmp/initrd.cpio.gz" \
	--kver "$KVER" --modroot "$ROOT" --file "$ko:/psteer/psteer.ko" \
	--file "$PSTEER_TOP/tools/testing/guest/lib.sh:/psteer/lib.sh" \
	--run "$PSTEER_TOP/tools/testing/guest/demo.sh"

logs=$PSTEER_OUT/logs
mkdir -p "$logs"
log "booting $KVER with psteer (about 30 s)"
rc=0
run "$PSTEER_TOP/tools/testing/vm/vm-run.sh" --kernel "$KERNEL" --initrd "$tmp/initrd.cpio.gz" \
	--timeout 400 --log "$logs/demo.log" >/dev/null || rc=$?

# section NAME: the guest's lines between its BEGIN and END markers, without
# kernel messages that the console interleaved.
section() {
	sed -n "/^=== PSTEER-DEMO $1 BEGIN/,/^=== PSTEER-DEMO $1 END/p" "$logs/demo.log" |
		sed '1d;$d' | grep -vE '^\[ *[0-9]+\.[0-9]+\] '
}

table() {
	if command -v column >/dev/null; then
		section "$1" | column -t
	else
		section "$1"
	fi
}

echo
echo "psteer demo on $KVER: iperf3 -c 10.0.0.2 -P 32 -t 10 (netns cli -> netns srv over veth)"
echo
section iperf3
echo
echo "/proc/net/psteer/cpus after the run (owners round-robin, rebalancing off):"
table cpus
echo
echo "Then psteer with its defaults (rebalancing every 100 ms) and a busy loop"
echo "pinned to CPU 1, with iperf3 -P 32 running; usage_pct is each CPU's"
echo "measured usage, and buckets leave the loaded CPU:"
echo
echo "before the busy loop:"
table before
echo
echo "after 10 s of it:"
table after

# The load over time, as a gnuplot PNG.
data=$PSTEER_OUT/demo-load.dat
png=$PSTEER_OUT/demo-load.png
section series >"$data"
if [ -s "$data" ]; then
	gnuplot <<GP
set terminal png size 900,700
set output '$png'
set multiplot layout 2,1 title 'psteer: a busy loop on CPU 1 from t = 0, iperf3 -P 32 running'
set xlabel 'seconds since the busy loop started'
set key outside right
set ylabel 'usage %'
set yrange [0:105]
plot for [c=0:3] '$data' using 1:(\$2 == c ? \$3 : 1/0) with linespoints title sprintf('CPU %d', c)
set ylabel 'packets processed / s'
set yrange [0:*]
plot for [c=0:3] '$data' using 1:(\$2 == c ? \$4 : 1/0) with linespoints title sprintf('CPU %d', c)
unset multiplot
GP
	echo
	echo "per-CPU usage and packets over time: $png (data: $data)"
fi
if [ "$rc" != 0 ]; then
	tail -n 30 "$logs/demo.log"
	die "the demo VM failed (log: $logs/demo.log)"
fi
