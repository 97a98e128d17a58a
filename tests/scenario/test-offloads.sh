#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checksum offload and GSO end to end (issue 5). Guests 1 and 3 negotiate csum offload and
# GSO TCPv4/v6; guest 2 boots with nb-netfront.offloads=0 (complete checksums, no GSO), like a
# guest after `ethtool -K eth0 tx off tso off`. TCP over IPv4 and IPv6 must work on every path,
# and the counters must show which way each took: superframes passed as they are between
# guests 1 and 3, segmented in software towards guest 2 and towards the AF_PACKET uplink,
# handed to dom0's vnet-header TAP as they are. No receiver may count a checksum error.
. "$(dirname "$0")/lib.sh"

P=nbo$$
G1=$P-g1
G2=$P-g2
G3=$P-g3
require "dom0 starts" start_dom0 "$P"
require "outside host behind a veth uplink" make_outside "$P" 10.91.0.100/24
require "bridge network with host port and uplink" nbctl net-create br0 --mode bridge \
	--host-port nbhost0 --address 10.91.0.1/24 --uplink upl0
require "guest 1 (offloads on)" make_guest "$G1" 10.91.0.11/24 00:16:3e:00:06:01
require "guest 2 (offloads off)" make_guest "$G2" 10.91.0.12/24 00:16:3e:00:06:02 br0 \
	nb-netfront.offloads=0
require "guest 3 (offloads on)" make_guest "$G3" 10.91.0.13/24 00:16:3e:00:06:03
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
D3=$(domid_of "$G3")
for d in "$D1" "$D2" "$D3"; do
	check "vif $d.0 connected" wait_for 15 connected "$d" 0
done
feat() { xs xenstore-read "/local/domain/$1/device/vif/0/$2" 2>/dev/null; }
be_feat() { xs xenstore-read "/local/domain/0/backend/vif/$1/0/$2" 2>/dev/null; }
check_eq "backend advertises feature-gso-tcpv4" 1 "$(be_feat "$D1" feature-gso-tcpv4)"
check_eq "backend advertises feature-gso-tcpv6" 1 "$(be_feat "$D1" feature-gso-tcpv6)"
check_eq "backend advertises feature-ipv6-csum-offload" 1 "$(be_feat "$D1" feature-ipv6-csum-offload)"
check_eq "guest 1 asks for GSO TCPv4" 1 "$(feat "$D1" feature-gso-tcpv4)"
check_eq "guest 2 turns checksum offload off" 1 "$(feat "$D2" feature-no-csum-offload)"
check_eq "guest 2 asks for no GSO" "" "$(feat "$D2" feature-gso-tcpv4)"

for g in "$G1" "$G2" "$G3"; do
	n=${g##*-g}
	in_guest "$g" ip -6 addr add "fd91::1$n/64" dev eth0 nodad
done
in_out ip -6 addr add fd91::100/64 dev eth0 nodad
check "guest 1 reaches the outside host" wait_for 15 in_guest "$G1" ping -c 1 -W 1 10.91.0.100
check "guest 1 reaches guest 2 over IPv6" wait_for 10 in_guest "$G1" ping -6 -c 1 -W 1 fd91::12

LOGS=$(make_tmpdir)
# iperf3 FROM_NS SERVER_NS ADDR NAME [-6]: 3 s of TCP; the MBit/s go to $LOGS/NAME.
iperf() {
	local from=$1 srv=$2 addr=$3 name=$4 fam=${5:-}
	ip netns exec "$srv" iperf3 -s -1 -D -p 5301 --logfile "$LOGS/$name.srv" || return 1
	sleep 0.5
	ip netns exec "$from" timeout 20 iperf3 $fam -c "$addr" -p 5301 -t 3 -J >"$LOGS/$name.json" 2>&1 ||
		return 1
	python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['end']['sum_received']['bits_per_second'] / 1e6))" \
		"$LOGS/$name.json" >"$LOGS/$name"
	echo "# iperf3 $name: $(cat "$LOGS/$name") Mbit/s"
	[ "$(cat "$LOGS/$name")" -gt 0 ]
}
csum_errors() { # NS: TCP checksum errors the namespace's kernel counted
	ip netns exec "$1" awk '/^Tcp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "InCsumErrors") c = i; h = 1 } else print $c }' /proc/net/snmp
}
stat_of() { # PORT KEY: one counter of `nbctl stats --json`
	nbctl stats --json | python3 -c "
import json, sys
for p in json.load(sys.stdin):
    if p['port'] == sys.argv[1]:
        v = p.get('vif', {}).get(sys.argv[2], p['drops'].get(sys.argv[2], 0))
        print(v)" "$1" "$2"
}

