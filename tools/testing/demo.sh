#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Demo: RPS and psteer side by side, one boot of Debian's 6.12 kernel.
#
# Usage: tools/testing/demo.sh   (no arguments; make demo)
#
# Boots the 6.12 distro kernel in QEMU with 4 vCPUs (run-guest.sh --guest
# demo; tools/testing/guest/demo.sh says what runs) and, with RPS and then
# with psteer, runs 16 paced iperf3 streams and a light TCP
# request/response flow from netns cli to netns srv, first alone, then
# with a busy loop on the CPU that psteer sends the light flow to (RPS
# sends each TCP connection by its socket's random hash: anywhere). Prints
# per CPU the usage and the packets per second it took through the stack,
# the imbalance (max/mean and (max-min)/min of the usages, the figures
# RSS++ reports), the light flow's p50/p99 round trip, psteer's own view
# (psteer stat 1 5 under the busy loop), a three-line verdict, and writes
# $PSTEER_OUT/demo-load.png (gnuplot), usage and packets/s over time in
# both modes. About 2 minutes once the kernel is cached, 4 cold.
#
# Under single-threaded TCG one vCPU runs at a time: a busy vCPU holds
# QEMU for its whole time slice, which slows every CPU, not only its own;
# the numbers show the steering's choices faithfully, the latencies only
# roughly (Documentation/psteer.rst, "Cost").
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
ensure_host_pkgs
log "make demo: the kernel (downloaded once), the module, then one VM run of about 60 s (RPS, then psteer)"
mkdir -p "$PSTEER_OUT"
rc=0
PSTEER_INTEGRATION_TIMEOUT=900 run "$PSTEER_TOP/tools/testing/vm/run-guest.sh" \
	--kernel 6.12 --guest demo >"$PSTEER_OUT/demo-run.txt" || rc=$?
logf=$PSTEER_OUT/logs/demo-6.12.log
if [ "$rc" != 0 ]; then
	cat "$PSTEER_OUT/demo-run.txt"
	die "the demo VM failed (console log: $logf)"
fi

# section NAME: the guest's lines between its BEGIN and END markers, without
# kernel messages that the console interleaved.
section() {
	sed -n "/^=== PSTEER-DEMO $1 BEGIN/,/^=== PSTEER-DEMO $1 END/p" "$logf" |
		sed '1d;$d' | grep -vE '^\[ *[0-9]+\.[0-9]+\] ' || true
}

res=$PSTEER_OUT/demo-result.txt
section result >"$res"
ncpu=$(awk '$1 == "NCPU" { print $2 }' "$res")
[ -n "$ncpu" ] || die "results missing in $logf: no NCPU line"
n=$(grep -c '^CPU ' "$res" || true)
[ "$n" = $((4 * ncpu)) ] ||
	die "results missing in $logf: $n CPU lines, not $((4 * ncpu)) (4 windows of $ncpu CPUs)"
n=$(grep -c '^RTT ' "$res" || true)
[ "$n" = 4 ] || die "results missing in $logf: $n RTT lines, not 4"
# Counters only grow: a negative rate is a broken measurement.
! grep -E '^CPU .* -[0-9]+$' "$res" >&2 ||
	die "a CPU's packet rate is negative in $logf (above)"
kver=$(sed -n 's/^kernel \([^ ]*\), .*/\1/p' "$logf" | head -n1)

