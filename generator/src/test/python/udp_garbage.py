#!/usr/bin/python3
"""Sends COUNT datagrams of garbage (random bytes behind a random SPI no SA has) to ADDRESS port 4500."""
import random
import socket
import struct
import sys

address, count = sys.argv[1], int(sys.argv[2])
rng = random.Random(4500)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sent = 0
for i in range(count):
    spi = rng.randrange(0x10000, 0xFFFFFFFF)
    body = bytes(rng.randrange(256) for _ in range(rng.randrange(8, 200)))
    s.sendto(struct.pack("!L", spi) + body, (address, 4500))
    sent += 1
print(sent, flush=True)
