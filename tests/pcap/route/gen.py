#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Golden cases of the routed mode ("route"). Regenerate every case (byte for byte) with:
#   /usr/bin/python3 tests/pcap/route/gen.py
# Layout as in tests/pcap (net.conf, ports.conf, in-PORT.pcap, out-PORT.pcap, counters.json,
# optional "advance"). A case is a list of steps: one frame received on a port at a virtual
# time, the frames the router must send because of it (per port, in order) and the counters
# it bumps on the ingress port. Expected frames are built from scratch by scapy (fresh
# checksums), so they also prove the router's incremental checksum updates exact.
#
# Topology: guests vif1 (A: 10.0.0.10, 2001:db8::10) and vif2 (B: 10.0.0.11, 2001:db8::11),
# the router R (10.0.0.1, 2001:db8::1 inside; 192.0.2.2 on the uplink, MAC RMAC on every
# port), the uplink's gateway GW 192.0.2.1 in front of the remote host 198.51.100.7.
# Not covered here (the replay ports all have MTU 1500, so nothing is too big for an egress
# port): frag needed / Packet Too Big, which tests/unit/test-mode-route.c checks.
import json
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, UDP, Ether, ICMPv6EchoReply, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr,
                       ICMPv6TimeExceeded, ICMPv6DestUnreach, IPv6, IPOption_NOP, Raw, raw)

HERE = os.path.dirname(os.path.abspath(__file__))

RMAC = "02:00:00:00:00:01"
MAC_A = "00:16:3e:00:00:0a"
MAC_B = "00:16:3e:00:00:0b"
MAC_GW = "02:00:00:00:00:99"
BCAST = "ff:ff:ff:ff:ff:ff"
ZERO = "00:00:00:00:00:00"
IP_A, IP_B, IP_R = "10.0.0.10", "10.0.0.11", "10.0.0.1"
IP6_A, IP6_B, IP6_R = "2001:db8::10", "2001:db8::11", "2001:db8::1"
UP_R, GW, REM = "192.0.2.2", "192.0.2.1", "198.51.100.7"

NET = ("route gateway=10.0.0.1/24,gateway6=2001:db8::1/64,uplink_address=192.0.2.2/24,"
       "uplink_gateway=192.0.2.1,mac=" + RMAC + ",icmp_rate=100,icmp_burst=50")
PORTS = [("vif1", "vif", [IP_A, IP6_A]), ("vif2", "vif", [IP_B, IP6_B]),
         ("uplink", "uplink", ["192.0.2.2/24"])]
NAMES = [p[0] for p in PORTS]
# Counters compared in every case (zero or not, so a stray drop or answer fails the case).
WATCHED = ["rx_packets", "tx_packets", "rx_runt", "rx_bad_src_mac", "mode_denied",
           "l3_bad_hdr", "l3_truncated", "l3_not_for_us", "l3_unsupported", "l3_spoofed",
           "l3_no_route", "l3_ttl_exceeded", "l3_frag_needed", "l3_neigh_failed",
           "l3_icmp_ratelimited", "l3_icmp_sent", "l3_arp_replied"]


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
    order; 'ctrs' {counter: n} bumped on the ingress port."""

    def __init__(self, t, port, frame, outs=(), ctrs=None):
        self.t = t
        self.port = port
        self.frame = frame if isinstance(frame, bytes) else raw(frame)
        self.outs = [(p, f if isinstance(f, bytes) else raw(f)) for p, f in outs]
        self.ctrs = ctrs or {}


def write_case(name, steps, net=NET, advance=None, extra=None):
    """'extra': {port: {counter: n}} not tied to a step (e.g. timeouts)."""
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
    for p, cs in (extra or {}).items():
        for c, v in cs.items():
            ctrs[p][c] += v
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
    if advance is not None:
        with open(os.path.join(d, "advance"), "w") as f:
            f.write("%d\n" % advance)
    with open(os.path.join(d, "counters.json"), "w") as f:
        json.dump(ctrs, f, indent=2, sort_keys=True)
        f.write("\n")


def arp(src, dst, op, sha, spa, tha, tpa, pad=0):
    return raw(Ether(src=src, dst=dst) / ARP(op=op, hwsrc=sha, psrc=spa, hwdst=tha,
                                             pdst=tpa)) + bytes(pad)


def eth(src, dst, pkt):
    return raw(Ether(src=src, dst=dst) / pkt)


def udp4(src, dst, ttl=64, **kw):
    return IP(src=src, dst=dst, ttl=ttl, id=7, **kw) / UDP(sport=4000, dport=53) / Raw(b"q" * 20)


def fwd(ip_pkt):
    """The same IPv4/IPv6 packet one hop later: scapy rebuilds length and checksum."""
    p = ip_pkt.copy()
    if IP in p:
        p[IP].ttl -= 1
        del p[IP].chksum
    else:
        p[IPv6].hlim -= 1
    return p


def icmp4_err(dst_mac, src_ip, orig, typ, code, unused=0):
    """ICMP error from the router carrying the original IP packet (as much as fits in 576)."""
    inner = raw(orig)[:576 - 28]
    return eth(RMAC, dst_mac, IP(src=src_ip, dst=orig[IP].src, ttl=64, id=0, flags=0) /
               ICMP(type=typ, code=code, unused=unused) / Raw(inner))


def learn_b(t):
    """vif2 asks for its gateway: the router learns B's MAC and answers."""
    return Step(t, "vif2", arp(MAC_B, BCAST, 1, MAC_B, IP_B, ZERO, IP_R, pad=18),
                [("vif2", arp(RMAC, MAC_B, 2, RMAC, IP_R, MAC_B, IP_B))], {"l3_arp_replied": 1})


