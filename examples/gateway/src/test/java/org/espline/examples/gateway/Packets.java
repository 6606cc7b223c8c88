package org.espline.examples.gateway;

import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyLookup;

/** IPv4 packets written by hand for the tests, and an SPD lookup of one the way the classify stage does it. */
final class Packets {
    static final int UDP = 17;
    static final int TCP = 6;

    private Packets() {
    }

    /** An IPv4 packet with a UDP (8-byte) or TCP (20-byte) header and {@code payload} bytes of a counting pattern. */
    static byte[] ipv4(String src, String dst, int proto, int sport, int dport, int payload) {
        int l4 = proto == TCP ? 20 : 8;
        byte[] p = new byte[20 + l4 + payload];
        p[0] = 0x45;
        put16(p, 2, p.length);
        p[6] = 0x40; // don't fragment
        p[8] = 64;
        p[9] = (byte) proto;
        putAddress(p, 12, src);
        putAddress(p, 16, dst);
        put16(p, 10, InternetChecksum.checksum(p, 0, 20));
        put16(p, 20, sport);
        put16(p, 22, dport);
        if (proto == TCP) {
            p[32] = 0x50; // data offset 5 words
            p[33] = 0x18; // PSH ACK
            put16(p, 34, 65535);
        } else {
            put16(p, 24, l4 + payload);
        }
        for (int i = 20 + l4; i < p.length; i++) {
            p[i] = (byte) i;
        }
        return p;
    }

    /** What the outbound SPD does with the packet: the first matching policy's action, else the default. */
    static PolicyAction classify(PolicyLookup spd, byte[] p) {
        Policy policy = lookup(spd, p);
        return policy == null ? spd.defaultAction() : policy.action();
    }

    static Policy lookup(PolicyLookup spd, byte[] p) {
        return spd.lookup(false, p, 12, 16, p[9] & 0xff, get16(p, 20), get16(p, 22));
    }

    static int get16(byte[] p, int off) {
        return (p[off] & 0xff) << 8 | p[off + 1] & 0xff;
    }

    private static void put16(byte[] p, int off, int v) {
        p[off] = (byte) (v >>> 8);
        p[off + 1] = (byte) v;
    }

    private static void putAddress(byte[] p, int off, String dotted) {
        String[] parts = dotted.split("\\.");
        for (int i = 0; i < 4; i++) {
            p[off + i] = (byte) Integer.parseInt(parts[i]);
        }
    }
}
