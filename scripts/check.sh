#!/usr/bin/env bash
# `make check`: every test psteer has, on a fresh Debian 12 machine.
#
#   lint          W=1 builds against 6.1 and 6.12 headers, sparse, checkpatch
#   kunit         psteer_kunit.ko on the KUnit/debug kernel, KTAP via kunit.py
#   integration   iperf3 over veth between two netns, on the 6.12 and 6.1
#                 Debian kernels and on the debug kernel (KASAN, lockdep,
#                 kmemleak)
#   rebalance     a busy loop on CPU 1 under iperf3: buckets leave it, no
#                 reordering, the table settles; bad tunable and pinning
#                 writes refused (6.12 and 6.1)
#   conns         1000 short TCP connections and UDP flows in
#                 /proc/net/psteer/conns with the right bucket and CPU,
#                 expiry per CPU, CPU 2 offlined and back under iperf3
#                 (6.12, 6.1 and the debug kernel)
#   drr           queuing model (claim 6): a light TCP request/response flow
#                 and a UDP flood in two buckets pinned to one CPU; with DRR
#                 the light flow stays within 2x of alone (FIFO reported)
#
# Each part runs even when an earlier one failed; the last line is
# "N passed, N failed" and the exit status is 0 only when none failed.
# Logs go to build/check/<part>.log.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

ensure_host_pkgs
logdir=$PSTEER_OUT/check
mkdir -p "$logdir"

passed=0
failed=0
failures=""
part() {
	local name=$1 start rc=0
	shift
	start=$(date +%s)
	log "=== $name: $*"
	"$@" >"$logdir/$name.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		log "=== $name: PASS ($(( $(date +%s) - start )) s)"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		log "=== $name: FAIL rc=$rc ($(( $(date +%s) - start )) s); last lines of $logdir/$name.log:"
		tail -n 25 "$logdir/$name.log" >&2
	fi
}

cd "$PSTEER_TOP"
part lint scripts/lint.sh
part kunit scripts/kunit-run.sh
part integration-6.12 scripts/integration.sh --kernel 6.12
part integration-6.1 scripts/integration.sh --kernel 6.1
part integration-debug scripts/integration.sh --kernel debug
part rebalance-6.12 scripts/integration.sh --kernel 6.12 --guest rebalance
part rebalance-6.1 scripts/integration.sh --kernel 6.1 --guest rebalance
part conns-6.12 scripts/integration.sh --kernel 6.12 --guest conns
part conns-6.1 scripts/integration.sh --kernel 6.1 --guest conns
part conns-debug scripts/integration.sh --kernel debug --guest conns
part drr-6.12 scripts/integration.sh --kernel 6.12 --guest drr

[ -z "$failures" ] || log "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
