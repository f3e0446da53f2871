# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Helpers for the guest test scripts (tools/testing/guest/*.sh), shipped in
# the initramfs as /psteer/lib.sh. Busybox sh, set -eu.
#
# Usage: `. /psteer/lib.sh` from a guest script (sourced; runs nothing).
#
# Topology made by setup_netns (both ends in the same VM, nothing leaves it;
# each veth end receives on CPU 0 like a single-queue NIC, see nic_queue):
#
#   netns cli (10.0.0.1/24, fd00::1/64) --veth-- netns srv (10.0.0.2/24, fd00::2/64)
#               veth0                                     veth1
#
# or, with PSTEER_GUEST_TOPO=nic (run-guest.sh --nic-loop), a NIC at each
# end: cli's eth1 (one queue) and srv's eth0 (4 queues, RSS), joined by a
# bridge on the host (tools/testing/vm/nic-host.sh's loop).
#
# iperf3 runs as a server in srv and as clients in cli: data flows cli->srv,
# so srv receives it through psteer's PRE_ROUTING hook in srv's namespace.
#
# Steps print "STEP name: ok", or "STEP name: FAIL reason" and exit 1 (or,
# run with step_done, end only that step), or "STEP name: SKIP (reason)"
# when what they need is not there: a skipped step does not fail the run,
# and the host shows it with the results (run-guest.sh) and before the
# summary (check.sh).
# Debian's busybox sh runs its own applets before searching PATH and
# busybox's ip has no netns support: iproute2's ip is called as /sbin/ip.

# shellcheck disable=SC2034 # used by the scripts that source this
{
	KO=/psteer/psteer.ko
	SRV4=10.0.0.2
	SRV6=fd00::2
}
STEP=setup
# PSTEER_GUEST_* settings from the host (run-guest.sh).
# shellcheck disable=SC1091 # made per run
[ ! -f /psteer/env ] || . /psteer/env
# Longest a single iperf3 client run may take (its test lasts at most 6 s).
IPERF_TIMEOUT=60

x() {
	echo "+ $*"
	"$@"
}
ok() { echo "STEP $STEP: ok${1:+ ($1)}"; }
# skip REASON: the step did not run, for REASON (a kernel without the
# feature, a missing tool); the script goes on past it:
#   if [ ! -d /sys/kernel/tracing ]; then skip "no tracefs"; else ...; ok; fi
skip() { echo "STEP $STEP: SKIP ($*)"; }
fail() {
	echo "STEP $STEP: FAIL $*"
	: >/tmp/step-failed
	diag
	exit 1
}
# A step that may fail without stopping the script runs in a subshell:
#   step NAME
#   set +e
#   (
#   set -e
#   ...
#   )
#   step_done $?
# A failure (fail, or a command failing) ends that step only: step_done
# records it, kills the background processes the step registered with
# track_bg PID, brings every CPU back online and reloads psteer with
# RELOAD_ARGS; the script goes on, and finish ends it with exit 1 if any
# step failed, so one run reports every broken step.
FAILED=""
RELOAD_ARGS="rebalance_ms=0"
track_bg() { echo "$1" >>/tmp/step-pids; }
step_done() {
	local c
	set -e
	if [ "$1" != 0 ]; then
		[ -e /tmp/step-failed ] || echo "STEP $STEP: FAIL exit status $1"
		FAILED="$FAILED $STEP"
		# shellcheck disable=SC2046 # one PID per line
		[ ! -f /tmp/step-pids ] || kill $(cat /tmp/step-pids) 2>/dev/null || true
		for c in /sys/devices/system/cpu/cpu*/online; do
			echo 1 >"$c" 2>/dev/null || true
		done
		# shellcheck disable=SC2086 # parameters, split on purpose
		reload $RELOAD_ARGS || true
	fi
	rm -f /tmp/step-pids /tmp/step-failed
}
# reload ARGS...: psteer loaded afresh with ARGS.
reload() {
	rmmod psteer 2>/dev/null || true
	x insmod "$KO" "$@"
}
# finish: exit 1 if a step run with step_done failed.
finish() {
	[ -n "$FAILED" ] || return 0
	echo "failed steps:$FAILED"
	exit 1
}
# diag: for the log of a failed step, the guest's clock, what the test's
# programs wait for, and psteer's state.
diag() {
	local p

	# What a program that did not end waits for, and the guest's clock.
	echo "uptime $(cat /proc/uptime)"
	for p in $(pidof rr iperf3); do
		echo "pid $p $(cat "/proc/$p/comm" 2>/dev/null) state $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null) wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
	done
	[ -e /proc/net/psteer/cpus ] || return 0
	echo "--- psteer state at the failure"
	cat /proc/net/psteer/cpus
	srv cat /proc/net/psteer/stats || true
	echo "buckets with packets queued or dropped:"
	awk 'NR == 1 || $5 > 0 || $6 > 0' /proc/net/psteer/buckets | head -n 20
	grep -E 'NET_RX|CPU' /proc/softirqs
	cli ss -tni 2>/dev/null | head -n 20 || true
}
step() {
	local up
	STEP=$1
	read -r up _ </proc/uptime
	echo "=== STEP $STEP (uptime $up s)"
}
srv() { /sbin/ip netns exec srv "$@"; }
cli() { /sbin/ip netns exec cli "$@"; }

# softnet_col N: "cpu value" for every CPU, column N of softnet_stat
# (hexadecimal there): 1 packets processed, 10 packets RPS gave the CPU.
softnet_col() {
	awk -v c="$1" 'function hex(s,  i, n) {
			n = 0; s = tolower(s)
			for (i = 1; i <= length(s); i++)
				n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
			return n
		}
		{ print NR - 1, hex($c) }' /proc/net/softnet_stat
}

