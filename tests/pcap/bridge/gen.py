#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Golden cases of the "bridge" mode. Regenerate every case (byte for byte) with:
#   /usr/bin/python3 tests/pcap/bridge/gen.py
# Each case is a list of steps: a frame received on a port at a virtual time, and where the
# bridge must send it. The helpers below (also used by ../hostonly/gen.py and
# ../isolated/gen.py) write the layout of tests/pcap: net.conf, ports.conf, in-PORT.pcap,
# out-PORT.pcap for every port (empty when nothing is expected) and counters.json, whose
# counters follow from the steps: rx/tx_packets per port and the verdict counter of each step.
import json
import os
import struct
import sys

from scapy.all import ARP, IP, UDP, Dot1Q, Ether, ICMPv6EchoRequest, IPv6, Raw, raw

HERE = os.path.dirname(os.path.abspath(__file__))
PCAP_SNAPLEN = 262144

# Guests' MACs (Xen's 00:16:3e prefix), dom0's host port, an outside host, a router.
MAC_A = "00:16:3e:00:00:0a"
MAC_B = "00:16:3e:00:00:0b"
MAC_C = "00:16:3e:00:00:0c"
MAC_D = "00:16:3e:00:00:0d"
MAC_H = "fe:ff:ff:ff:ff:ff"
MAC_O = "02:00:00:00:00:0f"
BCAST = "ff:ff:ff:ff:ff:ff"


