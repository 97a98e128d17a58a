#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vhost-user through the DPDK engine: netbackd --engine dpdk serves a bridge network holding a
# "dpdk" port on net_vhost0 (netbackd is the vhost-user backend, like for a QEMU guest) and two
# net_pcap ports; a second DPDK process, dpdk-testpmd with net_virtio_user0 on the same socket
# (the "guest") in io forwarding mode with a net_pcap port of its own, exchanges frames with it:
#   guest -> switch: testpmd reads N_B frames (src MAC B, dst A) from its pcap and sends them
#     through virtio; the bridge learns B on the vhost port and floods them to our sink pcap.
#   switch -> guest: then our source pcap sends N_A frames (src A, dst B): the bridge sends them
#     to the vhost port only; testpmd receives them on virtio and writes them to its pcap.
# Asserted on both sides: netbackd's port counters, testpmd's port statistics, and the frames in
# both output files, and netbackd's DPDK telemetry socket. Both EALs run with --no-huge --no-pci and file prefixes of their own,
# whose runtime directories are removed. No network namespace, no kernel interface.
. "$(dirname "$0")/lib.sh"

N_A=30
N_B=20
MAC_A=02:00:00:00:0a:01
MAC_B=02:00:00:00:0b:01

require "netbackd and nb-simhv are built" test -x "$BIN/netbackd" -a -x "$BIN/nb-simhv"
require "dpdk-testpmd is installed" command -v dpdk-testpmd
require "scapy for the input frames" /usr/bin/python3 -c "import scapy"

D=$(make_tmpdir)
RUNDIR=$D/run
mkdir -p "$RUNDIR"
PFX_NB=nbvh-nb-$$
PFX_TP=nbvh-tp-$$
cleanup_eal() {
	cleanup
	rm -rf "/var/run/dpdk/$PFX_NB" "/var/run/dpdk/$PFX_TP"
}
trap cleanup_eal EXIT

/usr/bin/python3 - "$D" "$N_A" "$N_B" "$MAC_A" "$MAC_B" <<'EOF'
import sys
from scapy.all import Ether, IP, UDP, wrpcap
d, n_a, n_b, mac_a, mac_b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
wrpcap(d + "/in_a.pcap", [Ether(src=mac_a, dst=mac_b) / IP(src="10.9.0.1", dst="10.9.0.2") /
                          UDP(sport=1000 + i, dport=7) / ("a" * 18) for i in range(n_a)])
wrpcap(d + "/in_b.pcap", [Ether(src=mac_b, dst=mac_a) / IP(src="10.9.0.2", dst="10.9.0.1") /
                          UDP(sport=2000 + i, dport=7) / ("b" * 18) for i in range(n_b)])
EOF
require "input pcaps written" test -s "$D/in_a.pcap" -a -s "$D/in_b.pcap"

start_simhv "$RUNDIR"
require "netbackd --engine dpdk starts" timeout 30 "$BIN/netbackd" --rundir "$RUNDIR" \
	--engine dpdk --dpdk-args "-l 0-1 --main-lcore=0 --no-huge --no-pci -m 256 \
--file-prefix=$PFX_NB --log-level=lib.eal:error"
track_pid "$(cat "$RUNDIR/netbackd.pid")"

stat_of() { # PORT FIELD
	nbctl stats "$1" --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$2'])"
}

require "bridge network" nbctl net-create vh --mode bridge
require "vhost-user port added" nbctl port-add vh vhost "dpdk:net_vhost0,iface=$D/vh.sock"
require "sink pcap port added" nbctl port-add vh sink "dpdk:net_pcap0,tx_pcap=$D/out_a.pcap"
check "the vhost-user socket exists" test -S "$D/vh.sock"

# The guest: its main lcore on CPU 1, its forwarding lcore on CPU 0 (netbackd's worker is on 1).
timeout -s INT 60 dpdk-testpmd -l 0-1 --main-lcore=1 --no-pci --no-huge -m 512 \
	--file-prefix="$PFX_TP" --log-level=lib.eal:error \
	--vdev="net_virtio_user0,path=$D/vh.sock" \
	--vdev="net_pcap9,rx_pcap=$D/in_b.pcap,tx_pcap=$D/out_b.pcap" -- \
	--forward-mode=io --stats-period=1 -a --nb-cores=1 --total-num-mbufs=4096 \
	--no-lsc-interrupt --no-flush-rx >"$D/testpmd.log" 2>&1 </dev/null &
TP=$!
track_pid "$TP"

