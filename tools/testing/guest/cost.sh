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
# Usage: no arguments; settings PSTEER_GUEST_ROUNDS (default 3),
# PSTEER_GUEST_SECS (default 4, guest seconds per measurement) and
# PSTEER_GUEST_MODES (modes to run, colon-separated; default all).
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#
# Both veth ends stand for a single-queue NIC whose interrupt is on CPU 0
# (setup_netns: RPS map 1), and the programs that send run on CPU 0 too,
# so every packet arrives on CPU 0 with no hop of its own. From there:
#   none             no steering: everything on CPU 0
#   rps              RPS map f on both ends (psteer steers in both
#                    namespaces): one hop to the hashed CPU
#   psteer           siphash, rebalancing on: one hop to the bucket's owner
#                    when that is not CPU 0
#   psteer-toeplitz  hash=toeplitz
#   psteer-static    rebalance_ms=0
#   psteer-inline    cpus=0: CPU 0 owns every bucket, every packet passes
#                    inline (psteer's cost over none without any hop)
#   rps-away         RPS map e on both ends: every packet hops from CPU 0
#                    to one of CPUs 1-3
#   psteer-away      cpus=1-3 rebalance_ms=0: every packet hops from CPU 0
#                    to its bucket's owner, one of CPUs 1-3
# The first modes hop as their hashes and owners fall (RPS by the flow
# dissector's hash of a UDP packet or a TCP socket's random txhash, psteer
# by its random key and by its rebalancer, which moves buckets off the
# busy CPU 0): their ratios mix the cost of a hop
# with how many packets hop. The -away modes make every packet hop in
# both: psteer-away against rps-away is the cost of a steered packet.
# Per mode and round:
#   udp_rr   64 UDP flows, 400 request/echo transactions each, one in
#            flight (rr -u): transactions per guest second, so
#            instructions per transaction (two packets, one each way),
#            and NET_RX softirqs and function-call IPIs per transaction
#   flood    sequenced UDP datagrams from 64 ports as fast as the sender
#            goes (rr -Q), counted by a sink (rr -q): received per guest
#            second, how many the sink's socket, the CPUs' backlogs and
#            psteer's bucket queues dropped, and how many arrived out
#            of order
#   tcp_rr   one TCP request/response connection (rr -c):
#            transactions per guest second and the round trip's mean,
#            p50, p99 and p999, alone and then, on the same connection,
#            with a busy loop on the CPU other than 0 that took most of
#            its packets while alone (RPS picks it by the socket's random
#            txhash, psteer by the bucket's owner), and in that
#            second phase the busy CPU's NET_RX softirqs per transaction:
#            how much of the flow it still took. A timer loop
#            (ticker_start) runs beside the busy loop (every 50 us), and
#            on CPUs 1-3 beside the elephants below (every 1 ms: with
#            50 us loops there psteer's rebalancer left the light flow
#            on X in 2 rounds of 5; see Documentation/psteer.rst,
#            "Cost"): without them QEMU keeps a vCPU that
#            never idles for its whole 4 ms tick, and the light flow's
#            round trips measured those turns (12-16 ms p50 with the
#            busy loop in every steering mode), not the steering
#   tcp_rr_elephant  a new light TCP connection (rr -c), alone, then with
#            UDP elephants aimed at the CPU that took its packets, so
#            that CPU is busy with packets, not with a program (see
#            elephant_phase): the second phase's round trips, that CPU's
#            NET_RX softirqs and the backlogs' drops per transaction
# Prints COST lines, one per run, and COST-SUMMARY lines: medians, the
# spread (max-min over median) and ratios against rps and none; first,
# when /psteer/psteer_bench.ko is there, its PSTEER-BENCH lines: the
# instructions per call of each piece of the hot path.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

ROUNDS=${PSTEER_GUEST_ROUNDS:-3}
SECS=${PSTEER_GUEST_SECS:-4}
ALL_MODES="none rps psteer psteer-toeplitz psteer-static psteer-inline rps-away psteer-away"
MODES=$(bench_modes cost "$ALL_MODES")

