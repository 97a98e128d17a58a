#!/usr/bin/python3
# SPDX-License-Identifier: MIT
# Helper of test-nat-equivalence.sh. "send DIR IFACE SRC_MAC DST_MAC": sends, from inside a
# guest, the outbound IPv4 frames of the nat golden cases (tests/pcap/nat/{udp,tcp,icmp-echo}/
# in-vif1.pcap) that open or use a flow the NAT must translate: UDP datagrams, TCP SYNs (a
# kernel conntrack would rightly refuse the rest of a handshake it never saw answered) and
# ICMP echo requests, with the MACs rewritten for this network. "tuples PCAP": prints the
# translated flows a capture on the outside saw, one "proto src sport dst dport" per line.
import sys
from scapy.all import rdpcap, sendp, Ether, IP, TCP, UDP, ICMP

def wanted(p):
    if IP not in p or p[IP].dst.startswith("10.0.0."):
        return False
    if TCP in p:
        return p[TCP].flags == "S"
    return UDP in p or (ICMP in p and p[ICMP].type == 8)

def send(d, iface, src, dst):
    frames = []
    for case in ("udp", "tcp", "icmp-echo"):
        for p in rdpcap(f"{d}/{case}/in-vif1.pcap"):
            if wanted(p):
                p[Ether].src, p[Ether].dst = src, dst
                frames.append(p)
    sendp(frames, iface=iface, inter=0.05, verbose=0)
    print(len(frames))

def tuples(path):
    out = set()
    for p in rdpcap(path):
        if IP not in p:
            continue
        ip = p[IP]
        if TCP in p:
            out.add(f"tcp {ip.src} {p[TCP].sport} {ip.dst} {p[TCP].dport}")
        elif UDP in p:
            out.add(f"udp {ip.src} {p[UDP].sport} {ip.dst} {p[UDP].dport}")
        elif ICMP in p and p[ICMP].type == 8:
            out.add(f"icmp {ip.src} {p[ICMP].id} {ip.dst} 0")
    for t in sorted(out):
        print(t)

if sys.argv[1] == "send":
    send(*sys.argv[2:6])
else:
    tuples(sys.argv[2])
