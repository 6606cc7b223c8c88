#!/usr/bin/python3
"""ESP interop harness: scapy 2.5 as the independent ESP implementation Espline is checked against.

Run with Debian's system interpreter (/usr/bin/python3): only it imports Debian's python3-scapy.

  esp_interop.py gen MATRIX_DIR [CELL ...]
      For every cell of the matrix (or only the named cells) write MATRIX_DIR/<cell>/:
        sa.xfrm         the SA in `ip xfrm state add` syntax (plus a decoy SA for the reverse direction)
        plain.pcap      raw-IP (linktype 101) inner/original packets
        scapy-esp.pcap  scapy's ESP encryption of plain.pcap, first sequence number as the SA says
        cell.json       everything the checkers need (keys, addresses, algorithm names)
      and MATRIX_DIR/cells.txt, one cell name per line.

  esp_interop.py check MATRIX_DIR [--esp-file NAME] [CELL ...]
      For every cell read NAME (default espline-esp.pcap, written by `espline pcap encrypt` from
      plain.pcap), decrypt every packet with scapy and compare with plain.pcap byte for byte.
      Prints `PASS cell` or `FAIL cell: reason` per cell, then `N passed, N failed`; exit 1 on any FAIL.

  esp_interop.py cells
      Print the names of all cells of the matrix.

Scapy 2.5 facts this harness depends on (scapy/layers/ipsec.py), and the bugs it works around:
  * The salt is the tail of crypt_key, as in ip xfrm key material: 4 bytes for AES-GCM and
    CHACHA20-POLY1305, 3 for AES-CCM. The nonce is salt || 8-byte explicit IV.
  * The IV is os.urandom unless passed to encrypt(); we pass one from the cell's seeded RNG so the
    output is reproducible (and not equal to the sequence number, so Espline cannot assume it is).
  * AEAD AAD is SPI || seq, or SPI || seq-hi || seq-lo with esn_en (RFC 4106 §5 / 4309 §5 / 7634 §2.1).
  * BUG 1: AES-GCM with crypt_icv_size 8 or 12 still emits the full 16-byte tag (the AESGCM AEAD API
    does not truncate), while its decrypt() treats the last 8/12 bytes as the ICV, so scapy only talks
    to itself. Work-around: the AES-GCM-TRUNC CryptAlgo below, which is scapy's own CryptAlgo driven
    through cryptography's modes.GCM (tag[:icv_size] on encrypt, min_tag_length on decrypt).
  * BUG 2: with HMAC integrity, ESP sign()/verify() never see esn_en/esn, so the ICV leaves out the
    implicit high 32 bits of the sequence number (RFC 4303 §2.2.1). Work-around: hmac_icv()
    recomputes the ICV over ESP || seq-hi with scapy's own AuthAlgo.new_mac, and check verifies the
    same way then decrypts with verify=False.
  * BUG 3: encrypt()/decrypt() take `seq_num or self.seq_num` and `esn or self.esn`, so an explicit 0
    (the low half right after the 2^32 wrap, or seq-hi 0) silently becomes the SA's counter.
    Work-around: set sa.seq_num and sa.esn before every packet instead of passing arguments.
  * BUG 4: CryptAlgo.decrypt() slices the padding after it has already cut it off, so _ESPPlain.padding
    is garbage. Work-around: check rebuilds the RFC 4303 §2.4 default padding (1, 2, 3, ...) of the
    received pad length, re-encrypts with the received IV and compares the whole ESP payload and ICV.
  * No AES-NULL-GMAC (RFC 4543) in scapy 2.5: NullAuthAesGmac below adds it as a CryptAlgo so scapy
    still does framing, padding and encapsulation; only the GMAC primitive is ours (pyca AESGCM with
    an empty plaintext and AAD = SPI || 32- or 64-bit sequence number, high half first || IV ||
    payload, RFC 4543 §3.3).
  * scapy's decrypt() does verify ICVs: AEAD tags through cryptography (InvalidTag becomes
    IPSecIntegrityError) and HMAC ICVs when verify=True.
  * Transport mode: IPv4 keeps the original header (proto, length, checksum recomputed); IPv6 inserts
    ESP after hop-by-hop/routing headers like Linux. Our packets carry no extension headers.
  * NAT-T: nat_t_header=UDP(4500, 4500) is sent with checksum 0 as RFC 3948 allows.
    BUG 5: for IPv4 scapy serialises IP/UDP before appending ESP, so the UDP length is frozen at 8.
    Work-around: esp_encrypt() sets the UDP length after encryption (checksum stays 0).
"""

