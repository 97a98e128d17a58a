#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The two NAT back ends translate the same inputs the same way: the outbound frames of the nat
# golden cases are sent from a guest through a kernel-NAT network (nftables masquerade in dom0)
# and through a fast-path network (NAT44 in the switch); the flows the outside host sees must
# be identical, and the fast path's must also be those of its golden expected output.
. "$(dirname "$0")/lib.sh"

HELPER="/usr/bin/python3 $(dirname "$0")/nat-equiv.py"
OUT=$(make_tmpdir)

run_one() { # KIND
	local kind=$1 P=nbe$$${1:0:1} hostmac
	require "$kind: dom0" start_dom0 "$P"
	require "$kind: outside host" make_outside "$P" 192.0.2.1/24
	if [ "$kind" = kernel ]; then
		in_dom0 ip addr add 192.0.2.2/24 dev upl0
		in_dom0 ip route add default via 192.0.2.1
		require "$kind: network" nbctl net-create natq --mode nat --subnet 10.0.0.0/24 \
			--host-port nbh0 --nat kernel --uplink upl0
	else
		require "$kind: network" nbctl net-create natq --mode nat --subnet 10.0.0.0/24 \
			--host-port nbh0 --nat fastpath --uplink upl0 --uplink-address 192.0.2.2/24 \
			--uplink-gateway 192.0.2.1
	fi
	require "$kind: guest" make_guest_cfg "$P-g" "ip=10.0.0.10 netmask=255.255.255.0 gateway=10.0.0.1" \
		"mac=00:16:3e:00:00:0a,bridge=natq"
	check "$kind: guest reaches its gateway" wait_for 20 in_guest "$P-g" ping -c 1 -W 1 10.0.0.1
	hostmac=$(ip -n "$DOM0_NS" -o link show nbh0 | sed -n 's|.*link/ether \([0-9a-f:]*\).*|\1|p')
	ip netns exec "$OUT_NS" timeout 20 tcpdump -n -U -i eth0 -w "$OUT/$kind.pcap" 'ip and not arp and src 192.0.2.2' \
		>/dev/null 2>&1 &
	local tpid=$!
	track_pid "$tpid"
	sleep 1
	check "$kind: the golden inputs were sent" in_guest "$P-g" $HELPER send \
		"$TOP/tests/pcap/nat" eth0 00:16:3e:00:00:0a "$hostmac"
	sleep 2
	kill "$tpid" 2>/dev/null
	wait "$tpid" 2>/dev/null
	$HELPER tuples "$OUT/$kind.pcap" >"$OUT/$kind.txt"
	echo "# $kind translations:"
	sed 's/^/#   /' "$OUT/$kind.txt"
	# End this back end's processes and namespaces; keep the directories (the captures) for
	# the comparison, they go at exit.
	_KEEP_DIRS=1 cleanup
	_PIDS=()
	_NETNS=()
}

run_one kernel
run_one fastpath
check "the outside saw translated flows" test -s "$OUT/fastpath.txt"
check_fails "no inside address leaked out" grep -q ' 10\.0\.0\.' "$OUT/kernel.txt" "$OUT/fastpath.txt"
check_eq "kernel and fast-path NAT translate the same inputs the same way" \
	"$(cat "$OUT/kernel.txt")" "$(cat "$OUT/fastpath.txt")"
for c in udp icmp-echo; do
	$HELPER tuples "$TOP/tests/pcap/nat/$c/out-uplink.pcap" >"$OUT/golden-$c.txt"
	check "the fast path's $c flows are those of its golden output" sh -c \
		"grep -qxFf '$OUT/golden-$c.txt' '$OUT/fastpath.txt'"
done
finish
