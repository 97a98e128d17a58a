#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# route and fast-path NAT networks on the DPDK engine, with a DPDK device as their uplink:
# `nbctl port-add - NAME dpdk:DEVARGS` opens it outside any network, `net-create ... --uplink
# NAME` takes it. Each network gets an inside vif-role port and the uplink, both net_pcap
# ports replaying a stream forever (infinite_rx): inside hosts (announced by ARP) talking to
# outside hosts (announced by ARP to the uplink address) and back for route; inside hosts to
# one outside server for nat. Asserted: the network lists the uplink, route forwards both
# ways (each port transmits) and answers the hosts' ARP, the NAT makes one session per flow
# and sends the translated frames out of the uplink, and net-destroy releases the uplink. netbackd runs in a namespace of its own (the nat mode makes a host TAP and dnsmasq).
. "$(dirname "$0")/lib.sh"

P=nbdu$$
PFX=nbdu-$$
trap 'cleanup; rm -rf "/var/run/dpdk/$PFX"' EXIT

require "scapy for the streams" /usr/bin/python3 -c "import scapy"
require "dom0 starts with netbackd --engine dpdk" start_dom0 "$P" --engine dpdk \
	--dpdk-args "-l 0-1 --no-huge --no-pci -m 256 --file-prefix=$PFX --log-level=lib.eal:error"
D=$(make_tmpdir)

stat_of() { # PORT FIELD (top level or in drops)
	nbctl stats "$1" --json | /usr/bin/python3 -c "
import json, sys
s = json.load(sys.stdin)[0]
print(s.get('$2', s['drops'].get('$2')))"
}

# ---- route: the router's MAC comes from the network's name (mode-route.c route_default_mac)
/usr/bin/python3 - "$D" <<'EOF'
import sys
from scapy.all import ARP, Ether, IP, UDP, Raw, wrpcap
w = sys.argv[1]
h = 2166136261
for c in b"rt":
    h = ((h ^ c) * 16777619) & 0xffffffff
h2 = ((h ^ 0x5a) * 16777619) & 0xffffffff
RT = "02:%02x:%02x:%02x:%02x:%02x" % (h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff, h2 & 0xff)
def mac(side, k): return "02:00:%02x:00:00:%02x" % (side, k)
def pad(p): return p / Raw(b"\x00" * (60 - len(p)))
a = [Ether(src=mac(1, k), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac(1, k), psrc="10.1.0.%d" % (k + 1), pdst="10.1.255.254") for k in range(4)]
a += [pad(Ether(src=mac(1, k), dst=RT) / IP(src="10.1.0.%d" % (k + 1), dst="10.2.0.%d" % (k + 1)) / UDP(sport=1000 + k, dport=7)) for k in range(4)]
b = [Ether(src=mac(2, k), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac(2, k), psrc="10.2.0.%d" % (k + 1), pdst="10.2.255.254") for k in range(4)]
b += [pad(Ether(src=mac(2, k), dst=RT) / IP(src="10.2.0.%d" % (k + 1), dst="10.1.0.%d" % (k + 1)) / UDP(sport=7, dport=1000 + k)) for k in range(4)]
wrpcap(w + "/rt_in.pcap", a)
wrpcap(w + "/rt_up.pcap", b)
EOF
require "uplink opened outside any network" nbctl port-add - rtup \
	"dpdk:net_pcap0,rx_pcap=$D/rt_up.pcap,infinite_rx=1"
require "route network takes it as its uplink" nbctl net-create rt --mode route \
	--address 10.1.255.254/16 --uplink rtup --uplink-address 10.2.255.254/16
require "inside port added" nbctl port-add rt rtin \
	"dpdk:net_pcap1,rx_pcap=$D/rt_in.pcap,infinite_rx=1" --role vif \
	--ip '10.1.0.1 10.1.0.2 10.1.0.3 10.1.0.4'
