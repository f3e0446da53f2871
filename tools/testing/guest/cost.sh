# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# What a packet costs, by receive mode, in one boot: runs inside the test
# VM as /psteer/run.sh, booted by tools/testing/bench/cost.sh (make bench)
# under QEMU's -icount shift=0,sleep=off, where guest time advances one
# nanosecond per guest instruction executed: a rate in guest time is the
# inverse of the instructions spent per unit of work, by all CPUs together
# (one vCPU runs at a time). A benchmark, not a test: it prints numbers
# and fails only when a run fails.
#
# Usage: no arguments; settings PSTEER_GUEST_ROUNDS (default 3) and
# PSTEER_GUEST_SECS (default 4, guest seconds per measurement).
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#
# Modes: none (no steering: every packet on CPU 0, where veth1 receives),
# rps (veth1's RPS map over CPUs 0-3), psteer (siphash, rebalancing on),
# psteer-toeplitz (hash=toeplitz), psteer-static (rebalance_ms=0).
# Per mode and round:
#   udp_rr   64 UDP flows, 400 request/echo transactions each, one in
#            flight (rr -u): transactions per guest second, so
#            instructions per transaction (two packets, one each way),
#            and NET_RX softirqs and function-call IPIs per transaction
#   flood    sequenced UDP datagrams from 64 ports as fast as the sender
#            goes (rr -Q), counted by a sink (rr -q): received per guest
#            second, and how many arrived out of order
#   tcp_rr   one TCP request/response connection (rr -c, local port
#            40000): transactions per guest second and the round trip's
#            mean and p99, alone and with a busy loop on the CPU that RPS
#            gives this flow (found at setup); the client runs elsewhere
# Prints COST lines, one per run, and COST-SUMMARY lines: medians, the
# spread (max-min over median) and ratios against rps and none.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

ROUNDS=${PSTEER_GUEST_ROUNDS:-3}
SECS=${PSTEER_GUEST_SECS:-4}
MODES="none rps psteer psteer-toeplitz psteer-static"

mode_on() {
	case $1 in
	none) ;;
	rps) srv sh -c 'echo f >/sys/class/net/veth1/queues/rx-0/rps_cpus' ;;
	psteer) x insmod $KO ;;
	psteer-toeplitz) x insmod $KO hash=toeplitz ;;
	psteer-static) x insmod $KO rebalance_ms=0 ;;
	esac
}

mode_off() {
	case $1 in
	none) ;;
	rps) srv sh -c 'echo 1 >/sys/class/net/veth1/queues/rx-0/rps_cpus' ;;
	psteer*) x rmmod psteer ;;
	esac
}

# now: guest seconds since boot, to 10 ms.
now() { cut -d' ' -f1 /proc/uptime; }
# netrx: NET_RX softirqs so far, all CPUs.
netrx() { awk '$1 == "NET_RX:" { for (i = 2; i <= NF; i++) n += $i } END { print n }' /proc/softirqs; }
# ipis: function call interrupts so far, all CPUs.
ipis() { awk '$1 == "CAL:" { for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) n += $i } END { print n + 0 }' /proc/interrupts; }

hog_start() {
	taskset $((1 << HOGCPU)) sh -c 'while :; do :; done' &
	HOG=$!
}

hog_stop() {
	kill "$HOG"
	wait "$HOG" 2>/dev/null || true
}

step setup
setup_netns
x srv rr -s 7000 &
sleep 1
# The CPU that RPS (map f) gives the light TCP flow (fixed local port
# 40000, so the same flow in every mode): the busy loop goes there. The
# client runs on another CPU, so that only where its packets are handled
# differs between modes.
srv sh -c 'echo f >/sys/class/net/veth1/queues/rx-0/rps_cpus'
awk '{ print NR - 1, $10 }' /proc/net/softnet_stat >/tmp/rps0
cli rr -c $SRV4 7000 1 40000 >/dev/null
awk '{ print NR - 1, $10 }' /proc/net/softnet_stat >/tmp/rps1
srv sh -c 'echo 1 >/sys/class/net/veth1/queues/rx-0/rps_cpus'
HOGCPU=$(awk 'NR == FNR { a[$1] = $2; next } { d = $2 - a[$1]; if (d > m) { m = d; c = $1 } } END { print c + 0 }' /tmp/rps0 /tmp/rps1)
CLICPU=$(((HOGCPU + 1) % 4))
echo "RPS sends the light flow to CPU $HOGCPU: the busy loop runs there, the client on CPU $CLICPU"
ok