mode_on() {
	case $1 in
	none) ;;
	rps) nic_queue f ;;
	rps-away) nic_queue e ;;
	psteer) x insmod $KO ;;
	psteer-away) x insmod $KO cpus=1-3 rebalance_ms=0 ;;
	psteer-toeplitz) x insmod $KO hash=toeplitz ;;
	psteer-static) x insmod $KO rebalance_ms=0 ;;
	psteer-inline) x insmod $KO cpus=0 ;;
	esac
}

mode_off() {
	case $1 in
	none) ;;
	rps*) nic_queue 1 ;;
	psteer*) x rmmod psteer ;;
	esac
}


# elephant_phase MODE ROUND: a light TCP connection (rr -c), alone, then
# beside UDP elephants whose packets go to the CPU that took its packets
# (CPU X, the busiest of CPUs 1-3 while it ran alone; the connection is
# made again, up to 3 times, while that CPU took fewer softirqs than a
# quarter of its transactions). One elephant is sent from each of the two
# other CPUs of 1-3, as fast as its sender goes, to a port with no
# socket (the receiver's work ends in the UDP lookup: the elephants
# overload X, not a program). Each is started again (a new socket: a new
# random hash for RPS, a new source port for psteer) until X takes more
# of its NET_RX softirqs than any CPU but 0 and its sender's, at most 20
# tries each; one found is stopped (SIGSTOP) while the next is tried
# alone, and all go on together. RPS then queues the light flow's
# packets behind the elephants' in X's backlog, and drops them when it is
# full; psteer, as X's load passes the others', moves buckets off it
# (claim 5). 1 s after, the second phase measures the light flow for
# SECS: its round trips, X's NET_RX softirqs per transaction (how much of
# the flow it still took) and the packets the backlogs dropped per
# transaction (softnet_stat). With no such CPU X (the modes where every
# packet stays on CPU 0, or a light flow that did not leave it) or
# elephants not all placed, the round trips are "-" (aimed=0).
ELEPHANTS=2
elephant_phase() {
	local m=$1 r=$2 x="" t=0 got=0 tries c p q old kept="" busy drops rr1 rr2 n lr
	while [ -z "$x" ] && [ $t -lt 3 ]; do
		t=$((t + 1))
		netrx_cpus >/tmp/netrx0
		# Emptied here: the job's own redirection may come after the
		# wait below has read the last run's lines (see has_lines).
		: >/tmp/rre.txt
		cli taskset 1 rr -c $SRV4 7000 "$SECS" 0 2 >/tmp/rre.txt &
		lr=$!
		wait_for 600 "rr -c's first phase not over" has_lines /tmp/rre.txt 2 "$lr"
		n=$(sed -n '1s/.*transactions=\([0-9]*\).*/\1/p' /tmp/rre.txt)
		# shellcheck disable=SC2046 # "CPU GROWTH"
		set -- $(busiest_since /tmp/netrx0)
		if [ "$(($2 * 4))" -ge "${n:-1}" ] && [ "$2" != 0 ]; then
			x=$1
		else
			kill "$(sed -n 's/^rr: waiting.* pid=//p' /tmp/rre.txt)"
			wait "$lr" 2>/dev/null || true
		fi
	done
	if [ -z "$x" ]; then
		echo "the light flow stayed on CPU 0: no elephants"
		echo "COST mode=$m round=$r tcp_rr_elephant tps=- rtt_us_p50=- rtt_us_p99=- rtt_us_p999=- rtt_us_max=- alone_p99=- aimed=0 busy_softirq_per_trans=- drops_per_trans=-"
		return 0
	fi
	for c in 1 2 3; do
		[ "$c" != "$x" ] || continue
		tries=0
		while [ $tries -lt 20 ]; do
			tries=$((tries + 1))
			netrx_cpus >/tmp/netrx0
			old=$(pidof rr)
			cli taskset $((1 << c)) rr -Q $SRV4 9001 1 $((SECS * 10 + 30)) >/dev/null &
			sleep 0.3
			# The rr that was not there before (the initramfs has no
			# pgrep): the one just started.
			p=$(for q in $(pidof rr); do
				case " $old " in *" $q "*) ;; *) echo "$q" ;; esac
			done)
			[ -n "$p" ] || fail "the elephant's rr -Q did not start"
			# shellcheck disable=SC2046 # "CPU GROWTH"
			set -- $(busiest_since /tmp/netrx0 "$c")
			if [ "$1" = "$x" ] && [ "$2" -ge 30 ]; then
				got=$((got + 1))
				kill -STOP "$p"
				kept="$kept $p"
				break
			fi
			kill "$p"
		done
	done
	for p in $kept; do
		kill -CONT "$p"
	done
	echo "elephants on CPU $x: $got of $ELEPHANTS"
	ticker_start 1000 1 2 3
	sleep 1
	netrx_cpus >/tmp/netrx1
	drops=$(backlog_drops)
	kill -USR1 "$(sed -n 's/^rr: waiting.* pid=//p' /tmp/rre.txt)"
	wait_exit $((SECS * 100)) "rr -c's second phase not over" "$lr" ||
		fail "rr -c failed beside the elephants"
	busy=$(netrx_since /tmp/netrx1 "$x")
	drops=$(($(backlog_drops) - drops))
	ticker_stop
	# shellcheck disable=SC2086 # pids
	[ -z "$kept" ] || kill $kept
	rr1=$(grep '^rr: trans' /tmp/rre.txt | sed -n 1p)
	rr2=$(grep '^rr: trans' /tmp/rre.txt | sed -n 2p)
	echo "$rr2" | awk -v m="$m" -v r="$r" -v busy="${busy:-0}" -v drops="$drops" \
		-v aimed="$([ $got = $ELEPHANTS ] && echo 1 || echo 0)" -v alone="$rr1" '{
		for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		n = split(alone, a, " ")
		for (i = 2; i <= n; i++) { split(a[i], kv, "="); g[kv[1]] = kv[2] }
		if (!aimed)
			f["rtt_us_p50"] = f["rtt_us_p99"] = f["rtt_us_p999"] = f["rtt_us_max"] = "-"
		t = f["transactions"]
		printf "COST mode=%s round=%s tcp_rr_elephant tps=%s rtt_us_p50=%s rtt_us_p99=%s rtt_us_p999=%s rtt_us_max=%s alone_p99=%s aimed=%d busy_softirq_per_trans=%.3f drops_per_trans=%.1f\n",
			m, r, f["tps"], f["rtt_us_p50"], f["rtt_us_p99"], f["rtt_us_p999"], f["rtt_us_max"],
			g["rtt_us_p99"], aimed, t ? busy / t : 0, t ? drops / t : 0 }'
}

