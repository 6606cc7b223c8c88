package org.espline.runtime.pipeline;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.IpProtocols;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.UdpEncapsulation;

/**
 * A site-to-site setup for the pipeline tests: gateway A (site 10.1/16, 2001:db8:1::/48) and gateway B
 * (site 10.2/16, 2001:db8:2::/48). A to B is AES-GCM in tunnel mode (ESP-in-UDP over IPv4), B to A
 * AES-CBC with HMAC-SHA-256; and the inner packets that cross it.
 */
final class SiteToSite {
    static final int[] SIZES = {1, 2, 3, 7, 15, 16, 17, 31, 63, 64, 100, 255, 256, 511, 512, 999, 1000, 1399, 1400};
    static final int[] PROTOCOLS = {IpProtocols.TCP, IpProtocols.UDP, IpProtocols.ICMP};

    private SiteToSite() {
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static InetAddress gateway(boolean v6, boolean a) {
        return addr(v6 ? (a ? "2001:db8:ff::1" : "2001:db8:ff::2") : (a ? "192.0.2.1" : "198.51.100.2"));
    }

    static InetAddress site(boolean v6, boolean a) {
        return addr(v6 ? (a ? "2001:db8:1::" : "2001:db8:2::") : (a ? "10.1.0.0" : "10.2.0.0"));
    }

    static int sitePrefix(boolean v6) {
        return v6 ? 48 : 16;
    }

    static InetAddress host(boolean v6, boolean a, int n) {
        return addr(v6 ? (a ? "2001:db8:1::" : "2001:db8:2::") + Integer.toHexString(n)
                : (a ? "10.1.0." : "10.2.0.") + n);
    }

    /** A to B: AES-128-GCM tunnel, NAT-T (ESP-in-UDP 4500) over IPv4; plain ESP over IPv6. */
    static SaConfig aToB(boolean v6) {
        byte[] key = new byte[20];
        new Random(11).nextBytes(key);
        SaConfig.Builder b = SaConfig.builder().name("a-to-b")
                .source(gateway(v6, true)).destination(gateway(v6, false))
                .spi(0x1001).mode(SaMode.TUNNEL)
                .encryption(EncryptionAlgorithm.AES_GCM, KeyMaterial.of(key)).icvLength(16)
                .replayWindow(64);
        if (!v6) {
            b.encapsulation(new UdpEncapsulation(4500, 4500, null));
        }
        return b.build();
    }

    /** B to A: AES-128-CBC + HMAC-SHA-256-128 tunnel. */
    static SaConfig bToA(boolean v6) {
        byte[] key = new byte[16];
        byte[] auth = new byte[32];
        Random r = new Random(12);
        r.nextBytes(key);
        r.nextBytes(auth);
        return SaConfig.builder().name("b-to-a")
                .source(gateway(v6, false)).destination(gateway(v6, true))
                .spi(0x2002).mode(SaMode.TUNNEL)
                .encryption(EncryptionAlgorithm.AES_CBC, KeyMaterial.of(key))
                .integrity(IntegrityAlgorithm.HMAC_SHA256_128, KeyMaterial.of(auth))
                .replayWindow(64)
                .build();
    }

    /**
     * An IP packet with {@code payload} pseudo-random bytes behind a TCP, UDP or ICMP (ICMPv6 for IPv6)
     * header, with correct lengths and checksums.
     */
    static byte[] packet(boolean v6, int proto, int payload, InetAddress src, InetAddress dst, int sport, int dport, long seed) {
        final int hl = v6 ? 40 : 20;
        final int th = proto == IpProtocols.TCP ? 20 : 8;
        final int wireProto = v6 && proto == IpProtocols.ICMP ? IpProtocols.ICMPV6 : proto;
        final byte[] p = new byte[hl + th + payload];
        new Random(seed).nextBytes(p);
        if (v6) {
            p[0] = 0x60;
            p[1] = 0;
            p[2] = 0;
            p[3] = 0;
            put16(p, 4, th + payload);
            p[6] = (byte) wireProto;
            p[7] = 64;
            System.arraycopy(src.getAddress(), 0, p, 8, 16);
            System.arraycopy(dst.getAddress(), 0, p, 24, 16);
        } else {
            p[0] = 0x45;
            p[1] = 0;
            put16(p, 2, p.length);
            put16(p, 6, 0x4000);
            p[8] = 64;
            p[9] = (byte) wireProto;
            put16(p, 10, 0);
            System.arraycopy(src.getAddress(), 0, p, 12, 4);
            System.arraycopy(dst.getAddress(), 0, p, 16, 4);
            put16(p, 10, InternetChecksum.checksum(p, 0, 20));
        }
        if (proto == IpProtocols.TCP) {
            put16(p, hl, sport);
            put16(p, hl + 2, dport);
            p[hl + 12] = 0x50;
            p[hl + 13] = 0x18;
            put16(p, hl + 18, 0);
        } else if (proto == IpProtocols.UDP) {
            put16(p, hl, sport);
            put16(p, hl + 2, dport);
            put16(p, hl + 4, th + payload);
        } else {
            p[hl] = (byte) (v6 ? 128 : 8);
            p[hl + 1] = 0;
        }
        if (InternetChecksum.updateTransportChecksum(p, 0, p.length) != InternetChecksum.Status.VALID) {
            throw new AssertionError("test packet not checksummable");
        }
        return p;
    }

    /** Traffic from site A to site B (or B to A): every protocol and size, {@code rounds} times. */
    static List<byte[]> traffic(boolean v6, boolean fromA, int rounds) {
        List<byte[]> l = new ArrayList<>();
        long seed = 1;
        for (int r = 0; r < rounds; r++) {
            for (int proto : PROTOCOLS) {
                for (int size : SIZES) {
                    l.add(packet(v6, proto, size, host(v6, fromA, 10 + r), host(v6, !fromA, 20),
                            40000 + r, proto == IpProtocols.TCP ? 443 : 53, seed++));
                }
            }
        }
        return l;
    }

    private static void put16(byte[] a, int off, int v) {
        a[off] = (byte) (v >>> 8);
        a[off + 1] = (byte) v;
    }
}
