# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash
# The psteer command (tools/psteer/, /usr/sbin/psteer in the image) against
# the real module: runs inside the test VM as /psteer/run.sh (see
# tools/testing/guest/lib.sh for the topology).
#
# Usage: no arguments; booted by
#   tools/testing/vm/run-guest.sh --kernel KERNEL --guest cmd
# (tests.list: cmd-6.12).
#
#   netns cli (10.0.0.1/24) --veth-- netns srv (10.0.0.2/24)
#
# psteer owns buckets on CPUs 0-2 only (cpus=0-2), so that CPU 3 is an
# online CPU the module refuses to pin to. Rebalancing is off until the
# last step, so owners stay put while the output is compared with /proc.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

P=/sys/module/psteer/parameters
NB=64

# expect RC TEXT ARGS...: psteer ARGS exits with RC and says TEXT on stderr
# (or stdout).
expect() {
	local rc=$1 text=$2 got=0
	shift 2
	psteer "$@" >/tmp/cmd.out 2>&1 || got=$?
	[ "$got" = "$rc" ] || { cat /tmp/cmd.out; fail "psteer $*: exit $got, not $rc"; }
	grep -qF -- "$text" /tmp/cmd.out ||
		{ cat /tmp/cmd.out; fail "psteer $*: no '$text' in its message"; }
	echo "psteer $*: exit $got: $(head -n1 /tmp/cmd.out)"
}

# counters: "cpu inline steered drained dropped" of every CPU.
counters() {
	awk 'NR > 1 { print $1, $3, $4, $5, $6 }' /proc/net/psteer/cpus
}

step setup
setup_netns
expect 3 "not loaded" stat
expect 3 "not loaded" show
x insmod $KO nbuckets=$NB cpus=0-2 rebalance_ms=0
ok