def proxy_arp_case():
    steps = [
        # The gateway, and another guest: both answered with the router's MAC (proxy ARP).
        Step(1.0, "vif1", arp(MAC_A, BCAST, 1, MAC_A, IP_A, ZERO, IP_R, pad=18),
             [("vif1", arp(RMAC, MAC_A, 2, RMAC, IP_R, MAC_A, IP_A))], {"l3_arp_replied": 1}),
        Step(1.1, "vif1", arp(MAC_A, BCAST, 1, MAC_A, IP_A, ZERO, IP_B),
             [("vif1", arp(RMAC, MAC_A, 2, RMAC, IP_B, MAC_A, IP_A))], {"l3_arp_replied": 1}),
        # Its own address (gratuitous ARP / duplicate check): no answer.
        Step(1.2, "vif1", arp(MAC_A, BCAST, 1, MAC_A, IP_A, ZERO, IP_A), [],
             {"l3_not_for_us": 1}),
        # A sender address the vif was not given.
        Step(1.3, "vif1", arp(MAC_A, BCAST, 1, MAC_A, "10.0.0.66", ZERO, IP_R), [],
             {"l3_spoofed": 1}),
        # On the uplink: the router's uplink address is answered, a guest's is not
        # (proxy_arp=0), an unrelated address neither.
        Step(2.0, "uplink", arp(MAC_GW, BCAST, 1, MAC_GW, GW, ZERO, UP_R),
             [("uplink", arp(RMAC, MAC_GW, 2, RMAC, UP_R, MAC_GW, GW))], {"l3_arp_replied": 1}),
        Step(2.1, "uplink", arp(MAC_GW, BCAST, 1, MAC_GW, GW, ZERO, IP_A), [],
             {"l3_not_for_us": 1}),
    ]
    write_case("proxy-arp", steps)


def uplink_proxy_arp_case():
    steps = [
        Step(1.0, "uplink", arp(MAC_GW, BCAST, 1, MAC_GW, GW, ZERO, IP_A),
             [("uplink", arp(RMAC, MAC_GW, 2, RMAC, IP_A, MAC_GW, GW))], {"l3_arp_replied": 1}),
        Step(1.1, "uplink", arp(MAC_GW, BCAST, 1, MAC_GW, GW, ZERO, "10.0.0.99"), [],
             {"l3_not_for_us": 1}),
    ]
    write_case("uplink-proxy-arp", steps, net=NET + ",proxy_arp=1")


def guest_guest_case():
    a_b = udp4(IP_A, IP_B)
    opts = udp4(IP_A, IP_B, options=[IPOption_NOP()] * 4)
    frag1 = IP(src=IP_A, dst=IP_B, ttl=64, id=9, flags="MF", frag=0) / Raw(b"f" * 32)
    frag2 = IP(src=IP_A, dst=IP_B, ttl=64, id=9, flags=0, frag=4) / Raw(b"g" * 8)
    steps = [
        learn_b(1.0),
        Step(1.5, "vif1", eth(MAC_A, RMAC, a_b), [("vif2", eth(RMAC, MAC_B, fwd(a_b)))]),
        # IP options are forwarded, not stripped.
        Step(1.6, "vif1", eth(MAC_A, RMAC, opts), [("vif2", eth(RMAC, MAC_B, fwd(opts)))]),
        # Fragments are forwarded as they are (no reassembly).
        Step(1.7, "vif1", eth(MAC_A, RMAC, frag1), [("vif2", eth(RMAC, MAC_B, fwd(frag1)))]),
        Step(1.8, "vif1", eth(MAC_A, RMAC, frag2), [("vif2", eth(RMAC, MAC_B, fwd(frag2)))]),
        # The reverse way: the router learnt A from its traffic, no ARP needed.
        Step(1.9, "vif2", eth(MAC_B, RMAC, udp4(IP_B, IP_A)),
             [("vif1", eth(RMAC, MAC_A, fwd(udp4(IP_B, IP_A))))]),
    ]
    write_case("guest-guest", steps)


