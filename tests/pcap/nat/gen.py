#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Golden cases of the fast-path "nat" mode. Regenerate every case (byte for byte) with:
#   /usr/bin/python3 tests/pcap/nat/gen.py
# Layout as in tests/pcap (net.conf, ports.conf, in-PORT.pcap, out-PORT.pcap, counters.json).
# Each case is a list of steps: a frame received on a port at a virtual time, the frames the
# switch must send because of it (per port, in order) and the counters it bumps. Expected
# frames are built from scratch by scapy (fresh checksums), so they also check that the
# switch's incremental checksum updates are exact.
#
# Topology of every case: two guests (vif1 = A 10.0.0.10, vif2 = B 10.0.0.11), dom0's host
# port (gateway 10.0.0.1, MAC H), and the uplink with the NAT address 192.0.2.2, its router
# 192.0.2.1 (MAC GW) in front of the remote server 198.51.100.7.
import json
import os
import struct
import sys

from scapy.all import ARP, ICMP, IP, TCP, UDP, Ether, IPv6, Raw, raw

HERE = os.path.dirname(os.path.abspath(__file__))

MAC_A = "00:16:3e:00:00:0a"
MAC_B = "00:16:3e:00:00:0b"
MAC_H = "fe:ff:ff:ff:ff:ff"
MAC_UP = "02:00:00:00:01:02"
MAC_GW = "02:00:00:00:00:01"
MAC_X = "02:00:00:00:00:99"
BCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"
IP_A = "10.0.0.10"
IP_B = "10.0.0.11"
IP_H = "10.0.0.1"
EXT = "192.0.2.2"
GW = "192.0.2.1"
REM = "198.51.100.7"

NET = "nat subnet=10.0.0.0/24,uplink_address=192.0.2.2/24,uplink_gateway=192.0.2.1," \
      "uplink_mac=" + MAC_UP
PORTS = [("vif1", "vif", [IP_A]), ("vif2", "vif", [IP_B]), ("host", "host", ["10.0.0.1/24"]),
         ("uplink", "uplink", ["192.0.2.2/24"])]
NAMES = [p[0] for p in PORTS]
# Counters compared in every case (all of them, zero or not, so a stray drop fails the case).
WATCHED = ["rx_packets", "tx_packets", "fwd_flood", "fwd_reflect", "rx_runt", "rx_bad_src_mac",
           "l3_bad_hdr", "l3_truncated", "l3_not_for_us", "l3_unsupported", "l3_spoofed",
           "l3_no_route", "l3_ttl_exceeded", "l3_neigh_failed", "l3_arp_replied",
           "nat_no_session", "nat_ports_exhausted", "nat_table_full", "nat_bad_icmp",
           "nat_unsupported", "nat_hairpin"]


