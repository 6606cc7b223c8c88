package org.espline.runtime.esp;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Random;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;

/** Builders for inner packets and SAs used by the ESP tests. */
final class EspTestPackets {
    private EspTestPackets() {
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** An IPv4 UDP packet with {@code payload} bytes of pseudo-random data and correct checksums. */
    /** A buffer from {@code pool} holding {@code bytes}, with {@code sa} as its SA metadata (null: none). */
    static PacketBuffer packet(BufferPool pool, byte[] bytes, SecurityAssociation sa) {
        PacketBuffer b = pool.acquire();
        System.arraycopy(bytes, 0, b.array(), b.put(bytes.length), bytes.length);
        b.securityAssociation(sa);
        return b;
    }

    static byte[] udp4(int payload, long seed) {
        byte[] p = new byte[20 + 8 + payload];
        new Random(seed).nextBytes(p);
        p[0] = 0x45;
        p[1] = 0;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[6] = 0x40;
        p[7] = 0;
        p[8] = 64;
        p[9] = 17;
        byte[] src = {10, 1, 0, 10};
        byte[] dst = {10, 2, 0, 20};
        System.arraycopy(src, 0, p, 12, 4);
        System.arraycopy(dst, 0, p, 16, 4);
        p[24] = (byte) ((8 + payload) >>> 8);
        p[25] = (byte) (8 + payload);
        p[26] = 0;
        p[27] = 0;
        p[10] = 0;
        p[11] = 0;
        int ipc = InternetChecksum.checksum(p, 0, 20);
        p[10] = (byte) (ipc >>> 8);
        p[11] = (byte) ipc;
        return p;
    }

    /** An IPv6 UDP packet with {@code payload} bytes. */
    static byte[] udp6(int payload, long seed) {
        byte[] p = new byte[40 + 8 + payload];
        new Random(seed).nextBytes(p);
        p[0] = 0x60;
        p[1] = 0;
        p[2] = 0;
        p[3] = 0;
        p[4] = (byte) ((8 + payload) >>> 8);
        p[5] = (byte) (8 + payload);
        p[6] = 17;
        p[7] = 64;
        byte[] src = addr("2001:db8:1::10").getAddress();
        byte[] dst = addr("2001:db8:2::20").getAddress();
        System.arraycopy(src, 0, p, 8, 16);
        System.arraycopy(dst, 0, p, 24, 16);
        p[44] = (byte) ((8 + payload) >>> 8);
        p[45] = (byte) (8 + payload);
        return p;
    }

    static SaConfig.Builder gcm(boolean v6, SaMode mode) {
        byte[] key = new byte[20];
        new Random(7).nextBytes(key);
        return SaConfig.builder()
                .source(addr(v6 ? "2001:db8:1::10" : (mode == SaMode.TUNNEL ? "192.0.2.1" : "10.1.0.10")))
                .destination(addr(v6 ? "2001:db8:2::20" : (mode == SaMode.TUNNEL ? "198.51.100.2" : "10.2.0.20")))
                .spi(0x1001).mode(mode)
                .encryption(EncryptionAlgorithm.AES_GCM, KeyMaterial.of(key)).icvLength(16)
                .replayWindow(64);
    }

    static SaConfig.Builder cbcSha256(boolean v6, SaMode mode) {
        byte[] key = new byte[16];
        byte[] auth = new byte[32];
        Random r = new Random(8);
        r.nextBytes(key);
        r.nextBytes(auth);
        return gcm(v6, mode).encryption(EncryptionAlgorithm.AES_CBC, KeyMaterial.of(key))
                .integrity(IntegrityAlgorithm.HMAC_SHA256_128, KeyMaterial.of(auth)).icvLength(-1);
    }

    static UdpEncapsulation natT() {
        return new UdpEncapsulation(4500, 4500, null);
    }
}
