#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Compatibility with Xen's own hotplug scripts: a vif whose bridge= names a kernel bridge (not
# a netback network) gets a dom0 TAP named like Linux netback's device, vif<domid>.<devid>,
# before its script runs, so Debian's unmodified /etc/xen/scripts/vif-bridge (package
# xen-utils-common) enslaves it to the bridge and reports hotplug-status; the guest then talks
# to dom0 through the kernel bridge.
. "$(dirname "$0")/lib.sh"

STOCK=/etc/xen/scripts/vif-bridge
[ -x "$STOCK" ] || {
	not_ok "Xen's stock vif-bridge is installed ($STOCK; make deps installs xen-utils-common)"
	finish
}
P=nbx$$
require "dom0 starts" start_dom0 "$P"
in_dom0 ip link add xenbr0 type bridge
in_dom0 ip addr add 10.70.0.1/24 dev xenbr0
in_dom0 ip link set xenbr0 up
# The stock scripts keep locks and logs under /var/run/xen-hotplug and /var/log/xen.
mkdir -p /var/log/xen /var/run/xen-hotplug
require "guest with script=$STOCK on kernel bridge xenbr0" make_guest_cfg "$P-g1" \
	"ip=10.70.0.11 netmask=255.255.255.0" "mac=00:16:3e:00:0b:01,bridge=xenbr0,script=$STOCK"
D1=$(domid_of "$P-g1")
check "the vif connects" wait_for 20 connected "$D1" 0
check "the stock script ran (hotplug log)" grep -q "$STOCK online type_if=vif" "$RUNDIR/hotplug.log"
check "dom0 has vif$D1.0, enslaved to xenbr0 by the stock script" sh -c \
	"ip -n $DOM0_NS -o link show vif$D1.0 | grep -q 'master xenbr0'"
check_eq "the stock script wrote hotplug-status" connected \
	"$(xs xenstore-read /local/domain/0/backend/vif/$D1/0/hotplug-status)"
check "guest reaches dom0 through the kernel bridge" wait_for 10 \
	in_guest "$P-g1" ping -c 1 -W 1 10.70.0.1
check "dom0 reaches the guest" in_dom0 ping -c 2 -i 0.2 -W 2 10.70.0.11
check "network-detach" nbctl network-detach "$P-g1" 0
check "the stock script ran offline" wait_for 10 grep -q "$STOCK offline type_if=vif" \
	"$RUNDIR/hotplug.log"
check_fails "the dom0 device is gone" ip -n "$DOM0_NS" link show "vif$D1.0"
finish
