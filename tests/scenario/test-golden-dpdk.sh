#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden pcap tests through the DPDK engine: every case of every mode under tests/pcap/ replayed
# by `nb-replay --engine dpdk` (EAL with --no-huge --no-pci and a file prefix of its own,
# mbuf-backed pools, "dpdk" ports on ring ethdevs) and compared by tests/pcap/run-golden.sh
# with the SAME expected outputs as the native engine. One "ok - MODE/CASE" line per case.
# No root needed beyond what EAL asks, no network namespace; nb-replay removes its EAL runtime
# directory, and this test checks that none is left behind.
. "$(dirname "$0")/lib.sh"

require "nb-replay is built" test -x "$BIN/nb-replay"
mapfile -t cases < <(find "$TOP/tests/pcap" -mindepth 3 -maxdepth 3 -name net.conf -printf '%h\n' | sort)
require "golden cases found" test "${#cases[@]}" -gt 0
NB_BIN=$BIN NB_ENGINE=dpdk "$TOP/tests/pcap/run-golden.sh" "${cases[@]}"
N_FAILED=$((N_FAILED + $?))
left=$(find /var/run/dpdk "${XDG_RUNTIME_DIR:-/nonexistent}/dpdk" /tmp/dpdk -maxdepth 1 \
	-name 'nb-replay-*' 2>/dev/null | wc -l)
check "no EAL runtime directory of nb-replay left" test "$left" -eq 0
exit $((N_FAILED > 0))
