#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: run the tests of tools/testing/tests.list (README.md says
# what each one checks), on a fresh Debian 12 machine.
#
# Usage: tools/testing/check.sh [NAME...]   every test, or only those named
#        tools/testing/check.sh --list      print the names, one a line
#
# The tests start in the list's order (but see "The order" below), up to
# PSTEER_CHECK_JOBS at a time (default: 2 on a machine of 2 cores or
# more, else 1): a test the list says runs "alone" (the builds: lint,
# kunit, package) waits for those running to end and runs with no other;
# a "paired" one (a VM test: single-threaded TCG keeps one host core
# busy) starts beside another.
# Each runs even when an earlier one failed; the last line is
# "N passed, N failed" and the exit status is 0 only when none failed.
# Logs go to build/check/NAME.log. A guest step that
# reported "STEP name: SKIP (reason)" does not fail its test, but is shown
# after the test's result and again before the summary. While a test
# runs, a line every minute says how long it has run, how long it should
# take (the list's cold time, and its last time here) and what it last
# logged.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

list=$PSTEER_TOP/tools/testing/tests.list
names=() cmds=() colds=() runs=()
while read -r name cold how cmd; do
	case "$name" in '' | '#'*) continue ;; esac
	[[ "$cold" =~ ^[0-9]+$ ]] || die "$list: $name: no expected seconds"
	case "$how" in alone | paired) ;; *) die "$list: $name: runs 'alone' or 'paired', not '$how'" ;; esac
	[ -n "$cmd" ] || die "$list: no command for $name"
	names+=("$name")
	colds+=("$cold")
	runs+=("$how")
	cmds+=("$cmd")
done <"$list"

