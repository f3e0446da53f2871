# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# psteer's packet parser under malformed frames: runs inside the test VM as
# /psteer/run.sh (see tools/testing/guest/lib.sh).
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL --guest fuzz
# (tests.list: fuzz-debug, a short run; `make fuzz`, a long one). Settings
# from the host: PSTEER_GUEST_FUZZ_SEED (default 1) and
# PSTEER_GUEST_FUZZ_COUNT (default 20000).
#
# fuzz: /usr/bin/fuzz (tools/testing/vm/fuzz.c) writes COUNT seeded random
# and mutated frames on cli's veth0 (AF_PACKET) to srv's veth1, where
# psteer parses every one that ip_rcv()/ipv6_rcv() let through, while the
# rebalancer moves buckets. Passes if the kernel reports nothing (the host
# checks the console: KASAN, lockdep, BUG, WARNING), psteer counted frames
# it could not parse as unparsed, and IPv4 and IPv6 pings still pass. The
# seed is printed; the same seed sends the same frames.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

SEED=${PSTEER_GUEST_FUZZ_SEED:-1}
COUNT=${PSTEER_GUEST_FUZZ_COUNT:-20000}

# unparsed: frames srv's psteer passed on without parsing them.
unparsed() {
	# shellcheck disable=SC2016 # an awk program, run in srv
	srv awk 'NR > 1 { n += $9 } END { print n + 0 }' /proc/net/psteer/stats
}

step setup
setup_netns
# Rebalancing on: buckets move while the frames come.
x insmod "$KO" rebalance_ms=100
ok

step fuzz
mac=$(srv cat /sys/class/net/veth1/address)
u0=$(unparsed)
echo "fuzz seed $SEED, $COUNT frames (PSTEER_GUEST_FUZZ_SEED=$SEED reproduces them)"
x cli fuzz veth0 "$mac" 10.0.0.1 $SRV4 fd00::1 $SRV6 "$SEED" "$COUNT"
sleep 1
u=$(($(unparsed) - u0))
echo "unparsed: $u"
cat /proc/net/psteer/cpus
[ "$u" -gt 0 ] || fail "no frame was counted as unparsed"
x cli ping -c 1 -W 5 $SRV4 >/dev/null
x cli ping -c 1 -W 5 $SRV6 >/dev/null
ok "seed $SEED: $COUNT frames, $u unparsed, pings pass"

step unload
kill "$(cat /tmp/iperf3-srv.pid)" 2>/dev/null || true
x rmmod psteer
check_unloaded "after rmmod"
kmemleak_check
ok

echo "fuzz: all steps passed"
