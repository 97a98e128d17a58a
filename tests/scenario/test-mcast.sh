#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Multicast control end to end (issue 5): guest 1's netfront (nb-netfront.mcast=1) asks for
# request-multicast-control and mirrors its kernel's link-layer multicast list into the
# backend's filter with MCAST_ADD/DEL requests. Multicast to a group it has not joined is
# dropped by the backend (and counted); after `ip maddr add` it arrives; after `ip maddr del`
# it is dropped again. Broadcast still passes, and guest 2 (no filter) gets everything.
# Turning request-multicast-control off takes effect live (dynamic multicast control).
. "$(dirname "$0")/lib.sh"

P=nbq$$
G1=$P-g1
G2=$P-g2
GROUP_MAC=01:00:5e:01:01:01
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.96.0.1/24
require "guest 1 (multicast control)" make_guest "$G1" 10.96.0.11/24 00:16:3e:00:0a:01 br0 \
	nb-netfront.mcast=1
require "guest 2" make_guest "$G2" 10.96.0.12/24 00:16:3e:00:0a:02
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
check_eq "backend advertises feature-multicast-control" 1 \
	"$(xs xenstore-read "/local/domain/0/backend/vif/$D1/0/feature-multicast-control")"
check_eq "guest 1 asks for it" 1 \
	"$(xs xenstore-read "/local/domain/$D1/device/vif/0/request-multicast-control")"
check "broadcast (ARP) still passes: guest 2 reaches guest 1" wait_for 20 \
	in_guest "$G2" ping -c 1 -W 1 10.96.0.11

vstat() {
	nbctl stats --json | python3 -c "
import json, sys
print([p for p in json.load(sys.stdin) if p['port'] == sys.argv[1]][0]['vif'][sys.argv[2]])" "$1" "$2"
}
HOST_MAC=$(ip -n "$DOM0_NS" -o link show nbhost0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
# send N: N UDP frames to 239.1.1.1 from dom0's host port
send() {
	in_dom0 /usr/bin/python3 -c "
from scapy.all import Ether, IP, UDP, sendp
sendp(Ether(src='$HOST_MAC', dst='$GROUP_MAC')/IP(src='10.96.0.1', dst='239.1.1.1', ttl=1)/UDP(sport=5000, dport=5000)/b'group',
      iface='nbhost0', count=$1, verbose=0)" 2>/dev/null
	sleep 0.5
}
CAP=$(make_tmpdir)
count_g1() { grep -c "239.1.1.1" "$CAP/g1" 2>/dev/null || true; }
in_guest "$G1" timeout 60 tcpdump -n -l -i eth0 udp port 5000 >"$CAP/g1" 2>/dev/null &
track_pid $!
in_guest "$G2" timeout 60 tcpdump -n -l -i eth0 udp port 5000 >"$CAP/g2" 2>/dev/null &
track_pid $!
sleep 1

d0=$(vstat "vif$D1.0" rx_drop_mcast)
send 5
check "not joined: the 5 frames are dropped for guest 1" test $(($(vstat "vif$D1.0" rx_drop_mcast) - d0)) -ge 5
check_eq "not joined: guest 1 saw none" 0 "$(count_g1)"
check "guest 2 (no filter) got them" wait_for 5 sh -c "[ \$(grep -c 239.1.1.1 $CAP/g2) -ge 5 ]"

in_guest "$G1" ip maddr add "$GROUP_MAC" dev eth0
sleep 2.5 # guest 1 syncs its filter once a second
d1=$(vstat "vif$D1.0" rx_drop_mcast)
send 5
check "joined: guest 1 receives the group" wait_for 5 sh -c "[ \$(grep -c 239.1.1.1 $CAP/g1) -ge 5 ]"
# Other multicast (IPv6 MLD/ND from the other ports) may still be filtered meanwhile; the 5 to
# the joined group must not be among the drops.
check "joined: the group's frames were not dropped" test $(($(vstat "vif$D1.0" rx_drop_mcast) - d1)) -lt 5

in_guest "$G1" ip maddr del "$GROUP_MAC" dev eth0
sleep 2.5
seen=$(count_g1)
send 5
check "left: the frames are dropped again" test $(($(vstat "vif$D1.0" rx_drop_mcast) - d1)) -ge 5
check_eq "left: guest 1 saw no more" "$seen" "$(count_g1)"

# Dynamic multicast control: the frontend turns filtering off, everything passes again.
xs xenstore-write "/local/domain/$D1/device/vif/0/request-multicast-control" 0
sleep 1
d2=$(vstat "vif$D1.0" rx_drop_mcast)
send 5
check "filter off: guest 1 receives the group without joining" wait_for 5 sh -c \
	"[ \$(grep -c 239.1.1.1 $CAP/g1) -ge $((seen + 5)) ]"
check_eq "filter off: nothing dropped" "$d2" "$(vstat "vif$D1.0" rx_drop_mcast)"
check "IPv6 (solicited-node multicast) works" sh -c \
	"ip -n $G1 -6 addr add fd96::11/64 dev eth0 nodad && ip -n $G2 -6 addr add fd96::12/64 dev eth0 nodad && sleep 1 && ip netns exec $G2 ping -6 -c 2 -W 2 fd96::11 >/dev/null"
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
