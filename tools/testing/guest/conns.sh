# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer connection table, timer threads and CPU hotplug: runs inside the
# test VM as /psteer/run.sh (see tools/testing/guest/lib.sh for the
# topology).
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL --guest conns [--nic-loop]
# (tests.list: conns-latest, conns-latest-rt, conns-debug; conns-nic-6.12
# with --nic-loop: the NIC topology of lib.sh's setup_netns).
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#     1000 short TCP connections (rr -n -> rr -s :8080)
#     8 UDP flows (iperf3 -u -P 8 from ports 30000-30007)
#
# Rebalancing is off until the hotplug step, so owners stay put while the
# test compares /proc/net/psteer/conns with the buckets' owners.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

P=/sys/module/psteer/parameters
NCONN=1000
NB=64
# The debug kernel (KASAN, lockdep, kmemleak) is about five times slower:
# fewer connections there, the same checks.
[ ! -e /sys/kernel/debug/kmemleak ] || NCONN=300

# conns NS: the TCP and UDP entries of namespace NS (header dropped).
conns() {
	# shellcheck disable=SC2016 # an awk program, run in namespace $1
	"$1" awk 'NR > 1 && ($1 == 6 || $1 == 17)' /proc/net/psteer/conns
}

# expired: "cpu expired" of every CPU.
expired() {
	awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "expired") c = i; next }
		{ print $1, $c }' /proc/net/psteer/cpus
}

# thread_state NAME: the state letter of kernel thread NAME ("none" if
# there is no such thread). One cat of every /proc/PID/stat: a process
# per PID took 2 minutes on the debug kernel with the hotplug step's flows
# running.
thread_state() {
	# shellcheck disable=SC2016 # an awk program
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v n="($1)" '$2 == n { s = $3 } END { print s == "" ? "none" : s }'
}

step setup
setup_netns
x srv rr -s 8080 &
x insmod "$KO" nbuckets=$NB rebalance_ms=0 conn_timeout_tcp=3600 \
	conn_timeout_closing=3600 conn_timeout_other=3600
for c in 0 1 2 3; do
	st=$(thread_state psteer_timer/$c)
	case "$st" in
	S | R) ;;
	*) fail "psteer_timer/$c is '$st', not sleeping or running" ;;
	esac
done
grep -q '^entry_bytes_ipv4 64$' /proc/net/psteer/conntab || {
	cat /proc/net/psteer/conntab
	fail "an IPv4 entry is not 64 bytes"
}
ok "4 timer threads"

# A timer thread sleeps until the first connection of its buckets
# expires, at most the shortest timeout (UDP's 30 s here): an idle CPU
# does not wake every timer_ms (100) to find nothing. 2 s idle: at most
# one pass each, against 20 when every thread woke every timer_ms.
step timers-idle
# passes: "cpu timer_passes" of every CPU.
passes() {
	awk 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "timer_passes") c = i; next }
		{ print $1, $c }' /proc/net/psteer/cpus
}
passes >/tmp/passes0
sleep 2
passes >/tmp/passes1
awk 'FILENAME == "/tmp/passes0" { p0[$1] = $2; next }
	{ d = $2 - p0[$1]; print "cpu " $1 ": " d " passes in 2 s"; if (d > 1) bad = 1 }
	END { exit bad }' /tmp/passes0 /tmp/passes1 ||
	fail "a timer thread woke more than once in 2 s with nothing to expire"
ok

# insegs: TCP segments srv received (Tcp: InSegs, /proc/net/snmp).
insegs() {
	srv cat /proc/net/snmp | awk '
		$1 == "Tcp:" && !c { for (i = 2; i <= NF; i++) if ($i == "InSegs") c = i; next }
		$1 == "Tcp:" && c { print $c; exit }'
}

