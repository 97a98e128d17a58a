#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guests come and go; netbackd keeps nothing of them. After five rounds of create, ping,
# destroy, netbackd has the same number of open fds and no mapping of any destroyed guest's
# memory (nb-simhv's memfd) left: what the hypervisor layer cached for a dead domain is let go
# within a second (nb_hv_gc), not when its domid comes round again. Found by `make soak`.
. "$(dirname "$0")/lib.sh"

P=nbgc$$
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.98.0.1/24
NBPID=$(cat "$RUNDIR/netbackd.pid")
fds() { find "/proc/$NBPID/fd" -mindepth 1 -maxdepth 1 | wc -l; }
guest_maps() { grep -c 'memfd:nb-simhv-memory' "/proc/$NBPID/maps" || true; }
round() {
	local g=$P-r$1
	make_guest "$g" "10.98.0.$((20 + $1))/24" "00:16:3e:00:0c:0$1" >/dev/null &&
		wait_for 20 in_guest "$g" ping -c 1 -W 1 10.98.0.1 >/dev/null &&
		nbctl destroy "$g" >/dev/null
}
check "warm-up round" round 0
sleep 1.5
FD0=$(fds)
GM0=$(guest_maps)
for i in 1 2 3 4 5; do
	check "round $i: create, ping, destroy" round "$i"
done
check "netbackd maps no destroyed guest's memory any more" wait_for 5 sh -c \
	"[ \$(grep -c 'memfd:nb-simhv-memory' /proc/$NBPID/maps || true) -le $GM0 ]"
echo "# netbackd fds: $FD0 before, $(fds) after; guest memory maps: $GM0 before, $(guest_maps) after"
check "netbackd has no more open fds than before" test "$(fds)" -le "$FD0"
check "netbackd is still running" kill -0 "$NBPID"
finish