import json
import os
import random
import socket
import struct
import sys

try:
    from cryptography.hazmat.primitives.ciphers import aead, algorithms, modes
    from scapy.compat import raw
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
    from scapy.layers.ipsec import (AUTH_ALGOS, CRYPT_ALGOS, ESP, CryptAlgo, IPSecIntegrityError,
                                    SecurityAssociation, _ESPPlain)
    from scapy.packet import Raw
except ImportError as missing:
    sys.exit("esp_interop.py: %s under %s; run it with /usr/bin/python3 after "
             "`apt-get install -y python3-scapy`" % (missing, sys.executable))

SEED = "espline-interop-1"
LINKTYPE_RAW = 101
LINKTYPE_IPV4 = 228
LINKTYPE_IPV6 = 229
MTU = 1500
BASE_SIZES = (1, 2, 3, 15, 16, 17, 100, 512, 1400)
FIRST_TIMESTAMP = 1700000000


###############################################################################
# Algorithms scapy lacks or gets wrong (see the module comment).

def _salted_nonce(sa, iv, **_kw):
    return sa.crypt_salt + iv


CRYPT_ALGOS["AES-GCM-TRUNC"] = CryptAlgo("AES-GCM-TRUNC", cipher=algorithms.AES, mode=modes.GCM,
                                         key_size=(16, 24, 32), block_size=1, iv_size=8,
                                         icv_size=16, salt_size=4, format_mode_iv=_salted_nonce)


class NullAuthAesGmac(CryptAlgo):
    """ENCR_NULL_AUTH_AES_GMAC (RFC 4543): payload in the clear, AES-GCM tag over everything."""

    def __init__(self):
        super().__init__("AES-NULL-GMAC", cipher=None, mode=None, block_size=1, iv_size=8,
                         key_size=(16, 24, 32), icv_size=16, salt_size=4)

    @staticmethod
    def _tag(sa, spi, seq, esn_en, esn, iv, text):
        # RFC 4543 §3.3: AAD = SPI, then the 32-bit or 64-bit (high half first) sequence
        # number, then the IV and the whole ESP payload; the GCM plaintext is empty.
        header = struct.pack("!LLL", spi, esn, seq) if esn_en else struct.pack("!LL", spi, seq)
        return aead.AESGCM(sa.crypt_key).encrypt(sa.crypt_salt + iv, b"", header + iv + text)

    def encrypt(self, sa, esp, key, icv_size=None, esn_en=False, esn=0):
        text = esp.data_for_encryption()
        tag = self._tag(sa, esp.spi, esp.seq, esn_en, esn, esp.iv, text)
        return ESP(spi=esp.spi, seq=esp.seq, data=esp.iv + text + tag)

    def decrypt(self, sa, esp, key, icv_size=None, esn_en=False, esn=0):
        iv, text, icv = esp.data[:8], esp.data[8:-16], esp.data[-16:]
        if self._tag(sa, esp.spi, esp.seq, esn_en, esn, iv, text) != icv:
            raise IPSecIntegrityError("GMAC tag mismatch")
        padlen, nh = text[-2], text[-1]
        end = len(text) - padlen - 2
        return _ESPPlain(spi=esp.spi, seq=esp.seq, iv=iv, data=text[:end],
                         padding=text[end:-2], padlen=padlen, nh=nh, icv=icv)


CRYPT_ALGOS["AES-NULL-GMAC"] = NullAuthAesGmac()


###############################################################################
# The matrix.

class Alg:
    """One ESP transform as scapy names it and as ip xfrm writes it."""

    def __init__(self, label, crypt, key_len, salt_len=0, aead_icv=0, auth=None, auth_key_len=0,
                 xfrm_enc=None):
        self.label = label
        self.crypt = crypt
        self.key_len = key_len
        self.salt_len = salt_len
        self.aead_icv = aead_icv
        self.auth = auth
        self.auth_key_len = auth_key_len
        self.xfrm_enc = xfrm_enc

    @property
    def icv_len(self):
        return self.aead_icv or AUTH_ALGOS[self.auth].icv_size

    @property
    def iv_len(self):
        return CRYPT_ALGOS[self.crypt].iv_size

    @property
    def align(self):
        # RFC 4303 §2.4: payload || padding || pad length || next header is a multiple of the cipher
        # block size and of 4 bytes.
        block = CRYPT_ALGOS[self.crypt].block_size
        return block * 4 // _gcd(block, 4)