def pcap_bytes(records):
    """A microsecond Ethernet pcap of (time_s, frame bytes) records."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)]
    for t, data in records:
        usec = round(t * 1000000)
        out.append(struct.pack("<IIII", usec // 1000000, usec % 1000000, len(data), len(data)))
        out.append(data)
    return b"".join(out)


class Step:
    """'frame' received on 'port' at 't' s; 'outs' [(port, frame)] sent because of it, in
    order; 'ctrs' {counter: n} bumped on the ingress port (rx/tx_packets are counted)."""

    def __init__(self, t, port, frame, outs=(), ctrs=None):
        self.t = t
        self.port = port
        self.frame = frame if isinstance(frame, bytes) else raw(frame)
        self.outs = [(p, f if isinstance(f, bytes) else raw(f)) for p, f in outs]
        self.ctrs = ctrs or {}


def write_case(name, steps, net=NET):
    d = os.path.join(HERE, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if f.endswith(".pcap") or f in ("net.conf", "ports.conf", "counters.json", "advance"):
            os.unlink(os.path.join(d, f))
    ins = {n: [] for n in NAMES}
    outs = {n: [] for n in NAMES}
    ctrs = {n: {c: 0 for c in WATCHED} for n in NAMES}
    for s in sorted(steps, key=lambda s: s.t):
        ins[s.port].append((s.t, s.frame))
        ctrs[s.port]["rx_packets"] += 1
        for c, v in s.ctrs.items():
            ctrs[s.port][c] += v
        for p, f in s.outs:
            outs[p].append((s.t, f))
            ctrs[p]["tx_packets"] += 1
    with open(os.path.join(d, "net.conf"), "w") as f:
        f.write(net + "\n")
    with open(os.path.join(d, "ports.conf"), "w") as f:
        for n, role, ips in PORTS:
            f.write(" ".join([n, role] + ips) + "\n")
    for n in NAMES:
        if ins[n]:
            with open(os.path.join(d, "in-%s.pcap" % n), "wb") as f:
                f.write(pcap_bytes(ins[n]))
        with open(os.path.join(d, "out-%s.pcap" % n), "wb") as f:
            f.write(pcap_bytes(outs[n]))
    with open(os.path.join(d, "counters.json"), "w") as f:
        json.dump(ctrs, f, indent=2, sort_keys=True)
        f.write("\n")


def arp(src, dst, op, sha, spa, tha, tpa, pad=0):
    return raw(Ether(src=src, dst=dst) / ARP(op=op, hwsrc=sha, psrc=spa, hwdst=tha,
                                             pdst=tpa)) + bytes(pad)


def eth_ip(src, dst, ip):
    return raw(Ether(src=src, dst=dst) / ip)


def preamble(t=0.0, guests=("vif1",)):
    """dom0 asks for the guests (teaches the switch the host port's MAC) and they answer
    (teaches their MACs and addresses): the broadcast floods inside only, never the uplink."""
    steps = []
    for i, g in enumerate(guests):
        mac, ip = (MAC_A, IP_A) if g == "vif1" else (MAC_B, IP_B)
        req = arp(MAC_H, BCAST, 1, MAC_H, IP_H, ZERO, ip)
        steps.append(Step(t + 0.2 * i, "host", req,
                          [(n, req) for n in ("vif1", "vif2")], {"fwd_flood": 1}))
        steps.append(Step(t + 0.2 * i + 0.1, g, arp(mac, MAC_H, 2, mac, ip, MAC_H, IP_H),
                          [("host", arp(mac, MAC_H, 2, mac, ip, MAC_H, IP_H))]))
    return steps


ARP_WHO_GW = arp(MAC_UP, BCAST, 1, MAC_UP, EXT, ZERO, GW, pad=18)
ARP_GW_IS = arp(MAC_GW, MAC_UP, 2, MAC_GW, GW, MAC_UP, EXT)


def out_frame(ip):
    """A translated packet on the uplink: from the uplink MAC to the gateway's."""
    return eth_ip(MAC_UP, MAC_GW, ip)


def first_out(t, port, mac, ip_in, ip_out):
    """The first outbound packet: held while the gateway is resolved, then sent."""
    return [Step(t, port, eth_ip(mac, MAC_H, ip_in), [("uplink", ARP_WHO_GW)]),
            Step(t + 0.1, "uplink", ARP_GW_IS, [("uplink", out_frame(ip_out))])]


def udp_case():
    p = b"netback-udp"
    steps = preamble()
    steps += first_out(1.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=1) / UDP(sport=5000, dport=53) / Raw(p),
                       IP(src=EXT, dst=REM, id=1, ttl=63) / UDP(sport=5000, dport=53) / Raw(p))
    steps += [
        # The reply comes back to the guest from its gateway's MAC.
        Step(2.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=7, ttl=60) /
                                   UDP(sport=53, dport=5000) / Raw(b"reply")),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=7, ttl=59) /
                              UDP(sport=53, dport=5000) / Raw(b"reply")))]),
        # Once resolved, the next packet leaves at once.
        Step(3.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM, id=2) /
                                 UDP(sport=5000, dport=53) / Raw(b"again")),
             [("uplink", out_frame(IP(src=EXT, dst=REM, id=2, ttl=63) /
                                   UDP(sport=5000, dport=53) / Raw(b"again")))]),
        # Address-and-port dependent filtering: another remote port finds no session.
        Step(4.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT) /
                                   UDP(sport=54, dport=5000)), [], {"nat_no_session": 1}),
        # The gateway asks for the NAT address: answered from the uplink MAC.
        Step(5.0, "uplink", arp(MAC_GW, BCAST, 1, MAC_GW, GW, ZERO, EXT),
             [("uplink", arp(MAC_UP, MAC_GW, 2, MAC_UP, EXT, MAC_GW, GW))],
             {"l3_arp_replied": 1}),
        # Guest to guest stays inside: bridged, the uplink never sees it.
        Step(6.0, "vif1", eth_ip(MAC_A, BCAST, IP(src=IP_A, dst="10.0.0.255") /
                                 UDP(sport=1, dport=2)),
             [(n, eth_ip(MAC_A, BCAST, IP(src=IP_A, dst="10.0.0.255") / UDP(sport=1, dport=2)))
              for n in ("vif2", "host")], {"fwd_flood": 1}),
        # dom0 itself (inside the subnet) is bridged to, not translated.
        Step(7.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=IP_H) / UDP(sport=1, dport=2)),
             [("host", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=IP_H) / UDP(sport=1, dport=2)))]),
    ]
    write_case("udp", steps)


