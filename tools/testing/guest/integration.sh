# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer integration test: runs inside the test VM as /psteer/run.sh, under
# busybox sh, started by the initramfs' /init (tools/testing/vm/initramfs.sh),
# which prints the PASS sentinel only if this script exits 0.
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL [--guest integration] [--nic-loop]
# (tests.list: integration-6.12, integration-6.1, integration-latest,
# integration-latest-rt, integration-debug; integration-nic-6.12 and
# integration-nic-latest with --nic-loop: the NIC topology of lib.sh's
# setup_netns, srv receiving on a 4-queue NIC with RSS).
#
# Topology (both ends in the same VM, nothing leaves it; each veth end
# receives on CPU 0 like a single-queue NIC, see nic_queue in lib.sh):
#
#   netns cli (10.0.0.1/24, fd00::1/64) --veth-- netns srv (10.0.0.2/24, fd00::2/64)
#               veth0                                     veth1
#
# The rebalancer is off here (rebalance_ms=0): bucket owners stay
# round-robin, so which CPU processes which flow is known in advance;
# tools/testing/guest/rebalance.sh tests the moving table.
# iperf3 runs as a server in srv and as clients in cli: data flows cli->srv,
# so srv receives it through psteer's PRE_ROUTING hook in srv's namespace.
#
# Each step prints "STEP name: ok", or "STEP name: FAIL reason" and exits 1.
# Debian's busybox sh runs its own applets before searching PATH and
# busybox's ip has no netns support: iproute2's ip is called as /sbin/ip.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

# --- setup -------------------------------------------------------------------
step setup
setup_netns
ok

# --- a) bad parameters ---------------------------------------------------------
# Every refused value, whether the kernel's own parser or psteer's range
# check refuses it: insmod fails with EINVAL ("Invalid argument") and dmesg
# gains exactly one line, naming the parameter and what it accepts.
step bad-params
for p in nbuckets=0 nbuckets=70000 nbuckets=4294967297 nbuckets=-1 nbuckets= nbuckets \
	cpus=99-100 cpus=garbage hash=md5 rss_key=6d5a symmetric=2 \
	max_conns=16777217 max_conns=lots queue_len=0 quantum=-5 quantum=100 \
	conn_timeout_tcp=0 timer_ms=5 hw_conns=2 \
	rss_key=zz5a56da255b0ec24167253d43a38fb0d0ca2bcbae7b30b477cb2da38030f20c6a42b73bbeac01fa; do
	name=${p%%=*}
	dmesg -c >/dev/null
	echo "+ insmod $KO $p (must fail)"
	if err=$(insmod $KO "$p" 2>&1); then
		rmmod psteer || true
		fail "insmod accepted $p"
	fi
	echo "insmod: $err"
	case "$err" in
	*"Invalid argument"*) ;;
	*) fail "$p: insmod did not fail with EINVAL: $err" ;;
	esac
	# The first load taints the kernel (out of tree, unsigned): not ours.
	# Busybox's insmod tries finit_module, then init_module: each refusal
	# is logged once per attempt, hence the same line twice (sort -u).
	msg=$(dmesg | grep 'psteer' | grep -v 'taint' | sed 's/^\[[^]]*\] //' |
		sort -u || true)
	echo "dmesg: $msg"
	[ "$(echo "$msg" | grep -c .)" = 1 ] ||
		fail "$p: not exactly one dmesg line"
	case "$msg" in
	*"$name="*"must be"*) ;;
	*) fail "$p: the dmesg line does not say '$name=... must be ...'" ;;
	esac
	check_unloaded "after insmod $p"
done
ok

# --- b) baseline without psteer ----------------------------------------------
step baseline
# Throughput at full speed; reordering at a paced 32 x 25 Mbit/s. At full
# speed under TCG the single-threaded iperf3 server falls behind now and
# then and TCP prunes its receive queue (PruneCalled, TCPRcvQDrop), which
# TCPOFOQueue counts as well, with or without psteer: not a reordering.
# On the NIC topology 32 x 25 Mbit/s is more than the path carries under
# TCG (about 600 Mbit/s) and the host's tap loses segments, which fill
# TCPOFOQueue too: order_verdict (lib.sh) tells those from a reordering.
iperf base-tcp4 -c $SRV4 -P 32 -t 5
base_mbps=$MBPS
o0=$(ofo)
iperf base-paced -c $SRV4 -P 32 -b 25M -t 5
base_ofo=$(($(ofo) - o0))
echo "baseline: $base_mbps Mbit/s, TCPOFOQueue +$base_ofo (paced)"
ok "$base_mbps Mbit/s"