def ttl_case():
    ttl1 = udp4(IP_A, IP_B, ttl=1)
    ttl0 = udp4(IP_A, IP_B, ttl=0)
    # An ICMP error with TTL 1 is dropped without an error about it (RFC 1812 4.3.2.7).
    err = IP(src=IP_A, dst=IP_B, ttl=1, id=3) / ICMP(type=3, code=3) / raw(udp4(IP_B, IP_A))
    # Likewise a non-first fragment; an echo request (a query) does get one.
    frag = IP(src=IP_A, dst=IP_B, ttl=1, id=4, frag=10) / Raw(b"z" * 16)
    echo = IP(src=IP_A, dst=IP_B, ttl=1, id=5) / ICMP(type=8, id=1, seq=1) / Raw(b"p" * 8)
    steps = [
        learn_b(1.0),
        Step(2.0, "vif1", eth(MAC_A, RMAC, ttl1),
             [("vif1", icmp4_err(MAC_A, IP_R, ttl1, 11, 0))],
             {"l3_ttl_exceeded": 1, "l3_icmp_sent": 1}),
        Step(2.1, "vif1", eth(MAC_A, RMAC, ttl0),
             [("vif1", icmp4_err(MAC_A, IP_R, ttl0, 11, 0))],
             {"l3_ttl_exceeded": 1, "l3_icmp_sent": 1}),
        Step(2.2, "vif1", eth(MAC_A, RMAC, err), [], {"l3_ttl_exceeded": 1}),
        Step(2.3, "vif1", eth(MAC_A, RMAC, frag), [], {"l3_ttl_exceeded": 1}),
        Step(2.4, "vif1", eth(MAC_A, RMAC, echo),
             [("vif1", icmp4_err(MAC_A, IP_R, echo, 11, 0))],
             {"l3_ttl_exceeded": 1, "l3_icmp_sent": 1}),
        # TTL 2 still goes through, leaving with 1.
        Step(2.5, "vif1", eth(MAC_A, RMAC, udp4(IP_A, IP_B, ttl=2)),
             [("vif2", eth(RMAC, MAC_B, fwd(udp4(IP_A, IP_B, ttl=2))))]),
    ]
    write_case("ttl", steps)


def ratelimit_case():
    ttl1 = udp4(IP_A, IP_B, ttl=1)
    steps = [learn_b(1.0)]
    for i in range(4):
        outs = [("vif1", icmp4_err(MAC_A, IP_R, ttl1, 11, 0))] if i < 2 else []
        c = {"l3_ttl_exceeded": 1}
        c["l3_icmp_sent" if i < 2 else "l3_icmp_ratelimited"] = 1
        steps.append(Step(2.0 + i * 0.01, "vif1", eth(MAC_A, RMAC, ttl1), outs, c))
    # A second later the bucket has a token again.
    steps.append(Step(3.1, "vif1", eth(MAC_A, RMAC, ttl1),
                      [("vif1", icmp4_err(MAC_A, IP_R, ttl1, 11, 0))],
                      {"l3_ttl_exceeded": 1, "l3_icmp_sent": 1}))
    write_case("icmp-ratelimit", steps,
               net=NET.replace("icmp_rate=100,icmp_burst=50", "icmp_rate=1,icmp_burst=2"))


def no_route_case():
    hole = udp4(IP_A, "10.0.0.99")
    v6 = IPv6(src=IP6_A, dst="2001:db9::1", hlim=64) / UDP(sport=4000, dport=53) / Raw(b"x" * 8)
    err6 = IPv6(src=IP6_R, dst=IP6_A, hlim=64) / ICMPv6DestUnreach(code=0) / raw(v6)
    # A broadcast destination never gets an error.
    bc = udp4(IP_A, "10.0.0.255")
    steps = [
        Step(1.0, "vif1", eth(MAC_A, RMAC, hole),
             [("vif1", icmp4_err(MAC_A, IP_R, hole, 3, 1))],
             {"l3_no_route": 1, "l3_icmp_sent": 1}),
        Step(1.1, "vif1", eth(MAC_A, RMAC, v6), [("vif1", eth(RMAC, MAC_A, err6))],
             {"l3_no_route": 1, "l3_icmp_sent": 1}),
        Step(1.2, "vif1", eth(MAC_A, BCAST, bc), [], {"l3_not_for_us": 1}),
    ]
    write_case("no-route", steps)


