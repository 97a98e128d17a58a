#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Xen vifs on the DPDK engine: netbackd --engine dpdk (worker on EAL lcore 1, mbuf-backed pool)
# serves a bridge network with a host port, two simulated guests over real netif rings, and a
# DPDK device (a net_pcap sink) side by side. Asserted: both vifs connect, ping guest<->guest
# and guest<->dom0, the guests' broadcasts reach the DPDK port without a copy into an mbuf
# (tx_copied stays 0: the grant copy wrote them into mbufs already), the backend offers no GSO
# (no mbuf holds a 64 KiB frame) so the guests segment themselves and 20 MiB sent over TCP
# guest->guest arrive intact (SHA-256) with no frame dropped as too big, iperf3, jumbo frames (--dpdk-data-room 9216,
# second vifs with xl mtu=9000: 8000-byte pings), pmd-stats counts the worker's packets, and SIGTERM stops it cleanly with its EAL runtime
# directory removed. Namespaces, processes and files are this test's own.
. "$(dirname "$0")/lib.sh"

P=nbdv$$
G1=$P-g1
G2=$P-g2
MAC1=00:16:3e:00:02:01
MAC2=00:16:3e:00:02:02
PFX=nbdv-$$
trap 'cleanup; rm -rf "/var/run/dpdk/$PFX"' EXIT

require "dom0 starts with netbackd --engine dpdk" start_dom0 "$P" --engine dpdk \
	--dpdk-data-room 9216 --dpdk-args "-l 0-1 --no-huge --no-pci -m 256 --file-prefix=$PFX --log-level=lib.eal:error"
require "bridge network with a host port" nbctl net-create br0 --mode bridge \
	--host-port nbdvhost0 --address 10.78.0.1/24
D=$(make_tmpdir)
require "a DPDK pcap sink in the same network" nbctl port-add br0 sink \
	"dpdk:net_pcap0,tx_pcap=$D/sink.pcap"
require "guest 1 created" make_guest "$G1" 10.78.0.11/24 "$MAC1"
require "guest 2 created" make_guest "$G2" 10.78.0.12/24 "$MAC2"
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
check "guest 1 vif connected" wait_for 15 connected "$D1" 0
check "guest 2 vif connected" wait_for 15 connected "$D2" 0
check "guest 1 has its address" wait_for 10 sh -c "ip -n $G1 -4 addr show eth0 | grep -q 10.78.0.11/24"

check "ping guest 1 -> guest 2" in_guest "$G1" ping -c 3 -i 0.2 -W 2 10.78.0.12
check "ping guest 2 -> guest 1" in_guest "$G2" ping -c 3 -i 0.2 -W 2 10.78.0.11
check "ping guest 1 -> dom0" in_guest "$G1" ping -c 3 -i 0.2 -W 2 10.78.0.1
check "ping dom0 -> guest 2" in_dom0 ping -c 3 -i 0.2 -W 2 10.78.0.12

stat_of() { # PORT FIELD (top level or in drops)
	nbctl stats "$1" --json | /usr/bin/python3 -c "
import json, sys
s = json.load(sys.stdin)[0]
print(s.get('$2', s['drops'].get('$2')))"
}
sink_tx() { [ "$(stat_of sink tx_packets)" -ge 2 ]; }
check "guests' broadcasts reached the DPDK port" wait_for 5 sink_tx
check_eq "no frame was copied into an mbuf on the way (tx_copied)" 0 "$(stat_of sink tx_copied)"

for f in feature-gso-tcpv4 feature-gso-tcpv6; do
	check_eq "backend offers no GSO on the DPDK engine ($f)" 0 \
		"$(xs xenstore-read "/local/domain/0/backend/vif/$D1/0/$f" 2>&1)"
done
too_big() { # frames dropped as too big on both vifs, either direction
	echo $(($(stat_of "vif$D1.0" rx_too_big) + $(stat_of "vif$D2.0" rx_too_big) +
		$(stat_of "vif$D1.0" tx_too_big) + $(stat_of "vif$D2.0" tx_too_big)))
}
# 20 MiB of random bytes over TCP guest 1 -> guest 2, compared by SHA-256 on arrival.
head -c 20971520 /dev/urandom >"$D/blob"
want=$(sha256sum "$D/blob" | cut -d' ' -f1)
in_guest "$G2" timeout 60 /usr/bin/python3 -c '
import hashlib, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.78.0.12", 5202)); s.listen(1)
c, _ = s.accept(); h = hashlib.sha256(); n = 0
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    h.update(b); n += len(b)
open(sys.argv[1], "w").write("%d %s\n" % (n, h.hexdigest()))' "$D/received" &
track_pid $!
sleep 0.5
t0=$(date +%s%N)
check "20 MiB sent guest 1 -> guest 2 over TCP" in_guest "$G1" timeout 60 /usr/bin/python3 -c '
import socket, sys
c = socket.create_connection(("10.78.0.12", 5202), timeout=30)
c.sendall(open(sys.argv[1], "rb").read()); c.close()' "$D/blob"
wait_for 10 test -s "$D/received"
t1=$(date +%s%N)
echo "# 20 MiB guest->guest on the DPDK engine in $(((t1 - t0) / 1000000)) ms"
check_eq "guest 2 received all 20 MiB intact (bytes, SHA-256)" "20971520 $want" "$(cat "$D/received" 2>/dev/null)"
in_guest "$G2" iperf3 -s -1 -D -p 5201 --logfile "$D/iperf-server.log"
sleep 0.5
if in_guest "$G1" timeout 20 iperf3 -c 10.78.0.12 -p 5201 -t 3 -J >"$D/iperf.json" 2>&1; then
	echo "# iperf3 guest->guest on the DPDK engine: $(/usr/bin/python3 -c "import json; print(int(json.load(open('$D/iperf.json'))['end']['sum_received']['bits_per_second'] / 1e6))") Mbit/s"
else
	not_ok "iperf3 guest -> guest ran"
	tail -5 "$D/iperf.json" | sed 's/^/# /'
fi
check_eq "no frame dropped as too big on the vifs" 0 "$(too_big)"

# Jumbo frames through 9216-byte mbufs: second vifs with mtu=9000 on their own subnet.
jumbo_vif "$G1" 00:16:3e:00:02:11 10.79.0.11/24
jumbo_vif "$G2" 00:16:3e:00:02:12 10.79.0.12/24
check "8000-byte ping between the mtu=9000 vifs, DF set" wait_for 10 \
	in_guest "$G1" ping -c 2 -i 0.2 -W 2 -M do -s 8000 10.79.0.12
nbctl stats >"$D/stats.txt"
nbctl pmd-stats >"$D/pmd.txt"
check "pmd-stats: the worker runs on lcore 1 and received packets" \
	sh -c "grep -q 'worker 0 (lcore 1)' '$D/pmd.txt' && awk '/rx packets:/ {exit !(\$3 > 0)}' '$D/pmd.txt'"
sed 's/^/# /' "$D/pmd.txt"

require "sink removed" nbctl port-del sink
kill -TERM "$(cat "$RUNDIR/netbackd.pid")"
stopped() { ! test -e "$RUNDIR/netbackd.pid"; }
check "netbackd stops on SIGTERM" wait_for 15 stopped
check "EAL runtime directory removed" test ! -e "/var/run/dpdk/$PFX"
[ "$N_FAILED" -gt 0 ] && sed 's/^/# /' "$D/stats.txt"
finish