def _gcd(a, b):
    while b:
        a, b = b, a % b
    return a


_XFRM_AUTH = {"HMAC-SHA1-96": "hmac(sha1)", "SHA2-256-128": "hmac(sha256)",
              "SHA2-384-192": "hmac(sha384)", "SHA2-512-256": "hmac(sha512)"}
_HMAC_KEY_LEN = {"HMAC-SHA1-96": 20, "SHA2-256-128": 32, "SHA2-384-192": 48, "SHA2-512-256": 64}


def _algorithms():
    algs = []
    for bits in (128, 192, 256):
        algs.append(Alg("aes-gcm-%d-icv16" % bits, "AES-GCM", bits // 8, 4, 16,
                        xfrm_enc="rfc4106(gcm(aes))"))
    for icv in (8, 12):
        algs.append(Alg("aes-gcm-128-icv%d" % icv, "AES-GCM-TRUNC", 16, 4, icv,
                        xfrm_enc="rfc4106(gcm(aes))"))
    for icv in (16, 8, 12):
        algs.append(Alg("aes-ccm-128-icv%d" % icv, "AES-CCM", 16, 3, icv,
                        xfrm_enc="rfc4309(ccm(aes))"))
    algs.append(Alg("chacha20-poly1305", "CHACHA20-POLY1305", 32, 4, 16,
                    xfrm_enc="rfc7539esp(chacha20,poly1305)"))
    for bits in (128, 256):
        algs.append(Alg("aes-gmac-%d" % bits, "AES-NULL-GMAC", bits // 8, 4, 16,
                        xfrm_enc="rfc4543(gcm(aes))"))
    for bits in (128, 256):
        for auth in ("HMAC-SHA1-96", "SHA2-256-128", "SHA2-384-192", "SHA2-512-256"):
            short = {"HMAC-SHA1-96": "sha1", "SHA2-256-128": "sha256",
                     "SHA2-384-192": "sha384", "SHA2-512-256": "sha512"}[auth]
            algs.append(Alg("aes-cbc-%d-%s" % (bits, short), "AES-CBC", bits // 8, auth=auth,
                            auth_key_len=_HMAC_KEY_LEN[auth], xfrm_enc="cbc(aes)"))
    algs.append(Alg("null-sha256", "NULL", 0, auth="SHA2-256-128", auth_key_len=32,
                    xfrm_enc="ecb(cipher_null)"))
    return algs


# (mode, family, encap, esn, seq_hi): UDP encapsulation only for IPv4; ESN cells start at
# 0xfffffffd so packets 0xfffffffe, 0xffffffff, 0x1_00000000, ... go out. Two extra cells start in
# a higher 2^32 epoch to exercise replay-seq-hi/replay-oseq-hi.
_COMBOS = [(mode, fam, encap, esn, 0)
           for mode in ("tunnel", "transport")
           for fam in ("v4", "v6")
           for encap in (("none", "espinudp") if fam == "v4" else ("none",))
           for esn in (False, True)]
_HI_EPOCH_CELLS = {("aes-gcm-128-icv16", "tunnel", "v4", "none"),
                   ("aes-cbc-128-sha256", "transport", "v6", "none")}

ADDR = {"v4": ("192.0.2.1", "198.51.100.2", "10.1.0.", "10.2.0."),
        "v6": ("2001:db8:1::1", "2001:db8:2::2", "2001:db8:a::", "2001:db8:b::")}


def matrix():
    cells = []
    for alg in _algorithms():
        combos = list(_COMBOS)
        for mode, fam, encap, esn, _hi in _COMBOS:
            if esn and (alg.label, mode, fam, encap) in _HI_EPOCH_CELLS:
                combos.append((mode, fam, encap, True, 1))
        for mode, fam, encap, esn, hi in combos:
            name = "-".join([alg.label, mode, fam] + (["udp"] if encap != "none" else [])
                            + ["esn" if esn else "noesn"] + (["hi%d" % hi] if hi else []))
            cells.append({"name": name, "alg": alg, "mode": mode, "family": fam,
                          "encap": encap, "esn": esn, "seq_hi": hi})
    return cells


