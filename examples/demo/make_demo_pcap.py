#!/usr/bin/python3
"""Writes the demo capture bundled with the CLI (generator/src/main/resources/demo/plain.pcap).

Deterministic: fixed seed, fixed timestamps. Run with Debian's /usr/bin/python3 (scapy).
"""
import random
import sys

from scapy.all import IP, IPv6, TCP, UDP, ICMP, ICMPv6EchoRequest, Raw, wrpcap

random.seed(4303)


def payload(n):
    return bytes(random.getrandbits(8) for _ in range(n))


pkts = []
for i, size in enumerate([1, 56, 200, 512, 1000, 1400]):
    pkts.append(IP(src="10.1.0.10", dst="10.2.0.20", id=100 + i) / ICMP(id=7, seq=i) / Raw(payload(size)))
for i, size in enumerate([16, 300, 1200]):
    pkts.append(IP(src="10.1.0.10", dst="10.2.0.20", id=200 + i) / UDP(sport=5000 + i, dport=53) / Raw(payload(size)))
for i, size in enumerate([0, 100, 1380]):
    pkts.append(IP(src="10.1.0.10", dst="10.2.0.20", id=300 + i) / TCP(sport=40000, dport=443, seq=1000 * i, flags="PA") / Raw(payload(size)))
for i, size in enumerate([8, 700]):
    pkts.append(IPv6(src="2001:db8:1::10", dst="2001:db8:2::20") / ICMPv6EchoRequest(id=9, seq=i, data=payload(size)))

for i, p in enumerate(pkts):
    p.time = 1764230400 + i * 0.001
out = sys.argv[1] if len(sys.argv) > 1 else "generator/src/main/resources/demo/plain.pcap"
wrpcap(out, pkts, linktype=101)
print("wrote", len(pkts), "packets to", out)
