# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer demo: RPS and psteer, the same scenario, in one boot. Runs inside
# the test VM as /psteer/run.sh (tools/testing/guest/lib.sh has the
# topology and helpers), booted by tools/testing/demo.sh (make demo), which
# turns the marked sections below into the side-by-side table, the plot
# and the verdict.
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#
# Both veth ends stand for a single-queue NIC whose interrupt is on CPU 0,
# so every packet arrives on CPU 0 and the steering spreads it from there:
#   rps     RPS map f on both ends (the kernel's own steering)
#   psteer  psteer.ko with its defaults (rebalancing every 100 ms)
# In each mode, for WINDOW guest seconds each:
#   before  iperf3 -P 16, each stream paced at 20 Mbit/s, and a light TCP
#           request/response flow (rr -c). psteer: from a local port
#           whose bucket CPU $HOGCPU owns. RPS: wherever it lands; RPS
#           steers a locally sent TCP packet by its socket's random
#           txhash (veth keeps skb->hash), so each connection of the
#           same ports may go to another CPU, and where it went cannot
#           be told apart from the iperf3 streams' packets
#   after   the same with a busy loop pinned to CPU $HOGCPU, started
#           SETTLE seconds before the window. A 50 us timer loop (rr -t)
#           runs there too: under single-threaded TCG a vCPU that never
#           idles holds QEMU until a host timer fires, which would delay
#           every CPU's packets, not only the busy one's; with it QEMU
#           switches vCPUs at least every 50 us, as parallel CPUs would.
# Per CPU and window: usage (non-idle share of /proc/stat), packets the
# CPU took through the stack (RPS: softnet_stat's processed column;
# psteer: its inline + drained counters), and the light flow's round
# trip p50/p99 (rr). Every 0.5 s a sample of the same goes to the series
# that the host plots.
#
# Usage: no arguments. PSTEER_GUEST_WINDOW (default 5) and
# PSTEER_GUEST_SETTLE (default 3) set the durations.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

WINDOW=${PSTEER_GUEST_WINDOW:-5}
SETTLE=${PSTEER_GUEST_SETTLE:-3}
NCPU=$(grep -c ^processor /proc/cpuinfo)

# busy_of: "cpu busy total" of every CPU, in ticks, from /proc/stat.
busy_of() {
	awk '$1 ~ /^cpu[0-9]+$/ {
		t = 0; for (i = 2; i <= 9; i++) t += $i
		print substr($1, 4), t - $5 - $6, t }' /proc/stat
}

# pkts_of MODE: "cpu packets" of every CPU, the packets it took through
# the stack so far.
pkts_of() {
	if [ "$1" = rps ]; then
		softnet_col 1
	else
		awk 'NR > 1 { print $1, $3 + $5 }' /proc/net/psteer/cpus
	fi
}

# snap MODE FILE: the time, busy ticks and packets of every CPU, one line
# per CPU: "t cpu busy total packets". Its scratch files are FILE's own:
# the sampler snaps while a window does, and shared ones were truncated
# under the other's reader (a window saw CPUs missing or 0 packets).
snap() {
	local t
	t=$(cut -d' ' -f1 /proc/uptime)
	busy_of >"$2.b"
	pkts_of "$1" >"$2.p"
	awk -v t="$t" 'NR == FNR { p[$1] = $2; next } { print t, $1, $2, $3, p[$1] + 0 }' \
		"$2.p" "$2.b" >"$2"
}

# delta A B: per CPU "cpu usage_pct pkts_per_s" between snaps A and B.
delta() {
	awk 'NR == FNR { b[$2] = $3; tt[$2] = $4; p[$2] = $5; t0 = $1; next }
		{ dt = $1 - t0; db = $3 - b[$2]; dtot = $4 - tt[$2]
		  u = dtot > 0 ? 100 * db / dtot : 0
		  r = dt > 0 ? ($5 - p[$2]) / dt : 0
		  printf "%s %.0f %.0f\n", $2, u, r }' "$1" "$2"
}

# light_port: a local port whose flow psteer sends to CPU HOGCPU (its
# bucket's owner, from psteer where).
light_port() {
	local port=40000
	while [ $port -lt 40200 ]; do
		[ "$(psteer_cpu $port)" != "$HOGCPU" ] || { echo $port; return 0; }
		port=$((port + 1))
	done
	fail "no local port in 40000-40199 goes to CPU $HOGCPU with psteer"
}