def pcap_bytes(records):
    """A microsecond Ethernet pcap of (time_s, frame bytes) records."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, PCAP_SNAPLEN, 1)]
    for t, data in records:
        usec = round(t * 1000000)
        out.append(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(data), len(data)))
        out.append(data)
    return b"".join(out)


class Step:
    """Frame 'frame' received on 'port' at 't' seconds; 'verdict' is 'flood', 'fwd' or a
    drop counter name; 'outs' the ports it leaves through (None: every other port, for a
    flood)."""

    def __init__(self, t, port, frame, verdict, outs=None):
        self.t = t
        self.port = port
        self.frame = frame if isinstance(frame, bytes) else raw(frame)
        self.verdict = verdict
        self.outs = outs


def write_case(mode_dir, name, net_conf, ports, steps, flood_to=None):
    """ports: [(name, role, [ip...])]; flood_to(in_port) -> ports a flood reaches."""
    d = os.path.join(mode_dir, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".pcap") or f in ("net.conf", "ports.conf", "counters.json"):
            os.unlink(os.path.join(d, f))
    names = [p[0] for p in ports]
    if flood_to is None:
        def flood_to(in_port):
            return [n for n in names if n != in_port]
    ins = {n: [] for n in names}
    outs = {n: [] for n in names}
    ctrs = {n: {"rx_packets": 0, "tx_packets": 0, "fwd_flood": 0, "fwd_reflect": 0,
                "rx_runt": 0, "rx_bad_src_mac": 0, "mode_denied": 0} for n in names}
    for s in sorted(steps, key=lambda s: s.t):
        ins[s.port].append((s.t, s.frame))
        ctrs[s.port]["rx_packets"] += 1
        if s.verdict == "flood":
            ctrs[s.port]["fwd_flood"] += 1
            dests = s.outs if s.outs is not None else flood_to(s.port)
        elif s.verdict == "fwd":
            dests = s.outs
        else:
            ctrs[s.port][s.verdict] += 1
            dests = []
        # Within one switch iteration the output order is by port slot: ports.conf order.
        for n in names:
            if n in dests:
                outs[n].append((s.t, s.frame))
                ctrs[n]["tx_packets"] += 1
    with open(os.path.join(d, "net.conf"), "w") as f:
        f.write(net_conf + "\n")
    with open(os.path.join(d, "ports.conf"), "w") as f:
        for n, role, ips in ports:
            f.write(" ".join([n, role] + list(ips)) + "\n")
    for n in names:
        if ins[n]:
            with open(os.path.join(d, "in-%s.pcap" % n), "wb") as f:
                f.write(pcap_bytes(ins[n]))
        with open(os.path.join(d, "out-%s.pcap" % n), "wb") as f:
            f.write(pcap_bytes(outs[n]))
    with open(os.path.join(d, "counters.json"), "w") as f:
        json.dump(ctrs, f, indent=2, sort_keys=True)
        f.write("\n")


def udp(src, dst, sip, dip, payload=b"netback", vlan=None):
    e = Ether(src=src, dst=dst)
    if vlan is not None:
        e = e / Dot1Q(vlan=vlan)
    return e / IP(src=sip, dst=dip, id=1) / UDP(sport=4000, dport=5000) / Raw(payload)


def arp_req(src, sip, dip):
    return Ether(src=src, dst=BCAST) / ARP(op=1, hwsrc=src, psrc=sip, pdst=dip)


def arp_reply(src, dst, sip, dip):
    return Ether(src=src, dst=dst) / ARP(op=2, hwsrc=src, psrc=sip, hwdst=dst, pdst=dip)


PORTS3 = [("vif1", "vif", ["10.0.0.1"]), ("vif2", "vif", ["10.0.0.2"]),
          ("vif3", "vif", ["10.0.0.3"])]


def main():
    # Learning: unknown unicast floods; the reply goes to the learned port alone; with both
    # ends learned, traffic no longer floods. Host and uplink roles forward like any port.
    ports = [("vif1", "vif", ["10.0.0.1"]), ("vif2", "vif", ["10.0.0.2"]),
             ("host", "host", ["10.0.0.254/24"]), ("uplink", "uplink", [])]
    write_case(HERE, "learning", "bridge", ports, [
        Step(0.0, "vif1", udp(MAC_A, MAC_B, "10.0.0.1", "10.0.0.2"), "flood"),
        Step(0.5, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1"), "fwd", ["vif1"]),
        Step(1.0, "vif1", udp(MAC_A, MAC_B, "10.0.0.1", "10.0.0.2", b"second"), "fwd",
             ["vif2"]),
        Step(1.5, "uplink", udp(MAC_O, MAC_H, "192.0.2.9", "10.0.0.254"), "flood"),
        Step(2.0, "host", udp(MAC_H, MAC_O, "10.0.0.254", "192.0.2.9"), "fwd", ["uplink"]),
        Step(2.5, "vif2", udp(MAC_B, MAC_H, "10.0.0.2", "10.0.0.254"), "fwd", ["host"]),
    ])
    # Flooding: broadcast, IPv4 and IPv6 multicast, unknown unicast reach every port but the
    # ingress one, never back out of it.
    write_case(HERE, "flooding", "bridge", PORTS3, [
        Step(0.0, "vif1", arp_req(MAC_A, "10.0.0.1", "10.0.0.3"), "flood"),
        Step(0.1, "vif2", udp(MAC_B, "01:00:5e:00:00:fb", "10.0.0.2", "224.0.0.251"),
             "flood"),
        Step(0.2, "vif3", Ether(src=MAC_C, dst="33:33:00:00:00:01") /
             IPv6(src="fe80::216:3eff:fe00:c", dst="ff02::1") / ICMPv6EchoRequest(),
             "flood"),
        Step(0.3, "vif1", udp(MAC_A, MAC_D, "10.0.0.1", "10.0.0.4"), "flood"),
        Step(0.4, "vif3", arp_reply(MAC_C, MAC_A, "10.0.0.3", "10.0.0.1"), "fwd", ["vif1"]),
    ])
    # No reflection: a frame whose destination was learned on its own ingress port (two
    # hosts behind one port) is dropped and counted.
    write_case(HERE, "reflection", "bridge", PORTS3, [
        Step(0.0, "vif1", arp_req(MAC_A, "10.0.0.1", "10.0.0.9"), "flood"),
        Step(1.0, "vif1", udp(MAC_C, MAC_A, "10.0.0.1", "10.0.0.9"), "fwd_reflect"),
        Step(2.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1"), "fwd", ["vif1"]),
    ])
    # Aging with the virtual clock (aging=300 s): A is learned at t=0, used at t=10, and at
    # t=301 it has expired, so the same frame floods again; A is then learned afresh.
    write_case(HERE, "aging", "bridge aging=300", PORTS3, [
        Step(0.0, "vif1", arp_req(MAC_A, "10.0.0.1", "10.0.0.2"), "flood"),
        Step(10.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1"), "fwd", ["vif1"]),
        Step(299.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1", b"late"), "fwd",
             ["vif1"]),
        Step(301.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1", b"aged"), "flood"),
        Step(302.0, "vif1", udp(MAC_A, MAC_B, "10.0.0.1", "10.0.0.2"), "fwd", ["vif2"]),
        Step(303.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1", b"again"), "fwd",
             ["vif1"]),
    ])
    # VLAN tags are carried unchanged and learning is per VLAN: A learned on VLAN 10 is
    # unknown on VLAN 20.
    write_case(HERE, "vlan", "bridge", PORTS3, [
        Step(0.0, "vif1", udp(MAC_A, BCAST, "10.0.0.1", "10.0.0.255", vlan=10), "flood"),
        Step(1.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1", vlan=10), "fwd",
             ["vif1"]),
        Step(2.0, "vif2", udp(MAC_B, MAC_A, "10.0.0.2", "10.0.0.1", vlan=20), "flood"),
        Step(3.0, "vif3", udp(MAC_C, MAC_B, "10.0.0.3", "10.0.0.2", vlan=10), "fwd",
             ["vif2"]),
    ])
    # Hostile frames: runts (shorter than an Ethernet header) and multicast, broadcast or
    # zero source MACs are dropped and counted, and none of them is learned.
    write_case(HERE, "bad-frames", "bridge", PORTS3, [
        Step(0.0, "vif1", raw(Ether(src=MAC_A, dst=MAC_B))[:10], "rx_runt"),
        Step(0.1, "vif1", raw(Ether(src=MAC_A, dst=MAC_B))[:13], "rx_runt"),
        Step(0.2, "vif1", udp("01:00:5e:00:00:01", MAC_B, "10.0.0.1", "10.0.0.2"),
             "rx_bad_src_mac"),
        Step(0.3, "vif1", udp(BCAST, MAC_B, "10.0.0.1", "10.0.0.2"), "rx_bad_src_mac"),
        Step(0.4, "vif1", udp("00:00:00:00:00:00", MAC_B, "10.0.0.1", "10.0.0.2"),
             "rx_bad_src_mac"),
        Step(0.5, "vif2", udp(MAC_B, "01:00:5e:00:00:01", "10.0.0.2", "10.0.0.1"), "flood"),
        # A minimal 14-byte frame is valid and forwarded.
        Step(0.6, "vif3", raw(Ether(src=MAC_C, dst=MAC_B, type=0x88b5)), "fwd", ["vif2"]),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