###############################################################################
# pcap

def write_pcap(path, packets):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, LINKTYPE_RAW))
        for i, pkt in enumerate(packets):
            f.write(struct.pack("<IIII", FIRST_TIMESTAMP, i * 1000, len(pkt), len(pkt)))
            f.write(pkt)


def read_pcap(path):
    """Returns (linktype, [bytes]). Classic pcap, either byte order, micro- or nanosecond stamps."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        raise ValueError("%s: %d bytes, shorter than a pcap header" % (path, len(data)))
    magic_le = struct.unpack("<I", data[:4])[0]
    if magic_le in (0xA1B2C3D4, 0xA1B23C4D):
        order = "<"
    elif magic_le in (0xD4C3B2A1, 0x4D3CB2A1):
        order = ">"
    else:
        raise ValueError("%s: not a pcap file (magic 0x%08x)" % (path, magic_le))
    linktype = struct.unpack(order + "I", data[20:24])[0] & 0x0FFFFFFF
    packets, off = [], 24
    while off < len(data):
        if off + 16 > len(data):
            raise ValueError("%s: truncated record header at offset %d" % (path, off))
        incl, orig = struct.unpack(order + "II", data[off + 8:off + 16])
        if incl != orig or off + 16 + incl > len(data):
            raise ValueError("%s: record at offset %d truncated (incl %d, orig %d)"
                             % (path, off, incl, orig))
        packets.append(data[off + 16:off + 16 + incl])
        off += 16 + incl
    return linktype, packets


###############################################################################
# Cells: keys, packets, SAs

def _hex(b):
    return b.hex()


def make_cell(spec):
    """Expands a matrix entry into the cell description stored as cell.json (flat, JSON-simple)."""
    alg = spec["alg"]
    rng = random.Random("%s:%s:keys" % (SEED, spec["name"]))
    src, dst, _, _ = ADDR[spec["family"]]
    spi = rng.randrange(0x100, 0x100000000)
    first = ((spec["seq_hi"] << 32) | 0xFFFFFFFE) if spec["esn"] else 1
    cell = {
        "name": spec["name"], "algorithm": alg.label, "mode": spec["mode"],
        "family": spec["family"], "encap": spec["encap"], "esn": spec["esn"],
        "src": src, "dst": dst, "spi": spi, "spi_hex": "0x%08x" % spi,
        "decoy_spi_hex": "0x%08x" % (spi ^ 0x5A5A0000),
        "first_seq": first, "replay_window": 128 if spec["esn"] else 32,
        "scapy_crypt": alg.crypt, "scapy_auth": alg.auth or "NULL",
        "crypt_key_hex": _hex(rng.randbytes(alg.key_len + alg.salt_len)),
        "auth_key_hex": _hex(rng.randbytes(alg.auth_key_len)),
        "decoy_crypt_key_hex": _hex(rng.randbytes(alg.key_len + alg.salt_len)),
        "decoy_auth_key_hex": _hex(rng.randbytes(alg.auth_key_len)),
        "icv_len": alg.icv_len, "iv_len": alg.iv_len, "align": alg.align,
        "xfrm_enc": alg.xfrm_enc, "xfrm_auth": _XFRM_AUTH.get(alg.auth, ""),
        "aead": bool(alg.aead_icv),
    }
    return cell


def xfrm_line(cell, decoy=False):
    src, dst = (cell["dst"], cell["src"]) if decoy else (cell["src"], cell["dst"])
    spi = cell["decoy_spi_hex"] if decoy else cell["spi_hex"]
    ckey = cell["decoy_crypt_key_hex"] if decoy else cell["crypt_key_hex"]
    akey = cell["decoy_auth_key_hex"] if decoy else cell["auth_key_hex"]
    icv_bits = cell["icv_len"] * 8
    if cell["aead"]:
        # GMAC is an AEAD to Linux (net/xfrm/xfrm_algo.c aead_list), so `aead`, like the others.
        algo = "aead '%s' 0x%s %d" % (cell["xfrm_enc"], ckey, icv_bits)
    else:
        enc_key = ('0x' + ckey) if ckey else '""'
        algo = "enc '%s' %s auth-trunc '%s' 0x%s %d" % (cell["xfrm_enc"], enc_key,
                                                       cell["xfrm_auth"], akey, icv_bits)
    words = ["ip xfrm state add src %s dst %s proto esp spi %s reqid %d mode %s %s"
             % (src, dst, spi, 2 if decoy else 1, cell["mode"], algo),
             "replay-window %d" % cell["replay_window"]]
    last = cell["first_seq"] - 1
    if cell["esn"]:
        words.append("flag esn")
    words.append("replay-seq 0x%x replay-oseq 0x%x" % (last & 0xFFFFFFFF, last & 0xFFFFFFFF))
    if last >> 32:
        words.append("replay-seq-hi 0x%x replay-oseq-hi 0x%x" % (last >> 32, last >> 32))
    if cell["encap"] == "espinudp":
        words.append("encap espinudp 4500 4500 0.0.0.0")
    return " ".join(words)


def scapy_sa(cell):
    alg_kwargs = {}
    if cell["aead"]:
        alg_kwargs["crypt_icv_size"] = cell["icv_len"]
    if cell["scapy_auth"] != "NULL":
        alg_kwargs["auth_algo"] = cell["scapy_auth"]
        alg_kwargs["auth_key"] = bytes.fromhex(cell["auth_key_hex"])
    tunnel = None
    if cell["mode"] == "tunnel":
        tunnel = (IP(src=cell["src"], dst=cell["dst"]) if cell["family"] == "v4"
                  else IPv6(src=cell["src"], dst=cell["dst"]))
    nat_t = UDP(sport=4500, dport=4500) if cell["encap"] == "espinudp" else None
    return SecurityAssociation(ESP, spi=cell["spi"], crypt_algo=cell["scapy_crypt"],
                               crypt_key=bytes.fromhex(cell["crypt_key_hex"]) or None,
                               tunnel_header=tunnel, nat_t_header=nat_t,
                               esn_en=cell["esn"], esn=0, **alg_kwargs)


def hmac_icv(sa, esp_without_icv, seq_hi, esn):
    """The HMAC ICV over the ESP packet, plus seq-hi (never sent) with ESN, RFC 4303 §2.2.1."""
    mac = sa.auth_algo.new_mac(sa.auth_key)
    mac.update(esp_without_icv + (struct.pack("!L", seq_hi) if esn else b""))
    return mac.finalize()[:sa.auth_algo.icv_size]


def outer_length(cell, inner_len, l4_len):
    """Length of the ESP packet scapy (and Linux) build for an inner packet (minimal padding)."""
    ip_hdr = 20 if cell["family"] == "v4" else 40
    protected = inner_len if cell["mode"] == "tunnel" else l4_len
    align = cell["align"]
    body = -(-(protected + 2) // align) * align
    udp = 8 if cell["encap"] == "espinudp" else 0
    return ip_hdr + udp + 8 + cell["iv_len"] + body + cell["icv_len"]


def plain_packets(cell):
    """ICMP echo, UDP and TCP with every payload size that fits a 1500-byte outer packet, plus the
    size that fills it exactly (or as near as the block size allows)."""
    rng = random.Random("%s:%s:packets" % (SEED, cell["name"]))
    v4 = cell["family"] == "v4"
    ip_hdr = 20 if v4 else 40
    if cell["mode"] == "transport":
        src, dst = cell["src"], cell["dst"]
    else:
        base_src, base_dst = ADDR[cell["family"]][2], ADDR[cell["family"]][3]
    per_proto = {}
    for proto, l4_hdr in (("icmp", 8), ("udp", 8), ("tcp", 20)):
        fits = lambda n: outer_length(cell, ip_hdr + l4_hdr + n, l4_hdr + n) <= MTU
        fill = max(n for n in range(1, MTU) if fits(n))
        per_proto[proto] = [n for n in BASE_SIZES if fits(n) and n != fill] + [fill]
    packets = []
    for index in range(max(len(v) for v in per_proto.values())):
        for proto in ("icmp", "udp", "tcp"):
            sizes = per_proto[proto]
            if index >= len(sizes):
                continue
            payload = rng.randbytes(sizes[index])
            if cell["mode"] == "tunnel":
                src = base_src + str(rng.randrange(1, 250))
                dst = base_dst + str(rng.randrange(1, 250))
            if v4:
                hdr = IP(src=src, dst=dst, id=rng.randrange(65536), ttl=rng.choice((64, 128, 255)),
                         tos=rng.choice((0, 0x28, 0xB8)), flags=rng.choice((0, 2)))
            else:
                hdr = IPv6(src=src, dst=dst, hlim=rng.choice((64, 255)),
                           tc=rng.choice((0, 0x28, 0xB8)), fl=rng.randrange(1 << 20))
            if proto == "icmp":
                l4 = (ICMP(type=8, id=rng.randrange(65536), seq=index) / Raw(payload) if v4 else
                      ICMPv6EchoRequest(id=rng.randrange(65536), seq=index, data=payload))
            elif proto == "udp":
                l4 = UDP(sport=rng.randrange(1024, 65536), dport=rng.randrange(1, 65536)) / Raw(payload)
            else:
                l4 = TCP(sport=rng.randrange(1024, 65536), dport=rng.randrange(1, 65536),
                         seq=rng.getrandbits(32), ack=rng.getrandbits(32), flags="PA",
                         window=rng.randrange(1, 65536)) / Raw(payload)
            packets.append(raw(hdr / l4))  # scapy fills in lengths and correct checksums
    return packets


def set_sequence(sa, seq):
    # BUG 3 work-around: never pass seq_num/esn, whose 0 would be taken as "not given".
    sa.seq_num = seq & 0xFFFFFFFF
    sa.esn = seq >> 32


def esp_encrypt(cell, sa, plain, seq, iv):
    set_sequence(sa, seq)
    pkt = IP(plain) if cell["family"] == "v4" else IPv6(plain)
    out = sa.encrypt(pkt, iv=iv)
    esp = out[ESP]
    if cell["esn"] and cell["scapy_auth"] != "NULL":
        body = raw(esp)[:-cell["icv_len"]]  # BUG 2 work-around: redo the ICV with seq-hi
        esp.data = esp.data[:-cell["icv_len"]] + hmac_icv(sa, body, seq >> 32, True)
    if cell["encap"] == "espinudp":
        out[UDP].len = 8 + len(raw(esp))  # BUG 5 work-around
    return raw(out)


###############################################################################
# gen

def gen(matrix_dir, only):
    specs = matrix()
    names = [s["name"] for s in specs]
    unknown = [n for n in only if n not in names]
    if unknown:
        sys.exit("unknown cell(s): %s" % ", ".join(unknown))
    if only:
        specs = [s for s in specs if s["name"] in only]
    os.makedirs(matrix_dir, exist_ok=True)
    total = 0
    for spec in specs:
        cell = make_cell(spec)
        plain = plain_packets(cell)
        sa = scapy_sa(cell)
        rng = random.Random("%s:%s:iv" % (SEED, cell["name"]))
        esp = []
        for i, pkt in enumerate(plain):
            out = esp_encrypt(cell, sa, pkt, cell["first_seq"] + i, rng.randbytes(cell["iv_len"]))
            if len(out) > MTU:
                raise AssertionError("%s: packet %d is %d bytes > %d" % (cell["name"], i, len(out), MTU))
            esp.append(out)
        cell["packets"] = len(plain)
        cell["last_seq"] = cell["first_seq"] + len(plain) - 1
        d = os.path.join(matrix_dir, cell["name"])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "sa.xfrm"), "w") as f:
            f.write(xfrm_line(cell) + "\n" + xfrm_line(cell, decoy=True) + "\n")
        write_pcap(os.path.join(d, "plain.pcap"), plain)
        write_pcap(os.path.join(d, "scapy-esp.pcap"), esp)
        with open(os.path.join(d, "cell.json"), "w") as f:
            json.dump(cell, f, indent=1, sort_keys=True)
            f.write("\n")
        total += len(plain)
    with open(os.path.join(matrix_dir, "cells.txt"), "w") as f:
        f.write("".join(s["name"] + "\n" for s in specs))
    print("generated %d cells, %d packets in %s" % (len(specs), total, matrix_dir))


###############################################################################
# check

class Mismatch(Exception):
    pass


def _ipv4_checksum_ok(header):
    total = sum(struct.unpack("!%dH" % (len(header) // 2), header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return total == 0xFFFF


def _esp_offset(cell, pkt, i):
    """Validates the outer IP (and UDP) header of Espline's packet i; returns the ESP offset."""
    v4 = cell["family"] == "v4"
    if (pkt[0] >> 4) != (4 if v4 else 6):
        raise Mismatch("packet %d: outer IP version %d, expected %s" % (i, pkt[0] >> 4, cell["family"]))
    if v4:
        ihl = (pkt[0] & 0x0F) * 4
        total, proto = struct.unpack("!H", pkt[2:4])[0], pkt[9]
        if total != len(pkt):
            raise Mismatch("packet %d: IPv4 total length %d, record %d" % (i, total, len(pkt)))
        if not _ipv4_checksum_ok(pkt[:ihl]):
            raise Mismatch("packet %d: bad outer IPv4 header checksum" % i)
        got = (socket.inet_ntop(socket.AF_INET, pkt[12:16]), socket.inet_ntop(socket.AF_INET, pkt[16:20]))
        off = ihl
    else:
        plen, proto = struct.unpack("!H", pkt[4:6])[0], pkt[6]
        if plen + 40 != len(pkt):
            raise Mismatch("packet %d: IPv6 payload length %d, record %d" % (i, plen, len(pkt)))
        got = (socket.inet_ntop(socket.AF_INET6, pkt[8:24]), socket.inet_ntop(socket.AF_INET6, pkt[24:40]))
        off = 40
    want = (cell["src"], cell["dst"])
    if got != want:
        raise Mismatch("packet %d: outer %s -> %s, SA says %s -> %s" % (i, got[0], got[1], want[0], want[1]))
    if cell["encap"] == "espinudp":
        if proto != 17:
            raise Mismatch("packet %d: outer protocol %d, expected UDP (17) for espinudp" % (i, proto))
        sport, dport, ulen, csum = struct.unpack("!HHHH", pkt[off:off + 8])
        if (sport, dport) != (4500, 4500) or ulen != len(pkt) - off or csum != 0:
            raise Mismatch("packet %d: UDP %d->%d len %d csum 0x%04x, expected 4500->4500 len %d csum 0"
                           % (i, sport, dport, ulen, csum, len(pkt) - off))
        off += 8
    elif proto != 50:
        raise Mismatch("packet %d: outer protocol %d, expected ESP (50)" % (i, proto))
    return off


