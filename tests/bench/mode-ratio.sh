#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Forwarding-rate sanity check of the modes against the bridge on the same traffic: a golden
# case of each mode (bridge/learning, route/guest-guest, nat/udp) is extended with N copies
# (default 200000) of one of its forwarded UDP frames, replayed with nb-replay RUNS times
# (default 3), and the median rate of each mode is printed with its ratio to the bridge.
# nb-replay runs the switch once per input frame (no batching), so this measures the per-
# frame cost of each mode's code plus a constant replay overhead, not the engine's peak rate.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${NB_BIN:-$TOP/build/bin}
N=${1:-200000}
RUNS=${2:-3}
W=$(mktemp -d /tmp/nb-ratio.XXXXXX)
trap 'rm -rf "$W"' EXIT

/usr/bin/python3 - "$TOP/tests/pcap" "$W" "$N" <<'PY'
import shutil, sys
from scapy.all import rdpcap, wrpcap
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for mode, case, index in (("bridge", "learning", 1), ("route", "guest-guest", 0), ("nat", "udp", 1)):
    d = f"{dst}/{mode}"
    shutil.copytree(f"{src}/{mode}/{case}", d)
    frames = list(rdpcap(f"{d}/in-vif1.pcap"))
    frame = frames[index]
    for i in range(n):
        c = frame.copy()
        c.time = 20 + i * 1e-6
        frames.append(c)
    wrpcap(f"{d}/in-vif1.pcap", frames)
PY

declare -A MPPS
for mode in bridge route nat; do
	rates=()
	for r in $(seq "$RUNS"); do
		mkdir -p "$W/out-$mode"
		t0=$(date +%s.%N)
		"$BIN/nb-replay" --case "$W/$mode" --out "$W/out-$mode" >/dev/null
		t1=$(date +%s.%N)
		rates+=("$(python3 -c "print($N / ($t1 - $t0) / 1e6)")")
	done
	MPPS[$mode]=$(printf '%s\n' "${rates[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
	printf '%-7s runs: %s  median %.3f Mpps\n' "$mode" "${rates[*]}" "${MPPS[$mode]}"
done
for mode in route nat; do
	python3 -c "print('%-7s / bridge = %.2f' % ('$mode', ${MPPS[$mode]} / ${MPPS[bridge]}))"
done
