#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A hostile frontend (nb-hostile) connects a vif and then breaks the ring protocol: impossible
# producer indices, a request crossing its page, a 20-slot chain. Each time netbackd must
# disable that vif only (backend state Closing, error/backend/vif/... written), keep running,
# and a well-behaved guest on the same network must keep passing traffic.
. "$(dirname "$0")/lib.sh"

P=nbh$$
GOOD=$P-good

require "dom0 starts" start_dom0 "$P"
require "bridge network with a host port" nbctl net-create br0 --mode bridge \
	--host-port nbhost0 --address 10.78.0.1/24
require "well-behaved guest created" make_guest "$GOOD" 10.78.0.11/24 00:16:3e:00:02:01
DG=$(domid_of "$GOOD")
check "well-behaved guest connected" wait_for 15 connected "$DG" 0
check "well-behaved guest reaches dom0 before the attacks" wait_for 10 \
	in_guest "$GOOD" ping -c 1 -W 1 10.78.0.1

n=0
for attack in prod-overflow page-cross slots-20; do
	n=$((n + 1))
	name=$P-evil$n
	domid=$("$BIN/nb-simhv" --rundir "$RUNDIR" domain-create "$name" --memory 16)
	nbctl network-attach "$name" "bridge=br0" >/dev/null
	out=$(make_tmpdir)/hostile
	"$BIN/nb-hostile" --rundir "$RUNDIR" --domid "$domid" --attack "$attack" >"$out" 2>&1 &
	track_pid $!
	check "$attack: the hostile frontend connected and attacked" wait_for 15 grep -q attacked "$out"
	check "$attack: backend goes Closing" wait_for 5 sh -c "[ \"\$(XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-read /local/domain/0/backend/vif/$domid/0/state)\" = 5 ]"
	err=$(xs xenstore-read "/local/domain/0/error/backend/vif/$domid/0/error" 2>/dev/null)
	case "$err" in
	*"disabling device"*) ok "$attack: error reported in XenStore ($err)" ;;
	*) not_ok "$attack: error reported in XenStore (got '$err')" ;;
	esac
	check "$attack: netbackd still runs" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
	check "$attack: the good guest still reaches dom0" in_guest "$GOOD" ping -c 2 -i 0.2 -W 2 10.78.0.1
	check "$attack: the good guest's vif is still connected" connected "$DG" 0
done
finish
