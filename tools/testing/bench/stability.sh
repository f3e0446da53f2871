#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# How still the rebalancer keeps a steady load, in one boot of the Debian
# 6.12 kernel (tools/testing/guest/stability.sh): moves per rebalancing
# round with 32 paced iperf3 streams, with a UDP elephant too (and how
# often its bucket moves), and with a busy loop on CPU 1 (the moves that
# shed it, then the moves after). Prints the STAB lines. Plain TCG: the
# noise the rebalancer sees is the tick accounting's, as on hardware.
#
# Usage: tools/testing/bench/stability.sh   (no arguments;
# PSTEER_GUEST_SECS, default 20, and PSTEER_GUEST_WARM, default 5, tune
# it; PSTEER_BENCH_KERNEL=latest for the newest kernel)
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
bench_guest stability '^STAB'
