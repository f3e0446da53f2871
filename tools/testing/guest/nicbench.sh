# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# initramfs-modules: virtio_pci virtio_net
# What steering costs and buys on a NIC with RSS, by mode, in one boot:
# runs inside the test VM as /psteer/run.sh, booted by
# tools/testing/bench/nic.sh under QEMU's -icount shift=0,sleep=off with
# the NIC topology (nic.sh's: eth0 with 4 queues, queue N's interrupt on
# CPU N, the host's rr in a namespace of the host). A benchmark, not a
# test: it prints numbers and fails only when a run fails.
#
# Usage: no arguments; PSTEER_GUEST_ROUNDS (default 3) and
# PSTEER_GUEST_MODES (colon-separated; default all) tune it.
#
#   rss        the NIC's RSS alone, its table as the driver set it
#   rps        RSS, and RPS map f on every queue
#   psteer-sw  RSS, and psteer steering in software
#   psteer-hw  psteer driving the NIC's table (psteer device eth0 hardware)
# The guest's programs (the echo server, the sequence sink) run on CPU 0.
# Per mode and round:
#   udp_rr   64 UDP flows from the host, 200 request/echo transactions
#            each, one in flight (host rr -u): the guest's busy time per
#            transaction (under icount busy nanoseconds are instructions;
#            two CPUs busy at once both count, so it is an upper bound);
#            the same less what the mode costs with no traffic, measured
#            just before over 3 s (net_ns_per_trans: the host paces the
#            transactions, and an idle guest's clock jumps to its next
#            timer, so guest time per transaction, and the background
#            work in it, depend on the mode's timers); NET_RX softirqs,
#            function-call IPIs and packets psteer steered to another CPU,
#            per transaction
#   hog      a busy loop on CPU 1 while the host sends sequenced UDP
#            (rr -Q, 16 flows, 2000 datagrams a second, 5 s): each CPU's
#            usage/share of the packets ("cpuN=U%/S%": the CPU that
#            delivered them, psteer's inline + drained, or the NIC's poll
#            without psteer; "-" with RPS, which softnet_stat counts on
#            both CPUs), the other CPUs' usage max/mean and (max-min)/min,
#            and datagrams reordered
# Prints NIC lines, one per run, and NIC-SUMMARY lines: medians, spread,
# ratios against rss.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

ROUNDS=${PSTEER_GUEST_ROUNDS:-3}
ALL_MODES="rss rps psteer-sw psteer-hw"
MODES=$(bench_modes nicbench "$ALL_MODES")

rps_map() {
	local q
	for q in "/sys/class/net/$DEV/queues/rx-"*/rps_cpus; do
		echo "$1" >"$q"
	done
}

mode_on() {
	# The RSS configuration sent again: QEMU flushes its tap queues.
	ethtool -X $DEV equal 4
	case $1 in
	rss) ;;
	rps) rps_map f ;;
	psteer-sw) x insmod "$KO" ;;
	psteer-hw)
		x insmod "$KO"
		x psteer device $DEV hardware
		# psteer learns each queue's CPU from these, then rewrites.
		host rr -u $ME 7000 64 2 >/dev/null
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
steered() {
	if [ -f /proc/net/psteer/cpus ]; then
		awk 'NR > 1 { n += $4 } END { print n + 0 }' /proc/net/psteer/cpus
	else
		echo 0
	fi
}
# delivered: "cpu packets" per CPU: psteer's inline + drained; without
# psteer the NIC's poll (softnet_stat's processed); nothing with RPS, where
# processed counts a moved packet on both CPUs.
delivered() {
	if [ -f /proc/net/psteer/cpus ]; then
		awk 'NR > 1 { print $1, $3 + $5 }' /proc/net/psteer/cpus
	elif [ "$(cat /sys/class/net/$DEV/queues/rx-0/rps_cpus)" = 0 ]; then
		softnet_col 1
	fi
}
# busy_delta: busy time of all CPUs between /tmp/b0 and /tmp/b1.
busy_delta() {
	awk 'NR == FNR { a[$1] = $2; next } { t += $2 - a[$1] } END { printf "%.0f\n", t }' /tmp/b0 /tmp/b1
}
# uptime_ns: guest time, /proc/uptime's 1/100 s.
uptime_ns() { awk '{ printf "%.0f\n", $1 * 1e9 }' /proc/uptime; }

