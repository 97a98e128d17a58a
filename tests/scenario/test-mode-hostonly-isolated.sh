#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hostonly (guests + dom0, no way out) and isolated (guests only: nothing reaches dom0 or an
# uplink, whatever its destination). The modes' refusal of host ports and uplinks is covered
# by the unit tests (test-mode-basic); here the real stacks check what passes and what not.
. "$(dirname "$0")/lib.sh"

P=nbi$$
require "dom0 starts" start_dom0 "$P"
require "outside host behind a veth" make_outside "$P" 10.93.0.100/24
require "hostonly network" nbctl net-create ho0 --mode hostonly --host-port nbho0 \
	--address 10.93.0.1/24
check_fails "hostonly refuses an uplink" nbctl net-create ho1 --mode hostonly \
	--host-port nbho1 --address 10.94.0.1/24 --uplink upl0
require "hostonly guest" make_guest "$P-h1" 10.93.0.11/24 00:16:3e:00:06:01 ho0
check "hostonly: guest reaches dom0" wait_for 15 in_guest "$P-h1" ping -c 1 -W 1 10.93.0.1
check "hostonly: dom0 reaches the guest" in_dom0 ping -c 2 -i 0.2 -W 2 10.93.0.11

require "isolated network" nbctl net-create iso0 --mode isolated
require "isolated guest 1" make_guest "$P-i1" 10.95.0.11/24 00:16:3e:00:07:01 iso0
require "isolated guest 2" make_guest "$P-i2" 10.95.0.12/24 00:16:3e:00:07:02 iso0
check "isolated: guests reach each other" wait_for 15 in_guest "$P-i1" ping -c 1 -W 1 10.95.0.12
CAP=$(make_tmpdir)
in_dom0 tcpdump -n -l -i any -c 1 net 10.95.0.0/24 >"$CAP/dom0" 2>/dev/null &
track_pid $!
sleep 1
in_guest "$P-i1" ping -c 2 -b -W 1 10.95.0.255 >/dev/null 2>&1
in_guest "$P-i1" ping -c 2 -W 1 10.93.0.1 >/dev/null 2>&1
in_guest "$P-i1" arping -c 2 -w 2 -I eth0 10.95.0.1 >/dev/null 2>&1
sleep 1
check_eq "isolated: nothing from the guests shows up anywhere in dom0" 0 \
	"$(grep -c . "$CAP/dom0")"
stats=$(nbctl net-list --json)
check "isolated: the network has only its two vifs" python3 -c "
import json,sys
n=[x for x in json.loads('''$stats''') if x['name']=='iso0'][0]
sys.exit(0 if n['ports']==2 else 1)"
finish