def check_cell(cell, esp_path):
    _, plain = read_pcap(os.path.join(os.path.dirname(esp_path), "plain.pcap"))
    if not os.path.exists(esp_path):
        raise Mismatch("%s missing" % os.path.basename(esp_path))
    linktype, packets = read_pcap(esp_path)
    if linktype != LINKTYPE_RAW:
        raise Mismatch("linktype %d, expected %d (raw IP)" % (linktype, LINKTYPE_RAW))
    if len(packets) != len(plain):
        raise Mismatch("%d ESP packets for %d plain packets" % (len(packets), len(plain)))
    sa = scapy_sa(cell)
    hmac_esn = cell["esn"] and cell["scapy_auth"] != "NULL"
    icv_len = cell["icv_len"]
    for i, (pkt, want) in enumerate(zip(packets, plain)):
        seq = cell["first_seq"] + i
        off = _esp_offset(cell, pkt, i)
        spi, seq_lo = struct.unpack("!LL", pkt[off:off + 8])
        if spi != cell["spi"]:
            raise Mismatch("packet %d: SPI 0x%08x, expected %s" % (i, spi, cell["spi_hex"]))
        if seq_lo != seq & 0xFFFFFFFF:
            raise Mismatch("packet %d: sequence 0x%08x, expected 0x%08x (64-bit 0x%x)"
                           % (i, seq_lo, seq & 0xFFFFFFFF, seq))
        set_sequence(sa, seq)
        if hmac_esn and hmac_icv(sa, pkt[off:-icv_len], seq >> 32, True) != pkt[-icv_len:]:
            raise Mismatch("packet %d: HMAC ICV (with ESN high bits 0x%x) does not verify" % (i, seq >> 32))
        parsed = IP(pkt) if cell["family"] == "v4" else IPv6(pkt)
        if not parsed.haslayer(ESP):
            raise Mismatch("packet %d: scapy finds no ESP layer" % i)
        try:
            inner = sa.decrypt(parsed, verify=not hmac_esn)
        except IPSecIntegrityError as e:
            raise Mismatch("packet %d (seq 0x%x): ICV does not verify (%s)"
                           % (i, seq, str(e) or "authentication tag mismatch"))
        except Exception as e:  # garbage trailer, bad lengths: scapy raises what it raises
            raise Mismatch("packet %d (seq 0x%x): scapy cannot decrypt: %r" % (i, seq, e))
        # No normalisation needed: for tunnel mode scapy returns the inner packet parsed from the
        # decrypted bytes, and raw() re-emits them unchanged. For transport mode scapy rebuilds the
        # original header from the outer one, setting protocol/next header and length and (IPv4)
        # recomputing the header checksum, exactly what RFC 4303 decapsulation must restore, so
        # any other difference from plain.pcap (TTL, ID, DSCP, flow label, flags) is Espline's.
        got = raw(inner)
        if got != want:
            at = next((k for k in range(min(len(got), len(want))) if got[k] != want[k]),
                      min(len(got), len(want)))
            raise Mismatch("packet %d: decrypted %d bytes differ from plain %d bytes at offset %d"
                           % (i, len(got), len(want), at))
        _check_trailer(cell, sa, pkt[off:], seq, i)
    return len(packets)


