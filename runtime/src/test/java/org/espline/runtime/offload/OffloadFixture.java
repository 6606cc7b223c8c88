package org.espline.runtime.offload;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;

/** SAs, inner packets and a small driver that runs a stage to completion, for the offload tests. */
final class OffloadFixture {
    static final int BATCH = 16;

    private OffloadFixture() {
    }

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    /** The algorithms the tests run every backend with. */
    enum Suite {
        GCM128(EncryptionAlgorithm.AES_GCM, 20, IntegrityAlgorithm.NONE, 0, 16),
        GCM256_ICV8(EncryptionAlgorithm.AES_GCM, 36, IntegrityAlgorithm.NONE, 0, 8),
        CCM128(EncryptionAlgorithm.AES_CCM, 19, IntegrityAlgorithm.NONE, 0, 12),
        CHACHA(EncryptionAlgorithm.CHACHA20_POLY1305, 36, IntegrityAlgorithm.NONE, 0, 16),
        CBC128_SHA1(EncryptionAlgorithm.AES_CBC, 16, IntegrityAlgorithm.HMAC_SHA1_96, 20, -1),
        CBC256_SHA512(EncryptionAlgorithm.AES_CBC, 32, IntegrityAlgorithm.HMAC_SHA512_256, 64, -1),
        GMAC128(EncryptionAlgorithm.AES_GMAC, 20, IntegrityAlgorithm.NONE, 0, 16);

        final EncryptionAlgorithm enc;
        final int encKeyLength;
        final IntegrityAlgorithm integ;
        final int authKeyLength;
        final int icv;

        Suite(EncryptionAlgorithm enc, int encKeyLength, IntegrityAlgorithm integ, int authKeyLength, int icv) {
            this.enc = enc;
            this.encKeyLength = encKeyLength;
            this.integ = integ;
            this.authKeyLength = authKeyLength;
            this.icv = icv;
        }
    }

    /**
     * An SA from 192.0.2.1 to 198.51.100.2 (or IPv6), keys from {@code seed}, starting its outbound counter and its
     * replay window at {@code startSeq} (so a run can cross 2^32).
     */
    static SaConfig sa(Suite s, int spi, SaMode mode, boolean v6, boolean natT, boolean esn, long startSeq, long seed) {
        Random r = new Random(seed);
        byte[] ek = new byte[s.encKeyLength];
        byte[] ak = new byte[s.authKeyLength];
        r.nextBytes(ek);
        r.nextBytes(ak);
        SaConfig.Builder b = SaConfig.builder().name("sa-" + Integer.toHexString(spi))
                .source(addr(v6 ? "2001:db8:ff::1" : "192.0.2.1"))
                .destination(addr(v6 ? "2001:db8:ff::2" : "198.51.100.2"))
                .spi(spi).mode(mode).esn(esn).replayWindow(128)
                .encryption(s.enc, KeyMaterial.of(ek))
                .outboundSequence(startSeq).inboundSequence(startSeq);
        if (s.integ != IntegrityAlgorithm.NONE) {
            b.integrity(s.integ, KeyMaterial.of(ak));
        } else {
            b.icvLength(s.icv);
        }
        if (natT) {
            b.encapsulation(new UdpEncapsulation(4500, 4500, null));
        }
        return b.build();
    }

    /** An IPv4 (or IPv6) UDP packet of {@code payload} bytes, the first four of the payload being {@code id}. */
    static byte[] udp(boolean v6, int payload, int id, boolean ipOptions) {
        return udp(v6, payload, id, ipOptions, false);
    }

