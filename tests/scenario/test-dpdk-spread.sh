#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bridge network spread over two workers of the DPDK engine (nbctl net-create --workers 2):
# two net_pcap ports with two rx queues each (two infinite rx streams), worker k polling
# queue k of both. The streams are crossed so that every lookup needs what the OTHER worker
# learned: pair i's A side (on port p0) and B side (on p1) arrive on different queues, hence
# different workers. A third port (a pcap sink) receives only floods. Asserted: both workers
# forward (pmd-stats), the table holds all 512 MACs on the right ports, floods stay a tiny
# share of the traffic (with per-worker tables the cross-worker half would flood forever),
# what a spread network refuses (a TAP port,
# captures, a route network, more workers than lcores), and that it tears down cleanly.
. "$(dirname "$0")/lib.sh"

P=nbsp$$
PFX=nbsp-$$
trap 'cleanup; rm -rf "/var/run/dpdk/$PFX"' EXIT
D=$(make_tmpdir)

/usr/bin/python3 - "$D" <<'PY'
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
d = sys.argv[1]
def mac(side, i): return "02:00:%02x:00:%02x:%02x" % (side, (i >> 8) & 0xff, i & 0xff)
def pad(p): return p / Raw(b"\x00" * (60 - len(p)))
def a2b(r): return [pad(Ether(src=mac(1, i), dst=mac(2, i)) / IP(src="10.1.0.1", dst="10.2.0.1") / UDP(sport=1024 + i, dport=7)) for i in r]
def b2a(r): return [pad(Ether(src=mac(2, i), dst=mac(1, i)) / IP(src="10.2.0.1", dst="10.1.0.1") / UDP(sport=7, dport=1024 + i)) for i in r]
lo, hi = range(0, 128), range(128, 256)
wrpcap(d + "/p0q0.pcap", a2b(lo))   # worker 0 learns A 0-127, needs B 0-127 (worker 1's)
wrpcap(d + "/p0q1.pcap", a2b(hi))   # worker 1 learns A 128-255, needs B 128-255 (worker 0's)
wrpcap(d + "/p1q0.pcap", b2a(hi))
wrpcap(d + "/p1q1.pcap", b2a(lo))
PY
require "pcaps written" test -s "$D/p1q1.pcap"

# Two worker lcores: on CPUs 1 and 0 (the main lcore, mostly asleep, shares CPU 0).
if [ "$(nproc)" -ge 2 ]; then LCORES=0@0,1@1,2@0; else LCORES=0@0,1@0,2@0; fi
require "dom0 starts with netbackd --engine dpdk, two worker lcores" start_dom0 "$P" \
	--engine dpdk --dpdk-args "--lcores $LCORES --no-huge --no-pci -m 512 --file-prefix=$PFX --log-level=lib.eal:error"
require "bridge network spread over 2 workers" nbctl net-create sp --mode bridge --workers 2
check "a TAP port is refused in a spread network" \
	sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' port-add sp t0 tap:ifname=nbsptap0 2>'$D/tap.err'"
sed 's/^/# /' "$D/tap.err"
require "sink port (floods only)" nbctl port-add sp p2 "dpdk:net_pcap2,tx_pcap=/dev/null"
require "port p0 with two rx queues" nbctl port-add sp p0 \
	"dpdk:net_pcap0,rx_pcap=$D/p0q0.pcap,rx_pcap=$D/p0q1.pcap,infinite_rx=1"
require "port p1 with two rx queues" nbctl port-add sp p1 \
	"dpdk:net_pcap1,rx_pcap=$D/p1q0.pcap,rx_pcap=$D/p1q1.pcap,infinite_rx=1"
sleep 3

stat_of() { # PORT FIELD (top level or in drops)
	nbctl stats "$1" --json | /usr/bin/python3 -c "
import json, sys
s = json.load(sys.stdin)[0]
print(s.get('$2', s['drops'].get('$2', 0)))"
}
nbctl pmd-stats --json >"$D/pmd.json"
nbctl pmd-stats | sed 's/^/# /'
check "both workers forwarded frames of the network" /usr/bin/python3 -c "
import json, sys
w = json.load(open('$D/pmd.json'))['workers']
sys.exit(not (len(w) == 2 and all(x['rx_packets'] > 1000 for x in w)))"
tx0=$(stat_of p0 tx_packets)
tx1=$(stat_of p1 tx_packets)
tx2=$(stat_of p2 tx_packets)
echo "# p0 tx $tx0, p1 tx $tx1, p2 (floods) tx $tx2"
check "frames forwarded both ways (p0 and p1 sent > 100000 each)" \
	test "$tx0" -gt 100000 -a "$tx1" -gt 100000
check "floods under 1 % of the forwarded frames: learning is shared by the workers" \
	test $((tx2 * 100)) -lt $((tx0 + tx1))
nbctl fdb-show sp >"$D/fdb.txt"
check_eq "MAC table: 256 A-side MACs on p0" 256 "$(grep -cE '^p0 +0 02:00:01:00:' "$D/fdb.txt")"
check_eq "MAC table: 256 B-side MACs on p1" 256 "$(grep -cE '^p1 +0 02:00:02:00:' "$D/fdb.txt")"
check "a capture is refused on a port of a spread network" \
	sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' capture p0 -w '$D/cap.pcap' -c 1 --seconds 1 2>/dev/null"
require "a DPDK port to be a route network's uplink" nbctl port-add - up \
	"dpdk:net_pcap3,tx_pcap=/dev/null"
check "a route network cannot be spread (mode without set_shared)" \
	sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' net-create rt --mode route --address 10.9.0.1/24 --uplink up --uplink-address 10.8.0.2/24 --workers 2 2>'$D/rt.err'"
sed 's/^/# /' "$D/rt.err"
check "the error names the reason" grep -q "cannot be spread" "$D/rt.err"
check "more workers than the engine has are refused" \
	sh -c "! '$BIN/nbctl' --rundir '$RUNDIR' net-create b3 --mode bridge --workers 3 2>'$D/b3.err'"
sed 's/^/# /' "$D/b3.err"
nbctl net-list >"$D/nets.txt"
check "no half-made network is left behind" sh -c "! grep -qwE 'rt|b3' '$D/nets.txt'"
for p in p0 p1 p2 up; do check "port $p removed" nbctl port-del "$p"; done
check "the spread network is destroyed" nbctl net-destroy sp
kill -TERM "$(cat "$RUNDIR/netbackd.pid")"
stopped() { ! test -e "$RUNDIR/netbackd.pid"; }
check "netbackd stops on SIGTERM" wait_for 15 stopped
check "EAL runtime directory removed" test ! -e "/var/run/dpdk/$PFX"
finish
