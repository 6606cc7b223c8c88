#!/usr/bin/env python3
"""Seals ESP packets with scapy's IPsec layer (python3-cryptography, i.e. OpenSSL, underneath).

Used by EspScapyInteropTest as an implementation that shares no code with Espline. Reads one JSON
object per input line (spi, seq, esn, crypt, crypt_key, crypt_icv, auth, auth_key, iv, data, padding,
padlen, nh; bytes as hex) and prints, per line, the hex of the ESP packet from SPI to ICV.
"""
import json
import sys

from scapy.layers.ipsec import ESP, SecurityAssociation, _ESPPlain
from scapy.packet import Raw


def seal(case):
    seq = case["seq"]
    seq_high = seq >> 32
    sa = SecurityAssociation(
        ESP,
        spi=case["spi"],
        crypt_algo=case["crypt"],
        crypt_key=bytes.fromhex(case["crypt_key"]) or None,
        crypt_icv_size=case.get("crypt_icv"),
        auth_algo=case.get("auth"),
        auth_key=bytes.fromhex(case.get("auth_key", "")) or None,
        esn_en=case["esn"],
        esn=seq_high,
    )
    plain = _ESPPlain(
        spi=case["spi"],
        seq=seq & 0xFFFFFFFF,
        iv=bytes.fromhex(case["iv"]),
        data=Raw(bytes.fromhex(case["data"])),
        padding=bytes.fromhex(case["padding"]),
        padlen=case["padlen"],
        nh=case["nh"],
    )
    sealed = sa.crypt_algo.encrypt(sa, plain, sa.crypt_key, sa.crypt_icv_size, esn_en=case["esn"], esn=seq_high)
    sa.auth_algo.sign(sealed, sa.auth_key)
    return bytes(sealed).hex()


def main():
    for line in sys.stdin:
        if line.strip():
            print(seal(json.loads(line)), flush=True)


if __name__ == "__main__":
    main()