def uplink_case():
    out = udp4(IP_A, REM)
    back = udp4(REM, IP_A, ttl=50)
    who_gw = arp(RMAC, BCAST, 1, RMAC, UP_R, ZERO, GW)
    steps = [
        # First packet out: held while the gateway is resolved, released by the reply.
        Step(1.0, "vif1", eth(MAC_A, RMAC, out), [("uplink", who_gw)]),
        Step(1.2, "uplink", arp(MAC_GW, RMAC, 2, MAC_GW, GW, RMAC, UP_R),
             [("uplink", eth(RMAC, MAC_GW, fwd(out)))]),
        Step(1.3, "vif1", eth(MAC_A, RMAC, out), [("uplink", eth(RMAC, MAC_GW, fwd(out)))]),
        # The way back to the guest (the router knows A from its traffic).
        Step(1.4, "uplink", eth(MAC_GW, RMAC, back), [("vif1", eth(RMAC, MAC_A, fwd(back)))]),
        # A frame for another MAC is not the router's business.
        Step(1.5, "uplink", eth(MAC_GW, MAC_A, back), [], {"l3_not_for_us": 1}),
    ]
    write_case("uplink-resolve", steps)


def neigh_fail_case():
    out = udp4(IP_A, REM)
    who_gw = arp(RMAC, BCAST, 1, RMAC, UP_R, ZERO, GW)
    steps = [Step(1.0, "vif1", eth(MAC_A, RMAC, out), [("uplink", who_gw)])]
    # Three more wait with it (a queue of four), the fifth and sixth are dropped at once.
    for i in range(5):
        steps.append(Step(1.1 + 0.1 * i, "vif1", eth(MAC_A, RMAC, out), [],
                          {"l3_neigh_failed": 1} if i >= 3 else {}))
    # Nobody answers: after three probes' time the four queued packets are dropped too.
    write_case("neigh-fail", steps, advance=5, extra={"vif1": {"l3_neigh_failed": 4}})


def ipv6_case():
    sol_r = "ff02::1:ff00:1"
    sol_b = "ff02::1:ff00:11"
    ns_r = (IPv6(src=IP6_A, dst=sol_r, hlim=255) / ICMPv6ND_NS(tgt=IP6_R) /
            ICMPv6NDOptSrcLLAddr(lladdr=MAC_A))
    na_r = (IPv6(src=IP6_R, dst=IP6_A, hlim=255) / ICMPv6ND_NA(tgt=IP6_R, R=1, S=1, O=1) /
            ICMPv6NDOptDstLLAddr(lladdr=RMAC))
    a_b = IPv6(src=IP6_A, dst=IP6_B, hlim=64) / UDP(sport=4000, dport=53) / Raw(b"six" * 4)
    ns_b = (IPv6(src=IP6_R, dst=sol_b, hlim=255) / ICMPv6ND_NS(tgt=IP6_B) /
            ICMPv6NDOptSrcLLAddr(lladdr=RMAC))
    na_b = (IPv6(src=IP6_B, dst=IP6_R, hlim=255) / ICMPv6ND_NA(tgt=IP6_B, R=0, S=1, O=1) /
            ICMPv6NDOptDstLLAddr(lladdr=MAC_B))
    hl1 = IPv6(src=IP6_A, dst=IP6_B, hlim=1) / UDP(sport=4000, dport=53) / Raw(b"x" * 8)
    te = IPv6(src=IP6_R, dst=IP6_A, hlim=64) / ICMPv6TimeExceeded(code=0) / raw(hl1)
    echo = IPv6(src=IP6_A, dst=IP6_R, hlim=64) / ICMPv6EchoRequest(id=1, seq=1, data=b"ping")
    reply = IPv6(src=IP6_R, dst=IP6_A, hlim=64) / ICMPv6EchoReply(id=1, seq=1, data=b"ping")
    spoof = IPv6(src="2001:db8::99", dst=IP6_B, hlim=64) / UDP(sport=1, dport=2)
    steps = [
        Step(1.0, "vif1", eth(MAC_A, "33:33:ff:00:00:01", ns_r), [("vif1", eth(RMAC, MAC_A, na_r))],
             {"l3_arp_replied": 1}),
        Step(1.1, "vif1", eth(MAC_A, RMAC, a_b), [("vif2", eth(RMAC, "33:33:ff:00:00:11", ns_b))]),
        Step(1.2, "vif2", eth(MAC_B, RMAC, na_b), [("vif2", eth(RMAC, MAC_B, fwd(a_b)))]),
        Step(1.3, "vif1", eth(MAC_A, RMAC, hl1), [("vif1", eth(RMAC, MAC_A, te))],
             {"l3_ttl_exceeded": 1, "l3_icmp_sent": 1}),
        Step(1.4, "vif1", eth(MAC_A, RMAC, echo), [("vif1", eth(RMAC, MAC_A, reply))]),
        Step(1.5, "vif1", eth(MAC_A, RMAC, spoof), [], {"l3_spoofed": 1}),
    ]
    write_case("ipv6", steps)