# rcvbuf_errs: datagrams srv's UDP sockets dropped, their buffer full.
rcvbuf_errs() {
	# shellcheck disable=SC2016 # awk's program
	srv awk '$1 == "Udp:" && !h { for (i = 2; i <= NF; i++) if ($i == "RcvbufErrors") c = i; h = 1; next }
		$1 == "Udp:" { print $c + 0; exit }' /proc/net/snmp
}

# backlog_drops: packets the CPUs' backlogs dropped so far (softnet_stat's
# second column, summed): RPS's full queues.
# shellcheck disable=SC2317 # cost.sh calls it
backlog_drops() { softnet_col 2 | awk '{ n += $2 } END { print n + 0 }'; }

# psteer_total COLUMN: column COLUMN of /proc/net/psteer/cpus summed over
# the CPUs (every namespace), 0 without psteer: 4 the packets steered to
# another CPU, 6 those the bucket queues dropped.
psteer_total() {
	if [ -f /proc/net/psteer/cpus ]; then
		awk -v c="$1" 'NR > 1 { n += $c } END { print n + 0 }' /proc/net/psteer/cpus
	else
		echo 0
	fi
}

# netrx_cpus: NET_RX softirqs so far, a line "CPU COUNT" per CPU.
netrx_cpus() { awk '$1 == "NET_RX:" { for (i = 2; i <= NF; i++) print i - 2, $i }' /proc/softirqs; }

# busiest_since FILE [SKIP]: of the CPUs but 0 (and SKIP), the one whose
# NET_RX softirqs grew most since FILE (netrx_cpus), and by how much: "CPU
# GROWTH", "1 0" when none grew. Over one light flow, the CPU that took
# its packets through the stack away from CPU 0: RPS's (by the sending
# socket's txhash, random per connection, which veth keeps) or psteer's
# bucket owner.
busiest_since() {
	netrx_cpus | awk -v s="${2:-0}" 'NR == FNR { a[$1] = $2; next }
		$1 != 0 && $1 != s && $2 - a[$1] > m { m = $2 - a[$1]; c = $1 }
		END { print (m ? c : 1), m + 0 }' "$1" -
}

# netrx_since FILE CPU: CPU's NET_RX softirqs since FILE (netrx_cpus).
netrx_since() {
	netrx_cpus | awk -v c="$2" 'NR == FNR { a[$1] = $2; next }
		$1 == c { print $2 - a[$1] }' "$1" -
}

# has_lines FILE N PID: true if FILE has N lines; fails the step if PID,
# which writes them, has ended without (for wait_for). Empty FILE before
# starting PID: a background job's ">FILE" runs in the job, which may
# start after the wait has read an earlier run's lines (cost.sh's light
# flow once skipped its first phase so, and its rr waited for a signal
# sent to the earlier run's pid).
has_lines() {
	[ "$(grep -c . "$1" 2>/dev/null || true)" -lt "$2" ] || return 0
	kill -0 "$3" 2>/dev/null || fail "process $3 ended before $1 had $2 lines"
	return 1
}

# hog_start CPU...: a busy loop pinned to each CPU, in the background
# (pids in HOG). hog_stop: ends them.
hog_start() {
	local c p
	HOG=""
	for c in "$@"; do
		taskset $((1 << c)) sh -c 'while :; do :; done' &
		p=$!
		HOG="${HOG:+$HOG }$p"
		echo "hog: pid $p on CPU $c"
	done
}

hog_stop() {
	# shellcheck disable=SC2086 # pids
	kill_wait $HOG
	echo "hog stopped"
}

# kill_wait PID...: ends each background job and reaps it.
kill_wait() {
	local p
	for p in "$@"; do
		kill "$p"
		wait "$p" 2>/dev/null || true
	done
}

# ticker_start USEC CPU...: a timer loop (rr -t USEC) pinned to each CPU,
# in the background (pids in TICK). Single-threaded TCG switches vCPUs
# when one idles or a timer of the guest's is due, so a vCPU that never
# idles (a busy loop, a flooding sender, a CPU saturated with softirqs)
# keeps QEMU until its next tick (4 ms), and every other CPU's packets
# wait that long, whoever steers them. A wake-up every USEC makes that
# wait USEC, as parallel CPUs would. ticker_stop: ends them.
ticker_start() {
	local us=$1 c
	shift
	TICK=""
	for c in "$@"; do
		taskset $((1 << c)) rr -t "$us" &
		TICK="${TICK:+$TICK }$!"
	done
}

ticker_stop() {
	# shellcheck disable=SC2086 # pids
	kill_wait $TICK
	TICK=""
}

# owned CPU: buckets CPU owns (from the buckets file, which also lists the
# buckets of no CPU online; the cpus file lists online CPUs only).
owned() {
	awk -v c="$1" 'NR > 1 && $2 == c { n++ } END { print n + 0 }' /proc/net/psteer/buckets
}

# flows_cpu NOT PORT: the CPU other than NOT whose buckets hold the most
# of namespace srv's connections to PORT (from its conns file), or nothing.
# A busy loop meant to make a CPU shed buckets goes there: a CPU that
# carries none of a test's flows has nothing a move could take off it.
flows_cpu() {
	# shellcheck disable=SC2016 # an awk program, run in namespace srv
	srv awk -v not="$1" -v port="$2" 'NR > 1 && $5 == port && $8 != not { n[$8]++ }
		END { for (c in n) if (n[c] > m) { m = n[c]; best = c }
		      if (m) print best }' /proc/net/psteer/conns
}

