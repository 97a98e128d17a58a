#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The uplink guard (net-create --uplink-guard, vswitch/xdpguard.h): bridge networks whose
# uplink (a veth into an "outside" namespace) carries the XDP guard, one as af_packet (the
# guard program on its own) and one as af_xdp (the guard inside the redirect program), and a
# third without the guard as the control. From the outside host scapy sends frames with a
# guest's MAC as source, with a guest's IPv4 address as source (untagged and 802.1Q-tagged),
# with a multicast or all-zero source MAC, 10-byte frames, and normal UDP. (No frame under 14
# bytes reaches XDP through a veth: the sender pads the 10-byte ones to 60, and they pass on to
# the switch like any frame from an unknown unicast source; so xdp_drop_runt is not exercised
# here, and BPF_PROG_TEST_RUN refuses such frames too.) With the guard: the drop counters of
# the uplink (nbctl stats) count exactly the bad frames, the switch's rx_packets grows only by
# the good ones, a capture at the guest sees none of the spoofed frames and every normal one,
# ping still works; a guest that leaves the network leaves the guard's maps. Without it: the
# same frames reach the switch and the guest. Closing a guarded network detaches the
# program; so does netbackd's death (SIGKILL) for the af_packet guard (a BPF link). Where
# another XDP program is on the interface, netbackd says so in one notice per fallback and
# runs the uplink as af_packet without the guard, leaving that program alone.
. "$(dirname "$0")/lib.sh"

P=nbxg$$
CAP=$(make_tmpdir)
N=40 # frames of each kind
PY=/usr/bin/python3

# stat_of PORT FIELD: a number from `nbctl stats PORT --json` (rx_packets, or a counter name).
stat_of() {
	nbctl stats "$1" --json | $PY -c "
import json, sys
d = json.load(sys.stdin)
p = d[0] if isinstance(d, list) else d
p = p.get('ports', [p])[0] if 'ports' in p else p
print(p.get('$2', p.get('drops', {}).get('$2', -1)))"
}

# expect_eq NAME ACTUAL EXPECTED
expect_eq() { check_eq "$1" "$3" "$2"; }

# make_link I CIDR: namespace $P-oI with eth0 (CIDR) joined by a veth to uplI in dom0.
make_link() {
	local i=$1 ns=$P-o$1
	ip netns add "$ns" || return 1
	track_netns "$ns"
	ip -n "$ns" link set lo up
	ip link add "$P-u$i" type veth peer name "$P-p$i" || return 1
	ip link set "$P-u$i" netns "$DOM0_NS" && ip link set "$P-p$i" netns "$ns" &&
		ip -n "$DOM0_NS" link set "$P-u$i" name "upl$i" &&
		ip -n "$DOM0_NS" link set "upl$i" up &&
		ip -n "$ns" link set "$P-p$i" name eth0 &&
		ip -n "$ns" addr add "$2" dev eth0 &&
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1 &&
		ip -n "$ns" link set eth0 up &&
		ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null
}

cat >"$CAP/send.py" <<'PYEOF'
# send.py KIND COUNT GUEST_MAC GUEST_IP OUT_IP: frames of one kind out of eth0.
import sys
from scapy.all import Ether, Dot1Q, IP, UDP, Raw, get_if_hwaddr, sendp
kind, count, gmac, gip, oip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
omac = get_if_hwaddr("eth0")
spoof = UDP(sport=4000, dport=9999) / (b"spoofed" * 4)
if kind == "spoof_mac":
    f = Ether(src=gmac, dst="ff:ff:ff:ff:ff:ff") / IP(src=oip, dst=gip) / spoof
elif kind == "spoof_ip":
    f = Ether(src=omac, dst=gmac) / IP(src=gip, dst=gip) / spoof
elif kind == "spoof_ip_vlan":
    f = Ether(src=omac, dst=gmac) / Dot1Q(vlan=7) / IP(src=gip, dst=gip) / spoof
elif kind == "zero_src":
    f = Ether(src="00:00:00:00:00:00", dst=gmac) / IP(src=oip, dst=gip) / spoof
elif kind == "mcast_src":
    f = Ether(src="01:00:5e:00:00:42", dst=gmac) / IP(src=oip, dst=gip) / spoof
elif kind == "runt":
    f = Raw(bytes.fromhex(gmac.replace(":", "")) + b"\x02\x00\x00\x00")  # 10 bytes
elif kind == "normal":
    f = Ether(src=omac, dst=gmac) / IP(src=oip, dst=gip) / UDP(sport=4000, dport=9998) / (b"normal" * 4)
else:
    sys.exit("unknown kind " + kind)
sendp(f, iface="eth0", count=count, inter=0.002, verbose=0)
PYEOF

# send I KIND GUEST_MAC GUEST_IP OUT_IP: N frames of KIND from outside host I.
send() { ip netns exec "$P-o$1" timeout 60 $PY "$CAP/send.py" "$2" "$N" "$3" "$4" "$5"; }

# count_udp PCAP PORT: frames to UDP port PORT in the capture.
count_udp() { tcpdump -n -r "$1" "udp dst port $2" 2>/dev/null | wc -l; }

