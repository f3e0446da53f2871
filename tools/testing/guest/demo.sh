# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer demo: runs inside the test VM as /psteer/run.sh (see
# tools/testing/guest/lib.sh for the topology and helpers). Loads psteer,
# runs iperf3 TCP -P 32 for 10 s cli->srv, and prints iperf3's summary and
# /proc/net/psteer/cpus between marker lines that tools/testing/demo.sh
# extracts.
#
# Usage: no arguments; tools/testing/demo.sh boots it (make demo).
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

step setup
setup_netns
# First the table as loaded (round-robin owners), then the rebalancer.
x insmod "$KO" rebalance_ms=0
ok

step demo
iperf demo -c "$SRV4" -P 32 -t 10
echo "=== PSTEER-DEMO iperf3 BEGIN"
echo "[ ID] Interval           Transfer     Bitrate         Retr"
grep -E '^\[SUM\].*(sender|receiver)' /tmp/iperf-demo.txt
echo "=== PSTEER-DEMO iperf3 END"
echo "=== PSTEER-DEMO cpus BEGIN"
cat /proc/net/psteer/cpus
echo "=== PSTEER-DEMO cpus END"
x rmmod psteer
ok

# --- the rebalancer at work: a busy loop on CPU 1 -----------------------------
# Every 0.5 s each CPU's usage and packet count go to /tmp/series; the host
# plots usage and packets per second over time.
step hog
x insmod "$KO"
iperf_wait_ready
echo "+ iperf3 -c $SRV4 -P 32 -t 16 (in cli, background)"
cli iperf3 -f m -i 0 -c "$SRV4" -P 32 -t 16 >/tmp/iperf-hog.txt 2>&1 &
bg=$!
: >/tmp/sampling
(
	while [ -e /tmp/sampling ]; do
		now=$(cut -d' ' -f1 /proc/uptime)
		awk -v t="$now" 'NR > 1 { print t, $1, $8, $3 + $5 }' /proc/net/psteer/cpus
		sleep 0.5
	done >/tmp/series
) &
sampler=$!
sleep 4
echo "=== PSTEER-DEMO before BEGIN"
cat /proc/net/psteer/cpus
echo "=== PSTEER-DEMO before END"
hogstart=$(cut -d' ' -f1 /proc/uptime)
taskset 2 sh -c 'while :; do :; done' &
hog=$!
sleep 10
echo "=== PSTEER-DEMO after BEGIN"
cat /proc/net/psteer/cpus
echo "=== PSTEER-DEMO after END"
kill "$hog"
wait "$bg" || fail "iperf3 failed"
rm /tmp/sampling
wait "$sampler" || true
echo "=== PSTEER-DEMO series BEGIN"
# seconds since the hog started, cpu, usage_pct, packets processed per s
awk -v t0="$hogstart" '$2 in t && $1 > t[$2] {
		printf "%.1f %s %s %d\n", $1 - t0, $2, $3, ($4 - n[$2]) / ($1 - t[$2]) }
	{ t[$2] = $1; n[$2] = $4 }' /tmp/series
echo "=== PSTEER-DEMO series END"
x rmmod psteer
ok
