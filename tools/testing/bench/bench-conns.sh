#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench-conns`: the connection table with 100k and 1M tracked
# connections (tools/testing/guest/connbench.sh) in a VM on the Debian 6.12
# kernel: memory, timer pass time per CPU, cost of a lookup. Prints the
# BENCH lines; a benchmark, not a test.
#
# Usage: tools/testing/bench/bench-conns.sh [KERNEL]   (6.12, 6.1 or debug;
# default 6.12)
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

export PSTEER_INTEGRATION_TIMEOUT=${PSTEER_INTEGRATION_TIMEOUT:-1500}
run "$PSTEER_TOP/tools/testing/vm/run-guest.sh" --kernel "${1:-6.12}" --guest connbench
grep -E '^(BENCH|pktgen:)' "$PSTEER_OUT/logs/connbench-${1:-6.12}.log"
