# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# initramfs-modules: pktgen dummy
# psteer queuing-model test (claim 6): runs inside the test VM as
# /psteer/run.sh (see tools/testing/guest/lib.sh for the topology and
# helpers).
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL --guest drr
# (tests.list: drr-6.12).
#
# Two buckets pinned to CPU 2, one carrying a UDP flood, one a light TCP
# request/response flow (rr, 64 bytes each way). With deficit round robin
# a light packet waits for one turn of the flood's bucket, with quantum=0
# (FIFO: a bucket delivers all it has before the next) for the flood's
# whole queue: with the flood, the light flow's mean round trip under DRR
# must be at most a tenth of FIFO's and its transactions/s ten times
# FIFO's, in the same boot. The flow alone is reported for reference.
#
# Durations are guest instructions: tests.list boots this test with
# run-guest.sh --icount, so the figures do not depend on the host's load
# (under plain TCG a loaded CI host once made DRR's round trip 2.2x the
# flow alone, against 1.3x on an idle one). Three boots under icount gave
# alone 50 us each, DRR 453-469 us, FIFO 25983-28853 us: DRR
# costs the light flow a turn of the flood per packet (an 8000-byte
# datagram forwarded and cut in 6 is long next to 64 bytes of rr), FIFO
# its whole queue.
#
#   CPU 3: pktgen (xmit_mode netif_receive) injects the flood into srv as if
#          veth1 had received it: 8000-byte UDP datagrams to 10.0.1.1;
#          psteer's hook on CPU 3 queues them to bucket F
#   CPU 2: owns F and R; delivers F's datagrams: srv forwards them to a
#          dummy device with MTU 1500, so each is copied and cut into 6
#          fragments there, several times what receiving and steering
#          cost CPU 3: CPU 2 is the bottleneck, F's queue stays full and
#          drops (checked), and R's packets wait behind F unless DRR
#          gives R its turn
#   CPU 0: the light flow, rr client in cli and rr server in srv; RPS is
#          off on both veth ends, so its packets reach psteer on CPU 0,
#          which queues them to R on CPU 2, both ways
#   CPU 1: a 50 us timer loop (rr -t), during every measurement
#
# Why the timer loop: QEMU's single-threaded TCG runs one vCPU at a time
# and moves on from a vCPU that does not idle (CPU 2 here) only when a
# timer of the host side fires. Measured while writing this test, without
# it: the flood never built a queue on CPU 2 (pktgen and CPU 2 took turns,
# at any pktgen rate, packet size or placement tried), and the light flow
# waited for QEMU's time slices rather than for psteer (up to 6x slower
# with a flood that did not even queue). Each wake-up of the loop is such
# a timer, so QEMU switches vCPUs at least every 50 us, closer to CPUs
# running in parallel. It runs in the "alone" measurements too, so both
# figures pay its cost (about a third of the light flow's rate).
#
# Alone and DRR are measured twice, interleaved (3 s each), and averaged.
# FIFO once, after them.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

P=/sys/module/psteer/parameters
PG=/proc/net/pktgen
OWNER=2
RR_MASK=1    # CPU 0
TICK_MASK=2  # CPU 1
PG_CPU=3
RR_PORT=7000
FLOOD_DST=10.0.1.1
FLOOD_SIZE=8000
FLOOD_BURST=16
FLOOD_DELAY_NS=400000
SECS=3

# bucket_col BUCKET COLUMN: a column of /proc/net/psteer/buckets (by name).
bucket_col() {
	awk -v b="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$col["bucket"] == b { print $col[c] }' /proc/net/psteer/buckets
}

# bucket_packets: "packets" of every bucket, in bucket order, one line.
bucket_packets() {
	awk 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		{ print $col["packets"] }' /proc/net/psteer/buckets | tr '\n' ' '
}

# busiest BEFORE AFTER: the bucket whose packets grew most.
busiest() {
	echo "$1|$2" | awk -F'|' '{
		n = split($1, a, " "); split($2, b, " ")
		for (i = 1; i <= n; i++) if (b[i] - a[i] > best) { best = b[i] - a[i]; k = i - 1 }
		print k }'
}

