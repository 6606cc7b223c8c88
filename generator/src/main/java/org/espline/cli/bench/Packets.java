package org.espline.cli.bench;

import java.net.InetAddress;

import org.espline.runtime.header.InternetChecksum;

/** Inner IPv4 packets for the benchmark's sources: UDP datagrams (per-packet path) and TCP super-packets (GSO). */
final class Packets {
    static final int IPV4 = 20;
    static final int UDP = 8;
    static final int TCP = 20;

    private Packets() {
    }

    /** A UDP datagram whose whole IPv4 packet is {@code size} bytes. */
    static byte[] udp4(InetAddress src, InetAddress dst, int size) {
        if (size < IPV4 + UDP) {
            throw new IllegalArgumentException("a UDP/IPv4 packet has at least 28 bytes, not " + size);
        }
        byte[] p = ip4(src, dst, 17, size - IPV4);
        put16(p, IPV4, 40000);
        put16(p, IPV4 + 2, 5353);
        put16(p, IPV4 + 4, size - IPV4);
        fill(p, IPV4 + UDP);
        InternetChecksum.updateTransportChecksum(p, 0, p.length);
        return p;
    }

    /** One TCP write of {@code payload} bytes as a super-packet (ACK, PSH), as a host hands it to GSO. */
    static byte[] tcp4(InetAddress src, InetAddress dst, int payload) {
        byte[] p = ip4(src, dst, 6, TCP + payload);
        put16(p, IPV4, 40001);
        put16(p, IPV4 + 2, 5001);
        put16(p, IPV4 + 4, 0x1000);
        p[IPV4 + 12] = 5 << 4;
        p[IPV4 + 13] = 0x18;
        put16(p, IPV4 + 14, 0xFFFF);
        fill(p, IPV4 + TCP);
        InternetChecksum.updateTransportChecksum(p, 0, p.length);
        return p;
    }

    private static byte[] ip4(InetAddress src, InetAddress dst, int protocol, int upper) {
        if (IPV4 + upper > 65535) {
            throw new IllegalArgumentException("an IPv4 packet has at most 65535 bytes: " + upper + " + 20 is too many");
        }
        byte[] p = new byte[IPV4 + upper];
        p[0] = 0x45;
        put16(p, 2, p.length);
        put16(p, 6, 0x4000);
        p[8] = 64;
        p[9] = (byte) protocol;
        System.arraycopy(src.getAddress(), 0, p, 12, 4);
        System.arraycopy(dst.getAddress(), 0, p, 16, 4);
        put16(p, 10, InternetChecksum.checksum(p, 0, IPV4));
        return p;
    }

    private static void fill(byte[] p, int from) {
        for (int i = from; i < p.length; i++) {
            p[i] = (byte) (i * 31 + 7);
        }
    }

    private static void put16(byte[] a, int at, int v) {
        a[at] = (byte) (v >>> 8);
        a[at + 1] = (byte) v;
    }

    /** Inner IPv4 packet sizes GSO makes of one write: segments of {@code mss} payload plus 40 bytes of headers. */
    static int[] segments(int write, int mss) {
        int n = (write + mss - 1) / mss;
        int[] sizes = new int[n];
        for (int i = 0; i < n; i++) {
            sizes[i] = IPV4 + TCP + Math.min(mss, write - i * mss);
        }
        return sizes;
    }
}
