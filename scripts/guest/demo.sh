# shellcheck shell=dash
# psteer demo: runs inside the test VM as /psteer/run.sh (see
# scripts/guest/lib.sh for the topology and helpers). Loads psteer, runs
# iperf3 TCP -P 32 for 10 s cli->srv, and prints iperf3's summary and
# /proc/net/psteer/cpus between marker lines that scripts/demo.sh extracts.
set -eu
# shellcheck source=lib.sh
. /psteer/lib.sh

step setup
setup_netns
x insmod "$KO"
ok

step demo
iperf demo -c "$SRV4" -P 32 -t 10
echo "=== PSTEER-DEMO iperf3 BEGIN"
echo "[ ID] Interval           Transfer     Bitrate         Retr"
grep -E '^\[SUM\].*(sender|receiver)' /tmp/iperf-demo.txt
echo "=== PSTEER-DEMO iperf3 END"
echo "=== PSTEER-DEMO cpus BEGIN"
cat /proc/net/psteer/cpus
echo "=== PSTEER-DEMO cpus END"
x rmmod psteer
ok
