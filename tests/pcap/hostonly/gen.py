#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Golden cases of the "hostonly" mode (guests and dom0's host port, no uplink). Regenerate
# every case (byte for byte) with:
#   /usr/bin/python3 tests/pcap/hostonly/gen.py
# The case layout and helpers are those of ../bridge/gen.py. That an uplink is refused is
# checked by tests/unit/test-mode-basic.c (a replay cannot express a refused port).
import importlib.util
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the fixture tree
HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("bridge_gen",
                                               os.path.join(HERE, "..", "bridge", "gen.py"))
g = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(g)

PORTS = [("vif1", "vif", ["10.1.0.2"]), ("vif2", "vif", ["10.1.0.3"]),
         ("host", "host", ["10.1.0.1/24"])]


def main():
    # A guest resolves and reaches dom0: the ARP request floods to the other guest and the
    # host port, the reply and the traffic after it go to one port each.
    g.write_case(HERE, "guest-host", "hostonly", PORTS, [
        g.Step(0.0, "vif1", g.arp_req(g.MAC_A, "10.1.0.2", "10.1.0.1"), "flood"),
        g.Step(0.1, "host", g.arp_reply(g.MAC_H, g.MAC_A, "10.1.0.1", "10.1.0.2"), "fwd",
               ["vif1"]),
        g.Step(0.2, "vif1", g.udp(g.MAC_A, g.MAC_H, "10.1.0.2", "10.1.0.1"), "fwd", ["host"]),
        g.Step(0.3, "host", g.udp(g.MAC_H, g.MAC_A, "10.1.0.1", "10.1.0.2"), "fwd", ["vif1"]),
    ])
    # Guests see each other, and dom0's broadcasts reach both of them.
    g.write_case(HERE, "guest-guest", "hostonly", PORTS, [
        g.Step(0.0, "host", g.arp_req(g.MAC_H, "10.1.0.1", "10.1.0.3"), "flood"),
        g.Step(0.1, "vif2", g.arp_reply(g.MAC_B, g.MAC_H, "10.1.0.3", "10.1.0.1"), "fwd",
               ["host"]),
        g.Step(0.2, "vif1", g.udp(g.MAC_A, g.MAC_B, "10.1.0.2", "10.1.0.3"), "fwd", ["vif2"]),
        g.Step(0.3, "vif2", g.udp(g.MAC_B, g.MAC_A, "10.1.0.3", "10.1.0.2"), "fwd", ["vif1"]),
        g.Step(0.4, "vif2", g.udp(g.MAC_B, g.MAC_B, "10.1.0.3", "10.1.0.3"), "fwd_reflect"),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
