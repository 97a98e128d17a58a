#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Golden cases of the "isolated" mode (guests only). Regenerate every case (byte for byte):
#   /usr/bin/python3 tests/pcap/isolated/gen.py
# The case layout and helpers are those of ../bridge/gen.py. Host ports and uplinks cannot
# join (tests/unit/test-mode-basic.c); here an "other" port (a test or capture port, which
# may join) stands for anything that is not a guest: nothing may leave through it.
import importlib.util
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the fixture tree
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bridge_gen",
                                               os.path.join(HERE, "..", "bridge", "gen.py"))
g = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(g)

PORTS = [("vif1", "vif", ["10.2.0.2"]), ("vif2", "vif", ["10.2.0.3"]),
         ("vif3", "vif", ["10.2.0.4"]), ("probe", "other", [])]
GUESTS = ["vif1", "vif2", "vif3"]


def flood_guests(in_port):
    return [n for n in GUESTS if n != in_port]


def main():
    # Guests reach each other: flooding (broadcast, multicast, unknown unicast) reaches the
    # other guests only, learned unicast one guest.
    g.write_case(HERE, "guest-guest", "isolated", PORTS, [
        g.Step(0.0, "vif1", g.arp_req(g.MAC_A, "10.2.0.2", "10.2.0.3"), "flood"),
        g.Step(0.1, "vif2", g.arp_reply(g.MAC_B, g.MAC_A, "10.2.0.3", "10.2.0.2"), "fwd",
               ["vif1"]),
        g.Step(0.2, "vif1", g.udp(g.MAC_A, g.MAC_B, "10.2.0.2", "10.2.0.3"), "fwd", ["vif2"]),
        g.Step(0.3, "vif3", g.udp(g.MAC_C, "01:00:5e:00:00:fb", "10.2.0.4", "224.0.0.251"),
               "flood"),
        g.Step(0.4, "vif3", g.udp(g.MAC_C, g.MAC_D, "10.2.0.4", "10.2.0.9"), "flood"),
    ], flood_to=flood_guests)
    # Nothing leaves through a non-guest port whatever the destination: broadcast, unknown
    # unicast and unicast to a MAC learned on that port (dropped: mode_denied). What that
    # port sends still reaches the guests, and their answers to it are denied.
    g.write_case(HERE, "no-leak", "isolated", PORTS, [
        g.Step(0.0, "probe", g.arp_req(g.MAC_O, "10.2.0.1", "10.2.0.2"), "flood"),
        g.Step(0.1, "vif1", g.arp_reply(g.MAC_A, g.MAC_O, "10.2.0.2", "10.2.0.1"),
               "mode_denied"),
        g.Step(0.2, "vif2", g.udp(g.MAC_B, g.BCAST, "10.2.0.3", "10.2.0.255"), "flood"),
        g.Step(0.3, "vif2", g.udp(g.MAC_B, g.MAC_O, "10.2.0.3", "10.2.0.1"), "mode_denied"),
        g.Step(0.4, "vif3", g.udp(g.MAC_C, g.MAC_H, "10.2.0.4", "10.2.0.1"), "flood"),
        g.Step(0.5, "probe", g.udp(g.MAC_O, g.MAC_C, "10.2.0.1", "10.2.0.4"), "fwd",
               ["vif3"]),
    ], flood_to=flood_guests)
    return 0


if __name__ == "__main__":
    sys.exit(main())