def tcp_case():
    def o(flags, seq, ack, t):
        return (Step(t, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM, id=t * 10) /
                                       TCP(sport=40000, dport=80, flags=flags, seq=seq,
                                           ack=ack)),
                     [("uplink", out_frame(IP(src=EXT, dst=REM, id=t * 10, ttl=63) /
                                           TCP(sport=40000, dport=80, flags=flags, seq=seq,
                                               ack=ack)))]))

    def i(flags, seq, ack, t):
        return Step(t, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=t * 10) /
                                        TCP(sport=80, dport=40000, flags=flags, seq=seq,
                                            ack=ack)),
                    [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=t * 10, ttl=63) /
                                     TCP(sport=80, dport=40000, flags=flags, seq=seq,
                                         ack=ack)))])

    steps = preamble()
    steps += first_out(1.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=10) / TCP(sport=40000, dport=80, flags="S",
                                                          seq=100),
                       IP(src=EXT, dst=REM, id=10, ttl=63) / TCP(sport=40000, dport=80,
                                                                 flags="S", seq=100))
    steps += [
        i("SA", 500, 101, 2), o("A", 101, 501, 3), o("PA", 101, 501, 4), i("FA", 501, 101, 5),
        o("FA", 101, 502, 6), i("A", 502, 102, 7),
        # A TCP segment that does not start with SYN opens nothing.
        Step(8.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM) /
                                 TCP(sport=40001, dport=80, flags="A")), [],
             {"nat_no_session": 1}),
    ]
    write_case("tcp", steps)


def icmp_echo_case():
    steps = preamble()
    steps += first_out(1.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=1) / ICMP(type=8, id=0x1234, seq=1) /
                       Raw(b"ping"),
                       IP(src=EXT, dst=REM, id=1, ttl=63) / ICMP(type=8, id=0x1234, seq=1) /
                       Raw(b"ping"))
    steps += [
        Step(2.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=9) /
                                   ICMP(type=0, id=0x1234, seq=1) / Raw(b"ping")),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=9, ttl=63) /
                              ICMP(type=0, id=0x1234, seq=1) / Raw(b"ping")))]),
        # An identifier is not a port: one below the port range is kept (as Linux does).
        Step(3.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM, id=2) /
                                 ICMP(type=8, id=7, seq=1)),
             [("uplink", out_frame(IP(src=EXT, dst=REM, id=2, ttl=63) /
                                   ICMP(type=8, id=7, seq=1)))]),
        Step(4.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=3) /
                                   ICMP(type=0, id=7, seq=1)),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=3, ttl=63) /
                              ICMP(type=0, id=7, seq=1)))]),
        # Pings from outside to the NAT address open nothing.
        Step(5.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT) /
                                   ICMP(type=8, id=0x1234)), [], {"nat_no_session": 1}),
    ]
    write_case("icmp-echo", steps)


def inbound_case():
    steps = preamble()
    steps += [
        Step(1.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT) /
                                   UDP(sport=53, dport=5000)), [], {"nat_no_session": 1}),
        Step(2.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT) /
                                   TCP(sport=1234, dport=22, flags="S")), [],
             {"nat_no_session": 1}),
        # Addressed to the inside directly: not the NAT address, no session.
        Step(3.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=IP_A) /
                                   UDP(sport=53, dport=5000)), [], {"nat_no_session": 1}),
        # Another MAC on the uplink segment, and a protocol the uplink side does not take.
        Step(4.0, "uplink", eth_ip(MAC_GW, MAC_X, IP(src=REM, dst=EXT) /
                                   UDP(sport=53, dport=5000)), [], {"l3_not_for_us": 1}),
        Step(5.0, "uplink", eth_ip(MAC_GW, MAC_UP, IPv6(src="2001:db8::1", dst="2001:db8::2") /
                                   UDP(sport=53, dport=5000)), [], {"l3_unsupported": 1}),
        Step(6.0, "uplink", arp(MAC_GW, BCAST, 1, MAC_GW, GW, ZERO, "192.0.2.77"), [],
             {"l3_not_for_us": 1}),
        # GRE to the NAT address: not translated.
        Step(7.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, proto=47) /
                                   Raw(bytes(8))), [], {"nat_unsupported": 1}),
    ]
    write_case("inbound-no-session", steps)


