#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Guest pause and rate limits (issue 5). A paused guest (nbctl pause: its netfront stops
# servicing the rings) never stalls the others: traffic between the other guests goes on, its
# RX backlog stays bounded (frames beyond the bound or older than the drain timeout are
# dropped and counted), the stall is detected and shown, netbackd's memory does not grow, and
# after nbctl unpause it works again. rate= ("bytes,usecs" in the backend directory) limits a
# guest's TX and is applied live through the key's watch, both ways; xl's rate= spec sets it.
. "$(dirname "$0")/lib.sh"

P=nbp$$
G1=$P-g1
G2=$P-g2
G3=$P-g3
require "dom0 starts (drain 300 ms, stall 1.5 s)" start_dom0 "$P" --rx-drain-ms 300 \
	--rx-stall-ms 1500
require "bridge network" nbctl net-create br0 --mode bridge --host-port nbhost0 \
	--address 10.92.0.1/24
require "guest 1" make_guest "$G1" 10.92.0.11/24 00:16:3e:00:07:01
require "guest 2" make_guest "$G2" 10.92.0.12/24 00:16:3e:00:07:02
require "guest 3" make_guest "$G3" 10.92.0.13/24 00:16:3e:00:07:03
D2=$(domid_of "$G2")
D3=$(domid_of "$G3")
check "guest 1 reaches guest 2" wait_for 20 in_guest "$G1" ping -c 1 -W 1 10.92.0.12
check "guest 1 reaches guest 3" wait_for 20 in_guest "$G1" ping -c 1 -W 1 10.92.0.13

vif_field() { # VIF KEY: a field of `nbctl vif-list --json`
	nbctl vif-list --json | python3 -c "
import json, sys
for v in json.load(sys.stdin):
    if v['name'] == sys.argv[1]:
        print(str(v[sys.argv[2]]).lower())" "$1" "$2"
}
stat_of() { # PORT KEY: a vif counter of `nbctl stats --json`
	nbctl stats --json | python3 -c "
import json, sys
for p in json.load(sys.stdin):
    if p['port'] == sys.argv[1]:
        print(p.get('vif', {}).get(sys.argv[2], p['drops'].get(sys.argv[2], 0)))" "$1" "$2"
}
nbd_rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$(cat "$RUNDIR/netbackd.pid")/status"; }
LOGS=$(make_tmpdir)
iperf_mbps() { # FROM SERVER_NS ADDR SECONDS NAME
	ip netns exec "$2" iperf3 -s -1 -D -p 5302 || return 1
	sleep 0.5
	ip netns exec "$1" timeout 30 iperf3 -c "$3" -p 5302 -t "$4" -J >"$LOGS/$5.json" || return 1
	python3 -c "import json,sys; print(int(json.load(open(sys.argv[1]))['end']['sum_received']['bits_per_second'] / 1e6))" "$LOGS/$5.json"
}

# ---- pause ---------------------------------------------------------------------------------
rss0=$(nbd_rss_kb)
check "nbctl pause guest 2" nbctl pause "$G2"
check_eq "nbctl list shows guest 2 paused" paused "$(nbctl list --json | python3 -c "
import json, sys
print([d['state'] for d in json.load(sys.stdin) if d['name'] == '$G2'][0])")"
# 3000 frames of 1400 bytes towards the paused guest: 4 MiB, eight times the backlog bound.
in_guest "$G1" ping -q -i 0.001 -s 1400 -c 3000 -W 1 10.92.0.12 >/dev/null 2>&1
check "the others keep talking while guest 2 is paused" \
	in_guest "$G1" ping -c 3 -i 0.2 -W 2 10.92.0.13
m=$(iperf_mbps "$G1" "$G3" 10.92.0.13 2 paused-g1-g3)
check "iperf3 guest 1 -> guest 3 moves data while guest 2 is paused ($m Mbit/s)" test "${m:-0}" -gt 0
check "guest 2's stall is detected" wait_for 10 sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' vif-list --json | grep -q '\"name\":\"vif$D2.0\"[^}]*\"stalled\":true'"
check "the stall is counted" test "$(stat_of "vif$D2.0" rx_stalls)" -ge 1
dropped=$(($(stat_of "vif$D2.0" rx_drop_backlog) + $(stat_of "vif$D2.0" rx_drop_expired) + \
	$(stat_of "vif$D2.0" rx_drop_stalled)))
check "frames for the paused guest were dropped and counted ($dropped)" test "$dropped" -ge 1000
rss1=$(nbd_rss_kb)
echo "# netbackd VmRSS: $rss0 kB before, $rss1 kB after flooding the paused guest"
check "netbackd's memory stayed bounded (grew by less than 32 MiB)" \
	test $((rss1 - rss0)) -lt 32768
