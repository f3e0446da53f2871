# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer's data path in receive configurations beyond plain veth: runs
# inside the test VM as /psteer/run.sh (see tools/testing/guest/lib.sh).
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL --guest datapath
# (tests.list: datapath-6.12, datapath-6.1, datapath-debug).
#
# initramfs-modules: vrf
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#                                    veth1 enslaved to vrf-blue (table 10)
#
# proc-at-load: reading /proc/net/psteer/cpus while insmod sets psteer up in
# 40 namespaces.
#
# bypass-order: CPU 2, the only CPU of the set, offline and back under a
# flood of sequenced datagrams (rr -Q / rr -q): none out of order.
#
# device-down: nothing queued for veth1 is delivered once it is down.
#
# conns-private: the flow hash in conns only for CAP_NET_ADMIN.
#
# vrf: a VRF runs PRE_ROUTING twice, on the slave and again on the VRF
# device (vrf_rcv_nfhook(), whose okfn frees the packet unless the hook
# returns 1): psteer must steer only the first pass and count each packet
# once. TCP through the VRF must flow, and srv's counters must not count
# more IP packets than veth1 received.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

# counted: inline + steered + unparsed over srv's CPUs (each packet that
# reached psteer's hook once, whatever happened to it).
counted() {
	# shellcheck disable=SC2016 # an awk program, run in srv
	srv awk 'NR > 1 { n += $2 + $4 + $9 } END { print n + 0 }' /proc/net/psteer/stats
}

# proc-at-load: /proc/net/psteer/cpus sums every namespace's counters. Read
# while insmod is still setting psteer up in namespaces made before it, it
# must not look at those it has not reached (their pernet slot may not
# exist yet: KASAN reports the read on the debug kernel).
step proc-at-load
i=0
while [ $i -lt 40 ]; do
	/sbin/ip netns add extra$i
	i=$((i + 1))
done
(while :; do cat /proc/net/psteer/cpus >/dev/null 2>&1 || true; done) &
READER=$!
x insmod "$KO" rebalance_ms=0
sleep 1
kill $READER
wait $READER 2>/dev/null || true
x rmmod psteer
i=0
while [ $i -lt 40 ]; do
	/sbin/ip netns del extra$i
	i=$((i + 1))
done
ok

step setup
setup_netns
x insmod "$KO" rebalance_ms=0
ok

# bypass-order: with a set of one CPU (2), every packet, arriving on CPU 0,
# is queued for CPU 2. When CPU 2 goes offline psteer steps aside (bypass),
# but a bucket that still holds packets must take the new ones behind them
# until it is empty: no datagram may arrive after a later one of its flow.
# bypass_round N: one flood with CPU 2 offline and back in its middle;
# fails if any datagram arrived after a later one of its flow.
bypass_round() {
	echo "+ rr -q 9000 7 (in srv, background); rr -Q $SRV4 9000 8 4 (in cli, background)"
	srv rr -q 9000 7 >/tmp/seq.txt &
	SINK=$!
	sleep 0.5
	cli rr -Q $SRV4 9000 8 4 >/tmp/seq-src.txt &
	SRC=$!
	sleep 1.5
	echo "round $1: offline at $(cut -d' ' -f1 /proc/uptime)"
	echo 0 >/sys/devices/system/cpu/cpu2/online
	echo "round $1: offline done at $(cut -d' ' -f1 /proc/uptime)"
	sleep 1
	echo "round $1: online at $(cut -d' ' -f1 /proc/uptime)"
	echo 1 >/sys/devices/system/cpu/cpu2/online
	echo "round $1: online done at $(cut -d' ' -f1 /proc/uptime)"
	wait $SRC || true
	wait $SINK || true
	cat /tmp/seq-src.txt /tmp/seq.txt
	recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/seq.txt)
	reordered=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/seq.txt)
	[ "${recv:-0}" -gt 1000 ] || fail "round $1: only ${recv:-0} datagrams received"
	[ "$reordered" = 0 ] ||
		fail "round $1: $reordered datagrams arrived after a later one of their flow"
}

step bypass-order
x rmmod psteer
x insmod "$KO" cpus=2 rebalance_ms=0
# Resolve srv's address first: while ARP is pending the first datagrams
# wait in cli's neighbour queue, and the reply's flush of that queue races
# with new sends that find the address resolved, which reorders them
# before they ever reach psteer (seen: 14 datagrams 0.2 s into the first
# flood on the debug kernel).
x cli ping -c 1 -W 5 $SRV4 >/dev/null
for r in 1 2 3; do
	bypass_round $r
done
x rmmod psteer
x insmod "$KO" rebalance_ms=0
ok "3 rounds in order, the last $recv received"