check "TCPv4 guest 1 -> guest 3 (GSO both ends)" iperf "$G1" "$G3" 10.91.0.13 g1-g3
check "TCPv4 guest 1 -> guest 2 (segmented for guest 2)" iperf "$G1" "$G2" 10.91.0.12 g1-g2
check "TCPv4 guest 2 -> guest 1" iperf "$G2" "$G1" 10.91.0.11 g2-g1
check "TCPv4 guest 1 -> outside host (segmented for the uplink)" iperf "$G1" "$OUT_NS" 10.91.0.100 g1-out
check "TCPv4 guest 1 -> dom0 (vnet-header TAP)" iperf "$G1" "$DOM0_NS" 10.91.0.1 g1-dom0
check "TCPv6 guest 1 -> guest 3" iperf "$G1" "$G3" fd91::13 g1-g3-v6 -6
check "TCPv6 guest 1 -> guest 2 (segmented)" iperf "$G1" "$G2" fd91::12 g1-g2-v6 -6
check "TCPv6 guest 1 -> outside host (segmented)" iperf "$G1" "$OUT_NS" fd91::100 g1-out-v6 -6

check "guest 1 sent GSO frames" test "$(stat_of "vif$D1.0" tx_gso)" -gt 0
check "guest 3 received GSO frames as they are" test "$(stat_of "vif$D3.0" rx_gso)" -gt 0
check_eq "guest 2 received no GSO frame" 0 "$(stat_of "vif$D2.0" rx_gso)"
check "frames to guest 2 were segmented in software" \
	test "$(stat_of "vif$D2.0" tx_gso_segmented)" -gt 0
check "frames to the uplink were segmented in software" \
	test "$(stat_of upl0 tx_gso_segmented)" -gt 0
check_eq "nothing was segmented for dom0's TAP" 0 "$(stat_of nbhost0 tx_gso_segmented)"
check_eq "no GSO frame was refused" 0 "$(nbctl stats --json | python3 -c '
import json, sys
print(sum(p["drops"]["tx_gso_bad"] for p in json.load(sys.stdin)))')"
for ns in "$G1" "$G2" "$G3" "$OUT_NS" "$DOM0_NS"; do
	check_eq "no TCP checksum errors in $ns" 0 "$(csum_errors "$ns")"
done
# Jumbo frames per vif (xl mtu=): second vifs with mtu=9000 on guests 1 and 3 carry 8000-byte
# pings; the same frame towards guest 2's 1500-byte vif is dropped by the backend and counted.
jumbo_vif "$G1" 00:16:3e:00:06:11 10.191.0.11/24
jumbo_vif "$G3" 00:16:3e:00:06:13 10.191.0.13/24
in_guest "$G2" ip addr add 10.191.0.12/24 dev eth0
check "8000-byte ping between the mtu=9000 vifs, DF set" wait_for 10 \
	in_guest "$G1" ping -c 2 -i 0.2 -W 2 -M do -s 8000 10.191.0.13
check_eq "vif$D1.1's switch port has MTU 9000" 9000 "$(nbctl stats --json | python3 -c '
import json, sys
print([p for p in json.load(sys.stdin) if p["port"] == sys.argv[1]][0].get("mtu", "?"))' "vif$D1.1")"
in_guest "$G1" ping -c 3 -i 0.2 -W 1 -M do -s 8000 10.191.0.12 >/dev/null 2>&1
check "an 8000-byte frame for guest 2's 1500-byte vif is dropped and counted" \
	test "$(stat_of "vif$D2.0" tx_too_big)" -gt 0
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
