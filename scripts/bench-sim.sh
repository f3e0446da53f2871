#!/usr/bin/env bash
# `make bench-sim`: build the host simulator of the rebalancer and print its
# table (Documentation/rebalance-sim.rst).
#
#   src/rebalance.c (unchanged) + scripts/sim/*.c  ->  build/sim/sim
#
# Arguments go to the simulator (build/sim/sim --help), e.g.
#   scripts/bench-sim.sh --sweep                      tune psteer's knobs
#   scripts/bench-sim.sh --trace -s 64x4096 -w zipf1.0 -d   one scenario
# PSTEER_SIM_REBALANCE=path/to/rebalance.c (and PSTEER_SIM_INCLUDE=dir
# holding its rebalance.h, if that changed too) builds another version of
# the rebalancer against the same simulator, to compare a change.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

rebalance=${PSTEER_SIM_REBALANCE:-$PSTEER_TOP/src/rebalance.c}
include=${PSTEER_SIM_INCLUDE:-$PSTEER_TOP/include}
out=$PSTEER_OUT/sim
tmp=

cleanup() {
	[ -z "$tmp" ] || rm -f "$tmp"
}
trap cleanup EXIT

command -v gcc >/dev/null || die "gcc not found (apt-get install build-essential)"
[ -f "$rebalance" ] || die "no $rebalance"
[ -f "$include/rebalance.h" ] || die "no $include/rebalance.h"
mkdir -p "$out"
tmp=$(mktemp "$out/sim.XXXXXX")

# scripts/sim/include supplies <linux/types.h> and <linux/math64.h> for
# user space; it comes first so the host's kernel headers are not used.
cd "$PSTEER_TOP"
run gcc -O2 -Wall -Wextra -Werror \
	-Iscripts/sim/include -I"$include" \
	-o "$tmp" "$rebalance" scripts/sim/*.c -lm
mv "$tmp" "$out/sim"
tmp=

run "$out/sim" "$@"
