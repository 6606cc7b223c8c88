package org.espline.runtime.header;

import java.io.ByteArrayOutputStream;
import java.util.HexFormat;

/**
 * Packets for the header tests, and a deliberately naive reference checksum that shares no code with
 * {@link InternetChecksum}: byte pairs, an int accumulator, a loop of folds.
 */
final class TestPackets {
    // Generated with scapy 2.5.0 (an independent implementation), checksums as scapy computed them:
    //   IP(src='192.0.2.1',dst='198.51.100.2',id=0x1234,ttl=64)/UDP(sport=4500,dport=4500)/b"espline-udp"
    static final String IPV4_UDP = "450000271234000040117c5bc0000201c633640211941194001366886573706c696e652d756470";
    //   IP(src='10.1.2.3',dst='10.4.5.6',id=7,flags='DF',ttl=63)/TCP(sport=443,dport=51000,seq=0x89abcdef,
    //      ack=0x01234567,flags='PA',window=501,options=[MSS 1460,NOP,NOP,SAckOK])/b"hello, tcp!"
    static final String IPV4_TCP = "4500003b000740003f0620a90a0102030a04050601bbc73889abcdef01234567701801f5160000"
            + "00020405b40101040268656c6c6f2c2074637021";
    //   IPv6(src='2001:db8::1',dst='2001:db8:0:1::2',hlim=64,fl=0x12345,tc=0xb8)/IPv6ExtHdrHopByHop()
    //      /UDP(sport=5353,dport=5353)/b"odd"
    static final String IPV6_HBH_UDP = "6b8123450013004020010db800000000000000000000000120010db80000000100000000"
            + "00000002110001040000000014e914e9000ba72b6f6464";
    //   IPv6(src='fe80::1',dst='ff02::1')/ICMPv6EchoRequest(id=0x4242,seq=7,data=b"ping6")
    static final String IPV6_ICMP = "60000000000d3a40fe800000000000000000000000000001ff0200000000000000000000000000"
            + "0180002b184242000770696e6736";
    //   IP(src='192.0.2.9',dst='192.0.2.10')/ICMP(type=8,id=0x1111,seq=2)/b"abcdefgh"
    static final String IPV4_ICMP = "45000024000100004001f6c4c0000209c000020a08005557111100026162636465666768";

    /** The classic IPv4 header example (Wikipedia, "Internet checksum"), checksum b861. */
    static final String CLASSIC_IPV4_HEADER = "450000730000400040 11b861c0a80001c0a800c7".replace(" ", "");

    private TestPackets() {
    }

    static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex);
    }

    /** Copies {@code bytes} to offset {@code at} of a larger array with junk around it. */
    static byte[] at(int at, byte[] bytes, int tail) {
        final byte[] out = new byte[at + bytes.length + tail];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (0xA5 ^ i);
        }
        System.arraycopy(bytes, 0, out, at, bytes.length);
        return out;
    }

    static byte[] concat(byte[]... parts) {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** RFC 1071 done the slow, obvious way. */
    static int referenceChecksum(byte[] data, int offset, int length) {
        int sum = 0;
        for (int i = 0; i < length; i += 2) {
            final int hi = data[offset + i] & 0xFF;
            final int lo = i + 1 < length ? data[offset + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
            while ((sum >>> 16) != 0) {
                sum = (sum & 0xFFFF) + (sum >>> 16);
            }
        }
        return ~sum & 0xFFFF;
    }

    static int referenceChecksum(byte[] data) {
        return referenceChecksum(data, 0, data.length);
    }

    /**
     * Reference transport checksum: builds the pseudo-header as bytes, appends the segment with its checksum
     * field zeroed, and checksums the lot.
     */
    static int referenceTransportChecksum(byte[] src, byte[] dst, int protocol, byte[] segment, int checksumFieldOffset) {
        final byte[] copy = segment.clone();
        copy[checksumFieldOffset] = 0;
        copy[checksumFieldOffset + 1] = 0;
        final byte[] pseudo;
        if (src.length == 4) {
            pseudo = new byte[12];
            System.arraycopy(src, 0, pseudo, 0, 4);
            System.arraycopy(dst, 0, pseudo, 4, 4);
            pseudo[9] = (byte) protocol;
            pseudo[10] = (byte) (segment.length >>> 8);
            pseudo[11] = (byte) segment.length;
        } else {
            pseudo = new byte[40];
            System.arraycopy(src, 0, pseudo, 0, 16);
            System.arraycopy(dst, 0, pseudo, 16, 16);
            pseudo[34] = (byte) (segment.length >>> 8);
            pseudo[35] = (byte) segment.length;
            pseudo[39] = (byte) protocol;
        }
        final int c = referenceChecksum(concat(pseudo, copy));
        return protocol == 17 && c == 0 ? 0xFFFF : c;
    }

    static byte[] slice(byte[] a, int from, int to) {
        return java.util.Arrays.copyOfRange(a, from, to);
    }
}