# device-down: packets queued for a device that goes down are dropped
# (NETDEV_GOING_DOWN flushes them), never delivered once it is down. With
# cpus=2 and a busy loop on CPU 2, a flood usually keeps packets queued for
# CPU 2 (before the fix: 7074 queued, 1647 delivered after the down).
step device-down
x rmmod psteer
x insmod "$KO" cpus=2 rebalance_ms=0
taskset 4 sh -c 'while :; do :; done' &
HOG=$!
srv rr -q 9000 4 >/dev/null &
SINK=$!
sleep 0.5
cli rr -Q $SRV4 9000 8 3 >/dev/null &
SRC=$!
sleep 1.5
qlen=$(awk 'NR > 1 { q += $5 } END { print q + 0 }' /proc/net/psteer/buckets)
drops0=$(awk 'NR > 1 { n += $6 } END { print n + 0 }' /proc/net/psteer/buckets)
x srv /sbin/ip link set veth1 down
# shellcheck disable=SC2016 # an awk program, run in srv
d0=$(srv awk 'NR > 1 { n += $6 } END { print n + 0 }' /proc/net/psteer/stats)
sleep 1
# shellcheck disable=SC2016 # an awk program, run in srv
d1=$(srv awk 'NR > 1 { n += $6 } END { print n + 0 }' /proc/net/psteer/stats)
# Nothing arrives on a device that is down: nothing may wait for it.
q=$(awk 'NR > 1 { q += $5 } END { print q + 0 }' /proc/net/psteer/buckets)
kill $HOG 2>/dev/null || true
wait $SRC || true
wait $SINK || true
drops=$(($(awk 'NR > 1 { n += $6 } END { print n + 0 }' /proc/net/psteer/buckets) - drops0))
echo "queued before the down: $qlen; dropped by it: $drops; delivered after it: $((d1 - d0))"
# Whether packets were queued at the very moment of the down depends on
# how CPU 2 kept up; when some were, they were dropped, never delivered.
[ "$d1" = "$d0" ] || fail "$((d1 - d0)) packets delivered after veth1 went down"
[ "$q" = 0 ] || fail "$q packets still queued for the downed device"
# Up again: what arrives now (IPv6 neighbour discovery, ...) is steered.
x srv /sbin/ip link set veth1 up
x rmmod psteer
x insmod "$KO" rebalance_ms=0
ok "$qlen queued, $drops dropped by the down, none delivered after it"

# conns-private: conns shows each flow's hash, keyed and secret: only to a
# reader with CAP_NET_ADMIN in the namespace's user namespace. A reader in
# a user namespace of its own (unshare -U) sees "-" instead.
step conns-private
if ! srv unshare -U true 2>/dev/null; then
	skip "no user namespaces in this kernel"
else
	cli rr -Q $SRV4 9000 4 0.2 >/dev/null
	# shellcheck disable=SC2016 # an awk program
	shown='$1 == 17 && $5 == 9000 { print $6 }'
	# A flow's entry is made where its packets are delivered, which may
	# be a little after rr returns: wait for the four.
	i=0
	until [ "$(srv awk "$shown" /proc/net/psteer/conns | grep -c .)" -ge 4 ]; do
		i=$((i + 1))
		[ $i -le 50 ] || fail "the 4 flows are not in conns after 5 s"
		sleep 0.1
	done
	srv awk "$shown" /proc/net/psteer/conns >/tmp/hash-root
	srv unshare -U awk "$shown" /proc/net/psteer/conns >/tmp/hash-user
	echo "root sees: $(tr '\n' ' ' </tmp/hash-root)"
	echo "an unprivileged reader sees: $(tr '\n' ' ' </tmp/hash-user)"
	[ "$(grep -c '^[0-9a-f]\{8\}$' /tmp/hash-root)" -ge 4 ] ||
		fail "root does not see the hashes"
	[ "$(grep -c . /tmp/hash-user)" -ge 4 ] ||
		fail "an unprivileged reader does not see the flows"
	! grep -qv '^-$' /tmp/hash-user ||
		fail "an unprivileged reader sees the hashes"
	ok
fi

step vrf
if ! srv /sbin/ip link add vrf-blue type vrf table 10 2>/dev/null; then
	skip "no VRF support in this kernel"
else
	x srv /sbin/ip link set vrf-blue up
	x srv /sbin/ip link set veth1 master vrf-blue
	# Sockets not bound to the VRF accept its connections.
	x srv sh -c 'echo 1 >/proc/sys/net/ipv4/tcp_l3mdev_accept'
	x srv sh -c 'echo 1 >/proc/sys/net/ipv4/udp_l3mdev_accept'
	# A fresh server: the one from setup listens in the default VRF.
	kill "$(cat /tmp/iperf3-srv.pid)" 2>/dev/null || true
	sleep 1
	x srv iperf3 -s -D -I /tmp/iperf3-srv.pid
	rx0=$(srv cat /sys/class/net/veth1/statistics/rx_packets)
	c0=$(counted)
	iperf vrf -c $SRV4 -P 8 -t 3
	[ "$(awk -v m="$MBPS" 'BEGIN { print (m > 0) }')" = 1 ] ||
		fail "no throughput through the VRF"
	rx=$(($(srv cat /sys/class/net/veth1/statistics/rx_packets) - rx0))
	c=$(($(counted) - c0))
	echo "veth1 received $rx packets; psteer counted $c"
	# ARP is not IP and never reaches the hook: counted <= received.
	[ "$c" -le "$rx" ] || fail "$c packets counted for $rx received: counted twice"
	[ "$c" -gt $((rx / 2)) ] || fail "only $c of $rx packets counted"
	ok "$MBPS Mbit/s, $c counted of $rx received"
fi

step unload
kill "$(cat /tmp/iperf3-srv.pid)" 2>/dev/null || true
x rmmod psteer
check_unloaded "after rmmod"
kmemleak_check
ok

echo "datapath: all steps passed"
