#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# "Any rte_ethdev can be a port": three more device kinds, each carrying real traffic on the
# DPDK engine (netbackd --engine dpdk in dom0's namespace), in one bridge network with a
# simulated guest (10.81.0.11):
#   net_tap     the PMD makes a kernel TAP in dom0's namespace; dom0 gives it 10.81.0.1 and
#               pings the guest, the guest pings dom0.
#   net_af_xdp  an AF_XDP socket on one end of a veth pair (copy mode: veth has no zero copy);
#               the other end is an "outside" host 10.81.0.2, pinged by the guest and back.
#   net_memif   netbackd is the memif server on a socket file of this test; dpdk-testpmd is
#               the client (its own EAL, --forward-mode=icmpecho: it answers ARP and ICMP echo
#               for any address) and the guest pings 10.81.0.200 behind it.
# Each kind is tested alone (the others deleted first: icmpecho would answer everyone's
# ARP). Asserted per kind: ping replies (both ways for tap and af_xdp), the port's rx and tx
# counters moved by at least the pings (and testpmd's own for memif), the device is gone after
# port-del; then SIGTERM stops netbackd with its EAL runtime directory removed. Namespaces,
# processes and files are this test's own.
. "$(dirname "$0")/lib.sh"

P=nbdd$$
G=$P-g1
MAC=00:16:3e:00:81:11
TP_MAC=02:00:00:81:00:c8
PFX=nbdd-$$
PFX_TP=nbdd-tp-$$
trap 'cleanup; rm -rf "/var/run/dpdk/$PFX" "/var/run/dpdk/$PFX_TP"' EXIT

require "dpdk-testpmd is installed" command -v dpdk-testpmd
require "dom0 starts with netbackd --engine dpdk" start_dom0 "$P" --engine dpdk \
	--dpdk-args "-l 0-1 --no-huge --no-pci -m 512 --file-prefix=$PFX --log-level=lib.eal:error"
require "bridge network" nbctl net-create br0 --mode bridge
require "guest created" make_guest "$G" 10.81.0.11/24 "$MAC"
check "guest vif connected" wait_for 15 connected "$(domid_of "$G")" 0
check "guest has its address" wait_for 10 sh -c "ip -n $G -4 addr show eth0 | grep -q 10.81.0.11/24"
D=$(make_tmpdir)

stat_of() { # PORT FIELD
	nbctl stats "$1" --json | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)[0]['$2'])"
}
# moved PORT RX0 TX0 MIN NAME: the port's rx and tx counters each grew by MIN or more since
# RX0/TX0; prints what it measured.
moved() {
	local rx tx
	rx=$(($(stat_of "$1" rx_packets) - $2))
	tx=$(($(stat_of "$1" tx_packets) - $3))
	echo "# $1: +$rx rx_packets, +$tx tx_packets"
	if [ "$rx" -ge "$4" ] && [ "$tx" -ge "$4" ]; then
		ok "$5: port $1 received (rx +$rx) and sent (tx +$tx) at least $4 frames each"
	else
		not_ok "$5: port $1 received (rx +$rx) and sent (tx +$tx) at least $4 frames each"
		{ nbctl stats; nbctl pmd-stats; nbctl fdb-show br0; } 2>&1 | sed 's/^/# /'
	fi
}
# answers SECS CMD...: CMD (a one-shot ping) succeeds within SECS seconds, output discarded.
answers() {
	local end=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $end ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.2
	done
	return 1
}
pings() { # NAME CMD...: a ping, its summary line printed
	local name=$1 out
	shift
	out=$("$@" 2>&1)
	local rc=$?
	echo "# $name: $(grep 'packets transmitted' <<<"$out")"
	if [ $rc -eq 0 ]; then ok "$name"; else not_ok "$name"; fi
}

# ---- net_tap: a kernel TAP in dom0's namespace ---------------------------------------------
require "net_tap port added" nbctl port-add br0 tap "dpdk:net_tap0,iface=nbddtap0"
require "the PMD made TAP nbddtap0 in dom0's namespace" in_dom0 ip link show nbddtap0
in_dom0 ip addr add 10.81.0.1/24 dev nbddtap0
in_dom0 ip link set nbddtap0 up
rx0=$(stat_of tap rx_packets)
tx0=$(stat_of tap tx_packets)
check "dom0 -> guest through net_tap answers" answers 15 in_dom0 ping -c 1 -W 1 10.81.0.11
pings "ping dom0 -> guest over net_tap" in_dom0 ping -c 3 -i 0.2 -W 3 10.81.0.11
pings "ping guest -> dom0 over net_tap" in_guest "$G" ping -c 3 -i 0.2 -W 3 10.81.0.1
moved tap "$rx0" "$tx0" 6 "net_tap"
require "net_tap port removed" nbctl port-del tap
check "its TAP is gone from dom0" wait_for 5 sh -c "! ip -n '$DOM0_NS' link show nbddtap0 2>/dev/null"

