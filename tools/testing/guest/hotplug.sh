# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer and CPU hotplug, over and over: runs inside the test VM as
# /psteer/run.sh (see tools/testing/guest/lib.sh for the topology).
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL --guest hotplug
# (tests.list: hotplug-debug).
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#     8 TCP flows at 20 Mbit/s each (iperf3 -P 8 -b 20M), all along
#
# Each round: CPU 2 goes offline (it must own nothing), then comes back,
# and must be given buckets by the rebalancer within 20 s while the flows
# run and a busy loop makes the CPU that carries most of them shed buckets,
# as README promises ("when the CPU comes back it is a receiver again");
# the test's processes stay off CPU 2, so that it is the least used CPU.
# On a failure the state of every CPU and bucket and the last rebalancing
# rounds are printed.
#
# The module stays loaded through the rounds and goes after the flows
# stopped (iperf_stop_all: iperf3 gone). An rmmod after each round, with
# the flows running, took minutes on the debug kernel and hit the
# watchdog (CI, and 5 of 5 runs here): its
# rcu_barrier() calls (unregister_pernet_subsys, kmem_cache_destroy) each
# waited for CPU 0's RCU callbacks, run by a ksoftirqd/0 that the flows'
# softirq and iperf3 starved (rcu_barrier trace: one barrier's last
# callback 16 s late, the next 30 s; RCU softirqs on CPU 0 at 7.5 a
# second against 18 on the others; KASAN makes each callback slow).
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

NB=64
# Times CPU 2 goes and comes back: 6 (a round took 20 to 40 s on the
# 7.3 debug kernel, whose CPU hotplug and module unload are slow), more
# with PSTEER_GUEST_HOTPLUG_ROUNDS=N in the host's environment.
ROUNDS=${PSTEER_GUEST_HOTPLUG_ROUNDS:-6}

# rounds_diag: the rebalancer's last rounds and the loaded buckets.
rounds_diag() {
	echo "--- rebalancing rounds traced since CPU 2 came back: $(grep -c 'rebalance:' "$T"/trace)"
	tail -n 20 "$T"/trace || true
	echo "--- buckets with a load"
	awk 'NR == 1 || $9 > 0' /proc/net/psteer/buckets
}

step setup
setup_netns
T=$(tracing_dir)
iperf_wait_ready
x taskset -p b "$(cat /tmp/iperf3-srv.pid)"
echo "+ taskset b iperf3 -c $SRV4 -P 8 -t 3600 -b 20M (in cli, background)"
cli taskset b iperf3 -f m -i 0 -c $SRV4 -P 8 -t 3600 -b 20M >/tmp/iperf-hp.txt 2>&1 &
BG=$!
sleep 2
ok

# The first round as conns.sh's hotplug step found it: a fresh table
# (owners round-robin, rebalancing off), rebalancing turned on 3 s before
# CPU 2 goes; each round CPU 2 offline for 3 s, then back.
step hotplug
r=0
slowest=0
insmod "$KO" nbuckets=$NB rebalance_ms=0
echo 1 >"$T"/events/psteer/rebalance/enable
echo 1 >"$T"/events/psteer/bucket_move/enable
echo 100 >/sys/module/psteer/parameters/rebalance_ms
while [ $r -lt "$ROUNDS" ]; do
	r=$((r + 1))
	sleep 3
	echo 0 >/sys/devices/system/cpu/cpu2/online
	[ "$(owned 2)" = 0 ] || fail "round $r: CPU 2 still owns $(owned 2) buckets offline"
	sleep 3
	echo >"$T"/trace
	echo 1 >/sys/devices/system/cpu/cpu2/online
	# The need: a busy loop on the CPU that carries most of the flows
	# (see conns.sh's hotplug step).
	hog_flows 2 5201 || { rounds_diag; fail "round $r: no CPU carries the iperf3 flows"; }
	i=0
	until [ "$(owned 2)" -gt 0 ]; do
		i=$((i + 1))
		if [ $i -gt 200 ]; then
			rounds_diag
			fail "round $r: CPU 2 got no buckets back within 20 s"
		fi
		sleep 0.1
	done
	hog_stop
	[ $i -le "$slowest" ] || slowest=$i
	echo "round $r: CPU 2 owns $(owned 2) buckets after ~$((i / 10)).$((i % 10)) s of a busy loop on CPU $HOG_CPU"
done
iperf_stop_all "$BG"
ok "$ROUNDS rounds, slowest ~$((slowest / 10)).$((slowest % 10)) s"

step unload
x rmmod psteer
check_unloaded "after the rounds"
kmemleak_check
ok

echo "hotplug: all steps passed"
