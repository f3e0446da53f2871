# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# What steering costs and does on a NIC with RSS, by mode, in one boot:
# runs inside the test VM as /psteer/run.sh, booted by
# tools/testing/bench/nic.sh with the NIC topology's loop
# (run-guest.sh --nic-loop --smp 6 --icount): namespace srv receives on a
# 4-queue virtio-net NIC with RSS (queue N's interrupt on CPU N), what
# namespace cli sends on a second NIC, the host's bridge between them.
# A benchmark, not a test: it prints numbers and fails only when a run
# fails.
#
# Guest instructions: under -icount guest time advances one nanosecond per
# guest instruction while a vCPU runs, but jumps ahead when every vCPU is
# idle, as they are while a packet crosses the host. CPU 4 runs an
# instruction meter (rr -m, a counter in a loop) and nothing else, so no
# vCPU is ever idle: the instructions of everything else in a window are
# the window's guest time less the meter's turns times its nanoseconds
# per turn, measured alone first. CPUs 0-3 receive (srv's queue N
# interrupts CPU N); psteer gets cpus=0-3, RPS map f. CPU 5 runs the
# programs (senders, sinks, the light flow's ends) and takes cli's NIC's
# interrupts, so that no mode's receive work competes with its sender
# (with the programs on CPU 0, RSS alone, whose queue 0 stays there, sent
# 77-94% of its 30,000 datagrams on 2026-12-06, while psteer moved work
# off the busy CPU) and the receiving CPUs' usage is their packets'.
#
# Usage: no arguments; PSTEER_GUEST_ROUNDS (default 3) and
# PSTEER_GUEST_MODES (colon-separated; default all but psteer-hw-static)
# tune it.
#
#   rss        the NIC's RSS alone, its table as the driver set it
#   rps        RSS, and RPS map f on every queue of both NICs
#   psteer-sw  RSS, and psteer steering in software
#   psteer-hw  psteer driving srv's NIC's table (psteer device eth0
#              hardware), its defaults: the NIC's connections are not
#              tracked (hw_conns=0), so with the NIC's hash reported the
#              hook neither parses nor hashes
#   psteer-hw-conns  the same with hw_conns=1: each packet parsed and
#              its connection tracked
#   psteer-hw-bare  psteer-hw with max_conns=0 rebalance_ms=0: no
#              connection table, no rebalancing
#   psteer-hw-static  psteer-hw with rebalance_ms=0 (not in the default
#              modes: with psteer-hw-bare it splits psteer-hw's cost)
# The programs run on CPU 5 (the senders in cli, the sinks in srv).
# Per mode and round:
#   idle     2 s with no traffic: the fixed work of a second (ticks,
#            timers, the rebalancer), idle_pct of the guest's time
#   flood    sequenced UDP from cli (rr -Q, 16 flows, 6000 datagrams a
#            second, 5 s) to a sink in srv (rr -q): guest instructions per
#            datagram received (the sender's included, the same in every
#            mode), in all (instr_per_pkt) and less the idle phase's
#            rate over the window (net_per_pkt: what a datagram adds,
#            whatever the rate the sender kept), NET_RX softirqs,
#            function-call IPIs and packets psteer
#            steered to another CPU (a hop: a queue, an IPI, a drain) per
#            datagram, datagrams sent, received, dropped by the sink's
#            full socket buffer (rcvbuf_errs) and reordered
#   hog      a busy loop on CPU 1 and skewed flows: one flow of 1200
#            datagrams a second and 15 of 53 each (rr -Q twice), 7 s, the
#            last 5 s measured after 2 s for the steering to settle, and
#            a light TCP request/response flow (rr -c, from a source
#            port whose packets the driver's table puts on queue 1, the
#            busy loop's CPU; one port per run) in those 5 s: each
#            CPU's usage/share of the packets ("cpuN=U%/S%": the CPU that
#            delivered them, psteer's inline + drained, or the NIC's poll
#            without psteer; "-" with RPS, which softnet_stat counts on
#            both CPUs), the other CPUs' usage max/mean and (max-min)/min,
#            the light flow's round trip p50/p99 (guest microseconds:
#            guest instructions, the meter's included), datagrams
#            reordered
# Prints NIC lines, one per run, NIC-SUMMARY lines (medians, spread,
# ratios of the medians against rss), NIC-PAIRED lines (each round's
# ratio against the rss run of the same round: their median and range)
# and NIC-ADJUSTED lines (the modes without software hops compared at the
# same softirqs per datagram: see adjusted below).
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

