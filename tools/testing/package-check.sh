#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The Debian package (make deb): built, lintian clean, and its sources
# built by DKMS against every supported kernel's headers.
#
# Usage: tools/testing/package-check.sh   (no arguments; tests.list: package)
#
#   build      scripts/deb.sh builds psteer-dkms with dpkg-buildpackage
#   contents   the DKMS sources and dkms.conf under /usr/src/psteer-VERSION,
#              /usr/sbin/psteer, psteer.8, /etc/modprobe.d/psteer.conf
#              naming every module parameter, a dependency on dkms
#   lintian    no error or warning but the explained ones below
#   dkms SERIES  `dkms build` of the packaged sources (unpacked with
#              dpkg -x, never installed on this machine) against the headers
#              of 6.12, 6.1, 7.2, 7.3, latest and latest-rt (fetch-kernel.sh;
#              a kernel built with a compiler the host lacks in its build
#              root, running the host's dkms script there)
#
# One line per check, exit 1 if any failed. Logs: $PSTEER_OUT/package/.
set -euo pipefail
. "$(dirname "$0")/../../scripts/lib.sh"

[ $# = 0 ] || die "usage: $0"
out=$PSTEER_OUT/package
rm -rf "$out"
mkdir -p "$out"
summary=() failed=0
result() {
	summary+=("package: $1: $2${3:+ ($3)}")
	[ "$2" = ok ] || failed=1
}
finish() {
	printf '%s\n' "${summary[@]}"
	exit "$failed"
}

# The lintian tags that stay, and why.
#   bogus-mail-host*: the project has no mailing list; the Maintainer and
#   changelog name a local address rather than invent one.
explained='bogus-mail-host|bogus-mail-host-in-debian-changelog'

deb=$(run "$PSTEER_TOP/scripts/deb.sh") || { result build FAIL "scripts/deb.sh failed"; finish; }
result build ok "${deb##*/}"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$PSTEER_TOP/dkms.conf")
x=$out/x
run dpkg -x "$deb" "$x"
missing=""
for f in "usr/src/psteer-$ver/dkms.conf" "usr/src/psteer-$ver/Kbuild" "usr/sbin/psteer" \
	usr/share/man/man8/psteer.8.gz etc/modprobe.d/psteer.conf; do
	[ -e "$x/$f" ] || missing="$missing $f"
done
while read -r p; do
	grep -q "^#options psteer $p=" "$x/etc/modprobe.d/psteer.conf" || missing="$missing psteer.conf:$p"
done < <(grep -o 'module_param[_a-z]*([a-z_]*' "$PSTEER_TOP/src/params.c" | sed 's/.*(//')
dpkg-deb -f "$deb" Depends | grep -q '\bdkms\b' || missing="$missing Depends:dkms"
if [ -z "$missing" ]; then result contents ok; else result contents FAIL "missing:$missing"; fi

lintian --info "$deb" >"$out/lintian.log" 2>&1 || true
bad=$(grep -E '^[EW]: ' "$out/lintian.log" | grep -vE ": ($explained) " || true)
if [ -z "$bad" ]; then
	result lintian ok "$(grep -cE '^[EW]: ' "$out/lintian.log" || true) explained tags"
else
	echo "$bad" >&2
	result lintian FAIL "$(echo "$bad" | wc -l) unexplained tags, see $out/lintian.log"
fi

# dkms runs from /tmp (visible in the build roots too) on a private tree.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/tree"
cp -a "$x/usr/src/psteer-$ver" "$work/src/"
cp /usr/sbin/dkms "$work/dkms"
# dkms_build SERIES: the packaged sources against that kernel (for_each_kernel).
# shellcheck disable=SC2317 # called through for_each_kernel
dkms_build() {
	local series=$1 log=$out/dkms-$1.log chroot=()
	if [ -z "$KVER" ]; then
		result "dkms $series" FAIL "could not fetch the headers"
		return
	fi
	[ -z "$BUILDROOT" ] || chroot=("$PSTEER_TOP/scripts/buildroot.sh" --exec "$BUILDROOT")
	if run "${chroot[@]}" bash "$work/dkms" build -m psteer -v "$ver" -k "$KVER" \
		--kernelsourcedir "$KDIR" --sourcetree "$work/src" --dkmstree "$work/tree" \
		>"$log" 2>&1 && [ -f "$work/tree/psteer/$ver/$KVER/x86_64/module/psteer.ko" ]; then
		result "dkms $series ($KVER)" ok
	else
		tail -n 20 "$log" >&2
		result "dkms $series ($KVER)" FAIL "see $log"
	fi
}
for_each_kernel dkms_build
finish
