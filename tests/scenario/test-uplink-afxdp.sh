#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bridge network whose uplink is an af_xdp port (XDP program + AF_XDP socket, copy mode on
# veth) into an "outside" host: ping and iperf3 both ways between a guest and the outside
# host, `nbctl stats` shows the port as af_xdp (no fallback) with its counters moved, and
# closing the network detaches the program. Then the fallback: a second uplink whose MTU no
# UMEM frame holds gets af_packet instead, with one notice in netbackd's log, and still
# carries traffic. Everything runs in namespaces this test creates.
. "$(dirname "$0")/lib.sh"

P=nbxd$$
CAP=$(make_tmpdir)
LOG() { cat "$RUNDIR/netbackd.log" 2>/dev/null; }

# iperf3 CLIENT_NS SERVER_NS SERVER_IP NAME: TCP for 3 s, reports NAME with the rate.
iperf_check() {
	local cns=$1 sns=$2 ip=$3 name=$4 out=$CAP/iperf-$RANDOM.json bps
	ip netns exec "$sns" timeout 20 iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	track_pid $!
	sleep 0.5
	if ip netns exec "$cns" timeout 20 iperf3 -c "$ip" -p 5201 -t 3 -J >"$out" 2>&1; then
		bps=$(python3 -c "import json; print(int(json.load(open('$out'))['end']['sum_received']['bits_per_second']))")
		echo "# $name: $((bps / 1000000)) Mbit/s"
		check "$name" test "$bps" -gt 0
	else
		not_ok "$name"
		tail -5 "$out" | sed 's/^/# /'
	fi
}

# stat_of PORT FIELD: a number from `nbctl stats PORT --json` (rx_packets, or a drop name).
stat_of() {
	nbctl stats "$1" --json | python3 -c "
import json, sys
d = json.load(sys.stdin)
p = d[0] if isinstance(d, list) else d
p = p.get('ports', [p])[0] if 'ports' in p else p
print(p.get('$2', p.get('drops', {}).get('$2', -1)))"
}

require "dom0 starts" start_dom0 "$P"
require "outside host behind a veth uplink" make_outside "$P" 10.91.0.100/24
# XDP carries no checksum state: a local sender must not leave checksums to offload
# (vswitch/port-afxdp.h); a NIC's frames are complete.
require "outside host sends complete checksums" in_out ethtool -K eth0 tx off
require "bridge network with an af_xdp uplink" nbctl net-create br0 --mode bridge \
	--host-port nbhost0 --address 10.91.0.1/24 --uplink upl0 --uplink-type af_xdp
require "guest 1" make_guest "$P-g1" 10.91.0.11/24 00:16:3e:00:06:01
check "nbctl stats shows the uplink as af_xdp" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' stats upl0 | head -1 | grep -q '^upl0 (af_xdp, network br0)'"
check "an XDP program is attached to upl0" sh -c "ip -n '$DOM0_NS' link show upl0 | grep -q ' xdp'"
check "the log says how: driver mode, copy (veth)" grep -q 'uplink upl0: af_xdp, driver mode, copy' \
	"$RUNDIR/netbackd.log"
check "no fallback notice in the log" sh -c "! grep -q 'af_xdp unavailable' '$RUNDIR/netbackd.log'"
check "guest 1 reaches the outside host over the uplink" wait_for 15 \
	in_guest "$P-g1" ping -c 1 -W 1 10.91.0.100
check "the outside host reaches guest 1" in_out ping -c 3 -i 0.2 -W 2 10.91.0.11
check "dom0 reaches the outside host through the bridge" in_dom0 ping -c 2 -i 0.2 -W 2 10.91.0.100
iperf_check "$P-g1" "$OUT_NS" 10.91.0.100 "iperf3 guest -> outside over af_xdp"
iperf_check "$OUT_NS" "$P-g1" 10.91.0.11 "iperf3 outside -> guest over af_xdp"
rx=$(stat_of upl0 rx_packets)
tx=$(stat_of upl0 tx_packets)
echo "# upl0: rx_packets $rx tx_packets $tx"
check "the af_xdp uplink received frames (rx_packets > 1000)" test "$rx" -gt 1000
check "the af_xdp uplink sent frames (tx_packets > 1000)" test "$tx" -gt 1000
nbctl stats upl0 | sed 's/^/# /'

# ---- fallback: an uplink XDP cannot serve ------------------------------------------------
OUT2=$P-out2
ip netns add "$OUT2" && track_netns "$OUT2"
ip -n "$OUT2" link set lo up
ip link add "$P-u2" type veth peer name "$P-o2" &&
	ip link set "$P-u2" netns "$DOM0_NS" && ip link set "$P-o2" netns "$OUT2" &&
	ip -n "$DOM0_NS" link set "$P-u2" name upl1 && ip -n "$OUT2" link set "$P-o2" name eth0 &&
	ip -n "$OUT2" addr add 10.92.0.100/24 dev eth0 && ip -n "$OUT2" link set eth0 up
# 9000 bytes do not fit a 4 KiB UMEM frame: the af_xdp port refuses (-EMSGSIZE).
require "second outside host, uplink MTU 9000" ip -n "$DOM0_NS" link set upl1 mtu 9000
require "bridge network asking for af_xdp on upl1" nbctl net-create br1 --mode bridge \
	--uplink upl1 --uplink-type af_xdp
require "guest 2 on br1" make_guest "$P-g2" 10.92.0.12/24 00:16:3e:00:06:02 br1
check "one fallback notice in the log" sh -c \
	"test \$(grep -c 'notice: uplink upl1: af_xdp unavailable (Message too long), using af_packet' '$RUNDIR/netbackd.log') -eq 1"
check "nbctl stats shows upl1 as af_packet" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' stats upl1 | head -1 | grep -q '^upl1 (af_packet, network br1)'"
check "no XDP program on upl1" sh -c "! ip -n '$DOM0_NS' link show upl1 | grep -q ' xdp'"
check "guest 2 reaches the second outside host through af_packet" wait_for 15 \
	in_guest "$P-g2" ping -c 1 -W 1 10.92.0.100
check "the second outside host reaches guest 2" ip netns exec "$OUT2" ping -c 2 -i 0.2 -W 2 10.92.0.12
check "the af_xdp network is unaffected" in_guest "$P-g1" ping -c 1 -W 2 10.91.0.100

# ---- closing the af_xdp network detaches its program ---------------------------------------
require "guest 1 destroyed" nbctl destroy "$P-g1"
check "br0 destroyed" nbctl net-destroy br0
check "upl0 has no XDP program any more" sh -c "! ip -n '$DOM0_NS' link show upl0 | grep -q ' xdp'"
finish
