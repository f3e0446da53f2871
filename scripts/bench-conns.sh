#!/usr/bin/env bash
# `make bench-conns`: the connection table with 100k and 1M tracked
# connections (scripts/guest/connbench.sh) in a VM on the Debian 6.12
# kernel: memory, timer pass time per CPU, cost of a lookup. Prints the
# BENCH lines; a benchmark, not a test.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export PSTEER_INTEGRATION_TIMEOUT=${PSTEER_INTEGRATION_TIMEOUT:-1500}
run "$PSTEER_TOP/scripts/integration.sh" --kernel "${1:-6.12}" --guest connbench
grep -E '^(BENCH|pktgen:)' "$PSTEER_OUT/logs/connbench-${1:-6.12}.log"