step conns-tcp
# rr -s 8080 of setup listens (0A) before the first connection.
wait_for 100 "rr -s 8080 in srv not listening" port_state 0A 1F90
seg0=$(insegs)
# One process for every connection: a busybox wget each took 0.8 s on
# the debug kernel (4 minutes for 300).
echo "+ rr -n $SRV4 8080 $NCONN (in cli)"
out=$(cli rr -n $SRV4 8080 $NCONN) || fail "not every connection echoed: $out"
echo "$out"
# The last connection's closing segments may still be on their way: srv
# received everything once no socket but the listener is left on 8080
# (the server side closes last: its final ACK is the last segment).
wait_for 100 "connections to 8080 in srv still open" port_idle 1F90
segs=$(($(insegs) - seg0))
n=$(conns srv | awk '$1 == 6 && $5 == 8080' | wc -l)
pk=$(conns srv | awk '$1 == 6 && $5 == 8080 { p += $9 } END { print p + 0 }')
echo "srv: $n TCP entries to port 8080 after $NCONN connections, $pk packets; TCP received $segs segments"
# A client port that came back would make the same tuple, the same entry
# (3-6% of 1000 busybox wget runs did on 6.1 and 6.12; rr -n's closes
# leave the client in TIME_WAIT, and none came back in 1000), so 80%
# distinct at least; the exact check is that every segment srv received
# is counted in exactly one entry.
if [ "$n" -lt $((NCONN * 80 / 100)) ] || [ "$n" -gt $NCONN ]; then
	fail "$n entries, expected about $NCONN"
fi
ex=$(expired | awk '{ s += $2 } END { print s + 0 }')
[ "$ex" = 0 ] || fail "$ex entries expired with every timeout at an hour"
[ "$pk" = "$segs" ] || fail "entries count $pk packets, TCP received $segs"
srv cat /proc/net/psteer/conns | head -n 5
ok "$n entries, $pk packets"

step conns-udp
iperf udp -u -c $SRV4 -P 8 -b 2M -l 1000 --cport 30000 -t 2
n=$(conns srv | awk '$1 == 17 && $3 >= 30000 && $3 < 30008 && $9 > 0' | wc -l)
[ "$n" = 8 ] || { conns srv | awk '$1 == 17'; fail "$n UDP entries, expected 8"; }
ok

step bucket-and-cpu
# Every entry's bucket is hash * NB / 2^32 (reciprocal_scale) and its CPU
# is the bucket's owner in /proc/net/psteer/buckets.
awk 'NR > 1 { print $1, $2 }' /proc/net/psteer/buckets >/tmp/owners
for ns in srv cli; do
	conns $ns >/tmp/conns-$ns
	awk -v nb=$NB 'FILENAME == "/tmp/owners" { own[$1] = $2; next }
		{ h = 0; hex = "0123456789abcdef"
		  for (i = 1; i <= 8; i++) h = h * 16 + index(hex, substr($6, i, 1)) - 1
		  b = int(h * nb / 4294967296)
		  if (b != $7 || own[$7] != $8) { print "bad:", $0, "want bucket", b, "cpu", own[b]; bad++ }
		  n++ }
		END { print n + 0, "entries checked"; exit bad > 0 }' /tmp/owners /tmp/conns-$ns ||
		fail "entries in $ns with the wrong bucket or CPU"
done
# Each namespace sees only its own: cli's entries are the same connections
# seen from the other side, so the counts match.
ns=$(wc -l </tmp/conns-srv) nc=$(wc -l </tmp/conns-cli)
echo "srv $ns entries, cli $nc entries, init $(awk 'NR > 1' /proc/net/psteer/conns | wc -l)"
[ "$(awk 'NR > 1' /proc/net/psteer/conns | wc -l)" = 0 ] ||
	fail "the initial namespace lists connections it never carried"
ok

step expire
# Expected expiries per CPU: the test's entries (both namespaces) in the
# buckets it owns. Other traffic (IPv6 neighbour discovery) is "other",
# whose timeout is an hour here.
cat /tmp/conns-srv /tmp/conns-cli | awk '{ n[$8]++ } END { for (c in n) print c, n[c] }' |
	sort >/tmp/want
expired >/tmp/exp0
T=$(tracing_dir)
echo 1 >"$T"/events/psteer/conn_expire/enable
x sh -c "echo 2 >$P/conn_timeout_tcp && echo 2 >$P/conn_timeout_udp && echo 2 >$P/conn_timeout_closing"
# Idle for 2 s, then expired by the next pass of their CPU's timer thread;
# waited for up to 20 s, however slow the guest.
t=0
while left=$( (conns srv; conns cli) | wc -l) && [ "$left" != 0 ]; do
	t=$((t + 1))
	[ $t -lt 200 ] || { (conns srv; conns cli) | head; fail "$left entries left 20 s after a timeout of 2 s"; }
	sleep 0.1
done
expired >/tmp/exp1
awk 'FILENAME == "/tmp/exp0" { e0[$1] = $2; next } { print $1, $2 - e0[$1] }' \
	/tmp/exp0 /tmp/exp1 | awk '$2 > 0' | sort >/tmp/got