# psteer_cpu PORT: the owner of the light flow's bucket from local port PORT.
psteer_cpu() {
	psteer where tcp 10.0.0.1 "$1" $SRV4 7000 | awk '{ print $NF }'
}

# sampler MODE: every 0.5 s "mode t cpu busy total packets" to /tmp/series.
sampler() {
	while [ -e /tmp/sampling ]; do
		snap "$1" /tmp/snap-s
		sed "s/^/$1 /" /tmp/snap-s >>/tmp/series
		sleep 0.5
	done
}

# window MODE NAME PORT: WINDOW seconds of the light flow, with usage and
# packets per CPU around it.
window() {
	local rrout
	snap "$1" /tmp/w0
	rrout=$(cli taskset 1 rr -c $SRV4 7000 "$WINDOW" "$3")
	snap "$1" /tmp/w1
	delta /tmp/w0 /tmp/w1 | sed "s/^/CPU $1 $2 /" >>/tmp/result
	echo "$rrout" | awk -v m="$1" -v w="$2" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		print "RTT", m, w, f["rtt_us_p50"], f["rtt_us_p99"], f["transactions"] }' >>/tmp/result
	echo "$1 $2: $rrout"
}

run_mode() {
	local mode=$1 port bg sp tick st=""
	step "demo-$mode"
	if [ "$mode" = rps ]; then
		nic_queue f
		port=40000
		echo "the light flow (local port $port) goes where its socket's txhash sends it"
	else
		x insmod "$KO"
		port=$(light_port)
		echo "the light flow (local port $port) goes to CPU $HOGCPU"
	fi
	iperf_wait_ready
	echo "+ iperf3 -c $SRV4 -P 16 -b 20M (in cli, background)"
	cli iperf3 -f m -i 0 -c "$SRV4" -P 16 -b 20M -t $((3 * WINDOW + SETTLE + 6)) \
		>"/tmp/iperf-$mode.txt" 2>&1 &
	bg=$!
	: >/tmp/sampling
	sampler "$mode" &
	sp=$!
	sleep 3
	window "$mode" before "$port"
	echo "HOG $mode $(cut -d' ' -f1 /proc/uptime)" >>/tmp/result
	hog_start "$HOGCPU"
	taskset $((1 << HOGCPU)) rr -t 50 &
	tick=$!
	sleep "$SETTLE"
	if [ "$mode" = psteer ]; then
		psteer stat 1 "$WINDOW" >/tmp/stat.txt 2>&1 &
		st=$!
	fi
	window "$mode" after "$port"
	[ -z "$st" ] || wait "$st" || true
	# Where psteer's light flow ended, before the busy loop ends (its
	# bucket may move back after it).
	[ "$mode" = rps ] || echo "WHERE $mode $(psteer_cpu "$port")" >>/tmp/result
	kill "$tick"
	hog_stop
	rm /tmp/sampling
	wait "$sp" || true
	wait "$bg" || { cat "/tmp/iperf-$mode.txt"; fail "iperf3 failed in mode $mode"; }
	grep -E '^\[SUM\].*receiver' "/tmp/iperf-$mode.txt" || true
	if [ "$mode" = rps ]; then
		nic_queue 1
	else
		echo "=== PSTEER-DEMO stat BEGIN"
		cat /tmp/stat.txt
		echo "=== PSTEER-DEMO stat END"
		x rmmod psteer
	fi
	ok
}

step setup
setup_netns
HOGCPU=1
[ "$NCPU" -ge 2 ] || fail "the demo needs 2 CPUs or more"
x srv taskset 1 rr -s 7000 &
sleep 1
: >/tmp/result
: >/tmp/series
ok

run_mode rps
run_mode psteer

echo "=== PSTEER-DEMO result BEGIN"
echo "NCPU $NCPU HOGCPU $HOGCPU WINDOW $WINDOW SETTLE $SETTLE"
cat /tmp/result
echo "=== PSTEER-DEMO result END"
echo "=== PSTEER-DEMO series BEGIN"
cat /tmp/series
echo "=== PSTEER-DEMO series END"
