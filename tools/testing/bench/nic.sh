#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Steering on a NIC with RSS, in one boot of the Debian 6.12 kernel with
# the NIC topology's loop (run-guest.sh --nic-loop: srv receives on the
# 4-queue NIC what cli sends on a second one) under -icount, with a fifth
# CPU for the instruction meter and a sixth for the programs: the NIC's
# RSS alone, with RPS, with psteer in software and with psteer driving the
# NIC's table (tools/testing/guest/nicbench.sh). Prints every run (NIC
# lines), the medians, spreads and ratios (NIC-SUMMARY) and each round's
# ratio against RSS alone in the same round (NIC-PAIRED), the modes
# without software hops at the same softirqs per datagram (NIC-ADJUSTED),
# and, for each mode driving the NIC, the instructions psteer's hook
# chain adds to a datagram, counted with ftrace's function_graph tracer
# and against RSS alone's (NIC-HOOK, NIC-HOOK-COST).
#
# Usage: tools/testing/bench/nic.sh   (no arguments; PSTEER_GUEST_ROUNDS,
# default 3, and PSTEER_GUEST_MODES tune it; PSTEER_BENCH_KERNEL=latest
# for the newest kernel). The NIC reports its RSS hash (run-guest.sh
# --nic-hash; real NICs do with rxhash on, most by default);
# PSTEER_BENCH_NIC_HASH=0 for one that does not, whose hash psteer then
# computes again.
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
hash=()
[ "${PSTEER_BENCH_NIC_HASH:-1}" = 0 ] || hash=(--nic-hash)
PSTEER_INTEGRATION_TIMEOUT=3000 \
	bench_guest nicbench '^NIC' --nic-loop "${hash[@]}" --smp 6 --icount
