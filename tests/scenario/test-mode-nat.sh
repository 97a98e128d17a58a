#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nat mode, with each back end: guests take a DHCP lease from the network's dnsmasq, reach each
# other and dom0, reach the outside host masqueraded behind the uplink address, and cannot be
# reached from outside. Kernel NAT: dom0's kernel owns the uplink and nftables masquerades;
# fast path: the switch owns the uplink and translates. nat-check restores flushed rules.
. "$(dirname "$0")/lib.sh"

run_one() { # KIND
	local kind=$1 P=nbn$$${1:0:1} net=nat$1 sub g1 g2 a1 a2
	sub=10.$((96 + ${#kind}))
	require "$kind: dom0 starts" start_dom0 "$P"
	require "$kind: outside host" make_outside "$P" 192.0.2.1/24
	if [ "$kind" = kernel ]; then
		in_dom0 ip addr add 192.0.2.2/24 dev upl0
		in_dom0 ip route add default via 192.0.2.1
		require "$kind: nat network" nbctl net-create "$net" --mode nat --subnet "$sub.0.0/24" \
			--nat kernel --uplink upl0
	else
		require "$kind: nat network" nbctl net-create "$net" --mode nat --subnet "$sub.0.0/24" \
			--nat fastpath --uplink upl0 --uplink-address 192.0.2.2/24 --uplink-gateway 192.0.2.1
	fi
	g1=$P-g1
	g2=$P-g2
	require "$kind: guest 1 (DHCP)" make_guest_cfg "$g1" "ip=dhcp" "mac=00:16:3e:00:0a:01,bridge=$net"
	require "$kind: guest 2 (DHCP)" make_guest_cfg "$g2" "ip=dhcp" "mac=00:16:3e:00:0a:02,bridge=$net"
	check "$kind: guest 1 got a DHCP lease in the subnet" wait_for 30 sh -c "ip -n $g1 -4 addr show eth0 | grep -q 'inet $sub.0.'"
	check "$kind: guest 2 got a DHCP lease in the subnet" wait_for 30 sh -c "ip -n $g2 -4 addr show eth0 | grep -q 'inet $sub.0.'"
	a2=$(guest_ip "$g2")
	check "$kind: guest 1 reaches its gateway (dom0)" in_guest "$g1" ping -c 2 -i 0.2 -W 2 "$sub.0.1"
	check "$kind: guest 1 reaches guest 2" in_guest "$g1" ping -c 2 -i 0.2 -W 2 "$a2"
	CAP=$(make_tmpdir)
	in_out tcpdump -n -l -i eth0 -c 2 icmp >"$CAP/out" 2>/dev/null &
	track_pid $!
	sleep 1
	check "$kind: guest 1 reaches the outside host" in_guest "$g1" ping -c 2 -i 0.2 -W 2 192.0.2.1
	check "$kind: the outside host saw the uplink address, not the guest's" \
		wait_for 5 grep -q "192.0.2.2 > 192.0.2.1" "$CAP/out"
	in_out ip route add "$sub.0.0/24" via 192.0.2.2
	check_fails "$kind: the outside host cannot open a flow to a guest" \
		in_out ping -c 2 -i 0.2 -W 1 "$a2"
	if [ "$kind" = kernel ]; then
		in_dom0 nft delete table inet "netback_$net" 2>/dev/null ||
			in_dom0 nft delete table ip "netback_$net" 2>/dev/null
		check "$kind: nat-check restores deleted rules" nbctl nat-check "$net"
		check "$kind: and traffic flows again" in_guest "$g1" ping -c 2 -i 0.2 -W 2 192.0.2.1
	else
		check "$kind: nat-show lists the guest's session" sh -c \
			"'$BIN/nbctl' --rundir '$RUNDIR' nat-show $net | grep -q 192.0.2.1"
	fi
	cleanup
	_PIDS=()
	_NETNS=()
	_DIRS=()
}

run_one kernel
run_one fastpath
finish
