#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden pcap runner: run-golden.sh CASE_DIR... replays each case with nb-replay (see
# tests/pcap/<mode>/gen.py for the layout) into a temporary directory, compares every
# out-PORT.pcap with the expected one frame by frame (bytes exact, timestamps ignored; a
# missing expected file means no frame) and the counters listed in counters.json exactly, and
# prints "ok - MODE/CASE" or "not ok - MODE/CASE" with a readable account of the first
# difference. nb-replay is taken from $NB_BIN (default build/bin); NB_ENGINE=dpdk replays
# through the DPDK engine (nb-replay --engine dpdk) against the same expected outputs.
# Exit status: the number of
# failed cases (0: all passed), capped at 100; 2 on usage errors.
set -uo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${NB_BIN:-$TOP/build/bin}
PY=/usr/bin/python3

if [ $# -eq 0 ]; then
	echo "usage: run-golden.sh CASE_DIR..." >&2
	exit 2
fi
if [ ! -x "$BIN/nb-replay" ]; then
	echo "run-golden.sh: $BIN/nb-replay not built" >&2
	exit 2
fi

tmp=$(mktemp -d /tmp/nb-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

failed=0
for case_dir in "$@"; do
	case_dir=${case_dir%/}
	name="$(basename "$(dirname "$case_dir")")/$(basename "$case_dir")"
	out="$tmp/$(echo "$name" | tr / _)"
	mkdir -p "$out"
	advance=()
	[ -f "$case_dir/advance" ] && advance=(--advance "$(cat "$case_dir/advance")")
	[ -n "${NB_ENGINE:-}" ] && advance+=(--engine "$NB_ENGINE")
	if ! timeout 60 "$BIN/nb-replay" --case "$case_dir" --out "$out" "${advance[@]}" >"$out/replay.log" 2>&1; then
		echo "not ok - $name"
		echo "#   nb-replay failed:"
		sed 's/^/#     /' "$out/replay.log"
		failed=$((failed + 1))
		continue
	fi
	if "$PY" - "$case_dir" "$out" >"$out/compare.log" 2>&1 <<'PYEOF'; then
import json
import os
import struct
import sys

case_dir, out_dir = sys.argv[1], sys.argv[2]


def frames(path):
    if not os.path.exists(path):
        return []
    data = open(path, "rb").read()
    if len(data) < 24:
        raise SystemExit("%s: not a pcap file" % path)
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        endian = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        endian = ">"
    else:
        raise SystemExit("%s: not a pcap file" % path)
    out, off = [], 24
    while off + 16 <= len(data):
        _, _, caplen, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return out


def describe(frame):
    try:
        from scapy.all import Ether
        return Ether(frame).summary() + "\n" + Ether(frame).show(dump=True)
    except Exception as e:  # scapy missing or the frame unparsable: bytes speak
        return "(%s)" % e


def hexdump(frame):
    return "\n".join("      %04x  %s" % (i, frame[i:i + 16].hex(" "))
                     for i in range(0, len(frame), 16))


problems = []
ports = [l.split()[0] for l in open(os.path.join(case_dir, "ports.conf"))
         if l.strip() and not l.startswith("#")]
for port in ports:
    exp = frames(os.path.join(case_dir, "out-%s.pcap" % port))
    got = frames(os.path.join(out_dir, "out-%s.pcap" % port))
    for i in range(max(len(exp), len(got))):
        e = exp[i] if i < len(exp) else None
        g = got[i] if i < len(got) else None
        if e == g:
            continue
        msg = ["port %s: %d frames expected, %d sent; first difference at frame %d"
               % (port, len(exp), len(got), i + 1)]
        for label, f in (("expected", e), ("actual", g)):
            if f is None:
                msg.append("  %s: no frame" % label)
            else:
                msg.append("  %s (%d bytes): %s" % (label, len(f), describe(f).splitlines()[0]))
                msg.append(hexdump(f))
        problems.append("\n".join(msg))
        break
exp_ctrs = json.load(open(os.path.join(case_dir, "counters.json")))
got_ctrs = json.load(open(os.path.join(out_dir, "counters.json")))
for port, ctrs in sorted(exp_ctrs.items()):
    for ctr, want in sorted(ctrs.items()):
        have = got_ctrs.get(port, {}).get(ctr)
        if have != want:
            problems.append("counter %s/%s: expected %s, got %s" % (port, ctr, want, have))
print("\n".join(problems))
sys.exit(1 if problems else 0)
PYEOF
		echo "ok - $name"
	else
		echo "not ok - $name"
		sed 's/^/#   /' "$out/compare.log"
		failed=$((failed + 1))
	fi
done
[ $failed -gt 100 ] && failed=100
exit $failed
