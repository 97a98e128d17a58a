#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# route mode (Xen's vif-route): guests get host routes from their vif's ip=, use the gateway,
# talk to each other and to an outside host through the router (TTL decremented), the router
# answers ARP for them on the uplink (proxy ARP), and a guest cannot send from an address that
# is not its own.
. "$(dirname "$0")/lib.sh"

P=nbr$$
require "dom0 starts" start_dom0 "$P"
require "outside host behind the uplink" make_outside "$P" 192.0.2.1/24
require "route network" nbctl net-create rt0 --mode route --address 10.91.0.1/24 \
	--uplink upl0 --uplink-address 192.0.2.2/24 --uplink-gateway 192.0.2.1 --proxy-arp
require "guest 1" make_guest_cfg "$P-g1" "ip=10.91.0.11::10.91.0.1:255.255.255.0::eth0:off" \
	"mac=00:16:3e:00:08:01,bridge=rt0,ip=10.91.0.11"
require "guest 2" make_guest_cfg "$P-g2" "ip=10.91.0.12::10.91.0.1:255.255.255.0::eth0:off" \
	"mac=00:16:3e:00:08:02,bridge=rt0,ip=10.91.0.12"
check "guest 1 reaches its gateway" wait_for 15 in_guest "$P-g1" ping -c 1 -W 1 10.91.0.1
out=$(in_guest "$P-g1" ping -c 3 -i 0.2 -W 2 10.91.0.12)
check "guest 1 reaches guest 2 through the router" grep -q " [1-9] received" <<<"$out"
check "and the TTL was decremented on the way (63)" grep -q "ttl=63" <<<"$out"
# The outside host knows 10.91.0.0/24 only as on-link: proxy ARP on the uplink makes it work.
in_out ip route add 10.91.0.0/24 dev eth0
check "guest 1 reaches the outside host" in_guest "$P-g1" ping -c 2 -i 0.2 -W 2 192.0.2.1
check "the outside host reaches guest 2 (proxy ARP on the uplink)" \
	in_out ping -c 2 -i 0.2 -W 2 10.91.0.12
# Anti-spoofing: an address the vif was not given is refused by the router.
ip -n "$P-g1" addr add 10.91.0.50/24 dev eth0
check_fails "a spoofed source address does not get through" \
	in_guest "$P-g1" ping -c 2 -i 0.2 -W 1 -I 10.91.0.50 192.0.2.1
st=$(nbctl stats "vif$(domid_of "$P-g1").0")
check "the spoofed packets were counted" grep -q "l3_spoofed: [1-9]" <<<"$st"
check "a static route can be added" nbctl route-add rt0 198.51.100.0/24 via 192.0.2.1
check "and is shown" sh -c "'$BIN/nbctl' --rundir '$RUNDIR' route-show rt0 | grep -q 198.51.100.0/24"
finish
