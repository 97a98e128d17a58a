#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# iperf3 guest -> guest over a netback bridge network, with and without offloads, in one run:
# guests 1 and 2 negotiate checksum offload and GSO TCPv4/v6 (superframes cross the backend
# as they are); guests 3 and 4 boot with nb-netfront.offloads=0 (MTU-sized frames with full
# checksums, the baseline). RUNS runs (default 3) of SECS seconds (default 5) per pair,
# alternating; prints every run, both medians in Mbit/s and their ratio. Same namespaces and
# clean-up as the scenario tests. Usage: tests/bench/iperf-bridge.sh [RUNS] [SECS]
. "$(dirname "$0")/../scenario/lib.sh"

RUNS=${1:-3}
SECS=${2:-5}
P=nbb$$

require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.79.0.1/24
require "guest 1 (GSO)" make_guest "$P-g1" 10.79.0.11/24 00:16:3e:00:03:01
require "guest 2 (GSO)" make_guest "$P-g2" 10.79.0.12/24 00:16:3e:00:03:02
require "guest 3 (no offloads)" make_guest "$P-g3" 10.79.0.13/24 00:16:3e:00:03:03 br0 \
	nb-netfront.offloads=0
require "guest 4 (no offloads)" make_guest "$P-g4" 10.79.0.14/24 00:16:3e:00:03:04 br0 \
	nb-netfront.offloads=0
require "guests 1-2 reach each other" wait_for 20 in_guest "$P-g1" ping -c 1 -W 1 10.79.0.12
require "guests 3-4 reach each other" wait_for 20 in_guest "$P-g3" ping -c 1 -W 1 10.79.0.14
OUT=$(make_tmpdir)

# run FROM TO ADDR TAG: one iperf3 run, prints Mbit/s
run() {
	ip netns exec "$2" iperf3 -s -1 -D -p 5201
	sleep 0.5
	ip netns exec "$1" iperf3 -c "$3" -p 5201 -t "$SECS" -J >"$OUT/$4.json" || return 1
	python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['end']['sum_received']['bits_per_second'] / 1e6))" "$OUT/$4.json"
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

on=()
off=()
for i in $(seq "$RUNS"); do
	m=$(run "$P-g1" "$P-g2" 10.79.0.12 "on$i") || exit 1
	echo "# run $i GSO on:  $m Mbit/s"
	on+=("$m")
	m=$(run "$P-g3" "$P-g4" 10.79.0.14 "off$i") || exit 1
	echo "# run $i GSO off: $m Mbit/s"
	off+=("$m")
done
mon=$(median "${on[@]}")
moff=$(median "${off[@]}")
echo "# median of $RUNS runs, iperf3 TCP guest->guest, ${SECS}s each, MTU 1500:"
echo "#   GSO on  (csum offload + GSO TCPv4): $mon Mbit/s"
echo "#   GSO off (nb-netfront.offloads=0):   $moff Mbit/s"
echo "#   ratio on/off: $(python3 -c "print('%.2f' % ($mon / max($moff, 1)))")"
ok "iperf3 measured"
finish
