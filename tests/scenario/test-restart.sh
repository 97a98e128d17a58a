#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Backend restart under running guests (issue 5). netbackd is stopped with SIGTERM, and later
# killed with SIGKILL, while iperf3 runs guest -> guest; a new netbackd on the same run
# directory restores its networks (networks.state), re-attaches to the connected vifs' rings at
# their current indices and answers what was in flight. The guests never reconnect: their
# frontend state stays Connected and their TAP devices are the same. TCP resumes, iperf3
# finishes, and a nat network's DHCP server left by the killed daemon is replaced, not doubled.
. "$(dirname "$0")/lib.sh"

P=nbr$$
G1=$P-g1
G2=$P-g2
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.93.0.1/24
require "outside host behind a veth uplink" make_outside "$P" 192.0.2.1/24
in_dom0 ip addr add 192.0.2.2/24 dev upl0
in_dom0 ip route add default via 192.0.2.1
require "nat network (kernel NAT, DHCP)" nbctl net-create nat0 --mode nat \
	--subnet 10.94.0.0/24 --nat kernel --uplink upl0
require "guest 1" make_guest "$G1" 10.93.0.11/24 00:16:3e:00:08:01
require "guest 2" make_guest "$G2" 10.93.0.12/24 00:16:3e:00:08:02
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
check "guest 1 reaches guest 2" wait_for 20 in_guest "$G1" ping -c 1 -W 1 10.93.0.12
ifidx() { ip -n "$1" -o link show eth0 | cut -d: -f1; }
IDX1=$(ifidx "$G1")
IDX2=$(ifidx "$G2")
LOGS=$(make_tmpdir)
nbd_pid() { cat "$RUNDIR/netbackd.pid"; }
dnsmasqs() { # DHCP servers serving our nat0 lease file
	pgrep -f -- "--dhcp-leasefile=$RUNDIR/dnsmasq-nat0.leases" | wc -l
}
check_eq "one DHCP server for nat0" 1 "$(dnsmasqs)"

# restart SIGNAL: iperf3 guest 1 -> guest 2 for 20 s (TCP backs off while the daemon is away), the daemon stopped with SIGNAL after 3 s
# and started again at once; iperf3 must finish, with data in its last seconds.
restart() {
	local sig=$1 old new
	in_guest "$G2" iperf3 -s -1 -D -p 5303
	sleep 0.5
	in_guest "$G1" timeout 40 iperf3 -c 10.93.0.12 -p 5303 -t 20 -J >"$LOGS/$sig.json" 2>&1 &
	local ipid=$!
	track_pid "$ipid"
	sleep 3
	old=$(nbd_pid)
	kill "-$sig" "$old"
	for _ in $(seq 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
	check "netbackd ($sig) is gone" sh -c "! kill -0 $old 2>/dev/null"
	check "netbackd starts again on the same run directory" \
		ip netns exec "$DOM0_NS" "$BIN/netbackd" --rundir "$RUNDIR"
	new=$(nbd_pid)
	track_pid "$new"
	check "iperf3 across the $sig restart finishes" wait "$ipid"
	python3 - "$LOGS/$sig.json" >"$LOGS/$sig.txt" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
iv = [i["sum"]["bits_per_second"] / 1e6 for i in j["intervals"]]
print(int(j["end"]["sum_received"]["bits_per_second"] / 1e6), int(min(iv[-3:])))
PY
	read -r total last <"$LOGS/$sig.txt"
	echo "# iperf3 across the $sig restart: $total Mbit/s overall, >= $last Mbit/s in each of the last 3 s"
	check "traffic resumed after the $sig restart (last seconds > 0)" test "${last:-0}" -gt 0
	check_eq "guest 1's frontend stayed Connected" 4 "$(fe_state "$D1" 0)"
	check_eq "guest 2's backend is Connected again" 4 "$(be_state "$D2" 0)"
	check_eq "guest 1 kept its TAP (no reconnect)" "$IDX1" "$(ifidx "$G1")"
	check_eq "guest 2 kept its TAP (no reconnect)" "$IDX2" "$(ifidx "$G2")"
	check "networks restored: br0 and nat0" sh -c \
		"'$BIN/nbctl' --rundir '$RUNDIR' net-list | grep -q br0 && '$BIN/nbctl' --rundir '$RUNDIR' net-list | grep -q nat0"
	check "guest 1 reaches dom0 after the $sig restart" in_guest "$G1" ping -c 2 -i 0.2 -W 2 10.93.0.1
	check_eq "one DHCP server for nat0 after the $sig restart" 1 "$(dnsmasqs)"
	check "re-attach was logged" grep -q "re-attaching to a connected frontend" \
		"$RUNDIR/netbackd.log"
}
restart TERM
restart KILL
# A hotplug script still running (here it never ends, as one blocked on nbctl would) must not
# hold up a SIGTERM: the scripts are left to finish on their own.
SLOW=$(make_tmpdir)/vif-slow
printf '#!/bin/sh\nsleep 60\n' >"$SLOW" && chmod +x "$SLOW"
check "attach a vif whose hotplug script hangs" nbctl network-attach "$G1" \
	"mac=00:16:3e:00:08:11,bridge=br0,script=$SLOW"
sleep 1
OLD=$(nbd_pid)
kill -TERM "$OLD"
for _ in $(seq 50); do kill -0 "$OLD" 2>/dev/null || break; sleep 0.1; done
check "netbackd exits on SIGTERM within 5 s while a hotplug script runs" \
	sh -c "! kill -0 $OLD 2>/dev/null"
pkill -f -- "$SLOW" 2>/dev/null
check "netbackd starts again" ip netns exec "$DOM0_NS" "$BIN/netbackd" --rundir "$RUNDIR"
track_pid "$(nbd_pid)"
check "no vif was disabled" sh -c \
	"! '$BIN/nbctl' --rundir '$RUNDIR' vif-list --json | grep -q '\"disabled\":true'"
finish
