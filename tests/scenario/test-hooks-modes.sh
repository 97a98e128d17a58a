#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Each mode's own hotplug script, online and offline, with traffic: vif-route (host route and
# allowed source from ip=), vif-nat (fixed DHCP lease from ip=), vif-hostonly, vif-isolated;
# and offline leaves nothing behind (no port, no host route, no DHCP entry). A script used on a
# network of another mode refuses with a clear hotplug-error.
. "$(dirname "$0")/lib.sh"

P=nbs$$
require "dom0 starts" start_dom0 "$P"
require "outside host" make_outside "$P" 192.0.2.1/24
require "route network" nbctl net-create rt0 --mode route --address 10.61.0.1/24 --uplink upl0 \
	--uplink-address 192.0.2.2/24 --uplink-gateway 192.0.2.1 --proxy-arp
in_out ip route add 10.61.0.0/24 dev eth0
# The route network owns the uplink; the nat network only needs its DHCP server here.
require "nat network" nbctl net-create nat0 --mode nat --subnet 10.62.0.0/24 --host-port nbn0 \
	--nat kernel --uplink upl0
require "hostonly network" nbctl net-create ho0 --mode hostonly --host-port nbho0 --address 10.63.0.1/24
require "isolated network" nbctl net-create iso0 --mode isolated

require "route guest with script=vif-route" make_guest_cfg "$P-r" \
	"ip=10.61.0.11::10.61.0.1:255.255.255.0::eth0:off" "mac=00:16:3e:00:0d:01,bridge=rt0,ip=10.61.0.11,script=vif-route"
require "nat guest with script=vif-nat and ip= (fixed lease)" make_guest_cfg "$P-n" "ip=dhcp" \
	"mac=00:16:3e:00:0d:02,bridge=nat0,ip=10.62.0.77,script=vif-nat"
require "hostonly guest with script=vif-hostonly" make_guest_cfg "$P-h" \
	"ip=10.63.0.11 netmask=255.255.255.0" "mac=00:16:3e:00:0d:03,bridge=ho0,script=vif-hostonly"
require "isolated guests with script=vif-isolated" make_guest_cfg "$P-i1" \
	"ip=10.64.0.11 netmask=255.255.255.0" "mac=00:16:3e:00:0d:04,bridge=iso0,script=vif-isolated"
require "second isolated guest" make_guest_cfg "$P-i2" \
	"ip=10.64.0.12 netmask=255.255.255.0" "mac=00:16:3e:00:0d:05,bridge=iso0,script=vif-isolated"
DR=$(domid_of "$P-r")
DN=$(domid_of "$P-n")

check "vif-route: the guest reaches the outside host" wait_for 20 \
	in_guest "$P-r" ping -c 1 -W 1 192.0.2.1
check "vif-route: its host route is in the router" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' route-show rt0 | grep -q '^10.61.0.11/32'"
check "vif-nat: the fixed lease from ip= was handed out" wait_for 30 sh -c \
	"ip -n $P-n -4 addr show eth0 | grep -q 'inet 10.62.0.77/'"
check "vif-nat: the lease is listed" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' dhcp-host nat0 list | grep -q 'vif$DN.0 00:16:3e:00:0d:02 10.62.0.77'"
check "vif-hostonly: the guest reaches dom0" wait_for 20 in_guest "$P-h" ping -c 1 -W 1 10.63.0.1
check "vif-isolated: the guests reach each other" wait_for 20 in_guest "$P-i1" ping -c 1 -W 1 10.64.0.12
for g in r n h i1; do
	check "the hotplug log shows $g's script online" grep -q "vif-.* online type_if=vif (XENBUS_PATH=backend/vif/$(domid_of "$P-$g")/0" "$RUNDIR/hotplug.log"
done

# A script for another mode refuses, and says why.
require "a hostonly script on the route network" nbctl network-attach "$P-r" \
	"mac=00:16:3e:00:0d:06,bridge=rt0,script=vif-hostonly"
check "it fails with a hotplug-error naming the mode" wait_for 10 sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/backend/vif/$DR/1/hotplug-error | grep -q 'route mode'"

# Offline leaves no residue.
check "detach the route guest's vif" nbctl network-detach "$P-r" 0
check "vif-route offline ran" wait_for 10 grep -q "vif-route offline type_if=vif (XENBUS_PATH=backend/vif/$DR/0" "$RUNDIR/hotplug.log"
check_fails "its host route is gone" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' route-show rt0 | grep -q '^10.61.0.11/32'"
check "detach the nat guest's vif" nbctl network-detach "$P-n" 0
check_fails "its DHCP entry is gone" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' dhcp-host nat0 list | grep -q 00:16:3e:00:0d:02"
check_fails "no port of either vif is left" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' stats | grep -Eq '^vif($DR|$DN)\\.0 '"
finish
