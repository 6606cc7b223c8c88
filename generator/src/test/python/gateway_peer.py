#!/usr/bin/python3
"""A live scapy peer for the gateway tests: plays gateway B of the site-to-site model towards a running Espline
gateway A, over a real UDP socket on port 4500 (run it in gateway B's network namespace, as root).

  gateway_peer.py LOCAL PEER SEQ

Sends, ESP-in-UDP (RFC 3948) with scapy's SecurityAssociation for b_to_a (AES-128-CBC + HMAC-SHA-256-128, tunnel
198.51.100.1 -> 192.0.2.1), ICMP echo requests from 10.2.0.10 to 10.1.0.10 (the host behind gateway A) starting at
sequence number SEQ; each must come out of gateway A's TUN device, reach the host and be answered. The answers come
back encrypted by Espline with a_to_b (AES-128-GCM, ESN) and must decrypt in scapy to the matching echo reply. Then
it replays one captured request byte for byte: Espline must drop it (no second reply). Also an IPv6 echo through the
same SA. Prints one line per check and "PEER OK" at the end; exit 1 on the first failure.
"""
import os
import socket
import sys

from scapy.layers.inet import ICMP, IP, UDP
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.packet import Raw

A_TO_B_KEY = bytes.fromhex("8a3f5e2c91d04b7e6f1a2b3c4d5e6f70c0ffee01")
B_TO_A_ENC = bytes.fromhex("5b2e8f1a7c3d9e4f0a6b1c2d3e4f5a6b")
B_TO_A_AUTH = bytes.fromhex("3c6e0b8a2f4d7e9c1b5a3f8e6d2c4b0a9e7f5d3c1b2a4f6e8d0c2b4a6f8e0d2c")


def fail(message):
    print("FAIL", message, flush=True)
    sys.exit(1)


def main():
    local, peer, seq = sys.argv[1], sys.argv[2], int(sys.argv[3])
    out_sa = SecurityAssociation(ESP, spi=0x2001, crypt_algo="AES-CBC", crypt_key=B_TO_A_ENC,
                                 auth_algo="SHA2-256-128", auth_key=B_TO_A_AUTH,
                                 tunnel_header=IP(src=local, dst=peer), nat_t_header=UDP(sport=4500, dport=4500))
    in_sa = SecurityAssociation(ESP, spi=0x1001, crypt_algo="AES-GCM", crypt_key=A_TO_B_KEY,
                                tunnel_header=IP(src=peer, dst=local), nat_t_header=UDP(sport=4500, dport=4500),
                                esn_en=True, esn=0)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((local, 4500))
    s.settimeout(3)

    def esp_payload(inner):
        out_sa.seq_num = seq_box[0]
        seq_box[0] += 1
        e = out_sa.encrypt(inner)
        return bytes(e)[28:]  # the UDP payload: scapy built outer IPv4 + UDP, the socket supplies its own

    def receive_reply():
        while True:
            data, _ = s.recvfrom(65535)
            if len(data) < 8 or data[:4] == b"\0\0\0\0":
                continue
            # The socket gives the UDP payload; scapy's decrypt wants the outer headers around it.
            in_sa.esn = 0
            inner = in_sa.decrypt(IP(src=peer, dst=local) / UDP(sport=4500, dport=4500) / ESP(data))
            # Only echo replies answer us; other tunnel traffic (a host's leftover TCP retransmissions) is not ours.
            if (ICMP in inner and inner[ICMP].type == 0) or ICMPv6EchoReply in inner:
                return inner
            print("ignored other tunnel traffic:", inner.summary(), flush=True)

    seq_box = [seq]
    captured = None
    for i in range(3):
        payload = os.urandom(48)
        req = IP(src="10.2.0.10", dst="10.1.0.10", ttl=64) / ICMP(type=8, id=0x4242, seq=i) / Raw(payload)
        wire = esp_payload(req)
        captured = wire
        s.sendto(wire, (peer, 4500))
        try:
            reply = receive_reply()
        except socket.timeout:
            fail("no encrypted reply to echo request %d" % i)
        icmp = reply[ICMP] if ICMP in reply else None
        if icmp is None or icmp.type != 0 or icmp.id != 0x4242 or icmp.seq != i or bytes(icmp.payload) != payload:
            fail("reply %d decrypted to something else: %r" % (i, reply))
        if reply[IP].src != "10.1.0.10" or reply[IP].dst != "10.2.0.10":
            fail("reply %d has addresses %s -> %s" % (i, reply[IP].src, reply[IP].dst))
        print("echo %d: request decrypted by Espline reached the host behind its TUN; reply decrypted by scapy" % i, flush=True)

    # IPv6 inside the same tunnel.
    payload = os.urandom(32)
    req6 = IPv6(src="fd02::10", dst="fd01::10", hlim=64) / ICMPv6EchoRequest(id=0x77, seq=1, data=payload)
    s.sendto(esp_payload(req6), (peer, 4500))
    try:
        reply = receive_reply()
    except socket.timeout:
        fail("no encrypted reply to the IPv6 echo request")
    if ICMPv6EchoReply not in reply or reply[ICMPv6EchoReply].data != payload:
        fail("IPv6 reply decrypted to something else: %r" % reply)
    print("echo6: IPv6 request and reply through the tunnel", flush=True)

    # Replay: the same ESP bytes again must not produce a reply.
    s.sendto(captured, (peer, 4500))
    s.settimeout(1.5)
    try:
        reply = receive_reply()
        fail("a replayed packet was answered: %r" % reply)
    except socket.timeout:
        print("replay: the replayed request was dropped", flush=True)
    print("PEER OK", flush=True)


if __name__ == "__main__":
    main()