# hog_flows CPU PORT: a busy loop (hog_start) on the CPU other than CPU
# that carries most of srv's connections to PORT (flows_cpu), so that it
# sheds buckets and CPU, the least used, gets some; HOG_CPU names it. No
# loop, HOG_CPU "none", when every connection is on CPU already: the
# rebalancer gave CPU their buckets by itself (seen once on the NIC
# topology, 100 ms after CPU 2 came back). Fails if no CPU carries them
# and CPU owns nothing.
hog_flows() {
	HOG="" HOG_CPU=$(flows_cpu "$1" "$2")
	if [ -n "$HOG_CPU" ]; then
		hog_start "$HOG_CPU"
		return 0
	fi
	HOG_CPU=none
	[ "$(owned "$1")" -gt 0 ] || return 1
	echo "every connection to port $2 is on CPU $1 already: no busy loop"
}

# total_moves: bucket moves since load, summed over the buckets file.
total_moves() {
	awk 'NR > 1 { s += $8 } END { print s + 0 }' /proc/net/psteer/buckets
}

# ofo: TcpExtTCPOFOQueue in srv (TcpExt is a header line + value line).
# backlog_drops: packets the kernel's per-CPU backlogs dropped so far (the
# second column of softnet_stat), all CPUs: losses before psteer.
backlog_drops() {
	local n=0 d
	while read -r _ d _; do
		n=$((n + 0x$d))
	done </proc/net/softnet_stat
	echo $n
}

ofo() {
	srv cat /proc/net/netstat | awk '
		$1 == "TcpExt:" && !col { for (i = 2; i <= NF; i++) if ($i == "TCPOFOQueue") col = i; next }
		$1 == "TcpExt:" && col { print $col; exit }'
}

# tcp_loss: "retrans ofo_drop rcvq_drop backlog_drop reorder" so far:
# segments cli retransmitted (Tcp RetransSegs), segments srv's sockets
# dropped (TcpExt TCPOFODrop, TCPRcvQDrop, TCPBacklogDrop) and the
# reorderings cli's senders detected (TcpExt TCPSACKReorder, TCPTSReorder,
# TCPRenoReorder: a segment sent once and acknowledged after a later one
# was, which a loss never gives: a lost segment is acknowledged only once
# sent again). Out-of-order segments come from reordering or from a loss;
# these tell the two apart.
tcp_loss() {
	local r
	r=$(cli cat /proc/net/snmp /proc/net/netstat | awk '
		$1 == "Tcp:" && !tc { for (i = 2; i <= NF; i++) if ($i == "RetransSegs") tc = i; next }
		$1 == "Tcp:" && tc { r = $tc; next }
		$1 == "TcpExt:" && !n { n = split($0, h); next }
		$1 == "TcpExt:" { for (i = 2; i <= n; i++) v[h[i]] = $i; next }
		END { print r + 0, v["TCPSACKReorder"] + v["TCPTSReorder"] + v["TCPRenoReorder"] }')
	srv cat /proc/net/netstat | awk -v r="${r% *}" -v o="${r#* }" '
		$1 == "TcpExt:" && !n { n = split($0, h); next }
		$1 == "TcpExt:" { for (i = 2; i <= n; i++) v[h[i]] = $i; exit }
		END { print r + 0, v["TCPOFODrop"] + 0, v["TCPRcvQDrop"] + 0, v["TCPBacklogDrop"] + 0, o + 0 }'
}

# tcp_loss_since "BEFORE": what tcp_loss grew by since BEFORE, named.
tcp_loss_since() {
	echo "$1 $(tcp_loss)" | awk '{ printf "retransmitted %d, socket drops: ofo %d, rcvq %d, backlog %d, reorderings the senders saw %d\n",
		$6 - $1, $7 - $2, $8 - $3, $9 - $4, $10 - $5 }'
}

# order_verdict OFO BASE_OFO BEFORE AFTER: whether TCPOFOQueue growth OFO,
# over an interval whose tcp_loss readings were BEFORE and AFTER, is a
# reordering, against BASE_OFO measured the same way without what is under
# test (psteer, or its moves). Prints the reason; returns 0 (in order),
# 1 (reordered) or 2 (not judged). What srv's sockets drop when srv falls
# behind comes back out of order, and then nothing here can tell a
# reordering (not judged). A segment lost on the way (a full tap or ring
# of the NIC topology, which no counter in the guest sees) fills srv's
# out-of-order queue too, until it is sent again: growth above the
# baseline's is a reordering only if cli's senders saw one.
order_verdict() {
	local slack sockdrops reord
	slack=$(ofo_slack "$2")
	set -- "$1" "$2" "$(echo "$3 $4" | awk '{ print $7 - $2 + $8 - $3 + $9 - $4, $10 - $5 }')"
	sockdrops=${3% *} reord=${3#* }
	if [ "$1" -le $(($2 + slack)) ]; then
		echo "in order: TCPOFOQueue +$1, baseline +$2, allowed up to +$(($2 + slack))"
		return 0
	fi
	if [ "$sockdrops" != 0 ]; then
		echo "not judged: srv's sockets dropped $sockdrops segments (the receiver fell behind)"
		return 2
	fi
	if [ "$reord" = 0 ]; then
		echo "in order: TCPOFOQueue +$1 against +$2 came from segments lost on the way (cli's senders saw no reordering)"
		return 0
	fi
	echo "reordered: TCPOFOQueue +$1 against +$2, and cli's senders saw $reord reorderings"
	return 1
}

# ofo_slack BASE: how much more TCPOFOQueue growth than BASE (a baseline
# run's) still counts as "no more reordering": 10% or 2, whichever is more.
ofo_slack() {
	awk -v b="$1" 'BEGIN { s = int(b / 10 + 0.999); print (s > 2 ? s : 2) }'
}

# ratio A B: A/B with two decimals (0 if B is 0).
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", (b > 0 ? a / b : 0) }'
}

