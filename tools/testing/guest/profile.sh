# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# Where a steered packet's instructions go, RPS against psteer: runs in
# the test VM as /psteer/run.sh (tools/testing/bench/profile.sh boots it
# under -icount, where a guest nanosecond is a guest instruction). Both
# -away modes of cost.sh (every packet hops from CPU 0 to one of CPUs
# 1-3), the same UDP request/response load, and ftrace's function_graph
# tracer on a list of kernel and psteer functions, one a pass: each
# call's duration, in guest nanoseconds, is the instructions it took plus
# the tracer's for that one call (about 700 on 6.12: ktime_get is in the
# list to show it). A tool for finding what to cut, not a benchmark:
# prints PROFILE lines (mode, function, calls per transaction, mean and
# total instructions per transaction, the tracer's included).
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

FUNCS=$(echo "${PSTEER_GUEST_FUNCS:-net_rx_action:__sysvec_call_function_single:veth_xmit:__netif_rx:enqueue_to_backlog:process_backlog:__netif_receive_skb:ip_rcv:nf_hook_slow:ip_local_deliver:ip_route_input_noref:psteer_hook:psteer_napi_poll:psteer_drain:psteer_deliver:psteer_conn_track_in:psteer_parse_packet:psteer_napi_kick:get_rps_cpu:__skb_flow_dissect:ktime_get}" | tr : ' ')
TRANS=${PSTEER_GUEST_TRANS:-20}

step setup
setup_netns
x srv taskset 1 rr -s 7000 &
sleep 1
ok

for mode in rps-away psteer-away; do
	step "profile-$mode"
	case $mode in
	rps-away) nic_queue e ;;
	psteer-away) x insmod $KO cpus=1-3 rebalance_ms=0 ;;
	esac
	cli taskset 1 rr -u $SRV4 7000 64 2 >/dev/null
	graph_on
	for f in $FUNCS; do
		graph_pass "$f" /tmp/prof-rr.txt cli taskset 1 rr -u $SRV4 7000 64 "$TRANS" >/tmp/prof-sum.txt ||
			continue
		n=$(sed -n 's/.*recv=\([0-9]*\).*/\1/p' /tmp/prof-rr.txt)
		awk -v m="$mode" -v n="$n" '$2 > 0 {
			printf "PROFILE mode=%s fn=%s calls_per_trans=%.2f insn_mean=%.0f insn_per_trans=%.0f\n",
				m, $1, $2 / n, $3 / $2, $3 / n }' /tmp/prof-sum.txt
	done
	graph_off
	case $mode in
	rps-away) nic_queue 1 ;;
	psteer-away) x rmmod psteer ;;
	esac
	ok
done
echo "profile: done"
