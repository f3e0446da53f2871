#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `make check`: run the tests of tools/testing/tests.list (README.md says
# what each one checks), on a fresh Debian 12 machine.
#
# Usage: tools/testing/check.sh [NAME...]   every test, or only those named
#        tools/testing/check.sh --list      print the names, one a line
#
# The tests run in the list's order. Each runs even when an earlier one
# failed; the last line is "N passed, N failed" and the exit status is 0
# only when none failed. Logs go to build/check/NAME.log. A guest step that
# reported "STEP name: SKIP (reason)" does not fail its test, but is shown
# after the test's result and again before the summary. While a test
# runs, a line every minute says how long it has run, how long it should
# take (the list's cold time, and its last time here) and what it last
# logged.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

list=$PSTEER_TOP/tools/testing/tests.list
names=() cmds=() colds=()
while read -r name cold cmd; do
	case "$name" in '' | '#'*) continue ;; esac
	[[ "$cold" =~ ^[0-9]+$ ]] || die "$list: $name: no expected seconds"
	[ -n "$cmd" ] || die "$list: no command for $name"
	names+=("$name")
	colds+=("$cold")
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

passed=0
failed=0
failures=""
skips=()
part() {
	local name=$1 cold=$2 start rc=0 skipped s k last expect
	shift 2
	start=$(date +%s)
	last=$(last_time "$name")
	expect="about $(fmt_secs "$cold") with an empty cache"
	[ -z "$last" ] || expect="$expect, $(fmt_secs "$last") last time here"
	log "=== $name: $*"
	progress "$name" "$expect" --log "$logdir/$name.log" "$@" || rc=$?
	mapfile -t skipped < <(grep -E '^STEP [^:]*: SKIP' "$logdir/$name.log" | sort -u)
	k=$(kernels_of "$logdir/$name.log")
	k=${k:+, kernel $k}
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		save_time "$name" $(($(date +%s) - start))
		log "=== $name: PASS ($(( $(date +%s) - start )) s$k${skipped[0]:+, skipped steps: ${#skipped[@]}})"
	else
		failed=$((failed + 1))
		failures="$failures $name"
		log "=== $name: FAIL rc=$rc ($(( $(date +%s) - start )) s$k); last lines of $logdir/$name.log:"
		tail -n 25 "$logdir/$name.log" >&2
	fi
	for s in "${skipped[@]}"; do
		log "    $s"
		skips+=("$name: $s")
	done
}

cd "$PSTEER_TOP"
for i in "${!names[@]}"; do
	[ $# = 0 ] || member "${names[$i]}" "$@" || continue
	read -ra cmd <<<"${cmds[$i]}"
	part "${names[$i]}" "${colds[$i]}" "${cmd[@]}"
done

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