def echo_case():
    echo = IP(src=IP_A, dst=IP_R, ttl=64, id=11) / ICMP(type=8, id=7, seq=1) / Raw(b"hello")
    reply = IP(src=IP_R, dst=IP_A, ttl=64, id=11) / ICMP(type=0, id=7, seq=1) / Raw(b"hello")
    up = IP(src=GW, dst=UP_R, ttl=64, id=12) / ICMP(type=8, id=8, seq=2) / Raw(b"hi")
    up_r = IP(src=UP_R, dst=GW, ttl=64, id=12) / ICMP(type=0, id=8, seq=2) / Raw(b"hi")
    steps = [
        Step(1.0, "vif1", eth(MAC_A, RMAC, echo), [("vif1", eth(RMAC, MAC_A, reply))]),
        Step(1.1, "uplink", eth(MAC_GW, RMAC, up), [("uplink", eth(RMAC, MAC_GW, up_r))]),
        # UDP to the router itself: nothing listens.
        Step(1.2, "vif1", eth(MAC_A, RMAC, udp4(IP_A, IP_R)), [], {"l3_unsupported": 1}),
    ]
    write_case("echo", steps)


def bad_case():
    good = udp4(IP_A, IP_B)
    bad_sum = bytearray(eth(MAC_A, RMAC, good))
    bad_sum[24] ^= 0xff
    ihl4 = bytearray(eth(MAC_A, RMAC, good))
    ihl4[14] = 0x44
    steps = [
        learn_b(1.0),
        Step(2.0, "vif1", bytes(bad_sum), [], {"l3_bad_hdr": 1}),
        Step(2.1, "vif1", bytes(ihl4), [], {"l3_bad_hdr": 1}),
        Step(2.2, "vif1", eth(MAC_A, RMAC, good)[:-4], [], {"l3_truncated": 1}),
        Step(2.3, "vif1", eth(MAC_A, RMAC, good)[:30], [], {"l3_truncated": 1}),
        Step(2.4, "vif1", arp(MAC_A, BCAST, 1, MAC_A, IP_A, ZERO, IP_R)[:30], [],
             {"l3_truncated": 1}),
        Step(2.5, "vif1", eth(MAC_A, RMAC, udp4("10.0.0.11", IP_B)), [], {"l3_spoofed": 1}),
        Step(2.6, "vif1", eth(MAC_A, MAC_B, good), [], {"l3_not_for_us": 1}),
        Step(2.7, "vif1", raw(Ether(src=MAC_A, dst=RMAC, type=0x88cc) / Raw(b"l" * 46)), [],
             {"l3_unsupported": 1}),
        Step(2.8, "vif1", raw(Ether(src=MAC_A, dst=RMAC))[:10], [], {"rx_runt": 1}),
        Step(2.9, "vif1", eth("01:00:5e:00:00:01", RMAC, good), [], {"rx_bad_src_mac": 1}),
        # After all that, a good packet still goes through.
        Step(3.0, "vif1", eth(MAC_A, RMAC, good), [("vif2", eth(RMAC, MAC_B, fwd(good)))]),
    ]
    write_case("bad-frames", steps)


def main():
    proxy_arp_case()
    uplink_proxy_arp_case()
    guest_guest_case()
    ttl_case()
    ratelimit_case()
    no_route_case()
    uplink_case()
    neigh_fail_case()
    ipv6_case()
    echo_case()
    bad_case()
    return 0


if __name__ == "__main__":
    sys.exit(main())
