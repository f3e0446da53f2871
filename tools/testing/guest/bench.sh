# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer VM benchmark: runs inside the test VM as /psteer/run.sh.
#
# Usage: no arguments (ROUNDS and SECS from the environment, default 3 and
# 8); tools/testing/bench/bench-vm.sh boots it (make bench).
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#
# With a busy loop pinned to CPU 1, iperf3 -P 32 cli->srv throughput with
# no steering, with RPS over CPUs 0-3, and with psteer (rebalancing on),
# in rounds, in one boot. Packets arrive on CPU 0 (a single-queue NIC, see
# nic_queue in lib.sh) except in the RPS mode, where RPS spreads them. Prints one BENCH line per run
# and BENCH-SUMMARY lines with the medians and ratios. A benchmark, not a
# test: it fails only when a run fails.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

ROUNDS=${ROUNDS:-3}
SECS=${SECS:-8}

mode_on() {
	case $1 in
	none) ;;
	rps) nic_queue f ;;
	psteer) x insmod $KO ;;
	esac
}

mode_off() {
	case $1 in
	none) ;;
	rps) nic_queue 1 ;;
	psteer) x rmmod psteer ;;
	esac
}

step setup
setup_netns
ok

results=/tmp/bench.txt
: >$results
for r in $(seq 1 "$ROUNDS"); do
	for mode in none rps psteer; do
		step "bench-$mode-$r"
		mode_on $mode
		hog_start 1
		iperf "$mode-$r" -c "$SRV4" -P 32 -t "$SECS"
		hog_stop
		[ $mode != psteer ] || cat /proc/net/psteer/cpus
		mode_off $mode
		echo "BENCH mode=$mode round=$r mbps=$MBPS"
		echo "$mode $MBPS" >>$results
		ok "$MBPS Mbit/s"
	done
done

median() {
	awk -v m="$1" '$1 == m { print $2 }' $results | sort -n |
		awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
none=$(median none)
rps=$(median rps)
ps=$(median psteer)
echo "BENCH-SUMMARY median Mbit/s with a hog on CPU 1: none=$none rps=$rps psteer=$ps"
awk -v n="$none" -v r="$rps" -v p="$ps" 'BEGIN {
	printf "BENCH-SUMMARY ratios: psteer/rps=%.2f psteer/none=%.2f rps/none=%.2f\n",
		(r > 0 ? p / r : 0), (n > 0 ? p / n : 0), (n > 0 ? r / n : 0) }'
x kill "$(cat /tmp/iperf3-srv.pid)"
