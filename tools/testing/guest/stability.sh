# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# How still the rebalancer keeps a steady load: runs inside the test VM as
# /psteer/run.sh, booted by tools/testing/bench/stability.sh (make bench).
# A benchmark, not a test: it prints numbers and fails only when a run
# fails.
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#
# psteer with its defaults (rebalance_ms 100, the default threshold),
# loaded afresh for each step; SECS guest seconds each (after WARM seconds
# of the same load):
#   steady    32 iperf3 TCP streams paced at 10 Mbit/s each, nothing else
#   elephant  the same and one UDP stream of 150 Mbit/s (iperf3 -u, from
#             local port 45000): how often its bucket moves
#   hog       the same 32 streams and a busy loop on CPU 1, started WARM
#             seconds before: the moves that shed CPU 1 come first, then
#             the window counts what moves after them
# Prints STAB lines: moves per rebalancing round (the sum of the buckets'
# moves column over the window, over the rounds in it), the elephant's
# moves, the share of packets CPU 1 took, and each CPU's smoothed usage
# (usage_pct, sampled every 0.2 s) as mean and standard deviation: the
# noise the rebalancer has to ignore.
#
# Usage: no arguments; PSTEER_GUEST_SECS (default 20) and PSTEER_GUEST_WARM
# (default 5) set the durations.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

SECS=${PSTEER_GUEST_SECS:-20}
WARM=${PSTEER_GUEST_WARM:-5}
P=/sys/module/psteer/parameters

# bucket_moves B: moves of bucket B so far.
bucket_moves() { awk -v b="$1" 'NR > 1 && $1 == b { print $8 }' /proc/net/psteer/buckets; }
# pkts CPU: packets CPU took through psteer so far (inline + drained).
pkts() { awk -v c="$1" 'NR > 1 && $1 == c { print $3 + $5 }' /proc/net/psteer/cpus; }
allpkts() { awk 'NR > 1 { n += $3 + $5 } END { print n + 0 }' /proc/net/psteer/cpus; }
uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

# measure NAME: moves per round and CPU 1's packet share over SECS seconds.
measure() {
	local m0 m1 t0 t1 p0 p1 a0 a1 e0="" e1 rounds
	m0=$(total_moves) t0=$(uptime_ms) p0=$(pkts 1) a0=$(allpkts)
	[ -z "${EB:-}" ] || e0=$(bucket_moves "$EB")
	: >/tmp/usage-samples
	(
		n=$((SECS * 5))
		while [ "$n" -gt 0 ]; do
			awk 'NR > 1 { print $1, $8 }' /proc/net/psteer/cpus >>/tmp/usage-samples
			sleep 0.2
			n=$((n - 1))
		done
	) &
	sleep "$SECS"
	wait $!
	m1=$(total_moves) t1=$(uptime_ms) p1=$(pkts 1) a1=$(allpkts)
	rounds=$(( (t1 - t0) / $(cat $P/rebalance_ms) ))
	awk -v n="$1" -v m="$((m1 - m0))" -v r="$rounds" -v p="$((p1 - p0))" -v a="$((a1 - a0))" 'BEGIN {
		printf "STAB %s moves=%d rounds=%d moves_per_round=%.3f cpu1_share=%.1f%%\n",
			n, m, r, (r > 0 ? m / r : 0), (a > 0 ? 100 * p / a : 0) }'
	# The spread of the smoothed usages the rebalancer sees: each CPU's
	# standard deviation over the window, in % of a CPU.
	# (busybox awk has no sqrt(): Newton's method)
	awk -v n="$1" 'function root(x,  r, i) {
			if (x <= 0) return 0
			r = x
			for (i = 0; i < 40; i++) r = (r + x / r) / 2
			return r
		}
		{ s[$1] += $2; q[$1] += $2 * $2; k[$1]++ }
		END { for (c in k) { m = s[c] / k[c]; v = q[c] / k[c] - m * m
			printf " cpu%s=%.1f+-%.2f", c, m, root(v) }
		      printf "\n" }' /tmp/usage-samples | sed "s/^/STAB $1 usage_pct_mean+-sd/"
	if [ -n "$e0" ]; then
		e1=$(bucket_moves "$EB")
		echo "STAB $1 elephant_bucket=$EB elephant_moves=$((e1 - e0)) in ${SECS}s"
	fi
}

# load SECONDS: the 32 paced streams in the background (pid in LOAD).
load() {
	iperf_wait_ready
	cli iperf3 -f m -i 0 -c "$SRV4" -P 32 -b 10M -t "$1" >/tmp/iperf-load.txt 2>&1 &
	LOAD=$!
}

step setup
setup_netns
x srv iperf3 -s -p 5202 -D
ok

# Each step starts from a fresh table (owners round-robin).
step steady
x insmod "$KO"
echo "rebalance_ms=$(cat $P/rebalance_ms) sample_ms=$(cat $P/sample_ms) imbalance_threshold=$(cat $P/imbalance_threshold)"
load $((WARM + SECS + 3))
sleep "$WARM"
measure steady
wait "$LOAD" || { cat /tmp/iperf-load.txt; fail "iperf3 failed"; }
x rmmod psteer
ok

step elephant
x insmod "$KO"
load $((WARM + SECS + 3))
cli iperf3 -f m -i 0 -c "$SRV4" -p 5202 -u -b 150M --cport 45000 -t $((WARM + SECS + 2)) \
	>/tmp/iperf-el.txt 2>&1 &
EL=$!
sleep "$WARM"
EB=$(psteer where udp 10.0.0.1 45000 "$SRV4" 5202 | sed -n 's/.*bucket \([0-9]*\),.*/\1/p')
T=$(tracing_dir)
echo >"$T"/trace
echo 1 >"$T"/events/psteer/rebalance/enable
echo 1 >"$T"/events/psteer/bucket_move/enable
measure elephant
echo 0 >"$T"/events/psteer/rebalance/enable
echo 0 >"$T"/events/psteer/bucket_move/enable
# Why the elephant's bucket moved: each of its moves, with the round
# before and the round that decided it (a round's event follows its
# moves; usage_ppm is every CPU's usage as the round saw it, in hex).
awk -v eb="$EB" '/rebalance:/ { prev = last; last = $0; if (want) { print prev; print; want = 0 } }
	$0 ~ "bucket_move: bucket=" eb " " { print; want = 1 }' "$T"/trace | head -n 60 |
	sed 's/^.*: \(rebalance\|bucket_move\): /STAB elephant-trace \1 /'
EB=""
wait "$EL" || { cat /tmp/iperf-el.txt; fail "the UDP elephant failed"; }
wait "$LOAD" || { cat /tmp/iperf-load.txt; fail "iperf3 failed"; }
x rmmod psteer
ok

step hog
x insmod "$KO"
load $((WARM + SECS + 3))
sleep 2
m0=$(total_moves)
hog_start 1
sleep "$WARM"
echo "STAB hog-start moves_in_first_${WARM}s=$(($(total_moves) - m0))"
measure hog
hog_stop
wait "$LOAD" || { cat /tmp/iperf-load.txt; fail "iperf3 failed"; }
ok
x rmmod psteer
echo "stability: done"
