# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# The host side of the NIC topology (vm-run.sh --nic): a real multi-queue
# NIC in the guest, driven from a private network namespace of the host.
# Sourced by vm-run.sh.
#
#   host netns psteer-nic-PID                 guest
#     pnic0 10.9.0.1/24 (tap, 4 queues) ----- eth0 10.9.0.2/24, virtio-net:
#     QEMU runs in this namespace               4 queues, RSS (128-entry
#     rr (tools/testing/vm/rr.c, host build)    table, 40-byte Toeplitz key)
#
# QEMU 7.2's virtio-net with rss=on gives the guest RSS it can program
# (ethtool -x/-X); its eBPF RSS does not load here and it falls back to
# software RSS, which honours the guest's table, key and hash types. The
# trap (measured, see issue 14): when software RSS moves a packet read from
# tap queue k to a guest queue with no free RX buffer, it parks the packet
# on k and stops reading k until the guest kicks k's RX queue, which may
# never happen: every flow the host puts on k is black-holed. What holds:
# IPv6 off in the host namespace (its DAD/RS/MLD packets came before the
# guest driver filled its rings), rx_queue_size=1024, paced senders, and
# the guest re-sending its RSS configuration (any ethtool -X) before each
# phase, which makes QEMU flush every queue. nic_agent reports the tap's
# counters so that a test can tell a stall from a loss.
#
# Both ends know each other's MAC address for good (permanent neighbour
# entries, here and in the guest's nic_setup): an ARP packet has no ports
# or addresses the NIC hashes, so QEMU puts it on the guest's queue 0
# whatever the table says, and a neighbour entry going stale mid-test
# sent one there (a test that counts each queue's interrupts saw it).
#
# The control channel is a second serial port (guest /dev/ttyS1, a pair of
# FIFOs here), never the NIC under test. The guest writes one request per
# line; nic_agent answers each with lines "HOST: ..." and a last line
# "HOST-END rc=N":
#
#   rr ARGS       run the host's rr with ARGS in the namespace (ARGS: digits,
#                 letters, dots, colons, dashes and blanks only)
#   start rr ARGS the same in the background, one at a time: answered at
#                 once
#   stop          SIGTERM to it (rr -Q and rr -q stop at once), then its
#                 output and exit status
#   stats         the tap's rx/tx packets and drops
#
# Anything else answers "HOST-END rc=2". Everything is removed on exit:
# nic_down (vm-run.sh's trap) deletes the namespace, and with it the tap.
#
# The loop (PSTEER_NIC_LOOP=1, vm-run.sh --nic-loop): the guest gets a
# second NIC, a single-queue virtio-net fed by tap pnic1, bridged here to
# pnic0, so that what one of the guest's namespaces sends on it reaches
# the other through the 4-queue NIC and its RSS (guest lib.sh's
# setup_netns with PSTEER_GUEST_TOPO=nic). Traffic then is the guest's
# own, paced by the guest, and the veth tests run unchanged on a NIC.
#
#   guest netns cli: eth (02:70:73:00:00:03) -- pnic1 \
#                                                        pbr0 (10.9.0.1)
#   guest netns srv: eth (02:70:73:00:00:02) -- pnic0 /

NIC_NS="" NIC_DIR=""
NIC_TAP=pnic0
NIC_HOST=10.9.0.1
NIC_GUEST=10.9.0.2
# The guest's lib.sh knows the tap's (its HOSTMAC).
NIC_HOST_MAC=02:70:73:00:00:01
NIC_GUEST_MAC=02:70:73:00:00:02
NIC_QUEUES=4
NIC_LOOP_TAP=pnic1
NIC_LOOP_MAC=02:70:73:00:00:03
NIC_BRIDGE=pbr0