# --- c) traffic through psteer (toeplitz) --------------------------------------
step load-toeplitz
x insmod $KO hash=toeplitz rebalance_ms=0
for f in buckets conns conntab cpus devices stats; do
	[ -f /proc/net/psteer/$f ] || fail "no /proc/net/psteer/$f in the initial netns"
done
inner=$(srv ls /proc/net/psteer/ | tr '\n' ' ')
[ "$inner" = "conns devices stats " ] ||
	fail "srv's /proc/net/psteer/ has '$inner', want conns, devices and stats"
ok

step traffic
iperf psteer-tcp4 -c $SRV4 -P 32 -t 5
psteer_mbps=$MBPS
o0=$(ofo) l0=$(tcp_loss)
iperf psteer-paced -c $SRV4 -P 32 -b 25M -t 5
psteer_ofo=$(($(ofo) - o0)) l1=$(tcp_loss)
iperf psteer-tcp6 -c $SRV6 -P 32 -t 5
iperf psteer-udp4 -c $SRV4 -u -b 50M -t 3
iperf psteer-udp6 -c $SRV6 -u -b 50M -t 3
echo "THROUGHPUT baseline=$base_mbps psteer=$psteer_mbps Mbit/s ratio=$(ratio "$psteer_mbps" "$base_mbps")"
v=0 verdict=$(order_verdict "$psteer_ofo" "$base_ofo" "$l0" "$l1") || v=$?
echo "OFO TCPOFOQueue growth, paced: baseline=$base_ofo psteer=$psteer_ofo ($(tcp_loss_since "$l0")): $verdict"
[ $v != 1 ] || fail "psteer $verdict"
ok "$verdict"

# --- d) every CPU of the set processed packets --------------------------------
step all-cpus
# 64 UDP flows from fixed source ports 20000..20063: deterministic hashes.
iperf probes -c $SRV4 -u -P 64 --cport 20000 -b 100K -t 1
x cat /proc/net/psteer/cpus
# Columns by name: the table may grow more of them.
awk 'NR == 1 {
		for (i = 1; i <= NF; i++) col[$i] = i
		if (!col["cpu"] || !col["buckets"] || !col["inline"] || !col["drained"]) {
			print "header lacks cpu/buckets/inline/drained: " $0
			bad = 1
			exit
		}
		next
	}
	$col["buckets"] > 0 && $col["inline"] + $col["drained"] == 0 {
		print "cpu " $col["cpu"] " owns " $col["buckets"] " buckets but processed nothing"
		bad = 1
	}
	$col["buckets"] > 0 { owners++ }
	END { if (!bad && !owners) { print "no CPU owns a bucket"; bad = 1 } exit bad }' /proc/net/psteer/cpus ||
	fail "per-CPU table"
x cat /proc/net/psteer/stats
srv cat /proc/net/psteer/stats
echo "buckets (first lines):"
head -n 5 /proc/net/psteer/buckets
ok

# --- e) rmmod under traffic ---------------------------------------------------
step rmmod-under-load
iperf_wait_ready
echo "+ iperf3 -c $SRV4 -P 8 -t 6 (in cli, background)"
cli timeout "$IPERF_TIMEOUT" iperf3 --connect-timeout 5000 -f m -i 0 \
	-c $SRV4 -P 8 -t 6 >/tmp/iperf-rmmod.txt 2>&1 &
bg=$!
sleep 2
kill -0 $bg 2>/dev/null || {
	cat /tmp/iperf-rmmod.txt
	fail "iperf3 ended before the rmmod"
}
x rmmod psteer || fail "rmmod psteer failed"
check_unloaded "after rmmod"
rc=0
wait_exit $((IPERF_TIMEOUT * 10 + 50)) "iperf3 did not end" $bg || rc=$?
grep -E '^\[SUM\].*(sender|receiver)|error' /tmp/iperf-rmmod.txt || true
if [ $rc = 0 ]; then
	echo "iperf3 finished across the rmmod"
else
	echo "note: iperf3 exited with $rc across the rmmod"
fi
kmemleak_check
ok

# --- f) other parameter sets --------------------------------------------------
for params in "" "nbuckets=1" "nbuckets=65536 cpus=0-1"; do
	step "load ${params:-defaults}"
	# shellcheck disable=SC2086 # params is a word list
	x insmod $KO $params
	iperf "short" -c $SRV4 -P 4 -t 2
	x rmmod psteer
	check_unloaded "after rmmod"
	ok
done

step final
kmemleak_check
x kill "$(cat /tmp/iperf3-srv.pid)"
ok
echo "integration: all steps passed"