# blast I GUEST_MAC GUEST_IP OUT_IP: every kind, N each (runts last).
blast() {
	local k
	for k in spoof_mac spoof_ip spoof_ip_vlan mcast_src zero_src normal runt; do
		send "$1" "$k" "$2" "$3" "$4" || return 1
	done
}

# guest_capture GUEST FILE: tcpdump at the guest's eth0 in the background (pid in CAP_PID).
guest_capture() {
	# ip netns exec runs timeout itself: $! is the process to signal.
	ip netns exec "$1" timeout 60 tcpdump -n -i eth0 -U -w "$2" 'udp dst port 9998 or udp dst port 9999 or (vlan and udp)' 2>/dev/null &
	CAP_PID=$!
	track_pid $CAP_PID
	sleep 1
}
stop_capture() { sleep 1; kill -INT "$CAP_PID" 2>/dev/null; wait "$CAP_PID" 2>/dev/null; }

require "dom0 starts" start_dom0 "$P"
require "outside host 0 behind upl0" make_link 0 10.93.0.100/24
require "outside host 1 behind upl1" make_link 1 10.94.0.100/24
require "outside host 2 behind upl2" make_link 2 10.95.0.100/24

# guarded TYPE I NET GUEST GUEST_MAC SUBNET: one guarded network, its guest, every check.
guarded() {
	local type=$1 i=$2 net=$3 g=$4 gmac=$5 sn=$6 rx0 rx1 d
	local gip=$sn.11 oip=$sn.100 pc=$CAP/$g.pcap
	require "$type: bridge network with a guarded $type uplink" nbctl net-create "$net" \
		--mode bridge --uplink "upl$i" --uplink-type "$type" --uplink-guard
	require "$type: guest with ip=$gip" make_guest_cfg "$g" "ip=$gip netmask=255.255.255.0" \
		"mac=$gmac,bridge=$net,ip=$gip"
	check "$type: nbctl stats shows upl$i as $type" sh -c \
		"'$BIN/nbctl' --rundir '$RUNDIR' stats upl$i | head -1 | grep -q '^upl$i ($type, network $net)'"
	check "$type: the log says the guard is on" grep -q "uplink upl$i: XDP guard on" "$RUNDIR/netbackd.log"
	check "$type: an XDP program is on upl$i" sh -c "ip -n '$DOM0_NS' link show upl$i | grep -q ' xdp'"
	check "$type: outside host reaches the guest" wait_for 20 \
		ip netns exec "$P-o$i" ping -c 1 -W 1 "$gip"
	rx0=$(stat_of "upl$i" rx_packets)
	guest_capture "$g" "$pc"
	require "$type: bad and normal frames sent" blast "$i" "$gmac" "$gip" "$oip"
	stop_capture
	rx1=$(stat_of "upl$i" rx_packets)
	d=$((rx1 - rx0))
	echo "# $type upl$i: rx_packets +$d; guest saw $(count_udp "$pc" 9999) spoofed, $(count_udp "$pc" 9998) normal"
	nbctl stats "upl$i" | grep -E 'rx_packets|xdp_' | sed 's/^/# /'
	expect_eq "$type: xdp_drop_spoofed_mac counts the frames with the guest's MAC" \
		"$(stat_of "upl$i" xdp_drop_spoofed_mac)" "$N"
	expect_eq "$type: xdp_drop_spoofed_ip counts the frames with the guest's IP (plain, 802.1Q)" \
		"$(stat_of "upl$i" xdp_drop_spoofed_ip)" "$((2 * N))"
	expect_eq "$type: xdp_drop_bad_src_mac counts the multicast- and zero-source frames" \
		"$(stat_of "upl$i" xdp_drop_bad_src_mac)" "$((2 * N))"
	expect_eq "$type: xdp_drop_runt: no runt reaches XDP on veth" "$(stat_of "upl$i" xdp_drop_runt)" 0
	# What the switch receives: the normal frames, the padded 10-byte ones, an ARP or two.
	check "$type: the switch got the normal frames (rx_packets +$d >= $((2 * N)))" \
		test "$d" -ge $((2 * N))
	check "$type: the switch got none of the $((5 * N)) bad ones (rx_packets +$d < $((2 * N + 10)))" \
		test "$d" -lt $((2 * N + 10))
	expect_eq "$type: the guest saw no spoofed frame" "$(count_udp "$pc" 9999)" 0
	expect_eq "$type: the guest saw every normal frame" "$(count_udp "$pc" 9998)" "$N"
	check "$type: ping outside -> guest still works" ip netns exec "$P-o$i" ping -c 3 -i 0.2 -W 2 "$gip"
	check "$type: ping guest -> outside still works" in_guest "$g" ping -c 2 -i 0.2 -W 2 "$oip"
}

guarded af_packet 0 br0 "$P-g0" 00:16:3e:00:07:01 10.93.0
guarded af_xdp 1 br1 "$P-g1" 00:16:3e:00:07:02 10.94.0
check "af_xdp: the log says af_xdp (no fallback)" grep -q 'uplink upl1: af_xdp, driver mode' "$RUNDIR/netbackd.log"