awk -v kver="$kver" '
	$1 == "NCPU" { ncpu = $2; hog = $4; win = $6; settle = $8 }
	$1 == "CPU" { u[$2, $3, $4] = $5; p[$2, $3, $4] = $6; tot[$2, $3] += $6 }
	$1 == "RTT" { p50[$2, $3] = $4; p99[$2, $3] = $5 }
	$1 == "WHERE" { where[$2] = $3 }
	# imb M W SKIP: max/mean and (max-min)/min of the usages in mode M,
	# window W, over every CPU but SKIP (-1: all).
	function imb(m, w, skip,  c, k, mx, mn, s) {
		mx = -1; mn = 1e9; s = 0; k = 0
		for (c = 0; c < ncpu; c++) {
			if (c == skip) continue
			if (u[m, w, c] > mx) mx = u[m, w, c]
			if (u[m, w, c] < mn) mn = u[m, w, c]
			s += u[m, w, c]; k++
		}
		maxmean[m, w, skip] = s > 0 ? mx / (s / k) : 0
		spread[m, w, skip] = mn > 0 ? (mx - mn) / mn : 0
	}
	function row(label, what, skip,  i, j) {
		printf "%-22s", label
		for (j = 1; j <= 2; j++)
			for (i = 1; i <= 2; i++)
				printf " %-13.2f", what == "mm" ? maxmean[ms[i], ws[j], skip] : spread[ms[i], ws[j], skip]
		printf "\n"
	}
	function share(m, w) { return tot[m, w] > 0 ? 100 * p[m, w, hog] / tot[m, w] : 0 }
	END {
		split("rps psteer", ms, " "); split("before after", ws, " ")
		for (i = 1; i <= 2; i++)
			for (j = 1; j <= 2; j++) {
				imb(ms[i], ws[j], -1)
				imb(ms[i], ws[j], hog)
			}
		printf "\npsteer demo on %s, %d CPUs: 16 iperf3 streams at 20 Mbit/s and a light\n", kver, ncpu
		printf "TCP request/response flow, all arriving on CPU 0 and steered from there;\n"
		printf "then a busy loop on CPU %d, where psteer had put the light flow (RPS steers each\n", hog
		printf "connection by its socket'"'"'s random hash: it may have put it anywhere).\n"
		printf "Each column: %d s measured (after %d s with the busy loop, in the second half).\n\n", win, settle
		printf "%-22s %-27s %-27s\n", "", "before: no busy loop", "busy loop on CPU " hog
		printf "%-22s %-13s %-13s %-13s %-13s\n", "", "RPS", "psteer", "RPS", "psteer"
		for (c = 0; c < ncpu; c++) {
			printf "CPU %d usage%%, pkt/s    ", c
			for (j = 1; j <= 2; j++)
				for (i = 1; i <= 2; i++)
					printf "%3d%% %-8d ", u[ms[i], ws[j], c], p[ms[i], ws[j], c]
			printf "\n"
		}
		row("usage max/mean", "mm", -1)
		row("usage (max-min)/min", "sp", -1)
		row("same, without CPU " hog, "mm", hog)
		row("  (max-min)/min", "sp", hog)
		printf "%-22s", "CPU " hog "'"'"'s packet share"
		for (j = 1; j <= 2; j++) for (i = 1; i <= 2; i++) printf " %-13s", sprintf("%.0f%%", share(ms[i], ws[j]))
		printf "\n%-22s", "light flow p50 (us)"
		for (j = 1; j <= 2; j++) for (i = 1; i <= 2; i++) printf " %-13s", p50[ms[i], ws[j]]
		printf "\n%-22s", "light flow p99 (us)"
		for (j = 1; j <= 2; j++) for (i = 1; i <= 2; i++) printf " %-13s", p99[ms[i], ws[j]]
		printf "\n\nVerdict:\n"
		sr = share("rps", "after"); sp = share("psteer", "after")
		w = "it did not move enough away."
		if (sp < sr / 2) w = "it moved the busy CPU'"'"'s buckets to the others."
		printf "1. Steering: with CPU %d busy, RPS still sent it %.0f%% of the packets (its hash decides);\n", hog, sr
		printf "   psteer sent it %.0f%%: %s\n", sp, w
		printf "   (psteer'"'"'s light flow ended on CPU %s)\n", where["psteer"]
		a = maxmean["rps", "after", hog]; b = maxmean["psteer", "after", hog]
		w = "about the same."
		if (b < a - 0.02) w = "psteer spread the work more evenly."
		if (b > a + 0.02) w = "RPS was more even here."
		printf "2. Balance: the other CPUs'"'"' usage max/mean was %.2f with RPS, %.2f with psteer:\n   %s\n", a, b, w
		a = p99["rps", "after"]; b = p99["psteer", "after"]
		w = "no better with psteer here."
		if (b < a) w = "better with psteer."
		if (b <= a / 2) w = "psteer took it out of the busy CPU'"'"'s way."
		printf "3. Latency: the light flow'"'"'s p99 round trip with the busy loop was %s us with RPS,\n", a
		printf "   %s us with psteer (%.2fx RPS): %s\n", b, (a ? b / a : 0), w
	}' "$res"

stat=$(section stat)
if [ -n "$stat" ]; then
	echo
	echo "psteer's own view under the busy loop (psteer stat 1 5, in the VM):"
	echo "$stat"
fi

# The load over time, both modes, as a gnuplot PNG: per mode and CPU,
# seconds since the busy loop started, usage % and packets/s.
data=$PSTEER_OUT/demo-load.dat
png=$PSTEER_OUT/demo-load.png
section series | awk '
	NR == FNR { if ($1 == "HOG") t0[$2] = $3; next }
	{ k = $1 " " $3
	  if (k in t && $2 > t[k]) {
		dt = $2 - t[k]; dtot = $5 - tt[k]
		u = dtot > 0 ? 100 * ($4 - b[k]) / dtot : 0
		printf "%s %.1f %s %.0f %.0f\n", $1, $2 - t0[$1], $3, u, ($6 - n[k]) / dt
	  }
	  t[k] = $2; b[k] = $4; tt[k] = $5; n[k] = $6 }' "$res" - >"$data"
if [ -s "$data" ] && command -v gnuplot >/dev/null; then
	gnuplot <<GP
set terminal png size 1200,800
set output '$png'
set multiplot layout 2,2 title 'RPS (left) and psteer (right): a busy loop on one CPU from t = 0'
set xlabel 'seconds since the busy loop started'
set key outside right
do for [m in "rps psteer"] {
	set title m.': usage %'
	set ylabel 'usage %'
	set yrange [0:105]
	plot for [c=0:3] '$data' using 2:(strcol(1) eq m && \$3 == c ? \$4 : 1/0) with linespoints title sprintf('CPU %d', c)
}
do for [m in "rps psteer"] {
	set title m.': packets / s'
	set ylabel 'packets / s'
	set yrange [0:*]
	plot for [c=0:3] '$data' using 2:(strcol(1) eq m && \$3 == c ? \$5 : 1/0) with linespoints title sprintf('CPU %d', c)
}
unset multiplot
GP
	echo
	echo "usage and packets/s over time, both modes: $png (data: $data)"
fi