# ---- net_af_xdp: an AF_XDP socket on a veth into an outside host --------------------------
require "outside host 10.81.0.2 behind a veth (upl0 in dom0)" make_outside "$P" 10.81.0.2/24
require "net_af_xdp port added on upl0" nbctl port-add br0 xdp \
	"dpdk:net_af_xdp0,iface=upl0,start_queue=0,queue_count=1,force_copy=1"
check "an XDP program is attached to upl0" sh -c "ip -n '$DOM0_NS' link show upl0 | grep -q ' xdp'"
rx0=$(stat_of xdp rx_packets)
tx0=$(stat_of xdp tx_packets)
check "guest -> outside through net_af_xdp answers" answers 15 in_guest "$G" ping -c 1 -W 1 10.81.0.2
pings "ping guest -> outside over net_af_xdp" in_guest "$G" ping -c 3 -i 0.2 -W 3 10.81.0.2
pings "ping outside -> guest over net_af_xdp" in_out ping -c 3 -i 0.2 -W 3 10.81.0.11
moved xdp "$rx0" "$tx0" 6 "net_af_xdp"
require "net_af_xdp port removed" nbctl port-del xdp
check "the XDP program is detached from upl0" wait_for 5 \
	sh -c "! ip -n '$DOM0_NS' link show upl0 | grep -q ' xdp'"

# ---- net_memif: netbackd the server, dpdk-testpmd the client -------------------------------
# A socket file (22.11's default is an abstract socket, socket-abstract=yes); the client sets
# its MAC (the PMD's default, 01:ab:23:cd:45:ef, is a multicast address).
SOCK=$D/memif.sock
require "net_memif server port added" nbctl port-add br0 mif \
	"dpdk:net_memif0,role=server,socket=$SOCK,socket-abstract=no"
check "the memif socket file exists" test -S "$SOCK"
rx0=$(stat_of mif rx_packets)
tx0=$(stat_of mif tx_packets)
# testpmd's forwarding lcore on CPU 0 (netbackd's worker polls on 1). --stats-period keeps it
# forwarding without a terminal (else it reads EOF at "Press enter to exit" and stops).
timeout -s INT 60 dpdk-testpmd -l 0-1 --main-lcore=1 --no-huge --no-pci -m 256 \
	--file-prefix="$PFX_TP" --log-level=lib.eal:error \
	--vdev="net_memif0,role=client,socket=$SOCK,socket-abstract=no,mac=$TP_MAC" -- \
	--forward-mode=icmpecho -a --nb-cores=1 --total-num-mbufs=4096 --stats-period=1 \
	--no-lsc-interrupt >"$D/testpmd.log" 2>&1 </dev/null &
TP=$!
track_pid "$TP"
check "guest -> 10.81.0.200 (testpmd over net_memif) answers" answers 30 \
	in_guest "$G" ping -c 1 -W 1 10.81.0.200
pings "ping guest -> 10.81.0.200 over net_memif" in_guest "$G" ping -c 3 -i 0.2 -W 3 10.81.0.200
check "the guest learned 10.81.0.200 at testpmd's MAC (ARP answered over memif)" \
	sh -c "ip -n '$G' neigh show 10.81.0.200 | grep -qi '$TP_MAC'"
moved mif "$rx0" "$tx0" 4 "net_memif"
kill -INT "$TP" 2>/dev/null
wait "$TP"
# Its final "Forward statistics for port 0", printed on SIGINT.
tp_rx=$(awk '/Forward statistics for port 0/ {f = 1} f && /RX-packets:/ {print $2; exit}' "$D/testpmd.log")
tp_tx=$(awk '/Forward statistics for port 0/ {f = 1} f && /TX-packets:/ {print $2; exit}' "$D/testpmd.log")
echo "# testpmd's memif port: RX-packets ${tp_rx:-?} TX-packets ${tp_tx:-?}"
check "testpmd received and answered frames on its memif port" \
	test "${tp_rx:-0}" -ge 4 -a "${tp_tx:-0}" -ge 4
require "net_memif port removed" nbctl port-del mif
check "the memif socket file is removed with it" wait_for 5 test ! -e "$SOCK"

kill -TERM "$(cat "$RUNDIR/netbackd.pid")"
stopped() { ! test -e "$RUNDIR/netbackd.pid"; }
check "netbackd stops on SIGTERM" wait_for 15 stopped
check "EAL runtime directory removed" test ! -e "/var/run/dpdk/$PFX"
[ "$N_FAILED" -gt 0 ] && { echo "# testpmd log:"; head -n 60 "$D/testpmd.log" | sed 's/^/# /'; }
finish