step setup
nic_setup
taskset 1 rr -s 7000 &
ok

results=/tmp/nicbench.txt
: >$results
for r in $(seq 1 "$ROUNDS"); do
	for mode in $MODES; do
		step "nic-$mode-$r"
		mode_on "$mode"
		host rr -u $ME 7000 64 2 >/dev/null

		# What the mode costs with no traffic (psteer's sampler, rounds
		# and timers; the ticks), per guest second.
		busy >/tmp/b0
		t0=$(uptime_ns)
		sleep 3
		busy >/tmp/b1
		t1=$(uptime_ns)
		bg=$(busy_delta)
		bgt=$((t1 - t0))

		busy >/tmp/b0
		t0=$(uptime_ns)
		s0=$(netrx) i0=$(ipis) h0=$(steered)
		out=$(host rr -u $ME 7000 64 200) || fail "host rr -u: $out"
		busy >/tmp/b1
		t1=$(uptime_ns)
		s1=$(netrx) i1=$(ipis) h1=$(steered)
		n=$(echo "$out" | sed -n 's/.*recv=\([0-9]*\).*/\1/p')
		awk -v m="$mode" -v r="$r" -v n="$n" -v ns="$(busy_delta)" -v t="$((t1 - t0))" \
			-v bg="$bg" -v bgt="$bgt" -v s="$((s1 - s0))" \
			-v i="$((i1 - i0))" -v h="$((h1 - h0))" 'BEGIN {
			printf "NIC mode=%s round=%s udp_rr trans=%d busy_ns_per_trans=%.0f idle_busy_pct=%.2f net_ns_per_trans=%.0f guest_us_per_trans=%.0f softirq_per_trans=%.2f ipi_per_trans=%.2f hops_per_trans=%.2f\n",
				m, r, n, ns / n, 100 * bg / bgt, (ns - bg / bgt * t) / n,
				t / n / 1000, s / n, i / n, h / n }'

		taskset 1 rr -q 7001 7 >/tmp/sink &
		sink=$!
		sleep 0.3
		hog_start 1 >/dev/null
		busy >/tmp/b0
		delivered >/tmp/d0
		t0=$(uptime_ns)
		src=$(host rr -Q $ME 7001 16 5 2000) || fail "host rr -Q: $src"
		t1=$(uptime_ns)
		busy >/tmp/b1
		delivered >/tmp/d1
		hog_stop >/dev/null
		wait $sink || true
		awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' /tmp/b0 /tmp/b1 >/tmp/bd
		awk 'NR == FNR { a[$1] = $2; next } { print $1, $2 - a[$1] }' /tmp/d0 /tmp/d1 >/tmp/dd
		reord=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/sink)
		recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/sink)
		# Usage: busy time over the guest time of the phase. The
		# imbalance is over the CPUs but the busy one, as RSS++ reports it.
		awk -v m="$mode" -v r="$r" -v o="$reord" -v recv="$recv" -v t="$((t1 - t0))" '
			FILENAME == "/tmp/bd" { u[$1] = 100 * $2 / t; next }
			{ p[$1] = $2; tot += $2 }
			END {
				for (c = 0; c in u; c++) {
					line = line sprintf(" cpu%d=%.0f%%/%s", c, u[c],
						tot ? sprintf("%.0f%%", 100 * p[c] / tot) : "-")
					if (c == 1) continue
					x = u[c]; s += x; k++
					if (k == 1 || x > mx) mx = x
					if (k == 1 || x < mn) mn = x
				}
				printf "NIC mode=%s round=%s hog recv=%s reordered=%s imb_max_mean=%.2f imb_max_min=%.2f cpu1_share=%s%s\n",
					m, r, recv, o, mx / (s / k), mn ? (mx - mn) / mn : 0,
					tot ? sprintf("%.1f", 100 * p[1] / tot) : "-", line }' /tmp/bd /tmp/dd
		mode_off "$mode"
		ok
	done
done | tee $results

summary() { bench_summary $results NIC "$MODES" "rss" "$@"; }
summary udp_rr busy_ns_per_trans
summary udp_rr net_ns_per_trans
summary udp_rr guest_us_per_trans
summary udp_rr ipi_per_trans
summary udp_rr softirq_per_trans
summary udp_rr hops_per_trans
summary hog imb_max_mean
summary hog imb_max_min
summary hog cpu1_share
summary hog reordered
echo "nicbench: done"