if [ "${1:-}" = --list ]; then
	[ $# = 1 ] || die "usage: $0 --list"
	printf '%s\n' "${names[@]}"
	exit 0
fi
# member WORD LIST...: true if WORD is one of LIST.
member() {
	local w
	for w in "${@:2}"; do
		[ "$w" != "$1" ] || return 0
	done
	return 1
}
for w in "$@"; do
	member "$w" "${names[@]}" || die "no test '$w' in $list (see $0 --list)"
done

ensure_host_pkgs
logdir=$PSTEER_OUT/check
mkdir -p "$logdir"

# kernels_of LOG: the kernels a test ran on or built against, from the
# lines fetch-kernel.sh and kunit-kernel.sh log.
kernels_of() {
	local k
	k=$(sed -n 's/^\[kunit-kernel.sh\] kernel: \(debug[^ ]* [^ ]*\) .*/\1/p' "$1" | head -n1)
	[ -n "$k" ] || k=$(sed -n 's/^\[fetch-kernel.sh\] series [^:]*: \([^ ]*\) .*/\1/p' "$1" |
		awk '!seen[$0]++' | paste -sd, -)
	echo "$k"
}

# The time each test took when it last passed here, NAME SECONDS a line:
# what a run with a warm cache should take.
times=$PSTEER_CACHE/check-times
mkdir -p "$PSTEER_CACHE"
touch "$times"
last_time() { awk -v n="$1" '$1 == n { t = $2 } END { print t }' "$times"; }
save_time() {
	awk -v n="$1" '$1 != n' "$times" >"$times.new"
	echo "$1 $2" >>"$times.new"
	mv "$times.new" "$times"
}

jobs=${PSTEER_CHECK_JOBS:-}
if [ -z "$jobs" ]; then
	jobs=1
	[ "$(nproc)" -lt 2 ] || jobs=2
fi
[[ "$jobs" =~ ^[1-9][0-9]*$ ]] || die "PSTEER_CHECK_JOBS=$jobs: a number of tests, 1 or more"
# As many VMs at once as tests (vm-run.sh's slots).
export PSTEER_VM_SLOTS=$jobs

# part NAME COLD CMD...: run one test (in the background: its result goes
# to $logdir/NAME.rc as "RC SECONDS").
part() {
	local name=$1 cold=$2 start rc=0 last expect
	shift 2
	start=$(date +%s)
	last=$(last_time "$name")
	expect="about $(fmt_secs "$cold") with an empty cache"
	[ -z "$last" ] || expect="$expect, $(fmt_secs "$last") last time here"
	log "=== $name: $*"
	progress "$name" "$expect" --log "$logdir/$name.log" "$@" || rc=$?
	echo "$rc $(($(date +%s) - start))" >"$logdir/$name.rc"
}

passed=0
failed=0
failures=""
skips=()
# finish NAME: its result, from the file part wrote.
finish() {
	local name=$1 rc secs skipped s k
	read -r rc secs <"$logdir/$name.rc" || { rc=1 secs=0; }
	mapfile -t skipped < <(grep -E '^STEP [^:]*: SKIP' "$logdir/$name.log" | sort -u)
	k=$(kernels_of "$logdir/$name.log")
	k=${k:+, kernel $k}
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		save_time "$name" "$secs"
		log "=== $name: PASS ($secs s$k${skipped[0]:+, skipped steps: ${#skipped[@]}})"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		log "=== $name: FAIL rc=$rc ($secs s$k); last lines of $logdir/$name.log:"
		tail -n 25 "$logdir/$name.log" >&2
	fi
	for s in "${skipped[@]}"; do
		log "    $s"
		skips+=("$name: $s")
	done
}

# The running tests: their PIDs and names.
declare -A running=()
# reap [all]: wait for a running test to end (with all: for every one)
# and report it.
reap() {
	local pid
	while [ "${#running[@]}" != 0 ]; do
		pid=""
		wait -n -p pid "${!running[@]}" || true
		[ -n "$pid" ] || continue
		finish "${running[$pid]}"
		unset "running[$pid]"
		[ "${1:-}" = all ] || return 0
	done
}
# kill_tree PID: PID and everything it started (the test's scripts, QEMU).
kill_tree() {
	local c
	for c in $(pgrep -P "$1"); do
		kill_tree "$c"
	done
	kill "$1" 2>/dev/null || true
}
stop_all() {
	local pid
	for pid in "${!running[@]}"; do
		kill_tree "$pid"
	done
}
trap stop_all EXIT

# The order: the list's, but with more than one job each run of paired
# tests between two alone ones longest first (by the list's seconds), so
# that the last two end close together rather than one lane waiting for a
# long test begun last.
order=() segment=()
flush_segment() {
	local by=("-k2,2n")
	[ "$jobs" = 1 ] || by=("-k1,1nr" "-k2,2n")
	[ "${#segment[@]}" = 0 ] ||
		mapfile -t -O "${#order[@]}" order < <(for j in "${segment[@]}"; do
			echo "${colds[$j]} $j"
		done | sort "${by[@]}" | cut -d' ' -f2)
	segment=()
}
for i in "${!names[@]}"; do
	[ $# = 0 ] || member "${names[$i]}" "$@" || continue
	if [ "${runs[$i]}" = alone ]; then
		flush_segment
		order+=("$i")
	else
		segment+=("$i")
	fi
done
flush_segment

cd "$PSTEER_TOP"
for i in "${order[@]}"; do
	read -ra cmd <<<"${cmds[$i]}"
	if [ "${runs[$i]}" = alone ]; then
		reap all
	else
		while [ "${#running[@]}" -ge "$jobs" ]; do reap; done
	fi
	rm -f "$logdir/${names[$i]}.rc"
	part "${names[$i]}" "${colds[$i]}" "${cmd[@]}" &
	running[$!]=${names[$i]}
	[ "${runs[$i]}" != alone ] || reap all
done
reap all
trap - EXIT

if [ "${#skips[@]}" != 0 ]; then
	log "skipped steps:"
	for s in "${skips[@]}"; do
		log "    $s"
	done
fi
# Again at the very end, where a CI log cut to its last lines shows it:
# why each test failed (the guest's FAIL line or the script's last words).
for name in $failures; do
	log "=== $name failed; from $logdir/$name.log:"
	grep -E 'STEP [^:]*: FAIL|^\[[a-z-]+\.sh\].*(error|fail|FAIL)|Kernel panic|BUG:|WARNING:' \
		"$logdir/$name.log" | tail -n 8 >&2 || true
	tail -n 6 "$logdir/$name.log" >&2
done
[ -z "$failures" ] || log "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
