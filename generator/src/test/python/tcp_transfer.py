#!/usr/bin/python3
"""TCP transfer with a checksum of the bytes, for the gateway tests (plain Python, no scapy).

  tcp_transfer.py serve ADDRESS PORT          accept one connection, read to EOF, print "<bytes> <sha256>"
  tcp_transfer.py send ADDRESS PORT MEGABYTES  connect, send MEGABYTES of seeded pseudo-random data, print "<bytes> <sha256>"
  tcp_transfer.py flood ADDRESS PORT SECONDS   connect and send as fast as possible for SECONDS (ignores errors at the end)
"""
import hashlib
import random
import socket
import sys
import time


def serve(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((address, port))
    s.listen(1)
    print("listening", flush=True)
    c, _ = s.accept()
    h = hashlib.sha256()
    n = 0
    while True:
        b = c.recv(1 << 20)
        if not b:
            break
        h.update(b)
        n += len(b)
    print(n, h.hexdigest(), flush=True)


def connect(address, port):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    for _ in range(100):
        try:
            return socket.create_connection((address, port), timeout=10)
        except OSError:
            time.sleep(0.1)
    sys.exit("cannot connect to %s port %d" % (address, port))


def send(address, port, megabytes):
    rng = random.Random(7)
    c = connect(address, port)
    h = hashlib.sha256()
    n = 0
    chunk = 1 << 16
    while n < megabytes << 20:
        b = rng.randbytes(chunk)
        c.sendall(b)
        h.update(b)
        n += len(b)
    c.shutdown(socket.SHUT_WR)
    c.recv(1)
    c.close()
    print(n, h.hexdigest(), flush=True)


def flood(address, port, seconds):
    c = connect(address, port)
    b = bytes(1 << 16)
    end = time.time() + seconds
    n = 0
    try:
        while time.time() < end:
            c.sendall(b)
            n += len(b)
    except OSError:
        pass
    print(n, flush=True)


if __name__ == "__main__":
    mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "serve":
        serve(address, port)
    elif mode == "send":
        send(address, port, int(sys.argv[4]))
    else:
        flood(address, port, float(sys.argv[4]))
