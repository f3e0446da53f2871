#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build a small busybox initramfs for the test VMs.
#
# Usage: tools/testing/vm/initramfs.sh --out FILE.cpio.gz
#            [--kver KVER --modroot ROOT] [--module NAME ...]
#            [--file SRC:DEST ...] [--run GUEST_SCRIPT]
#
#   --out      the gzipped newc archive to write
#   --kver, --modroot
#              for a distro kernel unpacked by fetch-kernel.sh (ROOT has
#              lib/modules/KVER): veth.ko, every --module NAME and the
#              dependencies of every --file'd *.ko go into the image with
#              their dependencies, decompressed, and /init insmods them in
#              dependency order. The debug kernel has veth built in: omit.
#   --file     copy SRC into the image as DEST (absolute), e.g.
#              --file build/psteer.ko:/psteer/psteer.ko
#   --run      guest script, copied to /psteer/run.sh and run by /init with sh;
#              its lines "# initramfs-modules: NAME ..." act as --module NAME
#              (e.g. pktgen), so that a guest script names what it needs
#
# The image has busybox (static), iproute2's ip and tc as /sbin/ip and
# /sbin/tc, iperf3, ethtool, nft and the libraries they need, and
# /usr/bin/rr (tools/testing/vm/rr.c, built static here: TCP
# request/response, short connections, UDP flows), /usr/bin/fuzz
# (tools/testing/vm/fuzz.c, static: malformed frames) and /usr/sbin/psteer
# (tools/psteer/, static: the administrator's command).
# Debian's busybox sh runs its own applets before searching PATH, and
# busybox's ip has no netns support: guest scripts must call iproute2's ip
# as /sbin/ip.
#
# /init mounts proc, sys, devtmpfs, tmpfs on /tmp and /run, debugfs and
# tracefs (if the kernel has them), brings lo up, loads the modules, arms a
# watchdog (kernel command line psteer.timeout=SECONDS, default 600; when it
# fires it prints the processes and the stacks of the blocked ones), runs
# /psteer/run.sh and prints "PSTEER-SENTINEL: PASS" if and only if it exits
# 0 (else "PSTEER-SENTINEL: FAIL rc=N"), then ends the VM with `reboot -f`:
# vm-run.sh starts QEMU with -no-reboot, so a reboot makes it exit, and
# unlike `poweroff -f` that needs no ACPI power-off support (the debug kernel
# has no PCI, hence no ACPI S5: poweroff would only halt it).
#
# The archive is three concatenated gzip'ed cpio archives (the kernel
# unpacks them in order): the tools layer and the module layer are cached in
# $PSTEER_CACHE/initramfs/, only the small per-run layer is built each time.
set -euo pipefail
. "$(dirname "$0")/../../../scripts/lib.sh"

usage() {
	die "usage: $0 --out FILE.cpio.gz [--kver KVER --modroot ROOT] [--module NAME ...] [--file SRC:DEST ...] [--run SCRIPT]"
}

out="" kver="" modroot="" runscript=""
files=() modnames=()
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--out) out=$2 ;;
	--kver) kver=$2 ;;
	--modroot) modroot=$2 ;;
	--module) modnames+=("$2") ;;
	--file) files+=("$2") ;;
	--run) runscript=$2 ;;
	*) usage ;;
	esac
	shift 2
done
[ -n "$out" ] || usage
if [ -n "$modroot" ] || [ -n "$kver" ]; then
	{ [ -n "$modroot" ] && [ -n "$kver" ]; } || die "--kver and --modroot go together"
	[ -d "$modroot/lib/modules/$kver" ] || die "no $modroot/lib/modules/$kver"
fi
[ -z "$runscript" ] || [ -f "$runscript" ] || die "no run script $runscript"
if [ -n "$runscript" ]; then
	# shellcheck disable=SC2207 # module names have no spaces
	modnames+=($(sed -n 's/^# initramfs-modules://p' "$runscript"))
fi

tmp=""
cleanup() { [ -z "$tmp" ] || rm -rf "$tmp"; }
trap cleanup EXIT
tmp=$(mktemp -d)
cache=$PSTEER_CACHE/initramfs
mkdir -p "$cache"
# One build of the cached layers at a time: make check runs two tests at
# once, which may want the same layer (a few seconds to wait at most).
exec 8>"$cache/.lock"
flock 8

# mkcpio DIR OUT: pack DIR as a gzip'ed newc archive, owned by root.
mkcpio() {
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) | gzip -6n >"$2.tmp"
	mv "$2.tmp" "$2"
}

