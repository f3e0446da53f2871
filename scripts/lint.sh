#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Static checks of psteer's sources.
#
# Usage: scripts/lint.sh   (no arguments)
#
#   W=1 + sparse SERIES
#                      full W=1 C=2 builds (the module and the bench module)
#                      against the headers of Debian's current 6.12, 6.1,
#                      7.2, 7.3, latest and latest-rt kernels
#                      (tools/testing/vm/fetch-kernel.sh; a series that
#                      resolves to a kernel already built is skipped; 7.x in
#                      the build root of its compiler, with sid's sparse
#                      where the root's is too old: scripts/build-module.sh):
#                      no "warning:" of gcc or sparse, no sparse error, and
#                      sparse must have checked the files
#   checkpatch         checkpatch.pl --strict --no-tree -f on every .c/.h of
#                      the tree outside tools/ and scripts/ (the module,
#                      include/, kunit/, at any depth; from the linux-source
#                      tree)
#   checkpatch-user    checkpatch.pl --no-tree -f on the user-space .c/.h
#                      under tools/ and scripts/, three types ignored (below)
#   shell scripts      shellcheck on every .sh under scripts/ and
#                      tools/testing/, and on .ci/run
#   python             py_compile on every .py file
#   params-doc         every module parameter of src/params.c has a row in
#                      README.md's table, an entry in Documentation/psteer.rst
#                      and a line in debian/psteer.conf
#
# The files are those git ls-files lists (tracked, or new and not ignored).
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

# build_checks SERIES: one full build (the module and the bench module)
# with W=1 and C=2 against the headers for_each_kernel fetched: gcc's
# W=1 warnings and sparse's warnings and errors land in the same log
# (build-module.sh always passes W=1; a separate W=1 build compiled
# everything a second time).
build_checks() {
	local series=$1 n checked log=$out/build-$1/build.log
	# gcc and sparse print file:line:col: warning: ...; sparse's errors
	# file:line:col: error: ... (gcc's stop the build).
	local bad='warning:|^[^ ]+:[0-9]+:[0-9]+: error:'
	if [ -z "$KVER" ]; then
		result "W=1 + sparse $series" FAIL "could not fetch the headers"
		return
	fi
	if ! run "$PSTEER_TOP/scripts/build-module.sh" --clean --bench "${BROOT[@]}" \
		"$KDIR" "$out/build-$series" -- C=2 >/dev/null; then
		result "W=1 + sparse $series ($KVER)" FAIL "build failed, see $log"
		return
	fi
	# Kbuild checks nothing, with only a warning, when it finds the
	# checker missing or too old (scripts/checker-valid.sh, 6.15 on): a
	# run with no CHECK line checked nothing and is no pass.
	checked=$(grep -c '^  CHECK ' "$log" || true)
	if [ "$checked" = 0 ]; then
		grep -E 'C=[0-9] specified|checker-valid' "$log" | sort -u >&2 || true
		result "W=1 + sparse $series ($KVER)" FAIL "sparse checked no file, see $log"
		return
	fi
	n=$(grep -cE "$bad" "$log" || true)
	if [ "$n" = 0 ]; then
		result "W=1 + sparse $series ($KVER)" ok "0 warnings, $checked files checked"
	else
		grep -E "$bad" "$log" >&2
		result "W=1 + sparse $series ($KVER)" FAIL "$n warnings"
	fi
}
for_each_kernel build_checks