# port_state HEXSTATE [HEXPORT]: true if srv has a TCP socket on port
# HEXPORT (default 1451, iperf3's 5201) in that state (0A listening, 01
# established).
port_state() {
	srv cat /proc/net/tcp /proc/net/tcp6 |
		awk -v st="$1" -v p=":${2:-1451}" 'substr($2, length($2) - 4) == p && $4 == st { f = 1 }
			END { exit !f }'
}

# port_idle HEXPORT: true if srv has no TCP socket on port HEXPORT but
# listening ones: every connection to it is closed on srv's side.
port_idle() {
	srv cat /proc/net/tcp /proc/net/tcp6 |
		awk -v p=":$1" 'substr($2, length($2) - 4) == p && $4 != "0A" { f = 1 } END { exit f }'
}

# wait_for TRIES WHAT CMD...: runs CMD every 0.1 s until it succeeds; after
# TRIES failures the step fails with "WHAT after N s".
wait_for() {
	local tries=$1 what=$2 i=0
	shift 2
	until "$@"; do
		i=$((i + 1))
		[ "$i" -le "$tries" ] || fail "$what after $((tries / 10)) s"
		sleep 0.1
	done
}

# wait_exit TRIES WHAT PID: wait for background process PID to end, at most
# TRIES tenths of a second, and return its status; fail (with diag's dump
# of psteer's state) if it is still running then.
wait_exit() {
	wait_for "$1" "$2" not_running "$3"
	wait "$3"
}
not_running() { ! kill -0 "$1" 2>/dev/null; }

# iperf_wait_ready: the iperf3 server in srv listens and has no test running
# (a client started now is not refused as busy). At most 10 s.
iperf_wait_ready() {
	wait_for 100 "iperf3 server in srv not ready" iperf_ready
}
iperf_ready() { port_state 0A && ! port_state 01; }

# iperf_stop_all PID: ends the background flows started as "cli iperf3 ...
# &" (PID, the subshell: killing it leaves the client running) by killing
# the server in srv, which ends the client, and waits (at most 10 s) until
# no iperf3 runs. An unload with the flows running took minutes on the
# debug kernel (hotplug.sh). setup_netns starts a new server.
iperf_stop_all() {
	kill "$(cat /tmp/iperf3-srv.pid)" 2>/dev/null || true
	kill "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
	wait_for 100 "iperf3 still runs since its server was killed" iperf_gone
}
iperf_gone() { ! pidof iperf3 >/dev/null; }

# seq_result: prints what the order source (rr -Q, /tmp/seq-src.txt) and
# sink (rr -q, /tmp/seq.txt) said, and sets recv and reordered from the
# sink's line (empty if it printed none).
seq_result() {
	cat /tmp/seq-src.txt /tmp/seq.txt
	recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/seq.txt)
	reordered=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/seq.txt)
}

# tracing_dir: where psteer's trace events are: tracefs, or tracefs under
# debugfs where the kernel has no /sys/kernel/tracing of its own.
tracing_dir() {
	if [ -d /sys/kernel/tracing/events/psteer ]; then
		echo /sys/kernel/tracing
	else
		echo /sys/kernel/debug/tracing
	fi
}

# nothing_queued: no packet waits in any of psteer's buckets.
nothing_queued() {
	[ "$(awk 'NR > 1 { q += $5 } END { print q + 0 }' /proc/net/psteer/buckets)" = 0 ]
}

# seq_flood_start PORT FLOWS [TASKSET_MASK]: sequenced datagrams of FLOWS
# flows from cli to srv's port PORT (rr -Q into rr -q, both until stopped
# by seq_flood_stop, at most 600 s), once the source sends; $SINK and $SRC
# are their PIDs (( exec ... ) makes $! rr's own).
seq_flood_start() {
	local port=$1 flows=$2 mask=${3:-}
	echo "+ rr -q $port 600 (in srv); rr -Q $SRV4 $port $flows 600 (in cli${mask:+, taskset $mask}), until stopped"
	(exec /sbin/ip netns exec srv rr -q "$port" 600 >/tmp/seq.txt) &
	SINK=$!
	track_bg $SINK
	sleep 0.5
	(exec /sbin/ip netns exec cli ${mask:+taskset "$mask"} rr -Q "$SRV4" "$port" "$flows" 600 >/tmp/seq-src.txt) &
	SRC=$!
	track_bg $SRC
	wait_for 300 "rr -Q did not start sending ($(cat /tmp/seq-src.txt 2>/dev/null))" \
		grep -q '^seq: sending' /tmp/seq-src.txt
}

# seq_flood_stop: stops seq_flood_start's source (it must still be running:
# the flood lasted what its caller needed), lets what psteer holds
# arrive, then stops the sink and reads its counts (seq_result).
seq_flood_stop() {
	kill -0 "$SRC" 2>/dev/null ||
		fail "the flood ended before it was stopped: $(cat /tmp/seq-src.txt)"
	kill -TERM "$SRC"
	wait "$SRC" || true
	sinks_stop "$SINK"
	seq_result
}