results=/tmp/cost.txt
: >$results
for r in $(seq 1 "$ROUNDS"); do
	for mode in $MODES; do
		step "cost-$mode-$r"
		mode_on "$mode"
		# Warm up: neighbours, conntrack-free paths, connection entries.
		cli rr -u $SRV4 7000 64 2 >/dev/null

		s0=$(netrx) i0=$(ipis) t0=$(now)
		out=$(cli rr -u $SRV4 7000 64 400)
		t1=$(now) s1=$(netrx) i1=$(ipis)
		n=$(echo "$out" | sed -n 's/.*recv=\([0-9]*\).*/\1/p')
		awk -v m="$mode" -v r="$r" -v n="$n" -v s="$((s1 - s0))" \
			-v i="$((i1 - i0))" -v t0="$t0" -v t1="$t1" 'BEGIN {
			d = t1 - t0
			printf "COST mode=%s round=%s udp_rr tps=%.0f insn_per_trans=%.0f softirq_per_trans=%.2f ipi_per_trans=%.2f\n",
				m, r, n / d, d * 1e9 / n, s / n, i / n }'
		echo "$out" | sed 's/^/  /'

		srv rr -q 9000 $((SECS + 2)) >/tmp/seq.txt &
		SINK=$!
		sleep 0.5
		cli rr -Q $SRV4 9000 64 "$SECS" >/tmp/seq-src.txt
		wait $SINK || true
		recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/seq.txt)
		sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' /tmp/seq-src.txt)
		reord=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/seq.txt)
		awk -v m="$mode" -v r="$r" -v n="$recv" -v sent="$sent" -v o="$reord" -v d="$SECS" 'BEGIN {
			printf "COST mode=%s round=%s flood pps=%.0f sent=%s recv=%s reordered=%s\n",
				m, r, n / d, sent, n, o }'

		rr1=$(cli taskset $((1 << CLICPU)) rr -c $SRV4 7000 "$SECS" 40000)
		hog_start
		rr2=$(cli taskset $((1 << CLICPU)) rr -c $SRV4 7000 "$SECS" 40000)
		hog_stop
		for v in "alone $rr1" "hog $rr2"; do
			echo "$v" | awk -v m="$mode" -v r="$r" '{
				for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
				printf "COST mode=%s round=%s tcp_rr_%s tps=%s rtt_us_mean=%s rtt_us_p99=%s\n",
					m, r, $1, f["tps"], f["rtt_us_mean"], f["rtt_us_p99"] }'
		done
		mode_off "$mode"
		ok
	done
done | tee $results

# summary METRIC FIELD: per mode, the median of FIELD over the COST lines
# of METRIC, the spread, and the ratio against rps and none.
summary() {
	awk -v metric="$1" -v field="$2" '
		$1 == "COST" && $4 == metric {
			split($2, a, "="); mode = a[2]
			for (i = 5; i <= NF; i++) {
				split($i, kv, "=")
				if (kv[1] == field) v[mode, ++n[mode]] = kv[2] + 0
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
			split("none rps psteer psteer-toeplitz psteer-static", ms, " ")
			for (i = 1; i <= 5; i++) if (n[ms[i]]) med[ms[i]] = median(ms[i])
			for (i = 1; i <= 5; i++) {
				m = ms[i]
				if (!n[m]) continue
				printf "COST-SUMMARY %s %s %-16s median=%.4g spread=%.1f%% vs_rps=%.3f vs_none=%.3f\n",
					metric, field, m, med[m],
					med[m] ? 100 * (hi[m] - lo[m]) / med[m] : 0,
					med["rps"] ? med[m] / med["rps"] : 0,
					med["none"] ? med[m] / med["none"] : 0
			}
		}' $results
}
summary udp_rr insn_per_trans
summary udp_rr ipi_per_trans
summary udp_rr softirq_per_trans
summary flood pps
summary tcp_rr_alone tps
summary tcp_rr_hog rtt_us_p99
summary tcp_rr_hog rtt_us_mean
echo "cost: done"
