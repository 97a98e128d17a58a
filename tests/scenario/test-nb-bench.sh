#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# nb-bench end to end, no timing asserted: a generator guest replays a small pcap through a
# netback bridge into a sink guest (both simulated guests of nb-simhv, driven by nb-bench), and
# the sink must have received every frame the generator sent, each identical to the frame sent
# under its sequence number (apart from the stamp), in order. The sink's capture is compared
# with the pcap too, and the JSON report must carry the figures make bench reads.
. "$(dirname "$0")/lib.sh"

P=nbbt$$
require "dom0 starts" start_dom0 "$P"
require "bridge network" nbctl net-create br0 --mode bridge
W=$(make_tmpdir)
require "traffic sets generated" timeout 60 /usr/bin/python3 "$TOP/tests/bench/gen-traffic.py" \
	"$W" --only udp --only mix
G=$("$BIN/nb-simhv" --rundir "$RUNDIR" domain-create "$P-gen" --memory 64)
S=$("$BIN/nb-simhv" --rundir "$RUNDIR" domain-create "$P-sink" --memory 64)
require "two domains" test -n "$G" -a -n "$S"
for ns in "$P-gen" "$P-sink"; do
	ip netns add "$ns" && track_netns "$ns"
	# The guests' TAPs stay quiet (no IPv6 neighbour discovery on the rings).
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1
done
require "generator vif" nbctl network-attach "$P-gen" "mac=02:00:00:00:01:01,bridge=br0"
require "sink vif" nbctl network-attach "$P-sink" "mac=02:00:00:00:02:01,bridge=br0"

# 256 frames x 8 loops of 64 B, then the TCP/UDP mix (136 frames, 54..1514 B) 4 times.
run_bench() {
	timeout 60 "$BIN/nb-bench" --rundir "$RUNDIR" --gen "$G:$P-gen" --sink "$S:$P-sink" \
		--verify --json "$@"
}
require "nb-bench runs generator -> bridge -> sink" sh -c \
	"$(declare -f run_bench); BIN='$BIN' RUNDIR='$RUNDIR' G='$G' S='$S' P='$P'; \
	 run_bench --pcap '$W/udp-64.pcap' --loops 8 --capture '$W/sink.pcap' >'$W/r1.json'"
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {}, d))" "$@"; }
check_eq "generator sent 8 x 256 frames" 2048 "$(field "$W/r1.json" sent)"
check_eq "sink received all of them" 2048 "$(field "$W/r1.json" forwarded)"
check_eq "every one stamped and in order" "2048 0" \
	"$(field "$W/r1.json" "'%d %d' % (sink['stamped'], sink['reordered'])")"
check_eq "every one identical to the frame sent (apart from the stamp)" "2048 0" \
	"$(field "$W/r1.json" "'%d %d' % (sink['verify_ok'], sink['verify_bad'])")"
check "latency percentiles reported (p50 <= p99 <= p99.9)" test "$(field "$W/r1.json" \
	"int(latency_us['samples'] == 2048 and 0 < latency_us['p50'] <= latency_us['p99'] <= latency_us['p999'])")" = 1
check_eq "no drops counted by netbackd" "{}" "$(field "$W/r1.json" "drops")"
check "the sink's capture holds the pcap's frames, in order, stamps aside" /usr/bin/python3 - \
	"$W/udp-64.pcap" "$W/sink.pcap" <<'PY'
import sys
from scapy.all import rdpcap
sent, got = [bytes(p) for p in rdpcap(sys.argv[1])], [bytes(p) for p in rdpcap(sys.argv[2])]
strip = lambda b: b[:46] + b[58:]  # stamp sequence + timestamp at UDP payload bytes 4..15
assert len(got) == 8 * len(sent), (len(got), len(sent))
assert all(strip(g) == strip(sent[i % len(sent)]) for i, g in enumerate(got))
PY
require "nb-bench replays the TCP/UDP mix" sh -c \
	"$(declare -f run_bench); BIN='$BIN' RUNDIR='$RUNDIR' G='$G' S='$S' P='$P'; \
	 run_bench --pcap '$W/mix.pcap' --loops 4 >'$W/r2.json'"
check_eq "mix: every frame forwarded" "544 544" "$(field "$W/r2.json" "'%d %d' % (sent, forwarded)")"
check_eq "mix: the 64 stamped UDP frames of each pass verified" "256 0" \
	"$(field "$W/r2.json" "'%d %d' % (sink['verify_ok'], sink['verify_bad'])")"
finish
