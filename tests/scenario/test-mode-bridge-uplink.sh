#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bridge mode with an uplink (Xen's xenbr0 + peth0): guests, dom0's host port and an outside
# host behind the uplink (a veth end attached with AF_PACKET) share one L2 segment.
. "$(dirname "$0")/lib.sh"

P=nbm$$
require "dom0 starts" start_dom0 "$P"
require "outside host behind a veth uplink" make_outside "$P" 10.90.0.100/24
require "bridge network with host port and uplink" nbctl net-create br0 --mode bridge \
	--host-port nbhost0 --address 10.90.0.1/24 --uplink upl0
require "guest 1" make_guest "$P-g1" 10.90.0.11/24 00:16:3e:00:05:01
require "guest 2" make_guest "$P-g2" 10.90.0.12/24 00:16:3e:00:05:02
check "guest 1 reaches the outside host over the uplink" wait_for 15 \
	in_guest "$P-g1" ping -c 1 -W 1 10.90.0.100
check "the outside host reaches guest 2" in_out ping -c 2 -i 0.2 -W 2 10.90.0.12
check "dom0 reaches the outside host through the bridge" in_dom0 ping -c 2 -i 0.2 -W 2 10.90.0.100
check "guests still reach each other" in_guest "$P-g1" ping -c 2 -i 0.2 -W 2 10.90.0.12
# VLAN-transparent: 802.1Q-tagged frames cross unchanged, both ways (the kernel here has no
# 8021q module, so scapy sends raw tagged frames and tcpdump checks the tag on the far side).
CAP=$(make_tmpdir)
tagged() { # NS IFACE SRC DST
	ip netns exec "$1" /usr/bin/python3 -c "
from scapy.all import Ether, Dot1Q, IP, UDP, sendp
sendp(Ether(src='$3', dst='$4')/Dot1Q(vlan=42)/IP(src='10.42.0.1', dst='10.42.0.2')/UDP(dport=9)/b'tagged',
      iface='$2', count=3, inter=0.2, verbose=0)" 2>/dev/null
}
OUT_MAC=$(ip -n "$OUT_NS" -o link show eth0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
in_out timeout 8 tcpdump -n -e -l -i eth0 -c 1 'vlan 42 and udp port 9' >"$CAP/out" 2>/dev/null &
track_pid $!
in_guest "$P-g1" timeout 8 tcpdump -n -e -l -i eth0 -c 1 'vlan 42 and udp port 9' >"$CAP/g1" 2>/dev/null &
track_pid $!
sleep 1
tagged "$P-g1" eth0 00:16:3e:00:05:01 "$OUT_MAC"
tagged "$OUT_NS" eth0 "$OUT_MAC" 00:16:3e:00:05:01
check "a VLAN 42 frame from guest 1 reaches the outside host still tagged" \
	wait_for 8 grep -q "vlan 42" "$CAP/out"
check "a VLAN 42 frame from the outside host reaches guest 1 still tagged" \
	wait_for 8 grep -q "vlan 42" "$CAP/g1"
check "the FDB knows the outside host on the uplink" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' fdb-show br0 | grep -q '^upl0 '"
finish
