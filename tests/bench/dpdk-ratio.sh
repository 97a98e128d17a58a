#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Forwarding rate of the DPDK engine against dpdk-testpmd on the same ports, the same frames and
# the same core: two net_pcap ports with infinite_rx (each preloads its pcap and replays it
# forever, copying every frame into a fresh mbuf; tx is dropped), 64-byte UDP frames, 256 MAC
# pairs (A side 02:00:01:00:00:xx -> B side 02:00:02:00:00:xx and back).
#   testpmd io and mac    --forward-mode io|mac, 1 forwarding lcore (CPU 1), --stats-period 1
#   netbackd bridge       --engine dpdk, worker lcore 1 (CPU 1), a bridge network of the two ports
#   netbackd nat          the same ports in a --nat fastpath network (inside port vif role,
#                         uplink port opened with `port-add -`), 256 inside hosts talking to
#                         one outside server; the outside frames answer the translated flows
#   netbackd route        a route network: a vif port holding 16 inside hosts (its --ip list
#                         is at most 16 addresses) and the uplink with 16 outside hosts, 256
#                         flows each way through the router; every host announces itself
#                         with an ARP request in the stream, whose replies are subtracted
#                         from the forwarded count
#   netbackd bridge2      the bridge spread over two workers (net-create --workers 2, lcores
#                         1@CPU1 and 2@CPU0, the main lcore sharing CPU 0): each port with two
#                         rx queues (two infinite streams: pairs 0-127 on queue 0, 128-255 on
#                         queue 1, both directions, as symmetric RSS would place them), worker k
#                         polling queue k of both ports; reported as the sum over the workers
#   OVS-DPDK NORMAL       ovs-vswitchd-dpdk (Debian openvswitch-switch-dpdk), the same two
#                         net_pcap ports and bridge pcaps in a netdev bridge with its default
#                         NORMAL flow, one PMD on CPU 1; a private ovsdb-server and rundir under
#                         the script's temporary directory, both started by hand inside the
#                         script's network namespace (its netdev taps die with it), never
#                         through systemd. The package is installed here if missing (bench-only:
#                         not in `make deps`), with policy-rc.d keeping its service stopped.
# Each is run RUNS times (default 3) for SECONDS (default 10); netbackd's rate is the growth of
# its ports' tx_packets between two `nbctl stats` after a 3 s warm-up, OVS's the growth of its
# ports' TX packets in `dpctl/show -s` (read live from the devices) after a 5 s warm-up,
# testpmd's the median of its per-second Tx-pps sums. Prints every run, the medians, busy
# cycles per packet (netbackd pmd-stats, OVS pmd-stats-show "avg processing cycles per
# packet") and the ratios. Each run also measures the on-CPU share of the forwarding thread
# (perf stat task-clock over the window; testpmd's from its 2nd second for SECONDS-2) and
# prints rate / share, the rate per on-CPU core, with ratios of those too: on a machine
# shared with other jobs the plain rates also compare how much CPU each contender got.
# Needs root (netbackd runs in a network namespace of its own, since the nat mode makes a
# host TAP), scapy, dpdk-testpmd, perf. Uses CPU 0 and 1 fully while it runs.
# Environment: DPDK_RATIO_ONLY="testpmd ovs bridge route nat bridge2" (the default) picks
# contenders;
# DPDK_RATIO_PERF=DIR also records `perf record -g` of netbackd for 5 s after each mode's
# runs, into DIR/perf-MODE.data, reports its worker lcore's thread in DIR/perf-MODE.txt and
# its on-CPU ns per packet in DIR/stat-MODE.txt; DPDK_RATIO_KEEP=DIR keeps the work files
# (logs, pcaps, stats) there; NB_BIN=DIR takes netbackd and nbctl from DIR.
set -uo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${NB_BIN:-$TOP/build/bin}
SECS=${1:-10}
RUNS=${2:-3}
ONLY=" ${DPDK_RATIO_ONLY:-testpmd ovs bridge route nat bridge2} "
PERF_DIR=${DPDK_RATIO_PERF:-}
want() { [[ $ONLY == *" $1 "* ]]; }
W=$(mktemp -d /tmp/nb-dpdk-ratio.XXXXXX)
NS=nbdr-$$
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for f in "$W"/ovs/*.pid; do [ -s "$f" ] && kill -TERM "$(cat "$f")" 2>/dev/null; done
	sleep 1
	for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	for f in "$W"/ovs/*.pid; do [ -s "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null; done
	[ -n "${DPDK_RATIO_KEEP:-}" ] && cp -r "$W" "$DPDK_RATIO_KEEP"
	rm -rf "$W" /var/run/dpdk/nbdr-*-$$
}
trap cleanup EXIT

/usr/bin/python3 - "$W" <<'PY'
import sys
from scapy.all import ARP, Ether, IP, UDP, Raw, wrpcap
w = sys.argv[1]
def mac(side, i): return "02:00:%02x:00:%02x:%02x" % (side, (i >> 8) & 0xff, i & 0xff)
def pad(p): return p / Raw(b"\x00" * (60 - len(p)))
# bridge: 256 MAC pairs
wrpcap(w + "/br_a.pcap", [pad(Ether(src=mac(1, i), dst=mac(2, i)) / IP(src="10.1.%d.%d" % (i // 250, i % 250 + 1), dst="10.2.%d.%d" % (i // 250, i % 250 + 1)) / UDP(sport=1024 + i, dport=5001)) for i in range(256)])
wrpcap(w + "/br_b.pcap", [pad(Ether(src=mac(2, i), dst=mac(1, i)) / IP(src="10.2.%d.%d" % (i // 250, i % 250 + 1), dst="10.1.%d.%d" % (i // 250, i % 250 + 1)) / UDP(sport=5001, dport=1024 + i)) for i in range(256)])
# bridge2: the same pairs split over two rx queues per port (0-127, 128-255)
for q, r in ((0, range(0, 128)), (1, range(128, 256))):
    wrpcap(w + "/br_a%d.pcap" % q, [pad(Ether(src=mac(1, i), dst=mac(2, i)) / IP(src="10.1.%d.%d" % (i // 250, i % 250 + 1), dst="10.2.%d.%d" % (i // 250, i % 250 + 1)) / UDP(sport=1024 + i, dport=5001)) for i in r])
    wrpcap(w + "/br_b%d.pcap" % q, [pad(Ether(src=mac(2, i), dst=mac(1, i)) / IP(src="10.2.%d.%d" % (i // 250, i % 250 + 1), dst="10.1.%d.%d" % (i // 250, i % 250 + 1)) / UDP(sport=5001, dport=1024 + i)) for i in r])
# nat fastpath, outside stream: the uplink gateway 192.0.2.1 (its ARP reply first), then one
# answer per translated flow (the mode keeps the inside port when free: 1024 + i) to the
# uplink's address and MAC (net_pcap's first device: 02:70:63:61:70:00).
GW_MAC = "02:00:02:00:ff:fe"
UP_MAC = "02:70:63:61:70:00"
out = [Ether(src=GW_MAC, dst=UP_MAC) / ARP(op=2, hwsrc=GW_MAC, psrc="192.0.2.1", hwdst=UP_MAC, pdst="192.0.2.2")]
out += [pad(Ether(src=GW_MAC, dst=UP_MAC) / IP(src="198.51.100.1", dst="192.0.2.2") / UDP(sport=5001, dport=1024 + i)) for i in range(256)]
wrpcap(w + "/nat_b.pcap", out)
# route: the router's MAC is derived from the network's name ("net"; FNV-1a, as in
# vswitch/mode-route.c route_default_mac).
h = 2166136261
for c in b"net":
    h = ((h ^ c) * 16777619) & 0xffffffff
h2 = ((h ^ 0x5a) * 16777619) & 0xffffffff
RT = "02:%02x:%02x:%02x:%02x:%02x" % (h >> 24, (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff, h2 & 0xff)
ins = lambda k: "10.1.0.%d" % (k + 1)
outs = lambda k: "10.2.0.%d" % (k + 1)
a = [Ether(src=mac(1, k), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac(1, k), psrc=ins(k), pdst="10.1.255.254") for k in range(16)]
a += [pad(Ether(src=mac(1, i % 16), dst=RT) / IP(src=ins(i % 16), dst=outs(i // 16)) / UDP(sport=1024 + i, dport=5001)) for i in range(256)]
b = [Ether(src=mac(2, k), dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, hwsrc=mac(2, k), psrc=outs(k), pdst="10.2.255.254") for k in range(16)]
b += [pad(Ether(src=mac(2, i // 16), dst=RT) / IP(src=outs(i // 16), dst=ins(i % 16)) / UDP(sport=5001, dport=1024 + i)) for i in range(256)]
wrpcap(w + "/rt_a.pcap", a)
wrpcap(w + "/rt_b.pcap", b)
PY
[ -s "$W/br_a.pcap" ] || { echo "dpdk-ratio: scapy could not write the pcaps" >&2; exit 1; }

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# On-CPU share of the forwarding thread over a window: the other jobs on this 2-vCPU VM
# preempt it, so besides the rates the script reports the share of the window each
# forwarding thread actually ran (perf stat task-clock of that thread; the VM has no
# hardware counters) and the rate per on-CPU core (rate / share), which is what compares
# the data paths when the sharing differs between their runs.
oncpu_start() { # PID COMM_REGEX SECONDS OUTFILE: perf stat of that thread, in the background
	local tid
	tid=$(ps -T -o spid=,comm= -p "$1" 2>/dev/null | awk -v re="$2" '$2 ~ re {print $1; exit}')
	[ -n "$tid" ] || return 0
	perf stat -x, -e task-clock -t "$tid" -o "$4" -- sleep "$3" >/dev/null 2>&1 &
	ONCPU_PID=$!
}
oncpu_wait() { # for the perf stat started last (in this shell: not in a $(...))
	[ -n "${ONCPU_PID:-}" ] && wait "$ONCPU_PID" 2>/dev/null
	ONCPU_PID=
}
# The same for every thread of PID whose name matches (a spread network's workers): one
# OUTPREFIX.TID.csv each; the shares are summed (on-CPU cores).
ONCPU_PIDS=()
oncpu_start_all() { # PID COMM_REGEX SECONDS OUTPREFIX
	local tid
	for tid in $(ps -T -o spid=,comm= -p "$1" 2>/dev/null | awk -v re="$2" '$2 ~ re {print $1}'); do
		perf stat -x, -e task-clock -t "$tid" -o "$4.$tid.csv" -- sleep "$3" >/dev/null 2>&1 &
		ONCPU_PIDS+=($!)
	done
}
oncpu_wait_all() {
	local p
	for p in "${ONCPU_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ONCPU_PIDS=()
}
oncpu_share() { # OUTFILE SECONDS: share of the window the thread was on a CPU (0-1)
	awk -F, -v s="$2" '$3 ~ /^task-clock/ {printf "%.3f", $1 / 1000 / s; f = 1}
		END {if (!f) print "0"}' "$1" 2>/dev/null || echo 0
}
declare -A SHARE

# ---- testpmd -------------------------------------------------------------------------------
declare -A RES CPP
VDEV="--vdev=net_pcap0,rx_pcap=$W/br_a.pcap,infinite_rx=1 --vdev=net_pcap1,rx_pcap=$W/br_b.pcap,infinite_rx=1"
for m in io mac; do
	want testpmd || continue
	for _ in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		timeout -s INT $((SECS + 3)) dpdk-testpmd -l 0-1 --no-pci --no-huge -m 512 \
			--file-prefix=nbdr-tp-$$ --log-level=lib.eal:error $VDEV -- \
			--forward-mode=$m --stats-period=1 -a --nb-cores=1 --total-num-mbufs=16384 \
			--no-lsc-interrupt --no-flush-rx >"$W/tp.log" 2>&1 </dev/null &
		tp=$!
		sleep 2
		# timeout's child is testpmd; its forwarding lcore thread is rte-worker-1.
		oncpu_start "$(pgrep -P "$tp" | head -n 1)" '^rte-worker-1$' "$((SECS - 2))" "$W/tp-oncpu.csv"
		wait "$tp"
		oncpu_wait
		SHARE[tp_$m]+="$(oncpu_share "$W/tp-oncpu.csv" "$((SECS - 2))") "
		v=$(/usr/bin/python3 - "$W/tp.log" <<'PY'
import re, statistics, sys
blocks = open(sys.argv[1], errors="replace").read().split("Port statistics ====")[1:]
tx = [sum(int(x) for x in re.findall(r"Tx-pps:\s+(\d+)", b)) for b in blocks]
tx = [t for t in tx if t > 0]
tx = tx[1:-1] if len(tx) > 3 else tx
print("%.3f" % (statistics.median(tx) / 1e6) if tx else "0")
PY
)
		RES[tp_$m]+="$v "
	done
done

# ---- OVS-DPDK NORMAL -----------------------------------------------------------------------
ip netns add "$NS" || exit 1
ip -n "$NS" link set lo up
OVSD=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
ovs_install() { # bench-only dependency; the package's service must not start
	dpkg -s openvswitch-switch-dpdk >/dev/null 2>&1 && [ -x "$OVSD" ] && return 0
	local prc=/usr/sbin/policy-rc.d made=
	if [ ! -e "$prc" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$prc" && chmod 755 "$prc" && made=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		openvswitch-switch-dpdk >"$W/apt.log" 2>&1
	local rc=$?
	[ -n "$made" ] && rm -f "$prc"
	return $rc
}
O=$W/ovs
VSCTL() { ovs-vsctl --db="unix:$O/db.sock" --timeout=30 "$@"; }
OAPP() { ovs-appctl --timeout=30 -t "$O/vswitchd.ctl" "$@"; }
ovs_tx() { # TX packets of the two dpdk ports, read from the devices
	OAPP dpctl/show -s | awk '/port [0-9]+: p[01] /{p=1; next} /port [0-9]+:/{p=0}
		p && /TX packets:/{sub(/.*TX packets:/, ""); s += $1} END {print s + 0}'
}
ovs_stop() { # by the pids in our own rundir, TERM then KILL
	local f p
	for f in ovs-vswitchd ovsdb-server; do
		[ -s "$O/$f.pid" ] || continue
		p=$(cat "$O/$f.pid")
		kill -TERM "$p" 2>/dev/null
		for _ in $(seq 100); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$p" 2>/dev/null
		rm -f "$O/$f.pid"
	done
}
run_ovs() {
	local a b t0 t1 c
	ovs_install || { echo "dpdk-ratio: openvswitch-switch-dpdk could not be installed" >&2; return 1; }
	mkdir -p "$O"
	ovsdb-tool create "$O/conf.db" /usr/share/openvswitch/vswitch.ovsschema || return 1
	ovsdb-server "$O/conf.db" --remote="punix:$O/db.sock" --pidfile="$O/ovsdb-server.pid" 2>/dev/null \
		--unixctl="$O/ovsdb-server.ctl" --detach --log-file="$O/ovsdb-server.log" || return 1
	VSCTL --no-wait init &&
		VSCTL --no-wait set Open_vSwitch . other_config:dpdk-init=true \
			other_config:dpdk-lcore-mask=0x1 other_config:pmd-cpu-mask=0x2 \
			other_config:dpdk-extra="--no-huge --legacy-mem -m 1024 --no-pci --file-prefix=nbdr-ovs-$$ --log-level=lib.eal:error" ||
		return 1
	# --legacy-mem keeps OVS from adding --in-memory, which --no-huge cannot go with.
	ip netns exec "$NS" "$OVSD" "unix:$O/db.sock" --pidfile="$O/ovs-vswitchd.pid" \
		--unixctl="$O/vswitchd.ctl" --detach --log-file="$O/ovs-vswitchd.log" \
		2>"$O/ovs-vswitchd.console" || return 1
	VSCTL add-br br0 -- set bridge br0 datapath_type=netdev &&
		VSCTL add-port br0 p0 -- set Interface p0 type=dpdk \
			"options:dpdk-devargs=net_pcap0,rx_pcap=$W/br_a.pcap,infinite_rx=1" &&
		VSCTL add-port br0 p1 -- set Interface p1 type=dpdk \
			"options:dpdk-devargs=net_pcap1,rx_pcap=$W/br_b.pcap,infinite_rx=1" || return 1
	sleep 5 # MAC learning, megaflow and EMC installs
	for _ in $(seq "$RUNS"); do
		OAPP dpif-netdev/pmd-stats-clear >/dev/null
		a=$(ovs_tx)
		t0=$(date +%s.%N)
		oncpu_start "$(cat "$O/ovs-vswitchd.pid")" '^pmd' "$SECS" "$W/ovs-oncpu.csv"
		sleep "$SECS"
		b=$(ovs_tx)
		t1=$(date +%s.%N)
		oncpu_wait
		SHARE[ovs]+="$(oncpu_share "$W/ovs-oncpu.csv" "$SECS") "
		# Processing cycles / packets of every PMD: "... per packet: 406.80 (CYCLES/PKTS)".
		c=$(OAPP dpif-netdev/pmd-stats-show | awk -F'[(/)]' '/avg processing cycles per packet/ \
			{c += $2; p += $3} END {printf "%.0f", p ? c / p : 0}')
		RES[ovs]+="$(/usr/bin/python3 -c "print('%.3f' % (($b - $a) / ($t1 - $t0) / 1e6))") "
		CPP[ovs]+="${c:-?} "
	done
	OAPP dpif-netdev/pmd-stats-show >"$W/ovs-pmd.txt" 2>&1
	OAPP dpctl/show -s >"$W/ovs-ports.txt" 2>&1
	ovs_stop
	return 0
}
if want ovs && ! run_ovs; then
	echo "dpdk-ratio: OVS-DPDK could not be set up (see below)" >&2
	tail -n 5 "$O/ovs-vswitchd.log" >&2 2>/dev/null
	ovs_stop
	RES[ovs]="0 "
fi

# ---- netbackd ------------------------------------------------------------------------------
RUN=$W/run
NBCTL() { "$BIN/nbctl" --rundir "$RUN" "$@"; }
tx_sum() { # PORT...: frames forwarded (sent, less the ARP replies of the router)
	local s=0 v
	for p in "$@"; do
		v=$(NBCTL stats "$p" --json | /usr/bin/python3 -c "import json,sys; s=json.load(sys.stdin)[0]; print(s['tx_packets'] - s['drops']['l3_arp_replied'])")
		s=$((s + v))
	done
	echo "$s"
}
# Busy cycles and packets summed over the workers.
pmd() { NBCTL pmd-stats --json | /usr/bin/python3 -c "import json,sys; w=json.load(sys.stdin)['workers']; print(sum(x['busy'] for x in w), sum(x['rx_packets'] for x in w))"; }

# run_nb MODE: one netbackd, RUNS measurements of SECS each.
run_nb() {
	local mode=$1 a b c0 c1 t0 t1 p0 p1 lcores="-l 0-1" threads='^rte-worker-1$' share
	[ "$mode" = bridge2 ] && lcores="--lcores 0@0,1@1,2@0" threads='^rte-worker-[12]$'
	mkdir -p "$RUN"
	"$BIN/nb-simhv" --rundir "$RUN" || return 1
	PIDS+=("$(cat "$RUN/nb-simhv.pid")")
	ip netns exec "$NS" "$BIN/netbackd" --rundir "$RUN" --engine dpdk \
		--dpdk-args "$lcores --no-huge --no-pci -m 512 --file-prefix=nbdr-nb-$$ --log-level=lib.eal:error" ||
		return 1
	PIDS+=("$(cat "$RUN/netbackd.pid")")
	case $mode in
	bridge2)
		NBCTL net-create net --mode bridge --workers 2 >/dev/null &&
			NBCTL port-add net p0 "dpdk:net_pcap0,rx_pcap=$W/br_a0.pcap,rx_pcap=$W/br_a1.pcap,infinite_rx=1" &&
			NBCTL port-add net p1 "dpdk:net_pcap1,rx_pcap=$W/br_b0.pcap,rx_pcap=$W/br_b1.pcap,infinite_rx=1" || return 1
		;;
	bridge)
		NBCTL net-create net --mode bridge >/dev/null &&
			NBCTL port-add net p0 "dpdk:net_pcap0,rx_pcap=$W/br_a.pcap,infinite_rx=1" &&
			NBCTL port-add net p1 "dpdk:net_pcap1,rx_pcap=$W/br_b.pcap,infinite_rx=1" || return 1
		;;
	nat)
		# The uplink first (it becomes net_pcap's first device, whose MAC nat_b.pcap uses).
		NBCTL port-add - p1 "dpdk:net_pcap1,rx_pcap=$W/nat_b.pcap,infinite_rx=1" &&
			NBCTL net-create net --mode nat --subnet 10.1.0.0/16 --nat fastpath --uplink p1 \
				--uplink-address 192.0.2.2/24 --uplink-gateway 192.0.2.1 >/dev/null ||
			return 1
		# Inside hosts send to the gateway's MAC: the host TAP's, which the mode learns
		# from the TAP's own frames (an ARP request from dom0 here).
		gw=$(ip netns exec "$NS" cat /sys/class/net/nb-net/address) || return 1
		ip netns exec "$NS" ping -c 1 -W 1 10.1.0.200 >/dev/null 2>&1
		/usr/bin/python3 - "$W" "$gw" <<'PY' || return 1
import sys
from scapy.all import Ether, IP, UDP, Raw, wrpcap
w, gw = sys.argv[1], sys.argv[2]
def pad(p): return p / Raw(b"\x00" * (60 - len(p)))
wrpcap(w + "/nat_a.pcap", [pad(Ether(src="02:00:01:00:%02x:%02x" % (i >> 8, i & 0xff), dst=gw) / IP(src="10.1.%d.%d" % (i // 250, i % 250 + 1), dst="198.51.100.1") / UDP(sport=1024 + i, dport=5001)) for i in range(256)])
PY
		NBCTL port-add net p0 "dpdk:net_pcap0,rx_pcap=$W/nat_a.pcap,infinite_rx=1" \
			--role vif || return 1
		;;
	route)
		NBCTL port-add - p1 "dpdk:net_pcap1,rx_pcap=$W/rt_b.pcap,infinite_rx=1" &&
			NBCTL net-create net --mode route --address 10.1.255.254/16 --uplink p1 \
				--uplink-address 10.2.255.254/16 >/dev/null &&
			NBCTL port-add net p0 "dpdk:net_pcap0,rx_pcap=$W/rt_a.pcap,infinite_rx=1" \
				--role vif --ip "$(seq -s ' ' -f '10.1.0.%g' 1 16)" || return 1
		;;
	esac
	sleep 3
	for _ in $(seq "$RUNS"); do
		read -r c0 p0 < <(pmd)
		a=$(tx_sum p0 p1)
		t0=$(date +%s.%N)
		oncpu_start_all "$(cat "$RUN/netbackd.pid")" "$threads" "$SECS" "$W/nb-oncpu"
		sleep "$SECS"
		b=$(tx_sum p0 p1)
		t1=$(date +%s.%N)
		oncpu_wait_all
		share=0
		for f in "$W"/nb-oncpu.*.csv; do
			share=$(/usr/bin/python3 -c "print('%.3f' % ($share + $(oncpu_share "$f" "$SECS")))")
		done
		rm -f "$W"/nb-oncpu.*.csv
		SHARE[nb_$mode]+="$share "
		read -r c1 p1 < <(pmd)
		RES[nb_$mode]+="$(/usr/bin/python3 -c "print('%.3f' % (($b - $a) / ($t1 - $t0) / 1e6))") "
		CPP[nb_$mode]+="$(/usr/bin/python3 -c "print('%.0f' % (($c1 - $c0) / max(1, $p1 - $p0)))") "
	done
	NBCTL stats >"$W/stats-$mode.txt"
	if [ -n "$PERF_DIR" ]; then
		mkdir -p "$PERF_DIR"
		# On-CPU time of the worker thread per forwarded packet (task-clock: this VM has
		# no hardware counters): unlike the TSC busy cycles, it leaves out the time the
		# lcore spent preempted by other jobs.
		local tid comms
		tid=$(ps -T -o spid=,comm= -p "$(cat "$RUN/netbackd.pid")" | awk -v re="$threads" '$2 ~ re {print $1}' | paste -sd,)
		comms=$(ps -T -o comm= -p "$(cat "$RUN/netbackd.pid")" | grep -E "$threads" | paste -sd,)
		a=$(tx_sum p0 p1)
		perf stat -x, -e task-clock -t "$tid" -o "$PERF_DIR/stat-$mode.csv" -- sleep 5 \
			>/dev/null 2>&1
		b=$(tx_sum p0 p1)
		/usr/bin/python3 - "$PERF_DIR/stat-$mode.csv" $((b - a)) <<'PY' | tee -a "$PERF_DIR/stat-$mode.txt"
import sys
v = {}
for line in open(sys.argv[1]):
    f = line.strip().split(",")
    if len(f) > 2 and f[0].replace(".", "").isdigit():
        v[f[2].split(":")[0]] = float(f[0])
n = int(sys.argv[2])
ms = v.get("task-clock", 0)
print("# perf stat of the worker(s): %.1f ns on-CPU per packet, %.0f %% of the 5 s on CPU (%d packets)"
      % (ms * 1e6 / max(n, 1), ms / 50, n))
PY
		perf record -q -g -p "$(cat "$RUN/netbackd.pid")" -o "$PERF_DIR/perf-$mode.data" \
			-- sleep 5 >/dev/null 2>&1
		# The worker lcore's thread only, shares of its own samples.
		perf report -q --no-children --stdio --percent-limit 0.5 -g none \
			--comms "$comms" --percentage relative --sort dso,sym \
			-i "$PERF_DIR/perf-$mode.data" >"$PERF_DIR/perf-$mode.txt" 2>/dev/null
		perf report -q --no-children --stdio --percent-limit 0.5 -g none \
			--comms "$comms" --percentage relative --sort dso \
			-i "$PERF_DIR/perf-$mode.data" >>"$PERF_DIR/perf-$mode.txt" 2>/dev/null
	fi
	kill -TERM "$(cat "$RUN/netbackd.pid")" "$(cat "$RUN/nb-simhv.pid")"
	for _ in $(seq 50); do [ -e "$RUN/netbackd.pid" ] || break; sleep 0.1; done
	rm -rf "$RUN"
}
for mode in bridge route nat bridge2; do
	want "$mode" || continue
	if ! run_nb "$mode"; then
		echo "dpdk-ratio: netbackd $mode could not be set up" >&2
		RES[nb_$mode]="0 "
	fi
done

ratio() { /usr/bin/python3 -c "print('%.3f' % ($1 / $2) if $2 else 'n/a')"; }
# Median over the runs of rate / on-CPU share (Mpps per on-CPU core).
percore() { # KEY
	/usr/bin/python3 - "${RES[$1]:-}" "${SHARE[$1]:-}" <<'PY'
import statistics, sys
r = [float(x) for x in sys.argv[1].split()]
s = [float(x) for x in sys.argv[2].split()]
v = [a / b for a, b in zip(r, s) if b > 0]
print("%.2f" % statistics.median_low(v) if v else 0)
PY
}
tpmac=$(median ${RES[tp_mac]:-0})
ovsmed=$(median ${RES[ovs]:-0})
brmed=$(median ${RES[nb_bridge]:-0})
tpmac_c=$(percore tp_mac)
ovs_c=$(percore ovs)
br_c=$(percore nb_bridge)
line() { # NAME KEY EXTRA
	printf '%-16s runs: %-22s median %6.2f Mpps  on-CPU share %-17s per on-CPU core %6.2f Mpps%s\n' \
		"$1" "${RES[$2]}" "$(median ${RES[$2]})" "${SHARE[$2]:-?}" "$(percore "$2")" "$3"
}
want testpmd && line "testpmd io" tp_io ""
want testpmd && line "testpmd mac" tp_mac ""
want ovs && line "OVS-DPDK NORMAL" ovs "  processing cycles/pkt ${CPP[ovs]:-?}"
want ovs && sed -n '/pmd thread/,/avg processing/p' "$W/ovs-pmd.txt" 2>/dev/null |
	grep -E "pmd thread|packets received|emc hits|megaflow hits|miss with|avg processing" | sed 's/^/#  /'
for mode in bridge route nat bridge2; do
	want "$mode" || continue
	med=$(median ${RES[nb_$mode]})
	mc=$(percore "nb_$mode")
	line "netbackd $mode" "nb_$mode" "  busy cycles/pkt ${CPP[nb_$mode]:-?}"
	printf '  ratios (rate medians)            / testpmd mac %s  / OVS NORMAL %s  / bridge %s\n' \
		"$(ratio "$med" "$tpmac")" "$(ratio "$med" "$ovsmed")" "$(ratio "$med" "$brmed")"
	printf '  ratios (per on-CPU core medians) / testpmd mac %s  / OVS NORMAL %s  / bridge %s\n' \
		"$(ratio "$mc" "$tpmac_c")" "$(ratio "$mc" "$ovs_c")" "$(ratio "$mc" "$br_c")"
	# Where the packets went, and the drops (warm-up included: the nat uplink receives
	# before the inside port exists, so its early frames have no session).
	grep -E "^p[01] |tx:|nobuf|full|nat_|l3_" "$W/stats-$mode.txt" 2>/dev/null | sed 's/^/#   /'
done
