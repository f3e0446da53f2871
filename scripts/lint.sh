#!/usr/bin/env bash
# Static checks of psteer's sources.
#
# Usage: scripts/lint.sh
#
#   W=1 6.12, W=1 6.1  full W=1 builds against Debian's current 6.12 and 6.1
#                      headers (fetch-kernel.sh): no "warning:" allowed
#   sparse             C=2 build against the 6.12 headers: no sparse
#                      warning or error allowed
#   checkpatch         checkpatch.pl --strict --no-tree -f on every .c/.h in
#                      src/ include/ kunit/ (from the linux-source tree)
#   shell scripts      shellcheck on scripts/*.sh and scripts/guest/*.sh
#
# Every check runs; one summary line each; exit 1 if any failed.
# Logs: $PSTEER_OUT/lint/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: $0"
ensure_host_pkgs

out=$PSTEER_OUT/lint
mkdir -p "$out"
summary=() failed=0

# result NAME OK|FAIL DETAIL
result() {
	summary+=("lint: $1: $2${3:+ ($3)}")
	[ "$2" = ok ] || failed=1
}

# w1 SERIES: W=1 build against that series' headers.
w1() {
	local series=$1 KVER="" KDIR="" n
	if ! eval "$(run "$PSTEER_TOP/scripts/fetch-kernel.sh" "$series")"; then
		result "W=1 $series" FAIL "could not fetch the headers"
		return
	fi
	if ! run "$PSTEER_TOP/scripts/build-module.sh" --clean "$KDIR" "$out/w1-$series" >/dev/null; then
		result "W=1 $series ($KVER)" FAIL "build failed, see $out/w1-$series/build.log"
		return
	fi
	n=$(grep -c 'warning:' "$out/w1-$series/build.log" || true)
	if [ "$n" = 0 ]; then
		result "W=1 $series ($KVER)" ok "0 warnings"
	else
		grep 'warning:' "$out/w1-$series/build.log" >&2
		result "W=1 $series ($KVER)" FAIL "$n warnings"
	fi
}

w1 6.12
w1 6.1

# sparse, against 6.12 (C=2: check every file, not only recompiled ones).
KVER="" KDIR=""
if eval "$(run "$PSTEER_TOP/scripts/fetch-kernel.sh" 6.12)" &&
	run "$PSTEER_TOP/scripts/build-module.sh" --clean "$KDIR" "$out/sparse" -- C=2 >/dev/null; then
	# Sparse prints file:line:col: warning|error: ...; count those.
	n=$(grep -cE '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out/sparse/build.log" || true)
	if [ "$n" = 0 ]; then
		result "sparse ($KVER)" ok "0 warnings"
	else
		grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' "$out/sparse/build.log" >&2
		result "sparse ($KVER)" FAIL "$n warnings"
	fi
else
	result sparse FAIL "C=2 build failed, see $out/sparse/build.log"
fi

# checkpatch, from the linux-source tree (which also has its spelling list).
src=$(linux_source)
mapfile -t files < <(cd "$PSTEER_TOP" && find src include kunit -name '*.[ch]' 2>/dev/null | LC_ALL=C sort)
if [ "${#files[@]}" = 0 ]; then
	result checkpatch FAIL "no .c/.h files in src/ include/ kunit/"
else
	bad=0 problems=0
	: >"$out/checkpatch.log"
	for f in "${files[@]}"; do
		rc=0
		(cd "$PSTEER_TOP" && perl "$src/scripts/checkpatch.pl" --strict --no-tree \
			--no-summary --terse --show-types -f "$f") >>"$out/checkpatch.log" 2>&1 || rc=$?
		[ "$rc" = 0 ] || bad=$((bad + 1))
	done
	problems=$(grep -cE ': (ERROR|WARNING|CHECK):' "$out/checkpatch.log" || true)
	if [ "$bad" = 0 ] && [ "$problems" = 0 ]; then
		result checkpatch ok "${#files[@]} files clean"
	else
		cat "$out/checkpatch.log" >&2
		result checkpatch FAIL "$problems problems in $bad of ${#files[@]} files"
	fi
fi

# The harness itself, through shellcheck.
if command -v shellcheck >/dev/null; then
	mapfile -t sh < <(cd "$PSTEER_TOP" && ls scripts/*.sh scripts/guest/*.sh 2>/dev/null)
	if (cd "$PSTEER_TOP" && shellcheck "${sh[@]}") >"$out/shellcheck.log" 2>&1; then
		result shellcheck ok "${#sh[@]} scripts clean"
	else
		cat "$out/shellcheck.log" >&2
		result shellcheck FAIL "see $out/shellcheck.log"
	fi
else
	result shellcheck FAIL "shellcheck is not installed"
fi

printf '%s\n' "${summary[@]}"
[ "$failed" = 0 ]