ROUNDS=${PSTEER_GUEST_ROUNDS:-3}
ALL_MODES="rss rps psteer-sw psteer-hw psteer-hw-conns psteer-hw-static psteer-hw-bare"
MODES=$(PSTEER_GUEST_MODES=${PSTEER_GUEST_MODES:-rss:rps:psteer-sw:psteer-hw:psteer-hw-conns:psteer-hw-bare} bench_modes nicbench "$ALL_MODES")
METER=/tmp/meter
# The programs' CPU (a taskset mask): 5.
APP=0x20

rps_map() {
	srv sh -c "for q in /sys/class/net/$SRVDEV/queues/rx-*/rps_cpus; do echo $1 >\$q; done"
	cli sh -c "echo $1 >/sys/class/net/$CLIDEV/queues/rx-0/rps_cpus"
}

mode_on() {
	srv ethtool -X $SRVDEV equal 4
	case $1 in
	rss) ;;
	rps) rps_map f ;;
	psteer-sw) x insmod "$KO" cpus=0-3 ;;
	psteer-hw*)
		case $1 in
		psteer-hw) x insmod "$KO" cpus=0-3 ;;
		psteer-hw-conns) x insmod "$KO" cpus=0-3 hw_conns=1 ;;
		psteer-hw-static) x insmod "$KO" cpus=0-3 rebalance_ms=0 ;;
		*) x insmod "$KO" cpus=0-3 rebalance_ms=0 max_conns=0 ;;
		esac
		x srv psteer device $SRVDEV hardware
		# psteer learns each queue's CPU from these, then rewrites.
		cli taskset $APP rr -u $SRV4 7000 64 2 >/dev/null
		sleep 0.5
		;;
	esac
}

mode_off() {
	case $1 in
	rss) ;;
	rps) rps_map 0 ;;
	psteer*) x rmmod psteer ;;
	esac
}

# busy: "cpu ns" of non-idle time per CPU (/proc/stat, USER_HZ 100).
busy() {
	awk '$1 ~ /^cpu[0-9]+$/ { print substr($1, 4), ($2 + $3 + $4 + $7 + $8 + $9) * 10000000 }' /proc/stat
}
# steered: packets psteer steered to another CPU so far.
steered() { psteer_total 4; }
# delivered: "cpu packets" per CPU: psteer's inline + drained (srv's and
# cli's namespaces: the file counts every namespace); without psteer the
# NICs' polls (softnet_stat's processed); nothing with RPS, where
# processed counts a moved packet on both CPUs.
delivered() {
	if [ -f /proc/net/psteer/cpus ]; then
		awk 'NR > 1 { print $1, $3 + $5 }' /proc/net/psteer/cpus
	elif [ "$((0x$(srv cat /sys/class/net/$SRVDEV/queues/rx-0/rps_cpus)))" = 0 ]; then
		softnet_col 1
	fi
}
# now_ns: guest time (CLOCK_MONOTONIC, in nanoseconds) and the meter's
# count. (With /proc/uptime's 10 ms, a window of 30,000 datagrams was
# known to +-330 instructions each.)
now_ns() { rr -T $METER; }
# work_ns T0 N0 T1 N1: guest nanoseconds of everything but the meter.
work_ns() { awk -v t="$(($3 - $1))" -v n="$(($4 - $2))" -v c="$PER_TURN" 'BEGIN { printf "%.0f\n", t - n * c }'; }

step setup
[ "$TOPO" = nic ] || fail "booted without the NIC topology's loop (run-guest.sh --nic-loop)"
[ "$(grep -c ^processor /proc/cpuinfo)" = 6 ] || fail "needs 6 CPUs (run-guest.sh --smp 6)"
setup_netns
irq_to_cpu "$CLIIRQ-input.0" 5
# The sinks' sockets hold 4 MB (0.7 s of the flood): with the default
# 208 KB, 1-3.5% of the flood's datagrams were dropped at srv's socket
# (RcvbufErrors) while QEMU ran the other vCPUs, more in some modes than
# in others, which counted their receive work but not the datagrams.
x sysctl -q -w net.core.rmem_max=4194304 net.core.rmem_default=4194304
srv taskset $APP rr -s 7000 &
taskset 0x10 rr -m $METER &
# Single-threaded TCG switches vCPUs when one idles or a timer of the
# guest's is due: a CPU that never idles keeps QEMU until its next tick
# (4 ms), and the others' packets wait. A wake-up every millisecond on
# the meter's CPU (rr -t) makes that 1 ms, and one on the busy loop's.
taskset 0x10 rr -t 1000 &
sleep 1
# The meter alone: its nanoseconds (instructions) per turn, over 3 s.
# shellcheck disable=SC2046 # two numbers each
set -- $(now_ns)
sleep 3
# shellcheck disable=SC2046
set -- "$@" $(now_ns)
PER_TURN=$(awk -v t="$(($3 - $1))" -v n="$(($4 - $2))" 'BEGIN { printf "%.4f\n", t / n }')
ok "the meter: $PER_TURN guest ns per turn"

