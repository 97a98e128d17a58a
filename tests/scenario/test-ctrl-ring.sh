#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The netif control ring end to end (issue 5): guest 1's netfront (nb-netfront.hash=1) sets
# up a control ring, asks for Toeplitz hashing of every type with the RSS key, and checks the
# value of every HASH extra the backend sends against its own computation. Guest 2 has no
# control ring and must get no HASH extras. Counters on both sides must agree.
. "$(dirname "$0")/lib.sh"

P=nbc$$
G1=$P-g1
G2=$P-g2
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.95.0.1/24
require "guest 1 (control ring, hashing)" make_guest "$G1" 10.95.0.11/24 00:16:3e:00:09:01 br0 \
	nb-netfront.hash=1
require "guest 2" make_guest "$G2" 10.95.0.12/24 00:16:3e:00:09:02
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
check_eq "backend advertises feature-ctrl-ring" 1 \
	"$(xs xenstore-read "/local/domain/0/backend/vif/$D1/0/feature-ctrl-ring")"
check "guest 1 wrote ctrl-ring-ref" xs xenstore-read "/local/domain/$D1/device/vif/0/ctrl-ring-ref"
check "guest 2 reaches guest 1" wait_for 20 in_guest "$G2" ping -c 1 -W 1 10.95.0.11
in_guest "$G1" ip -6 addr add fd95::11/64 dev eth0 nodad
in_guest "$G2" ip -6 addr add fd95::12/64 dev eth0 nodad
check "IPv6 ping guest 2 -> guest 1" wait_for 10 in_guest "$G2" ping -6 -c 2 -i 0.2 -W 1 fd95::11
in_guest "$G1" iperf3 -s -1 -D -p 5304
sleep 0.5
check "TCP guest 2 -> guest 1" in_guest "$G2" timeout 20 iperf3 -c 10.95.0.11 -p 5304 -t 2
gstat() { xs xenstore-read "/local/domain/$1/data/nb-guest/0/$2" 2>/dev/null || echo 0; }
bstat() {
	nbctl stats --json | python3 -c "
import json, sys
print([p for p in json.load(sys.stdin) if p['port'] == sys.argv[1]][0]['vif'][sys.argv[2]])" "$1" "$2"
}
check "guest 1 published its counters" wait_for 5 sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/$D1/data/nb-guest/0/rx_hash_ok"
sleep 1.2 # one more publication after the traffic
check_eq "the backend answered the 3 control requests" 3 "$(bstat "vif$D1.0" ctrl_requests)"
check_eq "guest 1 got SUCCESS for all 3" 3 "$(gstat "$D1" ctrl_ok)"
check_eq "guest 1 got no control error" 0 "$(gstat "$D1" ctrl_err)"
check "guest 1 received HASH extras" test "$(gstat "$D1" rx_hash_ok)" -gt 100
check_eq "every HASH value and type matched guest 1's own Toeplitz" 0 "$(gstat "$D1" rx_hash_bad)"
check "the backend counted HASH extras for guest 1" test "$(bstat "vif$D1.0" rx_hash)" -gt 100
check_eq "guest 2 (no control ring) got none" 0 "$(bstat "vif$D2.0" rx_hash)"
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