# sinks_stop PID...: once psteer holds nothing and what is on its way (the
# backlog, the sockets) has arrived, stops each rr -q (SIGTERM: it counts
# what its socket holds, prints its line and ends) and reaps it.
sinks_stop() {
	local p
	wait_for 300 "packets left queued after the flood" nothing_queued
	sleep 0.5
	for p in "$@"; do
		kill -TERM "$p"
		wait "$p" || true
	done
}

# seq_across WHAT CMD...: sequenced datagrams of 8 flows from cli to srv's
# port 9000 (seq_flood_start), CMD run 1.5 s into them and the flood going
# on for 1.5 s after it, however long CMD takes; then fails, its message
# led by WHAT, unless at least 80 arrived (10 a flow, enough to judge
# order whatever the machine's speed: the debug kernel received 1536 to
# 2136 in datapath.sh's bypass rounds on a slow host) and none after a
# later one of its flow. Sets recv (seq_result).
seq_across() {
	local what=$1
	shift
	seq_flood_start 9000 8
	sleep 1.5
	"$@"
	sleep 1.5
	seq_flood_stop
	[ "${recv:-0}" -ge 80 ] || fail "$what: only ${recv:-0} datagrams received"
	[ "$reordered" = 0 ] ||
		fail "$what: $reordered datagrams arrived after a later one of their flow"
}

# iperf NAME ARGS...: iperf3 client in cli against the server in srv.
# Waits until the server listens and has finished the previous test, and
# retries while it refuses or is busy; prints the summary and sets MBPS to
# the receiver's Mbit/s.
iperf() {
	local name=$1 out n=0
	shift
	out=/tmp/iperf-$name.txt
	while :; do
		n=$((n + 1))
		iperf_wait_ready
		echo "+ iperf3 $* (in cli)"
		# Bounded: a stalled transfer fails the step instead of hanging
		# until the watchdog.
		if cli timeout "$IPERF_TIMEOUT" iperf3 --connect-timeout 5000 \
			-f m -i 0 "$@" >"$out" 2>&1; then
			break
		fi
		if [ "$n" -lt 100 ] && grep -qE 'busy|refused' "$out"; then
			grep -E 'error' "$out" || true
			sleep 0.5
			continue
		fi
		cat "$out"
		fail "iperf3 $name failed or did not finish in ${IPERF_TIMEOUT}s"
	done
	if grep -q '^\[SUM\]' "$out"; then
		grep -E '^\[SUM\].*(sender|receiver)' "$out"
	else
		grep -E '(sender|receiver)$' "$out"
	fi
	MBPS=$(awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") v = $(i - 1) }
		END { print v + 0 }' "$out")
	echo "iperf3 $name: $MBPS Mbit/s"
}

# check_unloaded: psteer is not loaded.
check_unloaded() {
	[ ! -e /proc/net/psteer ] || fail "/proc/net/psteer exists: $1"
	! grep -q '^psteer ' /proc/modules || fail "psteer in /proc/modules: $1"
}

# kmemleak_check: report (and fail on) leaks kmemleak finds, if it is there.
# An object is reported once unreferenced and older than 5 s: scan twice.
kmemleak_check() {
	local k=/sys/kernel/debug/kmemleak
	[ -e $k ] || return 0
	echo scan >$k
	sleep 5
	echo scan >$k
	if grep -q 'unreferenced object' $k; then
		cat $k
		fail "kmemleak found leaks"
	fi
	echo "kmemleak: no leaks"
}

# setup_netns: the topology above, and the iperf3 server in srv (listening
# on all addresses, port 5201, until killed; pid in /tmp/iperf3-srv.pid).
# Also makes kmemleak (debug kernel) forget what the boot left behind.
# nic_queue MASK: the RPS map of both veth ends (hex CPU mask).
#
# A veth end receives on the CPU that sent the packet. With psteer, TCP's
# ACK processing runs on the bucket's owner, which then also transmits
# (ACK-clocked) from there: one flow's data would reach the receiving
# namespace on several CPUs at once, which no NIC does and no steering
# after the NIC can put back in order. An RPS map of one CPU makes each
# veth end behave like a single-queue NIC: every packet arrives on that
# CPU in the order it was sent. The benchmark's RPS mode uses MASK f.
# On the NIC topology (PSTEER_GUEST_TOPO=nic) cli's single-queue NIC gets
# MASK and srv's 4-queue NIC keeps its RSS: queue N on CPU N.
nic_queue() {
	cli sh -c "echo $1 >/sys/class/net/$CLIDEV/queues/rx-0/rps_cpus"
	[ "$TOPO" = nic ] ||
		srv sh -c "echo $1 >/sys/class/net/$SRVDEV/queues/rx-0/rps_cpus"
}

# The topology the guest scripts' namespaces get: veth (default) or nic
# (run-guest.sh --nic-loop): cli and srv each get a virtio-net NIC, found
# by the MAC address nic-host.sh gives it, and the host's bridge joins
# them. cli's is single-queue; srv's has 4 queues and RSS, so what srv
# receives comes in on 4 CPUs, each flow on one, as on a server.
TOPO=${PSTEER_GUEST_TOPO:-veth}
CLIDEV=veth0
SRVDEV=veth1
CLIMAC=02:70:73:00:00:03
SRVMAC=02:70:73:00:00:02

# dev_by_mac MAC: the name of the device with that address.
dev_by_mac() {
	local d
	for d in /sys/class/net/*; do
		[ "$(cat "$d/address")" != "$1" ] || { echo "${d##*/}"; return 0; }
	done
	fail "no network device has the address $1"
}

