#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two simulated guests and dom0 on a netback bridge network, end to end over real netif rings:
# the XenStore handshake reaches Connected on both sides, ping works guest<->guest and
# guest<->dom0, a broadcast reaches every other port but not its sender, the FDB learns both
# guests, iperf3 passes TCP guest->guest, and a detached vif leaves no XenStore directories
# while the other guest keeps working. Everything runs in namespaces this test creates.
. "$(dirname "$0")/lib.sh"

P=nbt$$
G1=$P-g1
G2=$P-g2
MAC1=00:16:3e:00:01:01
MAC2=00:16:3e:00:01:02

require "dom0 starts (nb-simhv + netbackd in their own namespace)" start_dom0 "$P"
require "bridge network with a host port" nbctl net-create br0 --mode bridge \
	--host-port nbhost0 --address 10.77.0.1/24
require "guest 1 created from an xl config" make_guest "$G1" 10.77.0.11/24 "$MAC1"
require "guest 2 created from an xl config" make_guest "$G2" 10.77.0.12/24 "$MAC2"
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
check "guest 1 vif connected (backend and frontend state 4)" wait_for 15 connected "$D1" 0
check "guest 2 vif connected (backend and frontend state 4)" wait_for 15 connected "$D2" 0
ls_out=$(xs xenstore-ls -f /local/domain)
for path in "/local/domain/$D1/device/vif/0/state" "/local/domain/$D2/device/vif/0/state" \
	"/local/domain/0/backend/vif/$D1/0/state" "/local/domain/0/backend/vif/$D2/0/state"; do
	check_eq "xenstore-ls shows $path = 4" 4 \
		"$(sed -n "s|^$path = \"\([0-9]*\)\".*|\1|p" <<<"$ls_out")"
done
check "guest 1 has its address on eth0" wait_for 10 sh -c \
	"ip -n $G1 -4 addr show eth0 | grep -q 10.77.0.11/24"

check "ping guest 1 -> guest 2" in_guest "$G1" ping -c 3 -i 0.2 -W 2 10.77.0.12
check "ping guest 2 -> guest 1" in_guest "$G2" ping -c 3 -i 0.2 -W 2 10.77.0.11
check "ping guest 1 -> dom0" in_guest "$G1" ping -c 3 -i 0.2 -W 2 10.77.0.1
check "ping dom0 -> guest 2" in_dom0 ping -c 3 -i 0.2 -W 2 10.77.0.12

fdb=$(nbctl fdb-show br0)
check "FDB learned guest 1's MAC on its vif" grep -q "vif$D1.0 .* $MAC1" <<<"$fdb"
check "FDB learned guest 2's MAC on its vif" grep -q "vif$D2.0 .* $MAC2" <<<"$fdb"

# A broadcast from guest 1 (an ARP request for an unused address) reaches guest 2 and dom0,
# and never comes back to guest 1.
CAP=$(make_tmpdir)
in_guest "$G2" tcpdump -n -l -i eth0 -c 1 arp and host 10.77.0.99 >"$CAP/g2" 2>/dev/null &
track_pid $!
in_dom0 tcpdump -n -l -i nbhost0 -c 1 arp and host 10.77.0.99 >"$CAP/dom0" 2>/dev/null &
track_pid $!
in_guest "$G1" tcpdump -n -l -i eth0 -Q in arp and host 10.77.0.99 >"$CAP/g1" 2>/dev/null &
track_pid $!
sleep 1
in_guest "$G1" arping -c 2 -w 3 -I eth0 10.77.0.99 >/dev/null 2>&1 ||
	in_guest "$G1" ping -c 2 -W 1 10.77.0.99 >/dev/null 2>&1
check "broadcast from guest 1 reaches guest 2" wait_for 5 grep -q "Request who-has 10.77.0.99" "$CAP/g2"
check "broadcast from guest 1 reaches dom0's host port" wait_for 5 grep -q "who-has 10.77.0.99" "$CAP/dom0"
sleep 0.5
check_eq "broadcast is not sent back to guest 1" 0 "$(grep -c who-has "$CAP/g1")"

# Capture on guest 2's port while guest 1 pings it: both directions land in the pcap file.
nbctl capture "vif$D2.0" -w "$CAP/vif.pcap" -c 4 --seconds 15 >"$CAP/capture.out" &
CPID=$!
sleep 0.5
in_guest "$G1" ping -c 3 -i 0.2 -W 2 10.77.0.12 >/dev/null
wait "$CPID"
check "nbctl capture wrote 4 frames" grep -q "^4 frames captured" "$CAP/capture.out"
check "the capture holds guest 2's echo requests and replies" sh -c \
	"tcpdump -n -r '$CAP/vif.pcap' 2>/dev/null | grep -c 'ICMP echo' | grep -qx 4"

# iperf3 guest 1 -> guest 2 over the bridge.
in_guest "$G2" iperf3 -s -1 -D -p 5201 --logfile "$CAP/iperf-server.log"
sleep 0.5
if in_guest "$G1" iperf3 -c 10.77.0.12 -p 5201 -t 5 -J >"$CAP/iperf.json" 2>&1; then
	bps=$(python3 -c "import json; print(int(json.load(open('$CAP/iperf.json'))['end']['sum_received']['bits_per_second']))")
	echo "# iperf3 guest->guest: $((bps / 1000000)) Mbit/s"
	check "iperf3 guest -> guest moved data" test "$bps" -gt 0
else
	not_ok "iperf3 guest -> guest moved data"
	tail -5 "$CAP/iperf.json"
fi

stats=$(nbctl stats "vif$D1.0")
check "port counters show guest 1's traffic" grep -q "rx: [1-9]" <<<"$stats"

# Detach guest 2's vif: its directories go, guest 1 keeps talking to dom0.
check "network-detach guest 2's vif" nbctl network-detach "$G2" 0
check_fails "guest 2's backend directory is gone" xs xenstore-read "/local/domain/0/backend/vif/$D2/0/state"
check_fails "guest 2's frontend directory is gone" xs xenstore-read "/local/domain/$D2/device/vif/0/state"
check_fails "guest 2's vif left the network" sh -c "'$BIN/nbctl' --rundir '$RUNDIR' vif-list | grep -q vif$D2.0"
check "guest 1 still reaches dom0" in_guest "$G1" ping -c 2 -i 0.2 -W 2 10.77.0.1
check "nbctl destroy removes guest 1's domain" nbctl destroy "$G1"
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
