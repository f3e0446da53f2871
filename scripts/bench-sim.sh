#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make bench-sim`: build the host simulator of the rebalancer and print its
# table (Documentation/rebalance-sim.rst).
#
# Usage: scripts/bench-sim.sh [SIMULATOR ARGS...]
#
#   src/rebalance/*.c (unchanged) + tools/sim/*.c  ->  build/sim/sim
#
# Arguments go to the simulator (build/sim/sim --help), e.g.
#   scripts/bench-sim.sh --sweep                      tune psteer's knobs
#   scripts/bench-sim.sh --trace -s 64x4096 -w zipf1.0 -d   one scenario
# PSTEER_SIM_REBALANCE=dir/of/rebalance/sources (and PSTEER_SIM_INCLUDE=dir
# holding its rebalance.h, if that changed too) builds another version of
# the rebalancer against the same simulator, to compare a change.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

command -v gcc >/dev/null || die "gcc not found (apt-get install build-essential)"
args=(O="$PSTEER_OUT/sim")
[ -z "${PSTEER_SIM_REBALANCE:-}" ] || args+=(REBALANCE="$PSTEER_SIM_REBALANCE")
[ -z "${PSTEER_SIM_INCLUDE:-}" ] || args+=(INCLUDE="$PSTEER_SIM_INCLUDE")
run make -s -C "$PSTEER_TOP/tools/sim" "${args[@]}" >&2
run "$PSTEER_OUT/sim/sim" "$@"
