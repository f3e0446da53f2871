# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# KUnit guest script: runs inside the KUnit/debug kernel's VM as
# /psteer/run.sh, under busybox sh, started by the initramfs' /init.
#
# Usage: no arguments; kunit-run.sh packs it with psteer.ko and
# psteer_kunit.ko (tools/testing/vm/initramfs.sh --run).
#
# Loads psteer.ko, then psteer_kunit.ko (KUnit runs the suites as it loads
# and prints their KTAP on the console), unloads both, and fails if
# kmemleak (when the kernel has it) found leaks that were not there at boot.
set -eu
x() { echo "+ $*"; "$@"; }
k=/sys/kernel/debug/kmemleak
if [ -e $k ]; then
	# Forget what the boot left behind: only new leaks count.
	echo scan >$k
	echo clear >$k
fi
x insmod /psteer/psteer.ko
x insmod /psteer/psteer_kunit.ko
x rmmod psteer_kunit
x rmmod psteer
if [ -e $k ]; then
	# kmemleak reports objects older than 5 s that a scan found
	# unreferenced; scan twice to skip pointers that were in flight.
	sleep 5
	echo scan >$k
	echo scan >$k
	if grep -q 'unreferenced object' $k; then
		cat $k
		echo "kunit: kmemleak found leaks"
		exit 1
	fi
	echo "kunit: kmemleak: no leaks"
fi
