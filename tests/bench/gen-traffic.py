#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Traffic sets for nb-bench and `make bench` (never committed: generated into build/).

    /usr/bin/python3 tests/bench/gen-traffic.py build/bench/pcap            # everything but 1M
    /usr/bin/python3 tests/bench/gen-traffic.py build/bench/pcap --big      # also the 1M-flow sets
    /usr/bin/python3 tests/bench/gen-traffic.py build/bench/pcap --only udp-64

Every set is a pcap of Ethernet frames (sizes below are frame lengths with the 4-byte FCS, as
in RFC 2544; the file holds the frame without it: "64 B" is 60 bytes in the file, "1500 B" is a
full-MTU frame, 1514 bytes in the file) sent by the generator guest G (MAC 02:00:00:00:01:01,
IPv4 10.90.0.11) towards the sink guest S (02:00:00:00:02:01, 10.90.0.12):

  udp-64, udp-512, udp-1500   UDP G -> S, 256 flows (source ports 1024..1279), one MAC pair
  udp-imix                    the same flows, simple IMIX 7:4:1 of 64/570/1518 B
  macs-1k, macs-64k           bridge learning load: 64 B UDP, source MAC cycles through 1024 or
                              65536 addresses (02:01:..), destination S
  flows-1k, flows-1m          64 B UDP G -> S, 1000 / 1000000 distinct (sport, dport) pairs
  flows-1k-out, flows-1m-out  64 B UDP G -> 198.18.0.0/15 (RFC 2544 range), 1000 / 1000000
                              distinct (dst, sport, dport): for route and NAT towards an uplink;
                              source ports stay within 1024..2023 so a NAT needs at most 1000
                              mappings per inside address (its port space is 64 k) while its
                              session table sees every flow
  mix                         a small realistic TCP/UDP mix: TCP handshakes, 1514 B data segments
                              and ACKs, DNS-sized UDP queries and replies, a few 64 B UDP probes