def icmp_error_case():
    p = b"probe"
    sent = IP(src=EXT, dst=REM, id=1, ttl=63) / UDP(sport=5000, dport=33434) / Raw(p)
    # What the guest must see quoted: its own packet (TTL as it left the NAT).
    seen = IP(src=IP_A, dst=REM, id=1, ttl=63) / UDP(sport=5000, dport=33434) / Raw(p)
    steps = preamble()
    steps += first_out(1.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=1) / UDP(sport=5000, dport=33434) / Raw(p),
                       sent)
    steps += [
        # Port unreachable from the server, quoting the whole datagram.
        Step(2.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=5, ttl=60) /
                                   ICMP(type=3, code=3) / Raw(raw(sent))),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=5, ttl=59) /
                              ICMP(type=3, code=3) / Raw(raw(seen))))]),
        # Time exceeded from the router, quoting the IP header and 8 bytes only.
        Step(3.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=GW, dst=EXT, id=6) /
                                   ICMP(type=11, code=0) / Raw(raw(sent)[:28])),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=GW, dst=IP_A, id=6, ttl=63) /
                              ICMP(type=11, code=0) / Raw(raw(seen)[:28])))]),
        # An error about a flow that never existed, and one with a broken ICMP checksum.
        Step(4.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=7) /
                                   ICMP(type=3, code=3) /
                                   Raw(raw(IP(src=EXT, dst=REM, ttl=63) /
                                           UDP(sport=5999, dport=33434)))), [],
             {"nat_no_session": 1}),
        Step(5.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=8) /
                                   ICMP(type=3, code=3, chksum=0x1234) / Raw(raw(sent))), [],
             {"nat_bad_icmp": 1}),
    ]
    write_case("icmp-error", steps)


def hairpin_case():
    steps = preamble(guests=("vif1", "vif2"))
    steps += first_out(1.0, "vif2", MAC_B,
                       IP(src=IP_B, dst=REM, id=1) / UDP(sport=6000, dport=53),
                       IP(src=EXT, dst=REM, id=1, ttl=63) / UDP(sport=6000, dport=53))
    steps += [
        # A reaches B through B's public endpoint and appears as the NAT address.
        Step(2.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=EXT, id=2) /
                                 UDP(sport=5000, dport=6000) / Raw(b"hairpin")),
             [("vif2", eth_ip(MAC_H, MAC_B, IP(src=EXT, dst=IP_B, id=2, ttl=63) /
                              UDP(sport=5000, dport=6000) / Raw(b"hairpin")))],
             {"nat_hairpin": 1}),
        # B answers the endpoint it saw; A sees B's public endpoint.
        Step(3.0, "vif2", eth_ip(MAC_B, MAC_H, IP(src=IP_B, dst=EXT, id=3) /
                                 UDP(sport=6000, dport=5000) / Raw(b"back")),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=EXT, dst=IP_A, id=3, ttl=63) /
                              UDP(sport=6000, dport=5000) / Raw(b"back")))],
             {"nat_hairpin": 1}),
        # No mapping behind that public port.
        Step(4.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=EXT) /
                                 UDP(sport=5000, dport=7000)), [], {"nat_no_session": 1}),
    ]
    write_case("hairpin", steps)


def exhaustion_case():
    net = NET + ",port_min=2000,port_max=2001"
    steps = preamble()
    steps += first_out(1.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=1) / UDP(sport=5000, dport=53),
                       IP(src=EXT, dst=REM, id=1, ttl=63) / UDP(sport=2000, dport=53))
    steps += [
        Step(2.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM, id=2) /
                                 UDP(sport=5001, dport=53)),
             [("uplink", out_frame(IP(src=EXT, dst=REM, id=2, ttl=63) /
                                   UDP(sport=2001, dport=53)))]),
        Step(3.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM, id=3) /
                                 UDP(sport=5002, dport=53)), [], {"nat_ports_exhausted": 1}),
        # An existing mapping still serves new destinations (endpoint independent).
        Step(4.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst="198.51.100.8", id=4) /
                                 UDP(sport=5000, dport=123)),
             [("uplink", out_frame(IP(src=EXT, dst="198.51.100.8", id=4, ttl=63) /
                                   UDP(sport=2000, dport=123)))]),
    ]
    write_case("port-exhaustion", steps, net)