# setup_nics: the NIC topology's devices into cli and srv, srv's first
# (QEMU's software RSS must find its receive rings filled before anything
# arrives: nic-host.sh's trap), no IPv6 link-local traffic, permanent
# neighbour entries (an ARP or neighbour solicitation goes to queue 0
# whatever the RSS table says).
setup_nics() {
	local cd sd cv sv q
	sd=$(dev_by_mac $SRVMAC)
	cd=$(dev_by_mac $CLIMAC)
	# Their virtio devices name their interrupts (virtioN-input.Q).
	sv=$(basename "$(readlink /sys/class/net/"$sd"/device)")
	cv=$(basename "$(readlink /sys/class/net/"$cd"/device)")
	x /sbin/ip link set "$sd" netns srv name $SRVDEV
	x /sbin/ip link set "$cd" netns cli name $CLIDEV
	x /sbin/ip -n srv link set $SRVDEV addrgenmode none
	# run-guest.sh --nic-hash: srv's NIC reports its hash.
	[ "${PSTEER_GUEST_NIC_HASH:-0}" != 1 ] || x srv ethtool -K $SRVDEV rxhash on
	x /sbin/ip -n cli link set $CLIDEV addrgenmode none
	x /sbin/ip -n srv link set $SRVDEV up
	x /sbin/ip -n cli link set $CLIDEV up
	x /sbin/ip -n cli neigh replace 10.0.0.2 lladdr $SRVMAC dev $CLIDEV nud permanent
	x /sbin/ip -n cli neigh replace fd00::2 lladdr $SRVMAC dev $CLIDEV nud permanent
	x /sbin/ip -n srv neigh replace 10.0.0.1 lladdr $CLIMAC dev $SRVDEV nud permanent
	x /sbin/ip -n srv neigh replace fd00::1 lladdr $CLIMAC dev $SRVDEV nud permanent
	# The host's tap puts a flow on the queue the guest last sent that
	# flow's packets from (tun's automatic steering), and QEMU reads its
	# queues in turn: a flow whose replies srv sends from two CPUs, hence
	# two TX queues, reached srv out of order before any NIC or psteer saw
	# it (TCP's out-of-order count rose with psteer's steering, which sends
	# ACKs from the bucket's owner while the application sends window
	# updates from its CPU). One TX queue for every CPU keeps each flow on
	# one tap queue; the RSS table alone spreads what srv receives.
	srv sh -c "for q in /sys/class/net/$SRVDEV/queues/tx-*; do echo 0 >\$q/xps_cpus; done"
	srv sh -c "echo $(printf %x $(((1 << $(grep -c ^processor /proc/cpuinfo)) - 1))) >/sys/class/net/$SRVDEV/queues/tx-0/xps_cpus"
	# srv's queue N interrupts CPU N, cli's one queue CPU 0 (as a veth
	# end with RPS map 1), whatever the number of CPUs.
	for q in 0 1 2 3; do
		irq_to_cpu "$sv-input.$q" $q
	done
	SRVIRQ=$sv CLIIRQ=$cv
	irq_to_cpu "$cv-input.0" 0
	rss_flush_loop
}

# irq_to_cpu NAME CPU: the interrupt whose name in /proc/interrupts ends
# in NAME goes to CPU.
irq_to_cpu() {
	local irq
	irq=$(awk -v n="$1" '$NF ~ n "$" { sub(":", "", $1); print $1; exit }' /proc/interrupts | tr -d ' ')
	[ -n "$irq" ] || fail "no interrupt $1"
	echo "$2" >/proc/irq/"$irq"/smp_affinity_list
}

# rss_flush_loop: in the background, srv's NIC re-sends its RSS key (the
# same key: the table stays as it is, psteer's or not) every second. The
# command makes QEMU 7.2 flush every queue, which ends the stall of
# nic-host.sh's trap: the guest's own full-rate TCP, with no pacing,
# black-holed a tap queue (a baseline iperf3 of 32 flows lost its control
# connection) without it.
rss_flush_loop() {
	local key
	key=$(srv ethtool -x $SRVDEV | awk '/hash key/ { getline; print; exit }')
	[ -n "$key" ] || fail "$SRVDEV has no RSS key"
	srv sh -c "while :; do ethtool -X $SRVDEV hkey $key 2>/dev/null; sleep 1; done" &
	echo "rss flush: pid $! (hkey $key every second)"
}

setup_netns() {
	local ns
	echo "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs, topology $TOPO"
	x /sbin/ip netns add cli
	x /sbin/ip netns add srv
	case "$TOPO" in
	veth)
		x /sbin/ip link add $CLIDEV netns cli type veth peer name $SRVDEV netns srv
		;;
	nic)
		CLIDEV=eth1 SRVDEV=eth0
		setup_nics
		;;
	*) fail "unknown topology $TOPO (PSTEER_GUEST_TOPO: veth or nic)" ;;
	esac
	x /sbin/ip -n cli addr add 10.0.0.1/24 dev $CLIDEV
	x /sbin/ip -n srv addr add 10.0.0.2/24 dev $SRVDEV
	x /sbin/ip -n cli addr add fd00::1/64 dev $CLIDEV nodad
	x /sbin/ip -n srv addr add fd00::2/64 dev $SRVDEV nodad
	for ns in cli srv; do
		x /sbin/ip -n $ns link set lo up
	done
	x /sbin/ip -n cli link set $CLIDEV up
	x /sbin/ip -n srv link set $SRVDEV up
	nic_queue 1
	# CPU 0's RPS backlog takes every packet of both "NICs". Under TCG a
	# vCPU waits for its turn while the others send, and 1000 packets
	# (the default) then overflow: a loss before psteer, which TCP counts
	# as out-of-order segments like a reordering. Room for a few turns.
	echo 10000 >/proc/sys/net/core/netdev_max_backlog
	x /sbin/ip netns exec srv iperf3 -s -D -I /tmp/iperf3-srv.pid
	if [ -e /sys/kernel/debug/kmemleak ]; then
		# Forget what the boot left behind: only new leaks count.
		echo scan >/sys/kernel/debug/kmemleak
		echo clear >/sys/kernel/debug/kmemleak
	fi
	iperf_wait_ready
}