UDP payloads that have room for it (16 bytes) start with the nb-bench stamp placeholder
(tools/bench/bench.h: magic "NB", version 1, sequence and timestamp zero); their UDP checksum
is zero (allowed for IPv4) so the generator can stamp them without recomputing it. The frames
of the small sets are built with scapy; the large ones are written with struct from one scapy
template per size (1M frames take a few seconds that way), so the output is the same either way.
"""
import argparse
import os
import struct
import sys

from scapy.all import IP, TCP, UDP, Ether, Raw, wrpcap  # noqa: E402

G_MAC, S_MAC = "02:00:00:00:01:01", "02:00:00:00:02:01"
G_IP, S_IP = "10.90.0.11", "10.90.0.12"
STAMP = struct.pack("!2sBBIQ", b"NB", 1, 0, 0, 0)  # magic, version, flags, seq, timestamp
ETH_IP_UDP = 14 + 20 + 8


def udp_frame(size, sport=1024, dport=5001, src=G_MAC, dst=S_MAC, sip=G_IP, dip=S_IP):
    """A UDP frame of 'size' bytes with FCS (size - 4 in the file), stamp placeholder first."""
    pay = size - 4 - ETH_IP_UDP
    body = (STAMP + bytes(max(0, pay - len(STAMP)))) if pay >= len(STAMP) else bytes(pay)
    p = Ether(src=src, dst=dst) / IP(src=sip, dst=dip, ttl=64) / UDP(sport=sport, dport=dport, chksum=0) / Raw(body)
    b = bytes(p)
    assert len(b) == size - 4, (size, len(b))
    return b


class PcapWriter:
    """Minimal pcap writer (microsecond timestamps, LINKTYPE_ETHERNET), 1 µs apart."""

    def __init__(self, path):
        self.f = open(path + ".tmp", "wb")
        self.path = path
        self.n = 0
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))

    def add(self, frame):
        t = self.n
        self.f.write(struct.pack("<IIII", t // 1000000, t % 1000000, len(frame), len(frame)))
        self.f.write(frame)
        self.n += 1

    def close(self):
        self.f.close()
        os.replace(self.path + ".tmp", self.path)


def mac_bytes(m):
    return bytes(int(x, 16) for x in m.split(":"))


def ip_csum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def gen_udp_sizes(out):
    for size in (64, 512, 1500):
        real = 1518 if size == 1500 else size
        wrpcap(f"{out}/udp-{size}.pcap", [Ether(udp_frame(real, sport=1024 + i)) for i in range(256)])
    # Simple IMIX 7:4:1 (64, 570, 1518), interleaved so every window of 12 frames has the mix.
    pattern = [64, 570, 64, 64, 570, 64, 1518, 64, 570, 64, 570, 64]
    frames = [Ether(udp_frame(pattern[i % 12], sport=1024 + i % 256)) for i in range(256 * 12 // 4)]
    wrpcap(f"{out}/udp-imix.pcap", frames)


def gen_macs(out, n, name):
    tmpl = bytearray(udp_frame(64))
    w = PcapWriter(f"{out}/{name}.pcap")
    for i in range(n):
        tmpl[6:12] = bytes((2, 1, 0, (i >> 16) & 0xFF, (i >> 8) & 0xFF, i & 0xFF))
        struct.pack_into("!H", tmpl, 34, 1024 + (i % 1000))
        w.add(bytes(tmpl))
    w.close()


def gen_flows(out, n, name, outside):
    """n flows of 64 B UDP; towards S (vary sport x dport) or outside (vary dst x sport)."""
    tmpl = bytearray(udp_frame(64))
    w = PcapWriter(f"{out}/{name}.pcap")
    base = struct.unpack("!I", bytes((198, 18, 0, 1)))[0]
    for i in range(n):
        sport = 1024 + i % 1000
        if outside:
            dip, dport = base + i // 1000, 5001
        else:
            dip, dport = struct.unpack("!I", bytes((10, 90, 0, 12)))[0], 5001 + i // 1000
        struct.pack_into("!I", tmpl, 30, dip)
        struct.pack_into("!H", tmpl, 24, 0)
        struct.pack_into("!H", tmpl, 24, ip_csum(bytes(tmpl[14:34])))
        struct.pack_into("!HH", tmpl, 34, sport, dport)
        w.add(bytes(tmpl))
    w.close()


def gen_mix(out):
    f = []
    # One direction only (G -> S), as the generator replays it: client side of 8 connections.
    for c in range(8):
        sport = 40000 + c
        seq, ack = 1000 * c, 5000 * c
        e_gs = Ether(src=G_MAC, dst=S_MAC) / IP(src=G_IP, dst=S_IP)
        f.append(e_gs / TCP(sport=sport, dport=80, flags="S", seq=seq))
        f.append(e_gs / TCP(sport=sport, dport=80, flags="A", seq=seq + 1, ack=ack + 1))
        for k in range(6):
            f.append(e_gs / TCP(sport=sport, dport=80, flags="PA", seq=seq + 1 + 1460 * k, ack=ack + 1)
                     / Raw(bytes(1460)))
            f.append(Ether(udp_frame(64, sport=50000 + c, dport=53)))
        f.append(Ether(udp_frame(110, sport=50000 + c, dport=53)))
        f.append(Ether(udp_frame(300, sport=50000 + c, dport=53)))
        f.append(e_gs / TCP(sport=sport, dport=80, flags="FA", seq=seq + 1 + 1460 * 6, ack=ack + 1))
    wrpcap(f"{out}/mix.pcap", f)


SETS = {
    "udp": gen_udp_sizes,
    "macs-1k": lambda o: gen_macs(o, 1024, "macs-1k"),
    "macs-64k": lambda o: gen_macs(o, 65536, "macs-64k"),
    "flows-1k": lambda o: gen_flows(o, 1000, "flows-1k", False),
    "flows-1k-out": lambda o: gen_flows(o, 1000, "flows-1k-out", True),
    "flows-1m": lambda o: gen_flows(o, 1000000, "flows-1m", False),
    "flows-1m-out": lambda o: gen_flows(o, 1000000, "flows-1m-out", True),
    "mix": gen_mix,
}
BIG = ("flows-1m", "flows-1m-out")


def main():
    ap = argparse.ArgumentParser(description="generate nb-bench traffic sets")
    ap.add_argument("outdir")
    ap.add_argument("--big", action="store_true", help="also the 1M-flow sets (~76 MB each)")
    ap.add_argument("--only", action="append", choices=sorted(SETS), help="just these sets")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    names = a.only or [n for n in SETS if a.big or n not in BIG]
    for n in names:
        SETS[n](a.outdir)
        print(f"gen-traffic: {n} -> {a.outdir}", file=sys.stderr)


if __name__ == "__main__":
    main()
