# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Connection table benchmark: runs inside the test VM as /psteer/run.sh
# (tools/testing/bench/bench-conns.sh). Prints numbers; it fails only when
# the table does not hold the connections it was sent.
#
# Usage: no arguments; tools/testing/bench/bench-conns.sh boots it
# (make bench-conns).
#
#   netns cli: pktgen on veth0 --veth--> netns srv: psteer tracks
#
# pktgen sends one UDP packet per connection: sources 10.1.0.0-10.1.255.255
# and source ports 1000-1016, both stepping by one per packet (65536 and 17
# values, coprime: 1114112 distinct pairs), to 10.0.0.2:9. Each size is
# sent twice: the first pass creates the entries, the second finds them.
# initramfs-modules: pktgen
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

P=/sys/module/psteer/parameters

pg() {
	cli sh -c "echo '$2' >/proc/net/pktgen/$1" ||
		fail "pktgen $1: $2: $(cli cat /proc/net/pktgen/"$1" 2>/dev/null | tail -n 1)"
}

# pktgen_send N: N packets, N distinct connections.
pktgen_send() {
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device veth0"
	pg veth0 "count $1"
	pg veth0 "clone_skb 0"
	pg veth0 "pkt_size 64"
	pg veth0 "delay 0"
	pg veth0 "dst $SRV4"
	pg veth0 "dst_mac $MAC"
	pg veth0 "src_min 10.1.0.0"
	pg veth0 "src_max 10.1.255.255"
	pg veth0 "udp_src_min 1000"
	pg veth0 "udp_src_max 1017"
	pg veth0 "udp_dst_min 9"
	pg veth0 "udp_dst_max 9"
	local t0 t1
	t0=$(date +%s)
	pg pgctrl start
	t1=$(date +%s)
	echo "pktgen: $1 packets in $((t1 - t0)) s; $(cli cat /proc/net/pktgen/veth0 | grep -E '^Result')"
}

ct() {
	awk -v k="$1" '$1 == k { print $2 }' /proc/net/psteer/conntab
}

# col NAME: that column of /proc/net/psteer/cpus, "cpu:value" per CPU.
col() {
	awk -v k="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == k) c = i; next }
		{ printf "%s%s:%s", (NR > 2 ? " " : ""), $1, $c } END { print "" }' /proc/net/psteer/cpus
}

# lookup_ns: mean ns of the lookups timed since the last call.
L0=0 N0=0
lookup_ns() {
	local l n
	l=$(ct lookup_ns_total) n=$(ct lookups_timed)
	awk -v l="$l" -v n="$n" -v l0="$L0" -v n0="$N0" \
		'BEGIN { printf "%.0f\n", (n > n0 ? (l - l0) / (n - n0) : 0) }'
	L0=$l N0=$n
}

step setup
setup_netns
cli test -e /proc/net/pktgen/pgctrl || fail "pktgen not loaded"
MAC=$(srv cat /sys/class/net/veth1/address)
ok

for n in 100000 1000000; do
	step "conns-$n"
	x insmod "$KO" nbuckets=4096 max_conns=1100000 rebalance_ms=0 \
		conn_timeout_udp=3600 conn_timeout_other=3600
	L0=0 N0=0
	pktgen_send $n
	e=$(ct entries)
	create=$(lookup_ns)
	echo "entries $e, untracked $(ct untracked)"
	[ "$e" -ge $((n * 99 / 100)) ] || fail "$e entries after $n connections"
	pktgen_send $n
	hit=$(lookup_ns)
	# A timer thread sleeps until its first connection expires (here up
	# to the shortest timeout, TCP closing's 10 s): writing timer_ms
	# wakes every thread for a pass over what is now in its buckets.
	x sh -c "echo 100 >$P/timer_ms"
	sleep 1
	idle_pass=$(col pass_us)
	conns=$(col conns)
	mem=$(ct memory_bytes)
	grep -E '^psteer_conn4 ' /proc/slabinfo || true
	x sh -c "echo 1 >$P/conn_timeout_udp && echo 1 >$P/conn_timeout_other"
	sleep 3
	exp_pass=$(col pass_max_us)
	left=$(ct entries)
	chains=$(ct chains)
	echo "BENCH conns=$e memory_bytes=$mem bytes_per_conn=$((mem / e)) (entries $(ct entry_bytes_ipv4) B each; $chains chain heads, $((chains * 8)) B, sized for max_conns)"
	echo "BENCH conns=$e lookup_create_ns=$create lookup_hit_ns=$hit (one lookup in 64 timed)"
	echo "BENCH conns=$e psteer delivery per drained packet (ns): $(awk 'NR > 1 && $5 > 0 { printf "%s%d:%d", s, $1, $10 / $5; s = " " } END { print "" }' /proc/net/psteer/cpus)"
	echo "BENCH conns=$e per-CPU connections: $conns"
	echo "BENCH conns=$e timer pass, nothing to expire (us): $idle_pass"
	echo "BENCH conns=$e longest pass, all expiring (us): $exp_pass; left $left"
	[ "$left" = 0 ] || fail "$left entries left after they all timed out"
	x rmmod psteer
	ok
done
step baseline
# The same 1M packets with no connection table (max_conns=0): the
# difference in psteer's delivery time per packet is what the table costs
# in place, lookups and list upkeep included.
x insmod "$KO" nbuckets=4096 max_conns=0 rebalance_ms=0
pktgen_send 1000000
echo "BENCH max_conns=0 psteer delivery per drained packet (ns): $(awk 'NR > 1 && $5 > 0 { printf "%s%d:%d", s, $1, $10 / $5; s = " " } END { print "" }' /proc/net/psteer/cpus)"
x rmmod psteer
ok

echo "connbench: all steps passed"