    /** The same between the gateways themselves (transport mode's packets carry the SA's addresses). */
    static byte[] udp(boolean v6, int payload, int id, boolean ipOptions, boolean betweenGateways) {
        final int hl = v6 ? 40 : ipOptions ? 24 : 20;
        byte[] p = new byte[hl + 8 + payload];
        new Random(id).nextBytes(p);
        if (v6) {
            p[0] = 0x60;
            p[1] = 0;
            p[2] = 0;
            p[3] = 0;
            put16(p, 4, 8 + payload);
            p[6] = 17;
            p[7] = 64;
            System.arraycopy(addr(betweenGateways ? "2001:db8:ff::1" : "2001:db8:1::10").getAddress(), 0, p, 8, 16);
            System.arraycopy(addr(betweenGateways ? "2001:db8:ff::2" : "2001:db8:2::20").getAddress(), 0, p, 24, 16);
        } else {
            p[0] = (byte) (0x40 | (hl / 4));
            p[1] = 0;
            put16(p, 2, p.length);
            put16(p, 4, id);
            put16(p, 6, 0x4000);
            p[8] = 64;
            p[9] = 17;
            put16(p, 10, 0);
            System.arraycopy(addr(betweenGateways ? "192.0.2.1" : "10.1.0.10").getAddress(), 0, p, 12, 4);
            System.arraycopy(addr(betweenGateways ? "198.51.100.2" : "10.2.0.20").getAddress(), 0, p, 16, 4);
            if (ipOptions) {
                p[20] = 1; // NOP options
                p[21] = 1;
                p[22] = 1;
                p[23] = 0; // end of options
            }
            int sum = 0;
            for (int i = 0; i < hl; i += 2) {
                sum += ((p[i] & 0xFF) << 8) | (p[i + 1] & 0xFF);
            }
            while ((sum >>> 16) != 0) {
                sum = (sum & 0xFFFF) + (sum >>> 16);
            }
            put16(p, 10, ~sum & 0xFFFF);
        }
        put16(p, hl, 40000);
        put16(p, hl + 2, 53);
        put16(p, hl + 4, 8 + payload);
        put16(p, hl + 6, 0); // no UDP checksum (IPv4); the tests do not check it
        if (payload >= 4) {
            put16(p, hl + 8, id >>> 16);
            put16(p, hl + 10, id);
        }
        return p;
    }

    static List<byte[]> traffic(boolean v6, int count, int seed) {
        List<byte[]> l = new ArrayList<>();
        Random r = new Random(seed);
        for (int i = 0; i < count; i++) {
            l.add(udp(v6, 4 + r.nextInt(1400), i, false));
        }
        return l;
    }

    static BufferPool pool(int capacity) {
        return new BufferPool(capacity, 128, 1600, 320, 2);
    }

    static PacketBuffer load(BufferPool pool, byte[] bytes, SecurityAssociation sa) {
        PacketBuffer b = pool.acquire();
        if (b == null) {
            throw new AssertionError("test pool exhausted");
        }
        int at = b.put(bytes.length);
        System.arraycopy(bytes, 0, b.array(), at, bytes.length);
        b.securityAssociation(sa);
        return b;
    }

    /** Loads a packet, or returns what came out; used by {@link #run}. */
    interface Loader {
        PacketBuffer load(int index);
    }

    /**
     * Feeds {@code count} packets through {@code stage} in batches of {@link #BATCH}, as a pipeline does (no input
     * while the stage does not accept it, drained at the end), and returns the bytes of everything that came out,
     * in order, releasing the buffers. {@code flags} receives each output packet's flags.
     */
    static List<byte[]> run(Stage stage, int count, Loader loader, List<Integer> flags) {
        List<byte[]> out = new ArrayList<>();
        PacketBatch in = new PacketBatch(BATCH);
        PacketBatch o = new PacketBatch(BATCH * 4);
        int next = 0;
        long spins = 0;
        while (next < count || stage.inFlight() > 0) {
            if (stage.acceptsInput()) {
                while (next < count && in.size() < BATCH) {
                    in.add(loader.load(next++));
                }
            }
            stage.process(in, o);
            in.clear();
            for (int i = 0; i < o.size(); i++) {
                PacketBuffer p = o.get(i);
                out.add(p.toByteArray());
                if (flags != null) {
                    flags.add(p.flags());
                }
                p.release();
            }
            o.clear();
            if (++spins > 50_000_000L) {
                throw new AssertionError("stage did not drain: inFlight " + stage.inFlight());
            }
            Thread.onSpinWait();
        }
        return out;
    }

    private static void put16(byte[] a, int off, int v) {
        a[off] = (byte) (v >>> 8);
        a[off + 1] = (byte) v;
    }
}
