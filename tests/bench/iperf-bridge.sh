#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# iperf3 guest -> guest over a netback bridge network: RUNS runs (default 3) of SECS seconds
# (default 5) each on one setup; prints every run and the median in Mbit/s. Same namespaces
# and clean-up as the scenario tests. Usage: tests/bench/iperf-bridge.sh [RUNS] [SECS]
. "$(dirname "$0")/../scenario/lib.sh"

RUNS=${1:-3}
SECS=${2:-5}
P=nbb$$
G1=$P-g1
G2=$P-g2

require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.79.0.1/24
require "guest 1" make_guest "$G1" 10.79.0.11/24 00:16:3e:00:03:01
require "guest 2" make_guest "$G2" 10.79.0.12/24 00:16:3e:00:03:02
require "guests reach each other" wait_for 20 in_guest "$G1" ping -c 1 -W 1 10.79.0.12
OUT=$(make_tmpdir)
results=()
for i in $(seq "$RUNS"); do
	in_guest "$G2" iperf3 -s -1 -D -p 5201
	sleep 0.5
	in_guest "$G1" iperf3 -c 10.79.0.12 -p 5201 -t "$SECS" -J >"$OUT/run$i.json" || exit 1
	mbps=$(python3 -c "import json; print(int(json.load(open('$OUT/run$i.json'))['end']['sum_received']['bits_per_second'] / 1e6))")
	echo "# run $i: $mbps Mbit/s"
	results+=("$mbps")
done
median=$(printf '%s\n' "${results[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "# median of $RUNS runs: $median Mbit/s (iperf3 TCP guest->guest, ${SECS}s each, MTU 1500, no offloads)"
ok "iperf3 measured"