def _check_trailer(cell, sa, esp_bytes, seq, i):
    """Known-answer check of padding and ICV (BUG 4 work-around): decrypt, rebuild the ESP payload
    with the RFC 4303 §2.4 default padding 1, 2, 3, ... of the received pad length, re-encrypt with
    the received IV and compare every byte."""
    icv_len = cell["icv_len"]
    esp = ESP(esp_bytes)
    plain = sa.crypt_algo.decrypt(sa, esp, sa.crypt_key, icv_len, esn_en=sa.esn_en, esn=sa.esn)
    rebuilt = _ESPPlain(spi=esp.spi, seq=esp.seq, iv=plain.iv, data=plain.data,
                        padding=bytes(range(1, plain.padlen + 1)), padlen=plain.padlen, nh=plain.nh)
    again = sa.crypt_algo.encrypt(sa, rebuilt, sa.crypt_key, icv_len, esn_en=sa.esn_en, esn=sa.esn)
    if cell["scapy_auth"] != "NULL":
        again.data += hmac_icv(sa, raw(again), seq >> 32, cell["esn"])
    if raw(again) != esp_bytes:
        body = raw(again)
        at = next((k for k in range(min(len(body), len(esp_bytes))) if body[k] != esp_bytes[k]), -1)
        where = "in the ICV" if at >= len(esp_bytes) - icv_len else "at ESP offset %d" % at
        raise Mismatch("packet %d: ESP trailer is not RFC 4303 default padding (pad length %d, next "
                       "header %d): re-encryption differs %s" % (i, plain.padlen, plain.nh, where))


