# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# initramfs-modules: virtio_pci virtio_net
# What steering does on a NIC with RSS, by mode, in one boot: runs inside
# the test VM as /psteer/run.sh, booted by tools/testing/bench/nic.sh with
# the NIC topology (nic.sh's: eth0 with 4 queues, queue N's interrupt on
# CPU N, the host's rr in a namespace of the host), under plain TCG: it
# counts events and shares, not instructions. Under -icount the host,
# which paces the traffic, runs outside guest time, and the guest's busy
# time per transaction varied from 24,000 to 41,000 ns between two rounds
# of the same mode, so this benchmark does not claim a cost per packet.
# A benchmark, not a test: it prints numbers and fails only when a run
# fails.
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
#            each, one in flight (host rr -u): NET_RX softirqs,
#            function-call IPIs and packets psteer steered to another CPU
#            (a hop: a queue, an IPI, a drain), per transaction
#   hog      a busy loop on CPU 1 while the host sends sequenced UDP
#            (rr -Q, 16 flows, 2000 datagrams a second, 7 s; the last 5 s
#            measured, after 2 s for the steering to settle): each CPU's
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

		s0=$(netrx) i0=$(ipis) h0=$(steered)
		out=$(host rr -u $ME 7000 64 200) || fail "host rr -u: $out"
		s1=$(netrx) i1=$(ipis) h1=$(steered)
		n=$(echo "$out" | sed -n 's/.*recv=\([0-9]*\).*/\1/p')
		awk -v m="$mode" -v r="$r" -v n="$n" -v s="$((s1 - s0))" \
			-v i="$((i1 - i0))" -v h="$((h1 - h0))" 'BEGIN {
			printf "NIC mode=%s round=%s udp_rr trans=%d softirq_per_trans=%.2f ipi_per_trans=%.2f hops_per_trans=%.2f\n",
				m, r, n, s / n, i / n, h / n }'

		# 2 s for the steering to settle with the busy loop, then 5 s
		# measured.
		taskset 1 rr -q 7001 9 >/tmp/sink &
		sink=$!
		sleep 0.3
		hog_start 1 >/dev/null
		(host rr -Q $ME 7001 16 7 2000 >/tmp/source) &
		src=$!
		sleep 2
		busy >/tmp/b0
		delivered >/tmp/d0
		t0=$(uptime_ns)
		sleep 5
		t1=$(uptime_ns)
		busy >/tmp/b1
		delivered >/tmp/d1
		wait $src || fail "host rr -Q: $(cat /tmp/source)"
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
summary udp_rr ipi_per_trans
summary udp_rr softirq_per_trans
summary udp_rr hops_per_trans
summary hog imb_max_mean
summary hog imb_max_min
summary hog cpu1_share
summary hog reordered
echo "nicbench: done"
