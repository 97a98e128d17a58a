#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A frontend without feature-rx-notify (issue 5): guest 2 (nb-netfront.rx-notify=0) never kicks
# the backend after posting RX buffers, so netbackd must poll its RX ring (every millisecond
# while frames wait for it). Ping and TCP to that guest work, and it gets no frames late enough
# to be drained (30 ms) at this load.
. "$(dirname "$0")/lib.sh"

P=nbrn$$
G1=$P-g1
G2=$P-g2
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.99.1.1/24
require "guest 1" make_guest "$G1" 10.99.1.11/24 00:16:3e:00:0e:01
require "guest 2 (no feature-rx-notify)" make_guest "$G2" 10.99.1.12/24 00:16:3e:00:0e:02 br0 \
	nb-netfront.rx-notify=0
D2=$(domid_of "$G2")
check "guest 2 connected" wait_for 20 connected "$D2" 0
check "guest 2 did not write feature-rx-notify" sh -c \
	"! XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/$D2/device/vif/0/feature-rx-notify 2>/dev/null"
check "ping guest 1 -> guest 2" wait_for 20 in_guest "$G1" ping -c 1 -W 1 10.99.1.12
check "100 pings guest 1 -> guest 2, none lost" in_guest "$G1" ping -q -c 100 -i 0.01 -W 1 10.99.1.12
in_guest "$G2" iperf3 -s -1 -D -p 5308
sleep 0.5
LOG=$(make_tmpdir)/iperf.json
check "TCP guest 1 -> guest 2" in_guest "$G1" timeout 20 iperf3 -c 10.99.1.12 -p 5308 -t 3 -J
echo "# guest 2's vif: $(nbctl stats "vif$D2.0" | tr '\n' ' ')"
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