def check(matrix_dir, esp_file, only):
    with open(os.path.join(matrix_dir, "cells.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    if only:
        unknown = [n for n in only if n not in names]
        if unknown:
            sys.exit("unknown cell(s): %s" % ", ".join(unknown))
        names = [n for n in names if n in only]
    passed = failed = 0
    for name in names:
        d = os.path.join(matrix_dir, name)
        try:
            with open(os.path.join(d, "cell.json")) as f:
                cell = json.load(f)
            n = check_cell(cell, os.path.join(d, esp_file))
            print("PASS %s (%d packets)" % (name, n))
            passed += 1
        except (Mismatch, ValueError, OSError) as e:
            print("FAIL %s: %s" % (name, e))
            failed += 1
        sys.stdout.flush()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not names else 0


def main(argv):
    if len(argv) >= 2 and argv[0] == "gen":
        gen(argv[1], argv[2:])
        return 0
    if len(argv) >= 2 and argv[0] == "check":
        rest, esp_file = argv[2:], "espline-esp.pcap"
        if rest[:1] == ["--esp-file"] and len(rest) >= 2:
            esp_file, rest = rest[1], rest[2:]
        return check(argv[1], esp_file, rest)
    if argv == ["cells"]:
        print("\n".join(s["name"] for s in matrix()))
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