check "nbctl unpause guest 2" nbctl unpause "$G2"
check "guest 2 answers again after unpause" wait_for 15 in_guest "$G1" ping -c 1 -W 1 10.92.0.12
check_eq "guest 2 is no longer stalled" false "$(vif_field "vif$D2.0" stalled)"
check_eq "nbctl list shows guest 2 running" running "$(nbctl list --json | python3 -c "
import json, sys
print([d['state'] for d in json.load(sys.stdin) if d['name'] == '$G2'][0])")"

# iperf3 across a pause: TCP to guest 2 stops while it is paused (past the stall timeout) and
# resumes after unpause; iperf3 finishes with data in its last seconds.
in_guest "$G2" iperf3 -s -1 -D -p 5307
sleep 0.5
in_guest "$G1" timeout 50 iperf3 -c 10.92.0.12 -p 5307 -t 16 -J >"$LOGS/across.json" 2>&1 &
IPERF=$!
track_pid "$IPERF"
sleep 3
nbctl pause "$G2"
sleep 3
nbctl unpause "$G2"
check "iperf3 across a 3 s pause of its receiver finishes" wait "$IPERF"
# TCP's retransmission timer doubles while the receiver is paused (from 0.2-0.4 s: the
# retransmits fall up to ~6 s after the pause began), so the seconds after unpause may still
# be silent: iperf3 runs 16 s, the pause is from 3 to 6 s, and the last 2 s must carry data.
python3 -c "
import json, sys
iv = [i['sum']['bits_per_second'] / 1e6 for i in json.load(open(sys.argv[1]))['intervals']]
print('# iperf3 across the pause, Mbit/s per second:', ' '.join('%d' % v for v in iv))" "$LOGS/across.json"
last=$(python3 -c "
import json, sys
iv = [i['sum']['bits_per_second'] / 1e6 for i in json.load(open(sys.argv[1]))['intervals']]
print(int(min(iv[-2:])), int(min(iv[4:6])))" "$LOGS/across.json")
echo "# iperf3 across the pause: last 2 s >= ${last% *} Mbit/s, during the pause ${last#* } Mbit/s"
check "traffic resumed after unpause" test "${last% *}" -gt 0

# ---- rate= -----------------------------------------------------------------------------------
RATE=/local/domain/0/backend/vif/$D3/0/rate
# 125000 bytes per 100 ms: 10 Mbit/s.
check "write rate=125000,100000 for guest 3's vif" xs xenstore-write "$RATE" 125000,100000
check_eq "the limit is applied live" 125000 "$(wait_for 5 true; vif_field "vif$D3.0" rate_bytes)"
limited=$(iperf_mbps "$G3" "$G1" 10.92.0.11 3 rate-limited)
echo "# guest 3 -> guest 1 at rate=10 Mbit/s: $limited Mbit/s"
check "guest 3's TX stays under 1.5x its 10 Mbit/s limit" test "${limited:-999}" -le 15
check "guest 3's TX still moves data under the limit" test "${limited:-0}" -ge 1
check "throttled passes are counted" test "$(stat_of "vif$D3.0" tx_throttled)" -gt 0
check "remove the rate key" xs xenstore-rm "$RATE"
check_eq "the limit is lifted live" 0 "$(wait_for 5 true; vif_field "vif$D3.0" rate_usec)"
free=$(iperf_mbps "$G3" "$G1" 10.92.0.11 2 rate-free)
echo "# guest 3 -> guest 1 without a limit: $free Mbit/s"
check "without the limit guest 3 sends more than 3x the limit" test "${free:-0}" -gt 30
check "a malformed rate is refused, the vif stays unlimited" sh -c \
	"XENSTORED_PATH=$RUNDIR/xenstored/socket xenstore-write $RATE 'fast,please' && sleep 0.5"
check_eq "no limit after a malformed rate" 0 "$(vif_field "vif$D3.0" rate_usec)"
xs xenstore-rm "$RATE"
# xl's vif spec: rate=10Mb/s@20ms is written as bytes per interval by the toolstack.
check "network-attach a vif with rate=10Mb/s@20ms" nbctl network-attach "$G3" \
	'mac=00:16:3e:00:07:33,bridge=br0,rate=10Mb/s@20ms'
check_eq "its backend key says 25000 bytes per 20000 us" 25000,20000 \
	"$(wait_for 10 xs xenstore-read "/local/domain/0/backend/vif/$D3/1/rate" >/dev/null;
		xs xenstore-read "/local/domain/0/backend/vif/$D3/1/rate")"
check "netbackd applies it" wait_for 10 sh -c \
	"'$BIN/nbctl' --rundir '$RUNDIR' vif-list --json | grep -q '\"name\":\"vif$D3.1\"[^}]*\"rate_bytes\":25000'"
check "netbackd is still running" kill -0 "$(cat "$RUNDIR/netbackd.pid")"
finish