# The light flow's source ports, one per mode and round (a port's TCP
# connection leaves a TIME_WAIT behind): ports whose packets RSS puts on
# srv's queue 1, the busy loop's CPU, with the driver's table (equal 4),
# found by one transaction each: the flow a static table leaves behind
# the busy loop, and RPS behind it too (map f: its CPU is its hash's).
LIGHT=""
n=0
p=41000
need=$((ROUNDS * $(echo "$MODES" | wc -w)))
while [ $n -lt $need ] && [ $p -lt 42000 ]; do
	queue_irqs "$SRVIRQ" >/tmp/l0
	if cli taskset $APP rr -u $SRV4 7000 1 1 $p >/dev/null; then
		queue_irqs "$SRVIRQ" >/tmp/l1
		q=$(awk 'NR == FNR { a[$1] = $2; next } $2 > a[$1] { printf "%s ", $1 }' /tmp/l0 /tmp/l1)
		if [ "$q" = "1 " ]; then
			LIGHT="$LIGHT $p"
			n=$((n + 1))
		fi
	fi
	p=$((p + 1))
done
[ $n -ge "$need" ] || fail "only $n of $need source ports in 41000-41999 reach srv's queue 1"
ok "the light flow's ports:$LIGHT"

results=/tmp/nicbench.txt
: >$results
for r in $(seq 1 "$ROUNDS"); do
	for mode in $MODES; do
		step "nic-$mode-$r"
		mode_on "$mode"
		cli taskset $APP rr -u $SRV4 7000 64 2 >/dev/null

		# The fixed work of a second with no traffic (ticks, timers,
		# the rebalancer's rounds, the RSS flush loop): the flood's
		# window less as much, over the datagrams, is the marginal
		# cost of a datagram, whatever the rate the sender kept.
		# shellcheck disable=SC2046 # two numbers each
		set -- $(now_ns)
		sleep 2
		# shellcheck disable=SC2046
		set -- "$@" $(now_ns)
		idle=$(work_ns "$@") idle_t=$(($3 - $1))

		srv taskset $APP rr -q 7001 6.5 >/tmp/sink &
		sink=$!
		sleep 0.3
		s0=$(netrx) i0=$(ipis) h0=$(steered) b0=$(rcvbuf_errs)
		# shellcheck disable=SC2046 # two numbers each
		set -- $(now_ns)
		cli taskset $APP rr -Q $SRV4 7001 16 5 6000 >/tmp/source
		sleep 0.2
		# shellcheck disable=SC2046
		set -- "$@" $(now_ns)
		s1=$(netrx) i1=$(ipis) h1=$(steered) b1=$(rcvbuf_errs)
		wait $sink || true
		w=$(work_ns "$@") t=$(($3 - $1))
		recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/sink)
		reord=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/sink)
		sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' /tmp/source)
		awk -v m="$mode" -v r="$r" -v n="$recv" -v w="$w" -v o="$reord" -v s="$((s1 - s0))" \
			-v i="$((i1 - i0))" -v h="$((h1 - h0))" -v sent="$sent" -v t="$t" \
			-v idle="$idle" -v it="$idle_t" -v b="$((b1 - b0))" 'BEGIN {
			printf "NIC mode=%s round=%s flood sent=%d recv=%d rcvbuf_errs=%d instr_per_pkt=%.0f net_per_pkt=%.0f idle_pct=%.2f softirq_per_pkt=%.3f ipi_per_pkt=%.3f hops_per_pkt=%.3f reordered=%d\n",
				m, r, sent, n, b, w / n, (w - idle / it * t) / n, 100 * idle / it, s / n, i / n, h / n, o }'

		# 2 s for the steering to settle with the busy loop, then 5 s
		# measured.
		srv taskset $APP rr -q 7001 8 >/tmp/sink &
		sink=$!
		sleep 0.3
		hog_start 1 >/dev/null
		taskset 2 rr -t 1000 &
		tick=$!
		(cli taskset $APP rr -Q $SRV4 7001 1 7 1200 >/tmp/source1) &
		src1=$!
		(cli taskset $APP rr -Q $SRV4 7001 15 7 800 >/tmp/source2) &
		src2=$!
		sleep 2
		busy >/tmp/b0
		delivered >/tmp/d0
		t0=$(awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime)
		# shellcheck disable=SC2086 # the list of ports
		set -- $LIGHT
		lport=$1
		shift
		LIGHT="$*"
		cli taskset $APP rr -c $SRV4 7000 5 "$lport" >/tmp/light
		t1=$(awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime)
		busy >/tmp/b1
		delivered >/tmp/d1
		wait $src1 || fail "rr -Q: $(cat /tmp/source1)"
		wait $src2 || fail "rr -Q: $(cat /tmp/source2)"
		hog_stop >/dev/null
		kill $tick
		wait $sink || true
		awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' /tmp/b0 /tmp/b1 >/tmp/bd
		awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' /tmp/d0 /tmp/d1 >/tmp/dd
		reord=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/sink)
		recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/sink)
		p50=$(sed -n 's/.*rtt_us_p50=\([0-9.]*\).*/\1/p' /tmp/light)
		p99=$(sed -n 's/.*rtt_us_p99=\([0-9.]*\).*/\1/p' /tmp/light)
		# Usage: busy time over the guest time of the phase, CPUs 0-3.
		# The imbalance is over the CPUs but the busy one, as RSS++
		# reports it.
		awk -v m="$mode" -v r="$r" -v o="$reord" -v recv="$recv" -v t="$((t1 - t0))" \
			-v p50="${p50:--}" -v p99="${p99:--}" '
			FILENAME == "/tmp/bd" { if ($1 < 4) u[$1] = 100 * $2 / t; next }
			$1 < 4 { p[$1] = $2; tot += $2 }
			END {
				for (c = 0; c in u; c++) {
					line = line sprintf(" cpu%d=%.0f%%/%s", c, u[c],
						tot ? sprintf("%.0f%%", 100 * p[c] / tot) : "-")
					if (c == 1) continue
					x = u[c]; s += x; k++
					if (k == 1 || x > mx) mx = x
					if (k == 1 || x < mn) mn = x
				}
				printf "NIC mode=%s round=%s hog recv=%s reordered=%s light_p50_us=%s light_p99_us=%s imb_max_mean=%.2f imb_max_min=%.2f cpu1_share=%s%s\n",
					m, r, recv, o, p50, p99, mx / (s / k), mn ? (mx - mn) / mn : 0,
					tot ? sprintf("%.1f", 100 * p[1] / tot) : "-", line }' /tmp/bd /tmp/dd
		mode_off "$mode"
		ok
	done