check "net-list shows the uplink" sh -c "'$BIN/nbctl' --rundir '$RUNDIR' net-list | grep -q '^rt .* rtup$'"
sleep 1
for p in rtin rtup; do
	tx=$(stat_of $p tx_packets)
	arp=$(stat_of $p l3_arp_replied)
	check "route: $p forwards (tx $tx, of which ARP replies $arp)" test "$tx" -gt $((arp + 1000))
	check "route: the router answers ARP on $p" test "$arp" -gt 0
done
check_eq "route: nothing spoofed on the inside" 0 "$(stat_of rtin l3_spoofed)"
require "inside port removed" nbctl port-del rtin
require "route network destroyed" nbctl net-destroy rt
check "its uplink is closed with it" sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' stats rtup >/dev/null 2>&1"

# ---- nat --nat fastpath, outbound: inside hosts send to the gateway's MAC (the host TAP's,
# learned by the mode from the TAP's own frames: a ping from dom0 makes it speak); the uplink
# stream is the gateway asking for the uplink address (so the NAT learns the gateway's MAC).
# The inbound direction is covered by the golden tests and tests/bench/dpdk-ratio.sh (it needs
# the uplink's MAC in the replayed stream).
/usr/bin/python3 - "$D" <<'EOF'
import sys
from scapy.all import ARP, Ether, wrpcap
GW = "02:00:02:00:ff:fe"
wrpcap(sys.argv[1] + "/nat_up.pcap", [Ether(src=GW, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=GW, psrc="192.0.2.1", pdst="192.0.2.2")])
EOF
require "nat uplink opened outside any network" nbctl port-add - natup \
	"dpdk:net_pcap2,rx_pcap=$D/nat_up.pcap,infinite_rx=1"
require "nat fastpath network takes it as its uplink" nbctl net-create nat --mode nat \
	--subnet 10.3.0.0/24 --nat fastpath --uplink natup --uplink-address 192.0.2.2/24 \
	--uplink-gateway 192.0.2.1
GWMAC=$(in_dom0 cat /sys/class/net/nb-nat/address)
in_dom0 ping -c 1 -W 1 10.3.0.200 >/dev/null 2>&1
/usr/bin/python3 - "$D" "$GWMAC" <<'EOF'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
w, gw = sys.argv[1], sys.argv[2]
def pad(p): return p / Raw(b"\x00" * (60 - len(p)))
wrpcap(w + "/nat_in.pcap", [pad(Ether(src="02:00:03:00:00:%02x" % k, dst=gw) / IP(src="10.3.0.%d" % (k + 10), dst="198.51.100.1") / UDP(sport=2000 + k, dport=5001)) for k in range(4)])
EOF
require "nat inside port added" nbctl port-add nat natin \
	"dpdk:net_pcap3,rx_pcap=$D/nat_in.pcap,infinite_rx=1" --role vif
sleep 1
nat_show=$(nbctl nat-show nat)
check "nat: four sessions" test "$(grep -c 198.51.100.1 <<<"$nat_show")" -ge 4
up_tx=$(stat_of natup tx_packets)
up_arp=$(stat_of natup l3_arp_replied)
check "nat: translated frames leave by the uplink (tx $up_tx, ARP replies $up_arp)" \
	test "$up_tx" -gt $((up_arp + 1000))
# Only the first frames wait for the gateway's MAC (a bounded queue, the rest is counted).
nf=$(stat_of natin l3_neigh_failed)
check "nat: only a handful of frames waited for the gateway ($nf)" test "$nf" -lt 1000
require "nat inside port removed" nbctl port-del natin
require "nat network destroyed" nbctl net-destroy nat
check "its uplink is closed with it" sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' stats natup >/dev/null 2>&1"
[ "$N_FAILED" -gt 0 ] && { nbctl stats | sed 's/^/# /'; echo "$nat_show" | sed 's/^/# /'; }
finish
