#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Where a steered packet's instructions go, RPS against psteer: boots the
# Debian 6.12 kernel under QEMU's -icount shift=0,sleep=off (guest time =
# guest instructions) with tools/testing/guest/profile.sh, which traces a
# list of functions, one a pass, with ftrace's function_graph tracer in
# cost.sh's -away modes. Prints the PROFILE lines: per mode and function,
# calls and instructions per UDP transaction, each call's with the
# tracer's own (about 700: see ktime_get's line). A tool for finding what
# to cut (Documentation/psteer.rst, "Cost").
#
# Usage: tools/testing/bench/profile.sh   (no arguments;
# PSTEER_GUEST_FUNCS, colon-separated, the functions to trace;
# PSTEER_GUEST_TRANS, default 20, transactions per UDP flow)
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
PSTEER_ICOUNT=1 bench_guest profile '^PROFILE'