# libs_of BIN...: the shared libraries (and loader) the binaries need.
libs_of() {
	local bin
	for bin in "$@"; do
		ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
	done | sort -u
}

# copy_bin SRC DEST DIR: copy an executable and the libraries ldd lists,
# keeping the libraries at their host paths (real directories, no symlinks).
copy_bin() {
	local src=$1 dest=$2 dir=$3 lib
	install -D -m 0755 "$src" "$dir$dest"
	for lib in $(libs_of "$src"); do
		[ -e "$dir$lib" ] || install -D -m 0755 "$(readlink -f "$lib")" "$dir$lib"
	done
}

# --- layer 1: tools and /init (cached by content) ---------------------------
busybox=$(command -v busybox) || die "busybox missing (busybox-static)"
ipbin=$(command -v ip) || die "ip missing (iproute2)"
tcbin=$(command -v tc) || die "tc missing (iproute2)"
iperf=$(command -v iperf3) || die "iperf3 missing"
ethtool=$(command -v ethtool) || die "ethtool missing"
nft=$(command -v nft) || die "nft missing (nftables)"
rrsrc=$PSTEER_TOP/tools/testing/vm/rr.c
fuzzsrc=$PSTEER_TOP/tools/testing/vm/fuzz.c
mapfile -t cmdsrc < <(ls "$PSTEER_TOP"/tools/psteer/*.[ch])
command -v gcc >/dev/null || die "gcc missing (build-essential)"
! ldd "$busybox" >/dev/null 2>&1 ||
	die "$busybox is dynamically linked: install busybox-static"

read -r -d '' init <<'EOF' || true
#!/bin/sh
# psteer test VM init (generated by tools/testing/vm/initramfs.sh)
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
[ -d /sys/kernel/debug ] && mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[ -d /sys/kernel/tracing ] && mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
exec </dev/console >/dev/console 2>&1

timeout=600
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	psteer.timeout=*) timeout=${arg#psteer.timeout=} ;;
	esac
done
(
	sleep "$timeout"
	# What it was stuck in: the processes, the blocked tasks' stacks
	# (sysrq w), and on the sentinel line each blocked task's first frames.
	ps
	blocked=""
	for d in /proc/[0-9]*; do
		[ "$(awk '/^State:/ { print $2 }' "$d/status" 2>/dev/null)" = D ] || continue
		blocked="$blocked $(cat "$d/comm")[$(head -n 4 "$d/stack" 2>/dev/null |
			awk '{ printf "%s%s", s, $2; s = "," }')]"
	done
	[ ! -w /proc/sysrq-trigger ] || echo w >/proc/sysrq-trigger
	echo "PSTEER-SENTINEL: FAIL watchdog: run.sh still running after ${timeout}s; blocked:${blocked:- none}"
	reboot -f
) &

/sbin/ip link set lo up
rc=0
if [ -f /etc/psteer/modules ]; then
	while read -r mod; do
		echo "+ insmod $mod"
		insmod "$mod" || { rc=$?; echo "init: insmod $mod failed"; break; }
	done </etc/psteer/modules
fi
if [ "$rc" = 0 ] && [ -f /psteer/run.sh ]; then
	echo "init: running /psteer/run.sh (watchdog ${timeout}s)"
	cd /tmp && sh /psteer/run.sh
	rc=$?
fi
if [ "$rc" = 0 ]; then
	echo "PSTEER-SENTINEL: PASS"
else
	echo "PSTEER-SENTINEL: FAIL rc=$rc"
fi
sync
# QEMU runs with -no-reboot: a reboot ends it, with or without ACPI.
reboot -f
EOF

key=$( {
	cat "$busybox" "$ipbin" "$tcbin" "$iperf" "$ethtool" "$nft" "$rrsrc" "$fuzzsrc" "$0" \
		"${cmdsrc[@]}"
	libs_of "$ipbin" "$tcbin" "$iperf" "$ethtool" "$nft" | xargs readlink -f | xargs cat
} | sha256sum | cut -c1-16) # by content, not by path
base=$cache/base-$key.cpio.gz
if [ ! -f "$base" ]; then
	d=$tmp/base
	mkdir -p "$d"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,psteer}
	install -m 0755 "$busybox" "$d/bin/busybox"
	# The kernel opens /dev/console for init before anything is mounted.
	[ "$(id -u)" != 0 ] || mknod -m 0600 "$d/dev/console" c 5 1
	for applet in $("$busybox" --list); do
		case "$applet" in busybox | ip) continue ;; esac
		[ -e "$d/bin/$applet" ] || ln -s busybox "$d/bin/$applet"
	done
	copy_bin "$ipbin" /sbin/ip "$d"
	copy_bin "$tcbin" /sbin/tc "$d"
	copy_bin "$iperf" /usr/bin/iperf3 "$d"
	copy_bin "$ethtool" /usr/sbin/ethtool "$d"
	copy_bin "$nft" /usr/sbin/nft "$d"
	# Static (libc6-dev's libc.a): needs nothing else in the image.
	run gcc -static -O2 -Wall -s -o "$d/usr/bin/rr" "$rrsrc" >&2
	run gcc -static -O2 -Wall -s -o "$d/usr/bin/fuzz" "$fuzzsrc" >&2
	run gcc -static -O2 -Wall -s -o "$d/usr/sbin/psteer" \
		"$PSTEER_TOP"/tools/psteer/*.c -lm >&2
	printf '%s\n' "$init" >"$d/init"
	chmod 0755 "$d/init"
	printf '%s\n' "root:x:0:0:root:/tmp:/bin/sh" \
		"nobody:x:65534:65534:nobody:/tmp:/bin/sh" >"$d/etc/passwd"
	printf '%s\n' "root:x:0:" "nogroup:x:65534:" >"$d/etc/group"
	rm -f "$cache"/base-*.cpio.gz # older layers
	mkcpio "$d" "$base"
	log "built tools layer $base"
fi

# --- layer 2: kernel modules (cached per kernel and module set) -------------
mods=""
if [ -n "$modroot" ]; then
	wanted=(veth "${modnames[@]}")
	for f in "${files[@]}"; do
		case "${f%%:*}" in *.ko)
			IFS=, read -ra deps <<<"$(modinfo -F depends "${f%%:*}")"
			wanted+=("${deps[@]}")
			;;
		esac
	done
	mapfile -t wanted < <(printf '%s\n' "${wanted[@]}" | sed '/^$/d' | sort -u)
	mdir=$modroot/lib/modules/$kver
	key=$( {
		echo "$kver ${wanted[*]}"
		cat "$mdir/modules.dep" "$0"
	} | sha256sum | cut -c1-16)
	mods=$cache/modules-$kver-$key.cpio.gz
	if [ ! -f "$mods" ]; then
		d=$tmp/mods
		mkdir -p "$d/etc/psteer"
		: >"$d/etc/psteer/modules"
		# --show-depends prints "insmod PATH" lines in load order
		# (dependencies first) and "builtin NAME" for built-in ones.
		for m in "${wanted[@]}"; do
			modprobe -d "$modroot" -S "$kver" --show-depends "$m" ||
				die "module $m not found for $kver"
		done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }' >"$tmp/modlist"
		while read -r path; do
			rel=${path#"$modroot"}
			case "$rel" in
			*.ko.xz) dest=${rel%.xz} && install -d "$d${dest%/*}" && xz -dc "$path" >"$d$dest" ;;
			*.ko.zst) dest=${rel%.zst} && install -d "$d${dest%/*}" && zstd -qdc "$path" >"$d$dest" ;;
			*.ko.gz) dest=${rel%.gz} && install -d "$d${dest%/*}" && gzip -dc "$path" >"$d$dest" ;;
			*.ko) dest=$rel && install -D -m 0644 "$path" "$d$dest" ;;
			*) die "unexpected module path $path" ;;
			esac
			echo "$dest" >>"$d/etc/psteer/modules"
		done <"$tmp/modlist"
		mkcpio "$d" "$mods"
		log "built module layer $mods: $(tr '\n' ' ' <"$d/etc/psteer/modules")"
	fi
fi

# --- layer 3: this run's files (built every time, small) --------------------
d=$tmp/run
mkdir -p "$d/psteer"
for f in "${files[@]}"; do
	src=${f%%:*} dest=${f#*:}
	case "$f" in *:/*) ;; *) die "--file wants SRC:/DEST, got $f" ;; esac
	[ -f "$src" ] || die "no such file $src"
	install -D "$src" "$d$dest"
done
[ -z "$runscript" ] || install -m 0755 "$runscript" "$d/psteer/run.sh"
(cd "$d" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1n >"$tmp/run.cpio.gz"

mkdir -p "$(dirname "$out")"
cat "$base" ${mods:+"$mods"} "$tmp/run.cpio.gz" >"$out.tmp"
mv "$out.tmp" "$out"
log "wrote $out ($(du -k "$out" | cut -f1) KiB)"
