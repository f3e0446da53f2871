#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What a packet costs with no steering, RPS and psteer, in one boot of the
# Debian 6.12 kernel under QEMU's -icount shift=0,sleep=off (guest time =
# guest instructions, whatever the host is doing): tools/testing/guest/
# cost.sh. Prints every run (COST lines) and the medians, spreads and
# ratios (COST-SUMMARY). Documentation/psteer.rst ("Cost") says what it
# models and what it does not.
#
# Usage: tools/testing/bench/cost.sh   (no arguments; PSTEER_GUEST_ROUNDS,
# default 3, and PSTEER_GUEST_SECS, default 4, tune it;
# PSTEER_BENCH_KERNEL=6.1 for the other kernel)
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
PSTEER_ICOUNT=1 PSTEER_INTEGRATION_TIMEOUT=5400 \
	bench_guest cost '^(COST|PSTEER-BENCH)' --bench-module