# Every file of the tree, tracked or new but not ignored (git ls-files, or
# find outside a git checkout), that exists; sorted.
tree_files() {
	if git -C "$PSTEER_TOP" rev-parse --git-dir >/dev/null 2>&1; then
		git -C "$PSTEER_TOP" ls-files --cached --others --exclude-standard
	else
		(cd "$PSTEER_TOP" && find . \( -name .git -o -path ./build \) -prune -o \
			-type f ! -name '*.mod.c' -print | sed 's|^\./||')
	fi | LC_ALL=C sort -u | while IFS= read -r f; do
		if [ -f "$PSTEER_TOP/$f" ]; then printf '%s\n' "$f"; fi
	done
}
mapfile -t tree < <(tree_files)
kernel_c=() user_c=() sh=() py=()
for f in "${tree[@]}"; do
	case "$f" in
	tools/testing/bench/pieces/*.[ch]) kernel_c+=("$f") ;;
	tools/*.[ch] | scripts/*.[ch]) user_c+=("$f") ;;
	*.[ch]) kernel_c+=("$f") ;;
	scripts/*.sh | tools/testing/*.sh) sh+=("$f") ;;
	*.py) py+=("$f") ;;
	esac
done

# checkpatch NAME ARGS... -- FILES...: checkpatch.pl -f ARGS on each file, from
# the linux-source tree (which also has its spelling list); log in
# $out/NAME.log.
src=$(linux_source)
checkpatch() {
	local name=$1 args=() f rc bad=0 problems
	shift
	while [ "$1" != -- ]; do
		args+=("$1")
		shift
	done
	shift
	if [ $# = 0 ]; then
		result "$name" FAIL "no files to check"
		return
	fi
	: >"$out/$name.log"
	for f in "$@"; do
		rc=0
		(cd "$PSTEER_TOP" && perl "$src/scripts/checkpatch.pl" "${args[@]}" --no-tree \
			--no-summary --terse --show-types -f "$f") >>"$out/$name.log" 2>&1 || rc=$?
		[ "$rc" = 0 ] || bad=$((bad + 1))
	done
	problems=$(grep -cE ': (ERROR|WARNING|CHECK):' "$out/$name.log" || true)
	if [ "$bad" = 0 ] && [ "$problems" = 0 ]; then
		result "$name" ok "$# files clean"
	else
		cat "$out/$name.log" >&2
		result "$name" FAIL "$problems problems in $bad of $# files"
	fi
}

# The module, its headers and KUnit suites: kernel code, --strict.
checkpatch checkpatch --strict -- "${kernel_c[@]}"
# User-space C (the simulator, rr, the psteer command): kernel style, but
# usage texts are split strings, rr's error messages name its modes, which
# are also the names of the functions that run them, and user space has no
# compiler_attributes.h (psteer.h defines its own __printf).
checkpatch checkpatch-user \
	--ignore SPLIT_STRING,EMBEDDED_FUNCTION_NAME,PREFER_DEFINED_ATTRIBUTE_MACRO -- "${user_c[@]}"

# The harness itself, through shellcheck and Python's compiler.
if command -v shellcheck >/dev/null; then
	sh+=(.ci/run)
	if (cd "$PSTEER_TOP" && shellcheck "${sh[@]}") >"$out/shellcheck.log" 2>&1; then
		result shellcheck ok "${#sh[@]} scripts clean"
	else
		cat "$out/shellcheck.log" >&2
		result shellcheck FAIL "see $out/shellcheck.log"
	fi
else
	result shellcheck FAIL "shellcheck is not installed"
fi
if [ "${#py[@]}" = 0 ]; then
	result py_compile ok "no Python files"
elif (cd "$PSTEER_TOP" && PYTHONPYCACHEPREFIX=$out/pycache python3 -m py_compile "${py[@]}") \
	>"$out/py_compile.log" 2>&1; then
	result py_compile ok "${#py[@]} files compile"
else
	cat "$out/py_compile.log" >&2
	result py_compile FAIL "see $out/py_compile.log"
fi

# Every module parameter is documented where an administrator looks: a
# row of README.md's parameter table, an entry of a Configuration section
# of Documentation/psteer.rst ("``name`` (range, default ...)") and a
# line of the package's /etc/modprobe.d/psteer.conf.
missing=()
mapfile -t params < <(sed -nE 's/^module_param(_cb|_named)?\(([a-z_]+),.*/\2/p' "$PSTEER_TOP/src/params.c")
for p in "${params[@]}"; do
	grep -q "^| \`$p\` |" "$PSTEER_TOP/README.md" || missing+=("$p (README.md)")
	grep -Eq "^(\`\`.*)?\`\`$p\`\` \(" "$PSTEER_TOP/Documentation/psteer.rst" ||
		missing+=("$p (Documentation/psteer.rst)")
	grep -q "^#options psteer $p=" "$PSTEER_TOP/debian/psteer.conf" || missing+=("$p (debian/psteer.conf)")
done
if [ "${#params[@]}" = 0 ]; then
	result params-doc FAIL "found no module_param in src/params.c"
elif [ "${#missing[@]}" = 0 ]; then
	result params-doc ok "${#params[@]} module parameters documented"
else
	result params-doc FAIL "undocumented: ${missing[*]}"
fi

printf '%s\n' "${summary[@]}"
[ "$failed" = 0 ]
