#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# VM benchmark: iperf3 -P 32 throughput with a busy loop on CPU 1, with no
# steering, with RPS over CPUs 0-3 and with psteer, in one boot of the
# Debian 6.12 kernel (tools/testing/guest/bench.sh). Prints every run and the
# medians and ratios. TCG here: compare the ratios, not the Mbit/s, and
# expect them to move between boots; PSTEER_KVM=1 on real hardware.
#
# Usage: tools/testing/bench/bench-vm.sh   (no arguments; 3 rounds of 8 s
# per mode; PSTEER_BENCH_KERNEL=6.1 for the other kernel)
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
PSTEER_INTEGRATION_TIMEOUT=1200 bench_guest bench '^BENCH'