def expiry_case():
    steps = preamble()
    steps += first_out(1.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=1) / UDP(sport=5000, dport=53),
                       IP(src=EXT, dst=REM, id=1, ttl=63) / UDP(sport=5000, dport=53))
    steps += [
        Step(2.0, "vif1", eth_ip(MAC_A, MAC_H, IP(src=IP_A, dst=REM, id=2) /
                                 ICMP(type=8, id=0x2000)),
             [("uplink", out_frame(IP(src=EXT, dst=REM, id=2, ttl=63) /
                                   ICMP(type=8, id=0x2000)))]),
        # ICMP query sessions last 60 s, UDP 300 s (both since their last packet).
        Step(61.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=3) /
                                    ICMP(type=0, id=0x2000)),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=3, ttl=63) /
                              ICMP(type=0, id=0x2000)))]),
        Step(122.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=4) /
                                     ICMP(type=0, id=0x2000)), [], {"nat_no_session": 1}),
        Step(300.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=5) /
                                     UDP(sport=53, dport=5000)),
             [("vif1", eth_ip(MAC_H, MAC_A, IP(src=REM, dst=IP_A, id=5, ttl=63) /
                              UDP(sport=53, dport=5000)))]),
        Step(601.0, "uplink", eth_ip(MAC_GW, MAC_UP, IP(src=REM, dst=EXT, id=6) /
                                     UDP(sport=53, dport=5000)), [], {"nat_no_session": 1}),
    ]
    write_case("expiry", steps)


def bad_case():
    def to_gw(ip):
        return eth_ip(MAC_A, MAC_H, ip)

    good = IP(src=IP_A, dst=REM, id=1) / UDP(sport=5000, dport=53)
    bad_sum = bytearray(to_gw(good))
    bad_sum[14 + 10] ^= 0xff
    frag = IP(src=IP_A, dst=REM, id=2, flags="MF") / UDP(sport=5000, dport=53) / Raw(bytes(8))
    steps = preamble()
    steps += [
        Step(1.0, "vif1", to_gw(IP(src=IP_A, dst=REM, ttl=1) / UDP(sport=5000, dport=53)), [],
             {"l3_ttl_exceeded": 1}),
        Step(1.1, "vif1", to_gw(IP(src=IP_A, dst=REM, ttl=0) / UDP(sport=5000, dport=53)), [],
             {"l3_ttl_exceeded": 1}),
        Step(2.0, "vif1", bytes(bad_sum), [], {"l3_bad_hdr": 1}),
        # Shorter than its IP total length, and shorter than an IP header.
        Step(3.0, "vif1", to_gw(good)[:-4], [], {"l3_truncated": 1}),
        Step(3.1, "vif1", to_gw(good)[:30], [], {"l3_truncated": 1}),
        Step(4.0, "vif1", to_gw(frag), [], {"nat_unsupported": 1}),
        # A source outside the subnet is not masqueraded.
        Step(5.0, "vif1", to_gw(IP(src="10.0.1.10", dst=REM) / UDP(sport=5000, dport=53)), [],
             {"l3_spoofed": 1}),
        # IP options are carried through translation untouched.
    ]
    opt = b"\x01\x01\x01\x00"  # NOP NOP NOP EOL
    steps += first_out(6.0, "vif1", MAC_A,
                       IP(src=IP_A, dst=REM, id=9, options=[Raw(opt)]) /
                       UDP(sport=5000, dport=53),
                       IP(src=EXT, dst=REM, id=9, ttl=63, options=[Raw(opt)]) /
                       UDP(sport=5000, dport=53))
    write_case("bad-packets", steps)


def main():
    udp_case()
    tcp_case()
    icmp_echo_case()
    inbound_case()
    icmp_error_case()
    hairpin_case()
    exhaustion_case()
    expiry_case()
    bad_case()
    return 0


if __name__ == "__main__":
    sys.exit(main())