# pg FILE CMD: a pktgen command (pktgen runs per netns: srv's).
pg() {
	srv sh -c "echo '$2' >$PG/$1" || fail "pktgen: '$2' to $1 refused"
}

# flood_setup COUNT: pktgen device veth1@PG_CPU on kpktgend_PG_CPU; COUNT
# packets (0: until stopped).
flood_setup() {
	local d=veth1@$PG_CPU mac
	mac=$(srv cat /sys/class/net/veth1/address)
	pg kpktgend_$PG_CPU rem_device_all
	pg kpktgend_$PG_CPU "add_device $d"
	pg $d "xmit_mode netif_receive"
	pg $d "count $1"
	pg $d "burst $FLOOD_BURST"
	pg $d "delay $FLOOD_DELAY_NS"
	pg $d "pkt_size $FLOOD_SIZE"
	pg $d "dst $FLOOD_DST"
	pg $d "src_min 10.0.0.1"
	pg $d "src_max 10.0.0.1"
	pg $d "dst_mac $mac"
	pg $d "udp_src_min 9"
	pg $d "udp_src_max 9"
	pg $d "udp_dst_min 9"
	pg $d "udp_dst_max 9"
}

# flood_start: the flood until flood_stop; F's queue fills within 1 s.
flood_start() {
	echo "+ pktgen flood on CPU $PG_CPU: $FLOOD_SIZE-byte UDP to $FLOOD_DST, bursts of $FLOOD_BURST every ${FLOOD_DELAY_NS} ns"
	srv sh -c "echo start >$PG/pgctrl" &
	PGPID=$!
	sleep 1
}

flood_stop() {
	srv sh -c "echo stop >$PG/pgctrl"
	wait "$PGPID" || true
	srv cat $PG/veth1@$PG_CPU | grep -E 'pps' || true
	# Let CPU 2 drain what is queued.
	sleep 0.5
}

# rr_run NAME: the light flow for SECS seconds; sets TPS, RTT (mean, us),
# MAX (longest wait, us) and N (transactions).
rr_run() {
	local out
	echo "+ rr -c $SRV4 $RR_PORT $SECS $LPORT (in cli, CPU 0): $1"
	out=$(cli taskset $RR_MASK rr -c $SRV4 $RR_PORT $SECS $LPORT) ||
		fail "rr ($1) failed"
	echo "$out"
	TPS=$(echo "$out" | sed -n 's/.* tps=\([0-9]*\).*/\1/p')
	RTT=$(echo "$out" | sed -n 's/.* rtt_us_mean=\([0-9]*\).*/\1/p')
	MAX=$(echo "$out" | sed -n 's/.* rtt_us_max=\([0-9]*\).*/\1/p')
	N=$(echo "$out" | sed -n 's/.*transactions=\([0-9]*\).*/\1/p')
	if [ -z "$TPS" ] || [ -z "$RTT" ] || [ -z "$MAX" ] || [ -z "$N" ]; then
		fail "rr ($1): no figures in '$out'"
	fi
}

# factor A B: A/B as "x1.23".
factor() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "x%.2f\n", (b > 0 ? a / b : 999) }'
}

step setup
[ -d $PG ] || fail "no /proc/net/pktgen (pktgen.ko not loaded?)"
setup_netns
# RPS off: each packet reaches psteer on the CPU that sent it (pktgen's
# CPU 3 for the flood, CPU 0 for the light flow).
nic_queue 0
x /sbin/ip -n srv link add dummy0 type dummy
x /sbin/ip -n srv link set dummy0 mtu 1500 up
x /sbin/ip -n srv route add 10.0.1.0/24 dev dummy0
x srv sysctl -q -w net.ipv4.ip_forward=1
srv taskset $RR_MASK rr -s $RR_PORT &
x insmod "$KO" nbuckets=64 rebalance_ms=0
ok

step buckets
# F: where 1000 packets of the flood go.
b0=$(bucket_packets)
flood_setup 1000
srv sh -c "echo start >$PG/pgctrl"
F=$(busiest "$b0" "$(bucket_packets)")
# R: a local port that puts the light flow in another bucket.
LPORT=40000
while :; do
	b0=$(bucket_packets)
	cli rr -c $SRV4 $RR_PORT 0.2 $LPORT >/dev/null || fail "rr probe failed"
	R=$(busiest "$b0" "$(bucket_packets)")
	[ "$R" = "$F" ] || break
	LPORT=$((LPORT + 1))
	[ $LPORT -lt 40064 ] || fail "no local port puts rr in a bucket apart from the flood's"