# nic_up DIR: the namespace, the tap and the FIFOs (in DIR); sets NIC_NS
# and the QEMU options in nic_qemu. PSTEER_NIC_HASH=1: the NIC reports its
# RSS hash with each packet (virtio-net's hash report, QEMU's hash=on).
# PSTEER_NIC_LOOP=1: the loop NIC and the bridge too (see above).
nic_up() {
	local hash=off hostdev=$NIC_TAP
	NIC_DIR=$1
	[ "${PSTEER_NIC_HASH:-0}" != 1 ] || hash=on
	NIC_NS=psteer-nic-$$
	command -v ip >/dev/null || die "ip (iproute2) missing"
	[ -c /dev/net/tun ] || die "no /dev/net/tun: the NIC topology needs a tap"
	run ip netns add "$NIC_NS"
	# IPv6 off before the tap exists: see the trap above.
	ip netns exec "$NIC_NS" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
	ip -n "$NIC_NS" link set lo up
	run ip -n "$NIC_NS" tuntap add dev "$NIC_TAP" mode tap multi_queue
	ip -n "$NIC_NS" link set "$NIC_TAP" address "$NIC_HOST_MAC"
	if [ "${PSTEER_NIC_LOOP:-0}" = 1 ]; then
		hostdev=$NIC_BRIDGE
		run ip -n "$NIC_NS" tuntap add dev "$NIC_LOOP_TAP" mode tap
		# No snooping: the guest's IPv6 multicast (neighbour
		# solicitations) is flooded like a plain switch does.
		run ip -n "$NIC_NS" link add "$NIC_BRIDGE" address "$NIC_HOST_MAC" \
			type bridge mcast_snooping 0
		ip -n "$NIC_NS" link set "$NIC_TAP" master "$NIC_BRIDGE"
		ip -n "$NIC_NS" link set "$NIC_LOOP_TAP" master "$NIC_BRIDGE"
		ip -n "$NIC_NS" link set "$NIC_LOOP_TAP" up
		ip -n "$NIC_NS" link set "$NIC_TAP" up
	fi
	ip -n "$NIC_NS" addr add "$NIC_HOST/24" dev "$hostdev"
	ip -n "$NIC_NS" link set "$hostdev" up
	ip -n "$NIC_NS" neigh replace "$NIC_GUEST" lladdr "$NIC_GUEST_MAC" \
		dev "$hostdev" nud permanent
	mkfifo "$NIC_DIR/ctl.in" "$NIC_DIR/ctl.out"
	# shellcheck disable=SC2034,SC2054 # used by vm-run.sh; QEMU's commas
	nic_qemu=(-netdev "tap,id=n0,ifname=$NIC_TAP,queues=$NIC_QUEUES,script=no,downscript=no,vhost=off"
		-device "virtio-net-pci,netdev=n0,mq=on,vectors=$((2 * NIC_QUEUES + 2)),rss=on,hash=$hash,rx_queue_size=1024,mac=$NIC_GUEST_MAC"
		-serial "pipe:$NIC_DIR/ctl")
	[ "${PSTEER_NIC_LOOP:-0}" = 1 ] || return 0
	# shellcheck disable=SC2054 # QEMU's commas
	nic_qemu+=(-netdev "tap,id=n1,ifname=$NIC_LOOP_TAP,script=no,downscript=no,vhost=off"
		-device "virtio-net-pci,netdev=n1,mac=$NIC_LOOP_MAC")
}

nic_down() {
	[ -z "$NIC_NS" ] || ip netns del "$NIC_NS" 2>/dev/null || true
	NIC_NS=""
}

# nic_agent RR: serves the guest's requests (see above) until QEMU closes
# the channel; RR is the host build of rr.
nic_agent() {
	local rr=$1 line args out rc bg=""
	exec 7<>"$NIC_DIR/ctl.in" 8<>"$NIC_DIR/ctl.out"
	# Killed by vm-run.sh's cleanup, or the channel closed: the background
	# rr goes too (the namespace's removal would not end it).
	trap '[ -z "$bg" ] || kill "$bg" 2>/dev/null; exit 0' TERM EXIT
	while IFS= read -r line <&8; do
		line=${line%$'\r'}
		rc=0
		case "$line" in
		"rr "* | "start rr "*)
			args=${line#start }
			args=${args#rr }
			case "$args" in
			*[!0-9A-Za-z.:\ -]*) out="bad arguments" rc=2 ;;
			*)
				if [ "${line%% *}" = start ]; then
					if [ -n "$bg" ]; then
						out="an rr is running already" rc=2
					else
						# shellcheck disable=SC2086 # rr's arguments
						ip netns exec "$NIC_NS" "$rr" $args \
							>"$NIC_DIR/bg.out" 2>&1 7>&- 8>&- &
						bg=$!
						out="started"
					fi
				else
					# shellcheck disable=SC2086 # the words are rr's arguments
					out=$(ip netns exec "$NIC_NS" "$rr" $args 2>&1) || rc=$?
				fi
				;;
			esac
			;;
		stop)
			if [ -z "$bg" ]; then
				out="no rr is running" rc=2
			else
				kill -TERM "$bg" 2>/dev/null || true
				wait "$bg" || rc=$?
				bg=""
				out=$(cat "$NIC_DIR/bg.out")
			fi
			;;
		stats)
			out=$(ip -n "$NIC_NS" -s link show "$NIC_TAP" 2>&1) || rc=$?
			;;
		"") continue ;;
		*) out="unknown request" rc=2 ;;
		esac
		printf '%s\n' "$out" | sed 's/^/HOST: /' >&7
		printf 'HOST-END rc=%s\n' "$rc" >&7
	done
}