echo "expired per CPU (want):"; cat /tmp/want
echo "expired per CPU (got):"; cat /tmp/got
cmp -s /tmp/want /tmp/got || fail "per-CPU expiries do not match the buckets each CPU owns"
echo 0 >"$T"/events/psteer/conn_expire/enable
grep -m 3 'conn_expire:' "$T"/trace || fail "no psteer:conn_expire events in $T/trace"
traced=$(grep 'conn_expire:' "$T"/trace | sed -n 's/.*expired=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
want=$(awk '{ s += $2 } END { print s + 0 }' /tmp/want)
[ "$traced" = "$want" ] || fail "conn_expire events count $traced expiries, want $want"
ok "$want expired, all traced"

step bad-writes
for w in "conn_timeout_tcp 0" "conn_timeout_udp 86401" "timer_ms 5" "conn_timeout_other x" "conn_timeout_closing -1" "hw_conns 2" "hw_conns maybe"; do
	# shellcheck disable=SC2086 # two words on purpose
	set -- $w
	old=$(cat $P/"$1")
	if echo "$2" >$P/"$1" 2>/dev/null; then fail "$1=$2 accepted"; fi
	[ "$(cat $P/"$1")" = "$old" ] || fail "$1 changed by a bad write"
done
if echo 1 >$P/max_conns 2>/dev/null; then fail "max_conns writable"; fi
ok

step hotplug
x sh -c "echo 300 >$P/conn_timeout_tcp && echo 10 >$P/conn_timeout_closing && echo 100 >$P/rebalance_ms"
iperf_wait_ready
# Until killed at the end of the step, however long the step takes: with
# -t 60 the flows could end before CPU 2 was back on a slow kernel (seen on
# the debug kernel: 55 s between offline and online), and with no load no
# bucket has a reason to move.
# The test's processes stay off CPU 2: back online, it must be the least
# used CPU, the one the rebalancer gives buckets first.
x taskset -p b "$(cat /tmp/iperf3-srv.pid)"
echo "+ taskset b iperf3 -c $SRV4 -P 8 -t 3600 -b 20M (in cli, background)"
cli taskset b iperf3 -f m -i 0 -c $SRV4 -P 8 -t 3600 -b 20M >/tmp/iperf-hp.txt 2>&1 &
BG=$!
# All 8 connections tracked, within 30 s.
t=0
while conns srv | awk '$1 == 6 && $5 == 5201 { print $2, $3, $4, $5, $9 }' | sort >/tmp/before &&
	nb=$(wc -l </tmp/before) && [ "$nb" -lt 8 ] && [ $t -lt 300 ]; do
	t=$((t + 1))
	sleep 0.1
done
on2=$(owned 2)
echo "before: CPU 2 owns $on2 buckets; $nb iperf3 connections tracked"
[ "$nb" -ge 8 ] || fail "only $nb iperf3 connections tracked"
x sh -c "echo 0 >/sys/devices/system/cpu/cpu2/online"
[ "$(owned 2)" = 0 ] || fail "CPU 2 still owns $(owned 2) buckets offline"
st=$(thread_state psteer_timer/2)
[ "$st" = P ] || fail "psteer_timer/2 is $st, not parked"
# Every flow counting again on another CPU, within 30 s (an RTO back-off
# can hold a flow for seconds on the debug kernel).
t=0
until conns srv | awk '$1 == 6 && $5 == 5201 { print $2, $3, $4, $5, $9, $8 }' | sort >/tmp/after &&
	awk 'FILENAME == "/tmp/before" { p[$1" "$2" "$3" "$4] = $5; next }
		{ k = $1" "$2" "$3" "$4; if (k in p) { n++; if ($6 == 2) bad++; if ($5 > p[k]) grew++ } }
		END { printf "%d carried over, %d still counting, %d on CPU 2\n", n, grew, bad
		      exit !(n >= 8 && grew >= 8 && bad == 0) }' /tmp/before /tmp/after; do
	t=$((t + 1))
	[ $t -lt 30 ] || fail "connections not carried over to the other CPUs within 30 s"
	sleep 1
done
echo >"$T"/trace
echo 1 >"$T"/events/psteer/rebalance/enable
x sh -c "echo 1 >/sys/devices/system/cpu/cpu2/online"
# A CPU back in the set is a receiver again. The flows alone may not call
# for it (the rebalancer leaves alone what is within its dead band and
# the noise of tick-based CPU accounting): a busy loop on the CPU that
# carries most of the flows makes it shed buckets, and CPU 2, the least
# used, must get some. (A busy loop on CPU 1 failed about one run in ten:
# CPU 1 carried none of the 8 flows.)
hog_flows 2 5201 || { conns srv; fail "no CPU carries the iperf3 flows"; }
i=0
until [ "$(owned 2)" -gt 0 ]; do
	i=$((i + 1))
	if [ $i -gt 200 ]; then
		# Did the rounds run, and what did they see?
		echo "rebalancing rounds traced since CPU 2 came back: $(grep -c 'rebalance:' "$T"/trace)"
		grep 'rebalance:' "$T"/trace | tail -n 5
		awk 'NR == 1 || $9 > 0' /proc/net/psteer/buckets
		kill -0 "$BG" 2>/dev/null ||
			fail "the iperf3 flows ended before CPU 2 got buckets back"
		fail "CPU 2 got no buckets back within 20 s"
	fi
	sleep 0.1
done
hog_stop
echo 0 >"$T"/events/psteer/rebalance/enable
echo "CPU 2 back: owns $(owned 2) buckets after ~$((i / 10)) s of a busy loop on CPU $HOG_CPU"
st=$(thread_state psteer_timer/2)
[ "$st" = S ] || [ "$st" = R ] || fail "psteer_timer/2 is $st after coming back"
back=$(owned 2)
# The flows end before the unload of the next step (see iperf_stop_all).
iperf_stop_all "$BG"
# Stray packets of the killed flows may still be on their way: a packet
# left behind would stay queued for good.
i=0
until q=$(awk 'NR > 1 { q += $5 } END { print q + 0 }' /proc/net/psteer/buckets) &&
	[ "$q" = 0 ]; do
	i=$((i + 1))
	[ $i -le 50 ] || fail "$q packets left queued after 5 s"
	sleep 0.1
done
ok "CPU 2 owned $on2, then 0, then $back buckets"

step last-cpu
# A set of one CPU: taking it offline must not fail (suspend and kexec do
# it); psteer is bypassed until it is back.
x rmmod psteer
# A fresh iperf3 server: the hotplug step killed the last one.
x srv iperf3 -s -D -I /tmp/iperf3-srv.pid
x insmod "$KO" nbuckets=$NB cpus=2
x sh -c "echo 0 >/sys/devices/system/cpu/cpu2/online"
dmesg | grep -q 'CPU 2 is the last CPU of the set going offline' ||
	fail "no dmesg line for the bypass"
iperf bypass -c $SRV4 -P 4 -t 2
# Back online while the flows run: the bypass ends under load, no CPU
# drains until what it passed on is delivered (psteer_table_resume()),
# then CPU 2 does, and nothing stays queued.
iperf_wait_ready
(wait_for 100 "no TCP flow to bring CPU 2 back under" port_state 01 &&
	sleep 0.5 && echo 1 >/sys/devices/system/cpu/cpu2/online) &
on=$!
iperf resume -c $SRV4 -P 4 -t 3
wait $on || fail "CPU 2 did not come back online"
dmesg | grep -q 'CPU 2 back online: psteer steers again' ||
	fail "no dmesg line for the end of the bypass"
[ "$(owned 2)" = $NB ] || fail "CPU 2 owns $(owned 2) of $NB buckets back online"
wait_for 50 "packets left queued after the bypass ended" nothing_queued
iperf steered -c $SRV4 -P 4 -t 2
# The order across the end of the bypass: sequenced datagrams of 8 flows
# while CPU 2 comes back (on the NIC topology, conns-nic-6.12, the stack
# receives them in GRO lists: psteer_table_resume()).
x sh -c "echo 0 >/sys/devices/system/cpu/cpu2/online"
x cli ping -c 1 -W 5 $SRV4 >/dev/null
seq_across "end of the bypass" \
	x sh -c "echo 1 >/sys/devices/system/cpu/cpu2/online"
wait_for 50 "packets left queued after the second bypass ended" nothing_queued
ok "$recv datagrams across the end of the bypass, in order"

step unload
kill "$(cat /tmp/iperf3-srv.pid)" 2>/dev/null || true
x rmmod psteer
check_unloaded "after rmmod"
kmemleak_check
ok

echo "conns: all steps passed"
