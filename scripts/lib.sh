# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Common helpers for psteer's host scripts, in scripts/ and tools/testing/.
#
# Usage: . "$(dirname "$0")/lib.sh"   (sourced, by its path from the script:
# ../../scripts/lib.sh from tools/testing/, ../../../scripts/lib.sh a level
# down); it defines PSTEER_TOP, PSTEER_OUT, PSTEER_CACHE, JOBS and helpers,
# and runs nothing.

PSTEER_CACHE=${PSTEER_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/psteer}
PSTEER_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PSTEER_OUT=${PSTEER_OUT:-$PSTEER_TOP/build}
JOBS=${JOBS:-$(nproc)}

log() { printf '[%s] %s\n' "${0##*/}" "$*" >&2; }
die() { log "error: $*"; exit 1; }
run() { printf '+ %s\n' "$*" >&2; "$@"; }

# bench_guest GUEST PATTERN [ARGS...]: a benchmark's VM: boots the guest
# script GUEST with run-guest.sh on PSTEER_BENCH_KERNEL (default 6.12) and
# ARGS, prints the lines of its console log that match PATTERN (grep -E),
# those of a failed run too, and dies if the run failed. Settings for
# run-guest.sh (PSTEER_ICOUNT, PSTEER_INTEGRATION_TIMEOUT) go before it:
# bash exports them to what the function runs.
bench_guest() {
	local guest=$1 pattern=$2 kernel=${PSTEER_BENCH_KERNEL:-6.12} rc=0 log
	shift 2
	run "$PSTEER_TOP/tools/testing/vm/run-guest.sh" --kernel "$kernel" \
		--guest "$guest" "$@" >/dev/null || rc=$?
	log=$PSTEER_OUT/logs/$guest-$kernel.log
	case " $* " in
	*" --nic-loop "*) log=$PSTEER_OUT/logs/$guest-nic-$kernel.log ;;
	esac
	grep -E "$pattern" "$log" || true
	[ "$rc" = 0 ] || die "the benchmark VM failed (log: $log)"
}

# fmt_secs N: N seconds as "42 s" or "7 min 05 s".
fmt_secs() {
	if [ "$1" -lt 60 ]; then
		echo "$1 s"
	else
		printf '%d min %02d s\n' $(($1 / 60)) $(($1 % 60))
	fi
}

# progress LABEL EXPECTED [--log FILE | --watch FILE] CMD...: run CMD and
# return its status; say what runs and how long it should take (EXPECTED,
# in words), then every PSTEER_PROGRESS seconds (60) how long it has run
# and the last line of FILE that a script logged ("[name.sh] ...") or a guest
# step began ("=== STEP ..."), so that a long step is never a silent
# terminal. --log sends CMD's output to FILE; --watch only reads FILE.
progress() {
	local label=$1 expect=$2 logf="" redirect="" start rc=0 ticker
	shift 2
	case "$1" in
	--log) logf=$2 redirect=1 ;;
	--watch) logf=$2 ;;
	esac
	[ -z "$logf" ] || shift 2
	start=$(date +%s)
	log "$label: expected $expect"
	(
		trap - EXIT INT TERM
		while sleep "${PSTEER_PROGRESS:-60}" && kill -0 $$ 2>/dev/null; do
			last=""
			[ -z "$logf" ] ||
				last=$(grep -aE '^(\[[a-z][^]]*\] |=== STEP )' "$logf" 2>/dev/null | tail -n1)
			log "$label: $(fmt_secs $(($(date +%s) - start))) so far, expected $expect${last:+; last: $last}"
		done
	) &
	ticker=$!
	if [ -n "$redirect" ]; then
		"$@" >"$logf" 2>&1 || rc=$?
	else
		"$@" || rc=$?
	fi
	kill "$ticker" 2>/dev/null || true
	wait "$ticker" 2>/dev/null || true
	return "$rc"
}

# Host packages every script may need, from Debian's archive only.
PSTEER_HOST_PKGS="build-essential bc bison flex cpio xz-utils kmod
	libelf-dev libssl-dev dwarves sparse python3 perl rsync
	qemu-system-x86 busybox-static iperf3 iproute2
	gnuplot-nox shellcheck ethtool nftables debootstrap zstd"

# ensure_host_pkgs: install whatever of PSTEER_HOST_PKGS is missing.
ensure_host_pkgs() {
	local p missing=""
	for p in $PSTEER_HOST_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages:$missing (run as root or install them)"
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	run apt-get update -q >&2
	# shellcheck disable=SC2086
	run apt-get install -y -q --no-install-recommends $missing >&2
}

# The kernel series whose Debian source tree (linux-source-MAJOR.MINOR of
# the same upload) the KUnit/debug kernel, kunit.py and checkpatch.pl come
# from: the newest Debian carries, so kernel developers test on a current
# kernel.
PSTEER_SOURCE_SERIES=${PSTEER_SOURCE_SERIES:-latest}

# linux_source: print the unpacked source tree of $PSTEER_SOURCE_SERIES
# (fetch-kernel.sh --source: downloaded and unpacked once, then cached).
linux_source() {
	# shellcheck disable=SC2034 # set by the eval, only SOURCE is wanted
	local KVER ROOT KDIR KERNEL CC BUILDROOT PKGVER SOURCE=""
	eval "$("$PSTEER_TOP/tools/testing/vm/fetch-kernel.sh" --source "$PSTEER_SOURCE_SERIES")"
	[ -n "$SOURCE" ] || die "no source tree for series $PSTEER_SOURCE_SERIES"
	echo "$SOURCE"
}