# The NIC topology (nic.sh, nicbench.sh; vm-run.sh --nic): eth0, a
# virtio-net NIC with 4 queues and RSS, faces the host's namespace.
DEV=eth0
HOST=10.9.0.1
ME=10.9.0.2
# The host's tap (tools/testing/vm/nic-host.sh's NIC_HOST_MAC).
HOSTMAC=02:70:73:00:00:01

# host REQUEST: ask the host (tools/testing/vm/nic-host.sh) over the second
# serial port (fd 5, opened by nic_setup), print its answer, return its
# status.
host() {
	local line rc=
	echo "$*" >&5
	while IFS= read -r line <&5; do
		line=${line%"$(printf '\r')"}
		case "$line" in
		"HOST-END rc="*) rc=${line#HOST-END rc=}; break ;;
		"HOST: "*) echo "${line#HOST: }" ;;
		esac
	done
	[ -n "$rc" ] || fail "the host channel closed"
	return "$rc"
}

# queue_irqs [VIRTIO]: "QUEUE COUNT CPU" per RX queue, its interrupts on
# every CPU and the CPU that took most of them: of $DEV, the one NIC of
# the NIC topology, or of virtio device VIRTIO (virtioN; srv's is $SRVIRQ
# after setup_nics, cli's $CLIIRQ).
# shellcheck disable=SC2120 # nicbench.sh passes VIRTIO
queue_irqs() {
	awk -v d="${1:-}" 'NR == 1 { n = NF; next }
		$NF ~ /-input\.[0-9]+$/ && (d == "" || index($NF, d "-input.") == 1) {
			s = 0; b = 2
			for (i = 2; i <= n + 1; i++) {
				s += $i
				if ($i + 0 > $b + 0) b = i
			}
			q = $NF; sub(/.*-input\./, "", q); print q, s, b - 2 }' /proc/interrupts | sort -n
}

# nic_setup: the host channel, $DEV up as $ME with its 4 queues and 128-entry
# table checked, the host answering pings.
nic_setup() {
	local comb n entries i=0
	exec 5<>/dev/ttyS1
	stty -F /dev/ttyS1 raw -echo
	[ -d /sys/class/net/$DEV ] || fail "no $DEV: the virtio-net NIC is missing"
	x /sbin/ip link set $DEV up
	x /sbin/ip addr add $ME/24 dev $DEV
	# No ARP on the NIC: see nic-host.sh.
	x /sbin/ip neigh replace $HOST lladdr $HOSTMAC dev $DEV nud permanent
	# run-guest.sh --nic-hash: the NIC reports its hash once rxhash is on.
	if [ "${PSTEER_GUEST_NIC_HASH:-0}" = 1 ]; then
		x ethtool -K $DEV rxhash on
		ethtool -k $DEV | grep -q '^receive-hashing: on' ||
			fail "$DEV does not report its RSS hash (receive-hashing)"
	fi
	ethtool -l $DEV
	comb=$(ethtool -l $DEV | awk '/^Current/ { c = 1 } c && /^Combined:/ { print $2 }')
	[ "$comb" = 4 ] || fail "$DEV has $comb combined channels, not 4"
	n=$(queue_irqs | wc -l)
	[ "$n" = 4 ] || { cat /proc/interrupts; fail "$n RX queue interrupts, not 4"; }
	ethtool -x $DEV >/tmp/rss
	head -n 2 /tmp/rss
	entries=$(awk '/^ *[0-9]+:/ { n += NF - 1 } END { print n + 0 }' /tmp/rss)
	[ "$entries" = 128 ] || { cat /tmp/rss; fail "an RSS table of $entries entries, not 128"; }
	until ping -c 1 -W 1 $HOST >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -lt 20 ] || fail "the host ($HOST) does not answer pings"
	done
}

# bench_summary FILE TAG "MODES" "BASES" METRIC FIELD: for the benchmarks'
# "TAG mode=M round=R METRIC F=V ..." lines of FILE, per mode of MODES the
# median of FIELD over the METRIC lines, the spread (max-min over the
# median) and the ratio against each mode of BASES: one "TAG-SUMMARY" line
# per mode.
bench_summary() {
	awk -v tag="$2" -v modes="$3" -v bases="$4" -v metric="$5" -v field="$6" '
		$1 == tag && $4 == metric {
			split($2, a, "="); mode = a[2]
			for (i = 5; i <= NF; i++) {
				split($i, kv, "=")
				# "-": not measured in that mode
				if (kv[1] == field && kv[2] ~ /^-?[0-9.e+]+$/)
					v[mode, ++n[mode]] = kv[2] + 0
			}
		}
		function median(m,  i, j, t, k) {
			k = n[m]
			for (i = 1; i <= k; i++) s[i] = v[m, i]
			for (i = 1; i <= k; i++)
				for (j = i + 1; j <= k; j++)
					if (s[j] < s[i]) { t = s[i]; s[i] = s[j]; s[j] = t }
			lo[m] = s[1]; hi[m] = s[k]
			return k % 2 ? s[(k + 1) / 2] : (s[k / 2] + s[k / 2 + 1]) / 2
		}
		END {
			k = split(modes, ms, " ")
			nb = split(bases, bs, " ")
			for (i = 1; i <= k; i++) if (n[ms[i]]) med[ms[i]] = median(ms[i])
			for (i = 1; i <= k; i++) {
				m = ms[i]
				if (!n[m]) continue
				printf "%s-SUMMARY %s %s %-16s median=%.4g spread=%.1f%%",
					tag, metric, field, m, med[m],
					med[m] ? 100 * (hi[m] - lo[m]) / med[m] : 0
				# No ratio against a base not run, or of 0.
				for (j = 1; j <= nb; j++)
					if (med[bs[j]])
						printf " vs_%s=%.3f", bs[j],
							med[m] / med[bs[j]]
				printf "\n"
			}
		}' "$1"
}