vhost_rx() { [ "$(stat_of vhost rx_packets)" -ge "$N_B" ]; }
check "guest -> switch: $N_B frames received on the vhost port" wait_for 30 vhost_rx
sink_tx() { [ "$(stat_of sink tx_packets)" -ge "$N_B" ]; }
check "guest -> switch: flooded to the sink port" wait_for 10 sink_tx
check "the bridge learned the guest's MAC on the vhost port" \
	sh -c "'$BIN/nbctl' --rundir '$RUNDIR' fdb-show vh | grep -q 'vhost .*$MAC_B'"

require "source pcap port added" nbctl port-add vh src "dpdk:net_pcap1,rx_pcap=$D/in_a.pcap"
vhost_tx() { [ "$(stat_of vhost tx_packets)" -ge "$N_A" ]; }
check "switch -> guest: $N_A frames sent on the vhost port" wait_for 30 vhost_tx
sleep 1
check_eq "vhost port rx_packets" "$N_B" "$(stat_of vhost rx_packets)"
check_eq "vhost port tx_packets" "$N_A" "$(stat_of vhost tx_packets)"
check_eq "source port rx_packets" "$N_A" "$(stat_of src rx_packets)"
check_eq "sink port tx_packets (only the guest's flooded frames)" "$N_B" "$(stat_of sink tx_packets)"
nbctl pmd-stats >"$D/pmd.txt"
check "pmd-stats shows the worker on lcore 1 with packets" \
	grep -q "worker 0 (lcore 1)" "$D/pmd.txt"
check_eq "pmd-stats rx packets" "$((N_A + N_B))" "$(awk '/rx packets:/ {print $3}' "$D/pmd.txt")"

# The DPDK telemetry socket of netbackd's EAL answers (dpdk-telemetry.py speaks the same).
/usr/bin/python3 - "/var/run/dpdk/$PFX_NB/dpdk_telemetry.v2" >"$D/telemetry.txt" 2>&1 <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.settimeout(5)
s.connect(sys.argv[1])
json.loads(s.recv(16384))
s.send(b"/ethdev/list")
ports = json.loads(s.recv(16384))["/ethdev/list"]
s.send(b"/ethdev/stats,%d" % ports[0])
print(len(ports), json.loads(s.recv(65536))["/ethdev/stats"]["ipackets"])
EOF
check_eq "telemetry: three ethdevs, the vhost one received $N_B" "3 $N_B" "$(cat "$D/telemetry.txt")"

# The guest stops (SIGINT: testpmd prints its port statistics and closes its pcap).
kill -INT "$TP" 2>/dev/null
wait "$TP"
check "testpmd saw its virtio port receive $N_A packets" \
	grep -Eq "RX-packets: +$N_A " "$D/testpmd.log"
/usr/bin/python3 - "$D/out_b.pcap" "$N_A" "$MAC_A" >"$D/check_b.txt" 2>&1 <<'EOF'
import sys
from scapy.all import rdpcap
frames = rdpcap(sys.argv[1])
assert len(frames) == int(sys.argv[2]), "%d frames" % len(frames)
assert all(f.src == sys.argv[3] for f in frames), "wrong source MAC"
assert sorted(f.sport for f in frames) == list(range(1000, 1000 + int(sys.argv[2]))), "payloads"
EOF
check "the guest wrote the $N_A frames the switch sent it, intact" test $? -eq 0
require "sink port removed" nbctl port-del sink
/usr/bin/python3 - "$D/out_a.pcap" "$N_B" "$MAC_B" >"$D/check_a.txt" 2>&1 <<'EOF'
import sys
from scapy.all import rdpcap
frames = rdpcap(sys.argv[1])
assert len(frames) == int(sys.argv[2]), "%d frames" % len(frames)
assert all(f.src == sys.argv[3] for f in frames), "wrong source MAC"
EOF
check "the sink got the guest's $N_B frames, intact" test $? -eq 0

# SIGTERM: lcores joined, EAL cleaned up, runtime directory gone.
kill -TERM "$(cat "$RUNDIR/netbackd.pid")"
stopped() { ! test -e "$RUNDIR/netbackd.pid"; }
check "netbackd stops on SIGTERM" wait_for 15 stopped
check "netbackd logged a clean stop" grep -q "netbackd: stopping" "$RUNDIR/netbackd.log"
check "netbackd's EAL runtime directory removed" test ! -e "/var/run/dpdk/$PFX_NB"
[ "$N_FAILED" -gt 0 ] && { echo "# testpmd log:"; tail -n 40 "$D/testpmd.log" | sed 's/^/# /'; }
finish