# --- rates add up to the counters' deltas --------------------------------------
step stat-rates
# One interval of 8 s around 2 s of UDP: the counters move only inside it,
# so rate x interval must give each CPU's delta.
counters >/tmp/c0
echo "+ psteer stat --json 8 1 (background)"
psteer stat --json 8 1 >/tmp/stat.json &
ST=$!
sleep 1
iperf udp -c $SRV4 -u -b 20M -l 1000 -t 2 -P 4
wait $ST || fail "psteer stat failed"
counters >/tmp/c1
cat /tmp/stat.json
# The JSON as "key value" lines: cpu N starts a CPU's fields.
# shellcheck disable=SC2020 # one character for each, on purpose
tr -s '{},[]:"' '\n\n\n\n\n  ' </tmp/stat.json >/tmp/stat.kv
bad=$(awk '
	FILENAME == "/tmp/stat.kv" {
		if ($1 == "interval_s") dt = $2
		if ($1 == "cpu") c = $2
		if ($1 ~ /_pps$/) rate[c " " $1] = $2
		next
	}
	FILENAME == "/tmp/c0" { for (i = 2; i <= 5; i++) v0[$1, i] = $i; next }
	{
		split("inline_pps steered_pps drained_pps dropped_pps", k, " ")
		for (i = 2; i <= 5; i++) {
			d = $i - v0[$1, i]
			est = rate[$1 " " k[i - 1]] * dt
			tol = d / 100 > 2 ? d / 100 : 2
			if (est - d > tol || d - est > tol)
				printf "cpu %s %s: %.1f x %.3f s = %.0f, counters moved %d\n",
					$1, k[i - 1], rate[$1 " " k[i - 1]], dt, est, d
			total += d
		}
	}
	END { if (total < 1000) print "only " total " packets counted" }
' /tmp/stat.kv /tmp/c0 /tmp/c1)
[ -z "$bad" ] || fail "$bad"
ok "rates x interval match the counters of every CPU"

# --- show -----------------------------------------------------------------------
step show
[ "$(psteer show cpus | head -n1)" = "$(head -n1 /proc/net/psteer/cpus)" ] ||
	fail "psteer show cpus has another header than /proc/net/psteer/cpus"
want=$(awk 'NR > 1 && $2 == 1' /proc/net/psteer/buckets | wc -l)
got=$(psteer show buckets --cpu 1 --json | tr '}' '\n' | grep -c '"bucket":')
[ "$got" = "$want" ] || fail "show buckets --cpu 1 --json: $got buckets, /proc says $want"
got=$(psteer show buckets --cpu 1 | awk 'NR > 1' | wc -l)
[ "$got" = "$want" ] || fail "show buckets --cpu 1: $got buckets, /proc says $want"
# devices, in srv's namespace: lo and veth1, no RSS table.
[ "$(srv psteer show devices)" = "$(srv cat /proc/net/psteer/devices)" ] ||
	fail "psteer show devices differs from /proc/net/psteer/devices"
srv psteer show devices --json | grep -q '"dev": *"veth1"' ||
	{ srv psteer show devices --json; fail "show devices --json has no veth1"; }
ok "$want buckets on CPU 1"

# --- pin and unpin ----------------------------------------------------------------
step pin-unpin
bucket_row() { awk -v b="$1" 'NR > 1 && $1 == b { print $2, $7 }' /proc/net/psteer/buckets; }
before=$(bucket_row 5)
x psteer pin 5 2
[ "$(bucket_row 5)" = "2 1" ] || fail "after pin 5 2: cpu pinned = $(bucket_row 5)"
x psteer unpin 5
[ "$(bucket_row 5)" = "2 0" ] || fail "after unpin 5: cpu pinned = $(bucket_row 5)"
ok "bucket 5: '$before' -> '2 1' -> '2 0'"

# --- where agrees with conns --------------------------------------------------------
step where
iperf_wait_ready
echo "+ iperf3 -c $SRV4 -P 4 -t 6 (in cli, background)"
cli iperf3 -f m -i 0 -c $SRV4 -P 4 -t 6 >/tmp/iperf-where.txt 2>&1 &
BG=$!
# The control connection and the 4 streams tracked, within 30 s.
# shellcheck disable=SC2016 # an awk program, run in srv
tcp_conns() { srv awk 'NR > 1 && $1 == 6' /proc/net/psteer/conns >/tmp/conns && [ "$(wc -l </tmp/conns)" -ge 5 ]; }
wait_for 300 "fewer than 5 TCP connections in conns" tcp_conns
n=0
while read -r proto src sport dst dport hash bucket cpu rest; do
	out=$(psteer where "$proto" "$src" "$sport" "$dst" "$dport")
	echo "$out"
	echo "$out" | grep -qF "hash $hash, bucket $bucket, CPU $cpu" ||
		fail "conns says hash $hash bucket $bucket cpu $cpu ($rest)"
	# The reverse direction is the same flow (symmetric=1).
	psteer where "$proto" "$dst" "$dport" "$src" "$sport" |
		grep -qF "hash $hash, bucket $bucket, CPU $cpu" ||
		fail "the reverse of $src:$sport -> $dst:$dport lands elsewhere"
	n=$((n + 1))
done </tmp/conns
wait $BG || { cat /tmp/iperf-where.txt; fail "iperf3 failed"; }
[ "$n" -ge 5 ] || fail "only $n TCP connections in conns"
psteer where --json tcp 10.0.0.1 1 10.0.0.2 2
ok "$n live connections: where = conns, both directions"

# --- bad arguments: a message, an exit code, nothing changed ---------------------------
step bad-args
# What a command could change: owner, pinned, moves (not the decaying loads).
owners() { awk '{ print $1, $2, $7, $8 }' /proc/net/psteer/buckets; }
owners >/tmp/b0
expect 2 "unknown command" bogus
expect 2 "unknown option" stat --bogus
expect 2 "INTERVAL" stat 0
expect 2 "INTERVAL" stat x
expect 2 "COUNT" stat 1 0
expect 2 "at most" stat 1 2 3
expect 2 "no INTERVAL" stat --prometheus 1
expect 2 "exclude" stat --json --prometheus
expect 2 "takes no --top" show --top 3
expect 2 "--cpu" show --cpu x
expect 2 "no table" show bogus
expect 2 "out of range" pin $NB 1
expect 2 "negative" pin -1 1
expect 2 "CPU must be" pin 1 x
expect 2 "not online" pin 1 9
expect 2 "not one psteer steers to" pin 1 3
expect 2 "usage" pin 1
expect 2 "BUCKET" unpin 99999
expect 2 "usage" where tcp 10.0.0.1 1 10.0.0.2
expect 2 "ports" where tcp 10.0.0.1 70000 10.0.0.2 2
expect 2 "refused" where foo 10.0.0.1 1 10.0.0.2 2
expect 2 "refused" where tcp 10.0.0.1 1 fd00::2 2
expect 2 "refused" where icmp 10.0.0.1 1 10.0.0.2 0
expect 2 "usage" device lo
expect 2 "hardware or software" device lo bogus
expect 2 "not a device name" device a/b hardware
expect 2 "no device" device nosuch0 hardware
expect 1 "no RSS table" device lo hardware
x psteer device lo software
# Without CAP_NET_ADMIN: reads work, changes and where do not.
echo "+ su nobody: psteer show cpus, pin, where, device"
su -s /bin/sh nobody -c "psteer show cpus" >/dev/null || fail "show as nobody failed"
rc=0
su -s /bin/sh nobody -c "psteer pin 1 1" >/tmp/cmd.out 2>&1 || rc=$?
if [ "$rc" != 4 ] || ! grep -q CAP_NET_ADMIN /tmp/cmd.out; then
	cat /tmp/cmd.out
	fail "pin as nobody: exit $rc"
fi
rc=0
su -s /bin/sh nobody -c "psteer where tcp 10.0.0.1 1 10.0.0.2 2" >/tmp/cmd.out 2>&1 || rc=$?
if [ "$rc" != 4 ] || ! grep -q CAP_NET_ADMIN /tmp/cmd.out; then
	cat /tmp/cmd.out
	fail "where as nobody: exit $rc"
fi
rc=0
su -s /bin/sh nobody -c "psteer device lo software" >/tmp/cmd.out 2>&1 || rc=$?
if [ "$rc" != 4 ] || ! grep -q CAP_NET_ADMIN /tmp/cmd.out; then
	cat /tmp/cmd.out
	fail "device as nobody: exit $rc"
fi
owners >/tmp/b1
cmp -s /tmp/b0 /tmp/b1 || {
	diff /tmp/b0 /tmp/b1 | head
	fail "a refused command changed the buckets"
}
ok

# --- stat under a busy loop, rebalancing on --------------------------------------------
step stat-hog
x sh -c "echo 100 >$P/rebalance_ms"
hog_start 1
iperf_wait_ready
cli iperf3 -f m -i 0 -c $SRV4 -P 32 -b 25M -t 9 >/tmp/iperf-hog.txt 2>&1 &
BG=$!
sleep 2
x psteer stat --top 3 1 5
psteer stat --prometheus >/tmp/prom.txt
hog_stop
wait $BG || { cat /tmp/iperf-hog.txt; fail "iperf3 failed"; }
grep -q '^psteer_packets_total{cpu="0",path="inline"} [0-9]' /tmp/prom.txt ||
	{ cat /tmp/prom.txt; fail "no psteer_packets_total in --prometheus"; }
grep -c '^psteer_' /tmp/prom.txt
ok

step unload
kill "$(cat /tmp/iperf3-srv.pid)" 2>/dev/null || true
x rmmod psteer
check_unloaded "after rmmod"
expect 3 "not loaded" stat 1 1
expect 3 "not loaded" pin 1 1
kmemleak_check
ok

echo "cmd: all steps passed"