done | tee $results

# hook: the instructions psteer's hook takes per datagram when it drives
# the NIC, counted rather than compared across runs (the flood's figures
# move 10-16% from round to round with the softirqs a datagram takes).
# Every datagram passes inline, so psteer's per-packet work is its
# PRE_ROUTING hook, called by nf_hook_slow(); its periodic work is in
# idle_pct. A flood of 3000 datagrams a second for 1 s per function,
# function_graph tracing one function a pass (graph_pass): per call, the
# median of the durations (the mean counts the calls QEMU interrupted to
# run another vCPU, some of them milliseconds), less ktime_get()'s median,
# the tracer's own cost (with ktime_get's few dozen instructions: the
# figure is that much low, and leaves out nf_hook_slow()'s loop around
# the hook). RSS alone shows how often nf_hook_slow() runs without
# psteer. Prints NIC-HOOK lines (per mode and function) and a
# NIC-HOOK-COST line per mode driving the NIC: hook_per_pkt, against
# RSS alone's net_per_pkt (the rounds' median, bench_summary's).
for mode in $MODES; do
	case $mode in
	rss) funcs="ktime_get nf_hook_slow" ;;
	psteer-hw*) funcs="ktime_get nf_hook_slow psteer_hook" ;;
	*) continue ;;
	esac
	step "nic-hook-$mode"
	mode_on "$mode"
	cli taskset $APP rr -u $SRV4 7000 64 2 >/dev/null
	graph_on
	: >/tmp/hook
	for f in $funcs; do
		srv taskset $APP rr -q 7001 2 >/tmp/sink &
		sink=$!
		sleep 0.3
		graph_pass "$f" /tmp/source cli taskset $APP rr -Q $SRV4 7001 16 1 3000 >/tmp/hook-f ||
			: >/tmp/hook-f
		sleep 0.2
		wait $sink || true
		recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/sink)
		awk -v m="$mode" -v n="${recv:-0}" '$2 > 0 && n > 0 {
			printf "NIC-HOOK mode=%s fn=%s calls_per_pkt=%.3f insn_median=%.0f insn_mean=%.0f\n",
				m, $1, $2 / n, $4, $3 / $2 }' /tmp/hook-f | tee -a /tmp/hook
	done
	graph_off
	mode_off "$mode"
	base=$(bench_summary $results NIC rss rss flood net_per_pkt |
		sed -n 's/.* median=\([^ ]*\) .*/\1/p')
	awk -v m="$mode" -v base="${base:-0}" '
		{ for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		  med[f["fn"]] = f["insn_median"]; calls[f["fn"]] = f["calls_per_pkt"] }
		END {
			if (!("psteer_hook" in med) || !("ktime_get" in med)) exit
			add = (med["psteer_hook"] - med["ktime_get"]) * calls["psteer_hook"]
			printf "NIC-HOOK-COST mode=%s hook_per_pkt=%.0f", m, add
			if (base > 0)
				printf " rss_net_per_pkt=%.0f vs_rss=%.4f", base, (base + add) / base
			printf "\n"
		}' /tmp/hook
	ok
