#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The vif hotplug contract: netbackd runs the vif's script= with libxl's arguments and
# environment, gates Connected on hotplug-status, shows a failing script's hotplug-error in
# `nbctl network-list` and XenStore, kills a hanging script at the timeout, runs post hooks,
# and offline leaves nothing behind.
. "$(dirname "$0")/lib.sh"

P=nbk$$
require "dom0 starts (hotplug timeout 3 s)" start_dom0 "$P" --hotplug-timeout 3
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.71.0.1/24
# A private copy of the scripts, with a post hook, and two broken scripts.
S=$(make_tmpdir)
cp "$TOP"/scripts/vif-* "$S/" 2>/dev/null
mkdir -p "$S/vif-post.d"
cat >"$S/vif-post.d/record.hook" <<HOOK
echo "\$command \$vif \$XENBUS_PATH" >>"$S/post-hook.log"
HOOK
cat >"$S/vif-fail" <<'FAIL'
#!/bin/sh
. "$(dirname "$0")/vif-common.sh"
fatal "the disk is on fire"
FAIL
cat >"$S/vif-hang" <<HANG
#!/bin/sh
echo \$\$ >"$S/hang.pid"
exec sleep 600
HANG
chmod +x "$S"/vif-*

require "guest whose vif uses the copied vif-bridge" make_guest_cfg "$P-g1" \
	"ip=10.71.0.11 netmask=255.255.255.0" "mac=00:16:3e:00:0c:01,bridge=br0,script=$S/vif-bridge"
D1=$(domid_of "$P-g1")
check "the vif connects once the script reported connected" wait_for 20 connected "$D1" 0
check "the post hook ran with the script's variables" grep -q \
	"^online vif$D1.0 backend/vif/$D1/0$" "$S/post-hook.log"
check "the guest passes traffic" wait_for 10 in_guest "$P-g1" ping -c 1 -W 1 10.71.0.1

require "second vif with a failing script" nbctl network-attach "$P-g1" \
	"mac=00:16:3e:00:0c:02,bridge=br0,script=$S/vif-fail"
check "the failing vif is closed, not connected" wait_for 10 sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/backend/vif/$D1/1/state | grep -qx '[56]'"
check "the failure is reported under error/backend" sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/error/backend/vif/$D1/1/error | grep -q 'exited with status 1'"
check_eq "XenStore has the script's hotplug-error" "the disk is on fire" \
	"$(xs xenstore-read /local/domain/0/backend/vif/$D1/1/hotplug-error)"
check "nbctl network-list shows the script's message" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' network-list $P-g1 | grep -q 'hotplug-error: the disk is on fire'"
check "the first vif still passes traffic" in_guest "$P-g1" ping -c 1 -W 1 10.71.0.1

require "third vif with a hanging script" nbctl network-attach "$P-g1" \
	"mac=00:16:3e:00:0c:03,bridge=br0,script=$S/vif-hang"
check "the hanging script started" wait_for 5 test -s "$S/hang.pid"
check "it is killed at the timeout and the vif reported" wait_for 10 sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/error/backend/vif/$D1/2/error | grep -q timeout"
check_fails "no process of the hanging script is left" kill -0 "$(cat "$S/hang.pid" 2>/dev/null || echo 0)"

check "detach the working vif" nbctl network-detach "$P-g1" 0
check "offline ran (post hook)" wait_for 10 grep -q "^offline vif$D1.0 " "$S/post-hook.log"
check_fails "offline left no port of it" sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' stats | grep -q '^vif$D1.0 '"
check_eq "the network has only its host port again" 1 \
	"$(nbctl net-list --json | python3 -c 'import json,sys; print([n["ports"] for n in json.load(sys.stdin) if n["name"]=="br0"][0])')"
check_fails "no dom0 device of it" ip -n "$DOM0_NS" link show "vif$D1.0"
finish