# bench_paired FILE TAG "MODES" BASE METRIC FIELD: for the lines
# bench_summary reads, per mode of MODES but BASE the ratio of FIELD to
# BASE's in the same round, round by round: their median, lowest and
# highest, one "TAG-PAIRED" line per mode. Rounds run the modes one after
# the other, so a pair shares the state of the boot at that time, which
# the medians of bench_summary mix across rounds.
bench_paired() {
	awk -v tag="$2" -v modes="$3" -v base="$4" -v metric="$5" -v field="$6" '
		$1 == tag && $4 == metric {
			split($2, a, "="); mode = a[2]
			split($3, a, "="); round = a[2]
			for (i = 5; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == field && kv[2] ~ /^-?[0-9.e+]+$/)
					v[mode, round] = kv[2] + 0
			}
			rounds[round] = 1
		}
		END {
			k = split(modes, ms, " ")
			for (i = 1; i <= k; i++) {
				m = ms[i]
				if (m == base) continue
				n = 0
				for (r in rounds)
					if ((m, r) in v && (base, r) in v && v[base, r])
						s[++n] = v[m, r] / v[base, r]
				if (!n) continue
				for (x = 1; x <= n; x++)
					for (y = x + 1; y <= n; y++)
						if (s[y] < s[x]) { t = s[x]; s[x] = s[y]; s[y] = t }
				printf "%s-PAIRED %s %s %-16s vs_%s median=%.3f min=%.3f max=%.3f rounds=%d\n",
					tag, metric, field, m, base,
					n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2,
					s[1], s[n], n
			}
		}' "$1"
}

# bench_modes NAME "ALL": the modes PSTEER_GUEST_MODES names (colon-
# separated; default ALL), each checked against ALL; exits when one is not.
bench_modes() {
	local m modes
	modes=$(echo "${PSTEER_GUEST_MODES:-$2}" | tr : ' ')
	for m in $modes; do
		case " $2 " in
		*" $m "*) ;;
		*) echo "$1: unknown mode $m (modes: $2)" >&2; exit 1 ;;
		esac
	done
	echo "$modes"
}

# netrx: NET_RX softirqs so far, all CPUs (netrx_cpus summed); ipis:
# function-call interrupts.
netrx() { netrx_cpus | awk '{ n += $2 } END { print n }'; }
ipis() { awk '$1 == "CAL:" { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }' /proc/interrupts; }

# graph_on / graph_off: ftrace's function_graph tracer, stopped, with a
# 16 MB buffer per CPU / back to nop, no filter. graph_pass FUNC OUT
# CMD...: CMD run with FUNC alone traced, its output in file OUT; prints
# "FUNC CALLS INSN MEDIAN" (CALLS its calls, INSN the sum of their
# durations in guest nanoseconds: instructions under -icount, the
# tracer's own included, the same for every function; MEDIAN a call's
# median, which leaves out the calls QEMU interrupted to run another vCPU,
# and the rare slow ones); runs nothing and returns 1 when FUNC cannot be
# traced (not loaded, not traceable). One function a pass: none is traced
# inside another, so each call carries the tracer's cost once.
GRAPH_T=/sys/kernel/tracing
graph_on() {
	[ -d $GRAPH_T/events ] || mount -t tracefs nodev $GRAPH_T
	echo 0 >$GRAPH_T/tracing_on
	echo function_graph >$GRAPH_T/current_tracer
	echo 1 >$GRAPH_T/options/funcgraph-tail
	echo 1 >$GRAPH_T/options/funcgraph-irqs 2>/dev/null || true
	echo 16384 >$GRAPH_T/buffer_size_kb
}
graph_off() {
	echo nop >$GRAPH_T/current_tracer
	: >$GRAPH_T/set_ftrace_filter
}
graph_pass() {
	local f=$1 out=$2
	shift 2
	echo "$f" >$GRAPH_T/set_ftrace_filter 2>/dev/null || return 1
	: >$GRAPH_T/trace
	echo 1 >$GRAPH_T/tracing_on
	"$@" >"$out"
	echo 0 >$GRAPH_T/tracing_on
	# "CPU) DURATION us | name();" or "CPU) DURATION us | } /* name */"
	# shellcheck disable=SC2016 # awk's program
	awk -v f="$f" '
		/ us +\|/ {
			d = ""
			for (i = 1; i < NF; i++) if ($(i + 1) == "us") { d = $i; break }
			rest = substr($0, index($0, "|") + 1)
			sub(/^ +/, "", rest)
			if (substr(rest, 1, 1) == "}")
				sub(/^} \/\* /, "", rest)
			sub(/[ (].*/, "", rest)
			if (rest == f && d != "") print d * 1000
		}' $GRAPH_T/trace | sort -n | awk -v f="$f" '
		{ d[++c] = $1; s += $1 }
		END { if (c) printf "%s %d %.0f %.0f\n", f, c, s, d[int((c + 1) / 2)] }'
}