step setup
setup_netns
x srv taskset 1 rr -s 7000 &
sleep 1
ok

# The pieces of the hot path, one by one (tools/testing/bench/pieces/),
# on one idle CPU, before anything else runs.
if [ -f /psteer/psteer_bench.ko ]; then
	step pieces
	x taskset 2 insmod /psteer/psteer_bench.ko
	dmesg | sed -n 's/.*\(PSTEER-BENCH .*\)/\1/p'
	x rmmod psteer_bench
	ok
fi

results=/tmp/cost.txt
: >$results
for r in $(seq 1 "$ROUNDS"); do
	for mode in $MODES; do
		step "cost-$mode-$r"
		mode_on "$mode"
		# Warm up: neighbours, conntrack-free paths, connection entries.
		cli taskset 1 rr -u $SRV4 7000 64 2 >/dev/null

		s0=$(netrx) i0=$(ipis)
		out=$(cli taskset 1 rr -u $SRV4 7000 64 400)
		s1=$(netrx) i1=$(ipis)
		n=$(echo "$out" | sed -n 's/.*recv=\([0-9]*\).*/\1/p')
		d=$(echo "$out" | sed -n 's/.*secs=\([0-9.]*\).*/\1/p')
		awk -v m="$mode" -v r="$r" -v n="$n" -v s="$((s1 - s0))" \
			-v i="$((i1 - i0))" -v d="$d" 'BEGIN {
			printf "COST mode=%s round=%s udp_rr tps=%.0f insn_per_trans=%.0f softirq_per_trans=%.2f ipi_per_trans=%.2f\n",
				m, r, n / d, d * 1e9 / n, s / n, i / n }'
		echo "$out" | sed 's/^/  /'

		srv taskset 1 rr -q 9000 $((SECS + 2)) >/tmp/seq.txt &
		SINK=$!
		sleep 0.5
		d0="$(rcvbuf_errs) $(backlog_drops) $(psteer_total 6)"
		cli taskset 1 rr -Q $SRV4 9000 64 "$SECS" >/tmp/seq-src.txt
		wait $SINK || true
		recv=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/seq.txt)
		sent=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' /tmp/seq-src.txt)
		reord=$(sed -n 's/.*reordered=\([0-9]*\).*/\1/p' /tmp/seq.txt)
		# shellcheck disable=SC2046,SC2086 # three numbers each
		set -- $d0 $(rcvbuf_errs) $(backlog_drops) $(psteer_total 6)
		awk -v m="$mode" -v r="$r" -v n="$recv" -v sent="$sent" -v o="$reord" -v d="$SECS" \
			-v sk="$(($4 - $1))" -v bl="$(($5 - $2))" -v ps="$(($6 - $3))" 'BEGIN {
			printf "COST mode=%s round=%s flood pps=%.0f sent=%s recv=%s socket_drops=%d backlog_drops=%d psteer_drops=%d reordered=%s\n",
				m, r, n / d, sent, n, sk, bl, ps, o }'

		# The light TCP flow: one connection, alone, then with a busy
		# loop on the CPU that took its packets in the first phase
		# (CPU 1 if they all stayed on CPU 0, the application's).
		netrx_cpus >/tmp/netrx0
		: >/tmp/rr.txt	# see the elephant phase's
		cli taskset 1 rr -c $SRV4 7000 "$SECS" 0 2 >/tmp/rr.txt &
		RR=$!
		wait_for 600 "rr -c's first phase not over" has_lines /tmp/rr.txt 2 $RR
		# shellcheck disable=SC2046 # "CPU GROWTH"
		set -- $(busiest_since /tmp/netrx0)
		echo "the light flow's packets: $2 NET_RX softirqs on CPU $1, the most of CPUs 1-3: the busy loop runs there"
		hog_start "$1"
		ticker_start 50 "$1"
		netrx_cpus >/tmp/netrx1
		# rr itself: $! is the shell that runs cli.
		kill -USR1 "$(sed -n 's/^rr: waiting.* pid=//p' /tmp/rr.txt)"
		wait_exit $((SECS * 100)) "rr -c's second phase not over" $RR ||
			fail "rr -c failed"
		# The busy CPU's NET_RX softirqs in the second phase: the
		# light flow's packets it still took.
		busy=$(netrx_since /tmp/netrx1 "$1")
		ticker_stop
		hog_stop
		rr1=$(grep '^rr: trans' /tmp/rr.txt | sed -n 1p)
		rr2=$(grep '^rr: trans' /tmp/rr.txt | sed -n 2p)
		for v in "alone $rr1" "hog $rr2"; do
			echo "$v" | awk -v m="$mode" -v r="$r" -v busy="$busy" '{
				for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
				printf "COST mode=%s round=%s tcp_rr_%s tps=%s rtt_us_mean=%s rtt_us_p50=%s rtt_us_p99=%s rtt_us_p999=%s",
					m, r, $1, f["tps"], f["rtt_us_mean"], f["rtt_us_p50"], f["rtt_us_p99"], f["rtt_us_p999"]
				if ($1 == "hog")
					printf " busy_softirq_per_trans=%.3f", f["transactions"] ? busy / f["transactions"] : 0
				printf "\n" }'
		done

		elephant_phase "$mode" "$r"
		mode_off "$mode"
		ok
	done
done | tee $results

summary() { bench_summary $results COST "$MODES" "rps none rps-away" "$@"; }
summary udp_rr insn_per_trans
summary udp_rr ipi_per_trans
summary udp_rr softirq_per_trans
summary flood pps
summary tcp_rr_alone tps
summary tcp_rr_alone rtt_us_p50
summary tcp_rr_alone rtt_us_p99
summary tcp_rr_hog rtt_us_p50
summary tcp_rr_hog rtt_us_p99
summary tcp_rr_hog rtt_us_p999
summary tcp_rr_hog busy_softirq_per_trans
summary tcp_rr_elephant rtt_us_p50
summary tcp_rr_elephant rtt_us_p99
summary tcp_rr_elephant rtt_us_p999
summary tcp_rr_elephant busy_softirq_per_trans
summary tcp_rr_elephant drops_per_trans
echo "cost: done"
