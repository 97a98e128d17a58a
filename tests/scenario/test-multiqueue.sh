#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Multi-queue end to end (issue 5): the backend offers multi-queue-max-queues (min(8, online
# CPUs)); guests booted with nb-netfront.queues=2 connect two queues each (queue-N/ keys,
# split event channels, a multi-queue TAP in the guest), and several TCP flows spread over
# both queues in both directions: the guest kernel picks the TX queue, the backend picks the
# RX queue by flow hash. A frontend asking for more queues than offered, or for 0, is refused
# with a XenStore error and never crashes the daemon.
. "$(dirname "$0")/lib.sh"

P=nbmq$$
G1=$P-g1
G2=$P-g2
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.97.0.1/24
require "guest 1 (2 queues)" make_guest "$G1" 10.97.0.11/24 00:16:3e:00:0b:01 br0 nb-netfront.queues=2
require "guest 2 (2 queues)" make_guest "$G2" 10.97.0.12/24 00:16:3e:00:0b:02 br0 nb-netfront.queues=2
D1=$(domid_of "$G1")
D2=$(domid_of "$G2")
MAXQ=$(xs xenstore-read "/local/domain/0/backend/vif/$D1/0/multi-queue-max-queues")
echo "# backend offers $MAXQ queues ($(nproc) CPUs)"
check "backend offers at least 2 queues here" test "${MAXQ:-0}" -ge 2
check "guest 1 connected" wait_for 20 connected "$D1" 0
check_eq "guest 1 asked for 2 queues" 2 "$(xs xenstore-read "/local/domain/$D1/device/vif/0/multi-queue-num-queues")"
check "queue-1 has its own rings" xs xenstore-read "/local/domain/$D1/device/vif/0/queue-1/tx-ring-ref"
check "no top-level ring key with several queues" sh -c \
	"! XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/$D1/device/vif/0/tx-ring-ref 2>/dev/null"
check "guest 1 reaches guest 2" wait_for 20 in_guest "$G1" ping -c 1 -W 1 10.97.0.12
in_guest "$G2" iperf3 -s -1 -D -p 5305
sleep 0.5
check "8 TCP flows guest 1 -> guest 2" in_guest "$G1" timeout 30 iperf3 -c 10.97.0.12 -p 5305 -t 3 -P 8
in_guest "$G1" iperf3 -s -1 -D -p 5306
sleep 0.5
check "8 TCP flows guest 2 -> guest 1" in_guest "$G2" timeout 30 iperf3 -c 10.97.0.11 -p 5306 -t 3 -P 8
queues() { # PORT: "tx0 rx0 tx1 rx1"
	nbctl stats --json | python3 -c "
import json, sys
p = [p for p in json.load(sys.stdin) if p['port'] == sys.argv[1]][0]
print(' '.join('%d %d' % (q['tx'], q['rx']) for q in p['queues']))" "$1"
}
read -r tx0 rx0 tx1 rx1 <<<"$(queues "vif$D1.0")"
echo "# vif$D1.0 queues: tx $tx0/$tx1 rx $rx0/$rx1 packets"
check "guest 1 transmitted on queue 0" test "${tx0:-0}" -gt 100
check "guest 1 transmitted on queue 1" test "${tx1:-0}" -gt 100
check "guest 1 received on queue 0" test "${rx0:-0}" -gt 100
check "guest 1 received on queue 1" test "${rx1:-0}" -gt 100

# Bad queue counts from a frontend (written before it connects): refused, reported.
D3=$("$BIN/nb-simhv" --rundir "$RUNDIR" domain-create "$P-bad" --memory 16)
check "a bare domain for the bad frontend" test -n "$D3"
bad_vif() { # DEVID NUM_QUEUES
	local fe=/local/domain/$D3/device/vif/$1 be=/local/domain/0/backend/vif/$D3/$1
	xs xenstore-write "$be/frontend" "$fe" "$be/frontend-id" "$D3" "$be/online" 1 \
		"$be/state" 1 "$be/mac" "00:16:3e:00:0b:3$1" "$be/bridge" br0 "$be/handle" "$1" \
		"$be/script" /bin/true "$be/hotplug-status" connected \
		"$fe/backend" "$be" "$fe/backend-id" 0 "$fe/state" 1 "$fe/mac" "00:16:3e:00:0b:3$1" \
		"$fe/multi-queue-num-queues" "$2" "$fe/request-rx-copy" 1 \
		"$fe/tx-ring-ref" 8 "$fe/rx-ring-ref" 9 "$fe/event-channel" 1
	xs xenstore-write "$fe/state" 4
}
bad_vif 0 0
bad_vif 1 99
err_of() { xs xenstore-read "/local/domain/0/error/backend/vif/$D3/$1/error" 2>/dev/null; }
check "multi-queue-num-queues=0 is refused with a XenStore error" wait_for 10 sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/error/backend/vif/$D3/0/error | grep -q multi-queue-num-queues"
check "multi-queue-num-queues=99 is refused with a XenStore error" wait_for 10 sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/error/backend/vif/$D3/1/error | grep -q multi-queue-num-queues"
echo "# errors: '$(err_of 0)' / '$(err_of 1)'"
check "the good guests still talk" in_guest "$G1" ping -c 2 -i 0.2 -W 2 10.97.0.12
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
