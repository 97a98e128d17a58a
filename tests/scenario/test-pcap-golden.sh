#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Golden pcap tests: every case of every mode under tests/pcap/ (a directory holding net.conf)
# replayed by nb-replay through tests/pcap/run-golden.sh, one "ok - MODE/CASE" or
# "not ok - MODE/CASE" line per case. Needs build/bin/nb-replay (or $NB_BIN); no root, no
# network namespace.
. "$(dirname "$0")/lib.sh"

require "nb-replay is built" test -x "$BIN/nb-replay"
mapfile -t cases < <(find "$TOP/tests/pcap" -mindepth 3 -maxdepth 3 -name net.conf -printf '%h\n' | sort)
require "golden cases found" test "${#cases[@]}" -gt 0
# The runner prints the ok/not ok lines itself; its status is the number of failed cases.
NB_BIN=$BIN "$TOP/tests/pcap/run-golden.sh" "${cases[@]}"
N_FAILED=$((N_FAILED + $?))
exit $((N_FAILED > 0))