done

summary() { bench_summary $results NIC "$MODES" "rss" "$@"; }
# adjusted: the flood's net_per_pkt of the modes with no software hop at
# the same softirqs per datagram. A NET_RX softirq (a poll and what comes
# with it: the interrupt, the refill) costs the same whatever the mode,
# spread over the datagrams it takes; how many one takes depends on when
# QEMU runs each vCPU, so it moves from round to round (0.56 to 0.97 for
# RSS alone in two boots of 2026-12-06) and the cost per datagram with
# it. A line per mode through each mode's rounds, one slope for all
# (least squares), compared at RSS's mean softirqs per datagram: the
# intercepts differ by what a mode adds per datagram. Not for rps and
# psteer-sw, whose softirqs are their hops, part of their cost.
adjusted() {
	# shellcheck disable=SC2016 # awk's program
	awk -v modes="$MODES" 'BEGIN { k = split(modes, ms, " ")
			for (i = 1; i <= k; i++) if (ms[i] != "rps" && ms[i] != "psteer-sw") use[ms[i]] = 1 }
		$1 == "NIC" && $4 == "flood" {
			split($2, a, "="); m = a[2]
			if (!(m in use)) next
			for (i = 5; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
			n[m]++; x[m, n[m]] = f["softirq_per_pkt"]; y[m, n[m]] = f["net_per_pkt"]
			sx[m] += x[m, n[m]]; sy[m] += y[m, n[m]]
		}
		END {
			if (!n["rss"]) exit
			for (m in n) {
				mx[m] = sx[m] / n[m]; my[m] = sy[m] / n[m]
				for (j = 1; j <= n[m]; j++) {
					d = x[m, j] - mx[m]
					sxx += d * d
					sxy += d * (y[m, j] - my[m])
				}
			}
			if (sxx <= 0) exit
			b = sxy / sxx; x0 = mx["rss"]; base = my["rss"]
			for (i = 1; i <= k; i++) {
				m = ms[i]
				if (!(m in n)) continue
				v = my[m] + b * (x0 - mx[m])
				printf "NIC-ADJUSTED flood net_per_pkt %-16s at_softirq_per_pkt=%.3f value=%.0f vs_rss=%.3f slope=%.0f rounds=%d\n",
					m, x0, v, v / base, b, n[m]
			}
		}' $results
}
summary flood instr_per_pkt
bench_paired $results NIC "$MODES" rss flood instr_per_pkt
summary flood net_per_pkt
bench_paired $results NIC "$MODES" rss flood net_per_pkt
adjusted
summary flood idle_pct
summary flood sent
summary flood softirq_per_pkt
summary flood ipi_per_pkt
summary flood hops_per_pkt
summary flood reordered
summary hog light_p99_us
summary hog imb_max_mean
summary hog imb_max_min
summary hog cpu1_share
summary hog reordered
echo "nicbench: done"