# ---- a guest that leaves takes its MAC and address out of the maps ------------------------
sm0=$(stat_of upl1 xdp_drop_spoofed_mac)
si0=$(stat_of upl1 xdp_drop_spoofed_ip)
require "guest on br1 destroyed" nbctl destroy "$P-g1"
check "its vif (vif2.0) is gone from the switch" wait_for 10 \
	sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' stats | grep -q '^vif2\.0 '"
rx0=$(stat_of upl1 rx_packets)
send 1 spoof_mac 00:16:3e:00:07:02 10.94.0.11 10.94.0.100
send 1 spoof_ip 00:16:3e:00:07:02 10.94.0.11 10.94.0.100
d=$(($(stat_of upl1 rx_packets) - rx0))
check "after the guest left, frames with its MAC and address reach the switch (+$d >= $((2 * N)))" \
	test "$d" -ge $((2 * N))
expect_eq "after the guest left, its MAC is no longer dropped" "$(stat_of upl1 xdp_drop_spoofed_mac)" "$sm0"
expect_eq "after the guest left, its address is no longer dropped" "$(stat_of upl1 xdp_drop_spoofed_ip)" "$si0"

# ---- without the guard the same frames reach the switch and the guest ---------------------
require "bridge network without the guard" nbctl net-create br2 --mode bridge --uplink upl2
require "guest on br2 with ip=10.95.0.11" make_guest_cfg "$P-g2" \
	"ip=10.95.0.11 netmask=255.255.255.0" "mac=00:16:3e:00:07:03,bridge=br2,ip=10.95.0.11"
check "no XDP program on upl2" sh -c "! ip -n '$DOM0_NS' link show upl2 | grep -q ' xdp'"
check "unguarded: outside host reaches the guest" wait_for 20 \
	ip netns exec "$P-o2" ping -c 1 -W 1 10.95.0.11
rx0=$(stat_of upl2 rx_packets)
guest_capture "$P-g2" "$CAP/g2.pcap"
require "unguarded: the same frames sent" blast 2 00:16:3e:00:07:03 10.95.0.11 10.95.0.100
stop_capture
d=$(($(stat_of upl2 rx_packets) - rx0))
echo "# unguarded upl2: rx_packets +$d; guest saw $(count_udp "$CAP/g2.pcap" 9999) spoofed"
check "unguarded: the bad frames reach the switch (rx_packets +$d >= $((7 * N)))" test "$d" -ge $((7 * N))
check "unguarded: spoofed-IP frames reach the guest" test "$(count_udp "$CAP/g2.pcap" 9999)" -ge "$N"
expect_eq "unguarded: no xdp_drop counter moves" "$(stat_of upl2 xdp_drop_spoofed_ip)" 0

# ---- fallback: another XDP program already on the interface ----------------------------------
require "outside host 3 behind upl3" make_link 3 10.96.0.100/24
require "a foreign XDP program on upl3" ip -n "$DOM0_NS" link set upl3 xdp obj \
	"$TOP/build/bpf/xdp-guard.bpf.o" sec xdp
foreign=$(ip -n "$DOM0_NS" link show upl3 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
require "bridge network on upl3 asking for af_xdp and the guard" nbctl net-create br3 \
	--mode bridge --host-port nbhost3 --address 10.96.0.1/24 --uplink upl3 \
	--uplink-type af_xdp --uplink-guard
check "one notice: af_xdp unavailable" sh -c \
	"test \$(grep -c 'notice: uplink upl3: af_xdp unavailable (Device or resource busy), using af_packet' '$RUNDIR/netbackd.log') -eq 1"
check "one notice: the guard unavailable, running without it" sh -c \
	"test \$(grep -c 'notice: uplink upl3: XDP guard unavailable (Device or resource busy), running without it' '$RUNDIR/netbackd.log') -eq 1"
check "nbctl stats shows upl3 as af_packet" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' stats upl3 | head -1 | grep -q '^upl3 (af_packet, network br3)'"
check "the outside host 3 reaches dom0 through br3" ip netns exec "$P-o3" ping -c 2 -i 0.2 -W 2 10.96.0.1
check "br3 destroyed" nbctl net-destroy br3
check_eq "the foreign program was left alone" "$foreign" \
	"$(ip -n "$DOM0_NS" link show upl3 | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')"

# ---- detaching -------------------------------------------------------------------------------
check "br1 destroyed" nbctl net-destroy br1
check "upl1 has no XDP program any more" sh -c "! ip -n '$DOM0_NS' link show upl1 | grep -q ' xdp'"
nbd_pid=$(cat "$RUNDIR/netbackd.pid")
kill -KILL "$nbd_pid"
check "netbackd killed" wait_for 10 sh -c "! kill -0 $nbd_pid 2>/dev/null"
check "its death took the af_packet guard off upl0 (BPF link)" wait_for 10 \
	sh -c "! ip -n '$DOM0_NS' link show upl0 | grep -q ' xdp'"
finish