done
x sh -c "echo '$F $OWNER' >/proc/net/psteer/buckets"
x sh -c "echo '$R $OWNER' >/proc/net/psteer/buckets"
for b in $F $R; do
	if [ "$(bucket_col "$b" cpu)" != $OWNER ] || [ "$(bucket_col "$b" pinned)" != 1 ]; then
		fail "bucket $b not pinned to CPU $OWNER"
	fi
done
echo "flood in bucket $F, light flow (local port $LPORT) in bucket $R, both pinned to CPU $OWNER"
flood_setup 0
ok

step measure
echo "+ taskset $TICK_MASK rr -t 50 (timer loop on CPU 1, see the header)"
taskset $TICK_MASK rr -t 50 &
TICK=$!
q=$(cat $P/quantum)
echo "quantum=$q (DRR)"
tps_alone=0 rtt_alone=0 tps_drr=0 rtt_drr=0 drops=0
for i in 1 2; do
	rr_run "alone #$i"
	tps_alone=$((tps_alone + TPS)) rtt_alone=$((rtt_alone + RTT))
	flood_start
	d0=$(bucket_col "$F" drops)
	rr_run "flood, DRR #$i"
	drops=$((drops + $(bucket_col "$F" drops) - d0))
	tps_drr=$((tps_drr + TPS)) rtt_drr=$((rtt_drr + RTT))
	flood_stop
done
tps_alone=$((tps_alone / 2)) rtt_alone=$((rtt_alone / 2))
tps_drr=$((tps_drr / 2)) rtt_drr=$((rtt_drr / 2))
flood_start
x sh -c "echo 0 >$P/quantum"
rr_run "flood, FIFO"
tps_fifo=$TPS rtt_fifo=$RTT max_fifo=$MAX n_fifo=$N
x sh -c "echo $q >$P/quantum"
flood_stop
kill $TICK
wait $TICK 2>/dev/null || true
x cat /proc/net/psteer/cpus
awk -v f="$F" -v r="$R" 'NR == 1 || $1 == f || $1 == r' /proc/net/psteer/buckets
ok

step verdict
echo "note: light flow alone: $tps_alone tps, ${rtt_alone} us mean RTT"
echo "note: with the flood, DRR: $tps_drr tps ($(factor "$tps_alone" "$tps_drr") fewer), ${rtt_drr} us ($(factor "$rtt_drr" "$rtt_alone") longer); the flood's bucket dropped $drops packets (CPU $OWNER saturated)"
if [ "$n_fifo" = 0 ]; then
	echo "note: with the flood, FIFO: 0 transactions in $SECS s, no reply after ${max_fifo} us (starved)"
else
	echo "note: with the flood, FIFO: $tps_fifo tps ($(factor "$tps_alone" "$tps_fifo") fewer), ${rtt_fifo} us ($(factor "$rtt_fifo" "$rtt_alone") longer), longest wait ${max_fifo} us"
fi
[ "$drops" -gt 0 ] ||
	fail "the flood's bucket dropped nothing: CPU $OWNER was not saturated, so DRR was not put to the test"
if [ "$tps_drr" = 0 ] || [ "$tps_drr" -lt $((10 * tps_fifo)) ]; then
	fail "with the flood, DRR gave the light flow $tps_drr transactions/s, not 10 times FIFO's $tps_fifo"
fi
# FIFO may starve the flow outright (no round trip to compare).
[ "$n_fifo" = 0 ] || [ $((10 * rtt_drr)) -le "$rtt_fifo" ] ||
	fail "with the flood, the light flow's mean round trip under DRR (${rtt_drr} us) is over a tenth of FIFO's (${rtt_fifo} us)"
ok "DRR $(factor "$tps_drr" "$tps_fifo") FIFO's transactions/s with the flood"

step unload
x rmmod psteer
check_unloaded "after rmmod"
kmemleak_check
ok
