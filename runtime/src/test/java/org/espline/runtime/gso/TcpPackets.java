package org.espline.runtime.gso;

import java.nio.ByteBuffer;

/**
 * TCP/IP packets for the GSO and GRO tests, and an independent checksum (plain RFC 1071 over a byte
 * array built for the purpose: pseudo-header, then the segment) that shares no code with the runtime's.
 */
final class TcpPackets {
    static final byte[] SRC4 = {10, 1, 0, 5};
    static final byte[] DST4 = {10, 2, 0, 9};
    static final byte[] SRC6 = bytes16(0x20, 0x01, 0x0d, 0xb8, 0, 1);
    static final byte[] DST6 = bytes16(0x20, 0x01, 0x0d, 0xb8, 0, 2);
    static final int SPORT = 40000;
    static final int DPORT = 5001;
    static final int ACK = 0x10;
    static final int PSH = 0x08;
    static final int FIN = 0x01;
    static final int SYN = 0x02;
    static final int RST = 0x04;
    static final int URG = 0x20;
    static final int ECE = 0x40;
    static final int CWR = 0x80;
    /** Timestamps option (NOP, NOP, TS): 12 bytes, as a Linux sender puts on every segment. */
    static final byte[] TS_OPTION = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};

    private TcpPackets() {
    }

    private static byte[] bytes16(int... head) {
        byte[] b = new byte[16];
        for (int i = 0; i < head.length; i++) {
            b[i] = (byte) head[i];
        }
        b[15] = (byte) head[head.length - 1];
        return b;
    }

    /** A pattern that differs at every offset of a 64 KiB payload, so misplaced bytes show. */
    static byte[] payload(int n, int seed) {
        byte[] p = new byte[n];
        for (int i = 0; i < n; i++) {
            p[i] = (byte) (i * 7 + (i >>> 8) * 13 + seed);
        }
        return p;
    }

    /** Describes one TCP/IP packet to build. */
    static final class Spec {
        boolean v6;
        int seq = 1000;
        int ack = 777;
        int flags = ACK;
        int window = 501;
        int id = 0x1234;
        int ttl = 64;
        int tos = 0;
        byte[] options = new byte[0];
        byte[] payload = new byte[0];
        int sport = SPORT;

        Spec v6(boolean v) { v6 = v; return this; }
        Spec seq(int v) { seq = v; return this; }
        Spec ack(int v) { ack = v; return this; }
        Spec flags(int v) { flags = v; return this; }
        Spec window(int v) { window = v; return this; }
        Spec id(int v) { id = v; return this; }
        Spec ttl(int v) { ttl = v; return this; }
        Spec tos(int v) { tos = v; return this; }
        Spec options(byte[] v) { options = v; return this; }
        Spec payload(byte[] v) { payload = v; return this; }
        Spec sport(int v) { sport = v; return this; }

        byte[] build() {
            int thl = 20 + options.length;
            int ipl = v6 ? 40 : 20;
            ByteBuffer b = ByteBuffer.allocate(ipl + thl + payload.length);
            if (v6) {
                b.putInt(0x6000_0000 | (tos << 20));
                b.putShort((short) (thl + payload.length));
                b.put((byte) 6).put((byte) ttl);
                b.put(SRC6).put(DST6);
            } else {
                b.put((byte) 0x45).put((byte) tos).putShort((short) (ipl + thl + payload.length));
                b.putShort((short) id).putShort((short) 0x4000);
                b.put((byte) ttl).put((byte) 6).putShort((short) 0);
                b.put(SRC4).put(DST4);
            }
            b.putShort((short) sport).putShort((short) DPORT).putInt(seq).putInt(ack);
            b.put((byte) ((thl / 4) << 4)).put((byte) flags).putShort((short) window);
            b.putShort((short) 0).putShort((short) 0);
            b.put(options).put(payload);
            byte[] pkt = b.array();
            fixChecksums(pkt);
            return pkt;
        }
    }

    static Spec tcp() {
        return new Spec();
    }

    /** Writes correct IPv4 header and TCP checksums (the reference way). */
    static void fixChecksums(byte[] pkt) {
        boolean v6 = (pkt[0] >> 4) == 6;
        int ipl = v6 ? 40 : (pkt[0] & 0x0F) * 4;
        if (!v6) {
            pkt[10] = 0;
            pkt[11] = 0;
            int c = refChecksum(pkt, 0, ipl);
            pkt[10] = (byte) (c >> 8);
            pkt[11] = (byte) c;
        }
        pkt[ipl + 16] = 0;
        pkt[ipl + 17] = 0;
        int c = refChecksum(pseudoAndSegment(pkt), 0, -1);
        pkt[ipl + 16] = (byte) (c >> 8);
        pkt[ipl + 17] = (byte) c;
    }

    /** Independent RFC 1071: sum 16-bit words one by one, fold, complement. length -1 = whole array. */
    static int refChecksum(byte[] d, int off, int length) {
        int len = length < 0 ? d.length - off : length;
        long sum = 0;
        for (int i = 0; i < len; i += 2) {
            int hi = d[off + i] & 0xFF;
            int lo = i + 1 < len ? d[off + i + 1] & 0xFF : 0;
            sum += (hi << 8) | lo;
        }
        while ((sum >> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }
        return (int) (~sum & 0xFFFF);
    }

    /** Pseudo-header followed by the TCP segment, as one array. */
    static byte[] pseudoAndSegment(byte[] pkt) {
        boolean v6 = (pkt[0] >> 4) == 6;
        int ipl = v6 ? 40 : (pkt[0] & 0x0F) * 4;
        int tcpLen = pkt.length - ipl;
        ByteBuffer b = ByteBuffer.allocate((v6 ? 40 : 12) + tcpLen);
        if (v6) {
            b.put(pkt, 8, 32).putInt(tcpLen).putInt(6);
        } else {
            b.put(pkt, 12, 8).put((byte) 0).put((byte) 6).putShort((short) tcpLen);
        }
        b.put(pkt, ipl, tcpLen);
        return b.array();
    }

    /** True if the TCP checksum (and for IPv4 the header checksum) verify by the reference computation. */
    static boolean checksumsValid(byte[] pkt) {
        boolean v6 = (pkt[0] >> 4) == 6;
        if (!v6 && refChecksum(pkt, 0, (pkt[0] & 0x0F) * 4) != 0) {
            return false;
        }
        return refChecksum(pseudoAndSegment(pkt), 0, -1) == 0;
    }

    static int ipHeaderLength(byte[] pkt) {
        return (pkt[0] >> 4) == 6 ? 40 : (pkt[0] & 0x0F) * 4;
    }

    static int tcpOffset(byte[] pkt) {
        return ipHeaderLength(pkt);
    }

    static int tcpHeaderLength(byte[] pkt) {
        return ((pkt[tcpOffset(pkt) + 12] & 0xFF) >>> 4) * 4;
    }

    static byte[] tcpPayload(byte[] pkt) {
        int from = tcpOffset(pkt) + tcpHeaderLength(pkt);
        return java.util.Arrays.copyOfRange(pkt, from, pkt.length);
    }

    static int seq(byte[] pkt) {
        return ByteBuffer.wrap(pkt, tcpOffset(pkt) + 4, 4).getInt();
    }

    static int flags(byte[] pkt) {
        return pkt[tcpOffset(pkt) + 13] & 0xFF;
    }

    static int window(byte[] pkt) {
        return ByteBuffer.wrap(pkt, tcpOffset(pkt) + 14, 2).getShort() & 0xFFFF;
    }

    static int ipId(byte[] pkt) {
        return ByteBuffer.wrap(pkt, 4, 2).getShort() & 0xFFFF;
    }

    /** IPv4 total length, or IPv6 payload length + 40: what the header says the packet is. */
    static int ipLength(byte[] pkt) {
        return (pkt[0] >> 4) == 6 ? (ByteBuffer.wrap(pkt, 4, 2).getShort() & 0xFFFF) + 40
                : ByteBuffer.wrap(pkt, 2, 2).getShort() & 0xFFFF;
    }
}