# The kernel series lint and the package checks build against
# (tools/testing/vm/fetch-kernel.sh names); PSTEER_SERIES in the
# environment narrows them (PSTEER_SERIES=7.3 scripts/lint.sh).
PSTEER_SERIES=${PSTEER_SERIES:-"6.12 6.1 7.2 7.3 latest latest-rt"}

# for_each_kernel FN: for each series of $PSTEER_SERIES, fetch its kernel
# and call FN SERIES with fetch-kernel.sh's variables set (KVER, KDIR,
# BUILDROOT, ...) and BROOT=(--root BUILDROOT), empty for the host. A
# series that resolves to a kernel already done is skipped; one that
# cannot be fetched calls FN with KVER empty.
for_each_kernel() {
	local fn=$1 series vars
	local -A seen=()
	for series in $PSTEER_SERIES; do
		# shellcheck disable=SC2034 # for $fn
		KVER="" KDIR="" BUILDROOT="" BROOT=()
		if vars=$(run "$PSTEER_TOP/tools/testing/vm/fetch-kernel.sh" "$series"); then
			eval "$vars"
			if [ -n "${seen[$KVER]:-}" ]; then
				log "$series: $KVER, already done as ${seen[$KVER]}"
				continue
			fi
			seen[$KVER]=$series
			# shellcheck disable=SC2034 # for $fn
			[ -z "$BUILDROOT" ] || BROOT=(--root "$BUILDROOT")
		else
			KVER=""
		fi
		"$fn" "$series"
	done
}

# --- Debian's other suites ---------------------------------------------------
# Kernels newer than the host's (trixie, trixie-backports, sid) are resolved
# and downloaded through the mirror the host's apt already uses, with a
# private sources list, lists and package cache under $PSTEER_CACHE/apt:
# the host's apt configuration is never changed.
PSTEER_SUITES=${PSTEER_SUITES:-"trixie trixie-backports sid"}
PSTEER_APT=$PSTEER_CACHE/apt

# debian_mirror: the URI of the host's Debian archive, read from its apt
# configuration (the source of the host's own release, not -security).
debian_mirror() {
	local codename uri
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	[ -n "$codename" ] || die "no VERSION_CODENAME in /etc/os-release"
	uri=$(apt-get update --print-uris 2>/dev/null |
		sed -n "s|^'\([^']*\)/dists/$codename/InRelease'.*|\1|p" | head -n1)
	[ -n "$uri" ] || die "no Debian source for $codename in the host's apt configuration"
	echo "$uri"
}

# suite_apt_opts: the apt options that select the private setup.
suite_apt_opts() {
	printf '%s\n' -o "Dir::Etc::SourceList=$PSTEER_APT/sources.list" \
		-o "Dir::Etc::SourceParts=$PSTEER_APT/sources.list.d" \
		-o "Dir::State::Lists=$PSTEER_APT/lists" \
		-o "Dir::Cache=$PSTEER_APT/cache" -o "APT::Default-Release=" \
		-o "APT::Sandbox::User=root"
}

# suite_apt_update [--force]: write the private sources list and update its
# lists when missing, older than a day, or with --force (under a lock).
suite_apt_update() {
	local mirror s opts
	mkdir -p "$PSTEER_APT/lists/partial" "$PSTEER_APT/cache/archives/partial" \
		"$PSTEER_APT/sources.list.d"
	(
		flock 8
		if [ "${1:-}" != --force ] && [ -f "$PSTEER_APT/.updated" ] &&
			[ -z "$(find "$PSTEER_APT/.updated" -mmin +1440)" ]; then
			exit 0
		fi
		mirror=$(debian_mirror)
		for s in $PSTEER_SUITES; do
			echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $s main"
		done >"$PSTEER_APT/sources.list"
		mapfile -t opts < <(suite_apt_opts)
		log "updating the private apt lists ($PSTEER_SUITES)"
		run apt-get -q "${opts[@]}" update >&2 || die "apt-get update of $PSTEER_SUITES failed"
		touch "$PSTEER_APT/.updated"
	) 8>"$PSTEER_CACHE/.apt.lock"
}

# suite_apt_cache ARGS...: apt-cache on the private lists.
suite_apt_cache() {
	local opts
	mapfile -t opts < <(suite_apt_opts)
	apt-cache "${opts[@]}" "$@"
}

# suite_pkg_version SUITE PKG: PKG's version in SUITE's main (madison:
# "pkg | ver | uri suite/main ..."), or nothing.
suite_pkg_version() {
	suite_apt_cache madison "$2" 2>/dev/null |
		awk -F' [|] ' -v s="$1" '$3 ~ " " s "/main " { gsub(/ /, "", $2); print $2; exit }'
}

# suite_apt_download DIR PKG=VER...: download the packages into DIR.
suite_apt_download() {
	local dir=$1 opts
	shift
	mapfile -t opts < <(suite_apt_opts)
	(cd "$dir" && run apt-get -q "${opts[@]}" download "$@") >&2
}
