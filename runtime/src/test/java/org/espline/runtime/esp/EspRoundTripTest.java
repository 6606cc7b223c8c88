package org.espline.runtime.esp;

import static org.espline.runtime.esp.EspTestPackets.cbcSha256;
import static org.espline.runtime.esp.EspTestPackets.gcm;
import static org.espline.runtime.esp.EspTestPackets.natT;
import static org.espline.runtime.esp.EspTestPackets.udp4;
import static org.espline.runtime.esp.EspTestPackets.udp6;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.BufferStats;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.espline.runtime.header.Ipv4Header;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * ESP output followed by ESP input restores every packet byte for byte, for every algorithm, mode,
 * family, encapsulation and ESN setting; and the wire format has the RFC 4303 shape (lengths,
 * padding alignment, sequence numbers). Independent interop (scapy, tshark, RFC vectors) lives in the
 * CLI and crypto tests; this test pins the runtime's own paths, including the zero-copy ones.
 */
class EspRoundTripTest {

    static Stream<Arguments> algorithms() {
        Random r = new Random(1);
        List<Arguments> l = new ArrayList<>();
        l.add(Arguments.of("aes-gcm-128/16", EncryptionAlgorithm.AES_GCM, 20, IntegrityAlgorithm.NONE, 0, 16));
        l.add(Arguments.of("aes-gcm-256/8", EncryptionAlgorithm.AES_GCM, 36, IntegrityAlgorithm.NONE, 0, 8));
        l.add(Arguments.of("aes-ccm-128/12", EncryptionAlgorithm.AES_CCM, 19, IntegrityAlgorithm.NONE, 0, 12));
        l.add(Arguments.of("chacha20-poly1305", EncryptionAlgorithm.CHACHA20_POLY1305, 36, IntegrityAlgorithm.NONE, 0, 16));
        l.add(Arguments.of("aes-gmac-128", EncryptionAlgorithm.AES_GMAC, 20, IntegrityAlgorithm.NONE, 0, 16));
        l.add(Arguments.of("aes-cbc-128+sha1", EncryptionAlgorithm.AES_CBC, 16, IntegrityAlgorithm.HMAC_SHA1_96, 20, -1));
        l.add(Arguments.of("aes-cbc-256+sha512", EncryptionAlgorithm.AES_CBC, 32, IntegrityAlgorithm.HMAC_SHA512_256, 64, -1));
        l.add(Arguments.of("null+sha256", EncryptionAlgorithm.NULL, 0, IntegrityAlgorithm.HMAC_SHA256_128, 32, -1));
        List<Arguments> out = new ArrayList<>();
        for (Arguments a : l) {
            for (SaMode mode : SaMode.values()) {
                for (boolean v6 : new boolean[] {false, true}) {
                    for (boolean encap : new boolean[] {false, true}) {
                        if (encap && v6) {
                            continue;
                        }
                        for (boolean esn : new boolean[] {false, true}) {
                            Object[] x = a.get();
                            out.add(Arguments.of(x[0], x[1], x[2], x[3], x[4], x[5], mode, v6, encap, esn, r.nextLong()));
                        }
                    }
                }
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {6} v6={7} udp={8} esn={9}")
    @MethodSource("algorithms")
    void roundTripRestoresEveryPacket(String name, EncryptionAlgorithm enc, int encKeyLen, IntegrityAlgorithm integ,
                                      int authKeyLen, int icv, SaMode mode, boolean v6, boolean encap, boolean esn, long seed) {
        Random r = new Random(seed);
        byte[] ek = new byte[encKeyLen];
        byte[] ak = new byte[authKeyLen];
        r.nextBytes(ek);
        r.nextBytes(ak);
        SaConfig.Builder b = gcm(v6, mode).encryption(enc, KeyMaterial.of(ek)).icvLength(icv).esn(esn);
        if (integ != IntegrityAlgorithm.NONE) {
            b.integrity(integ, KeyMaterial.of(ak));
        }
        if (encap) {
            b.encapsulation(natT());
        }
        if (esn) {
            // Start just below 2^32 so the run crosses into the next subspace on both sides.
            b.outboundSequence(0xFFFF_FFF0L).inboundSequence(0xFFFF_FFF0L);
        }
        SaConfig cfg = b.build();
        SecurityAssociation tx = new SecurityAssociation(cfg);
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        XfrmStats stats = new XfrmStats();
        EspOutput out = new EspOutput(stats);
        EspInput in = new EspInput(sad, stats);
        BufferPool pool = new BufferPool(4, 128, 2048, 320, 1);

        int[] sizes = {0, 1, 2, 3, 15, 16, 17, 31, 100, 512, 1400};
        for (int i = 0; i < sizes.length * 2; i++) {
            byte[] plain = v6 ? udp6(sizes[i % sizes.length], seed + i) : udp4(sizes[i % sizes.length], seed + i);
            PacketBuffer buf = pool.acquire();
            System.arraycopy(plain, 0, buf.array(), buf.put(plain.length), plain.length);
            assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(buf, tx));
            byte[] wire = buf.toByteArray();
            long seq = buf.sequenceNumber();
            assertWireShape(wire, cfg, plain.length, seq);
            buf.release();

            PacketBuffer rx = pool.acquire();
            System.arraycopy(wire, 0, rx.array(), rx.put(wire.length), wire.length);
            assertEquals(XfrmCounter.EsplineInDelivered, in.decapsulate(rx), "packet " + i);
            assertArrayEquals(plain, rx.toByteArray(), "packet " + i + " size " + plain.length);
            assertEquals(seq, rx.sequenceNumber());
            rx.release();
        }
        assertEquals(sizes.length * 2, stats.get(XfrmCounter.EsplineInDelivered));
        assertEquals(0, stats.totalDrops());
        assertEquals(0, pool.outstanding());
        assertEquals(0, pool.stats().copies.sum(), "no copies with enough head- and tailroom");
        if (esn) {
            assertTrue(tx.outboundSequence() > 0xFFFF_FFFFL, "ESN run crossed 2^32");
        }
    }

    /** Checks the outer shape: IP lengths, protocol, SPI, low sequence bits, 4-byte alignment. */
    private static void assertWireShape(byte[] w, SaConfig cfg, int plainLen, long seq) {
        boolean v6 = cfg.isIpv6();
        int ipHdr = v6 ? 40 : (w[0] & 0x0F) * 4;
        if (v6) {
            assertEquals(6, (w[0] & 0xFF) >>> 4);
            assertEquals(w.length - 40, ((w[4] & 0xFF) << 8) | (w[5] & 0xFF));
        } else {
            assertEquals(4, (w[0] & 0xFF) >>> 4);
            assertEquals(w.length, ((w[2] & 0xFF) << 8) | (w[3] & 0xFF));
            assertTrue(new Ipv4Header().wrap(w, 0).isChecksumValid(), "outer IPv4 header checksum");
        }
        int proto = v6 ? w[6] : w[9];
        int esp = ipHdr;
        if (cfg.encapsulation() != null) {
            assertEquals(17, proto);
            assertEquals(4500, ((w[esp] & 0xFF) << 8) | (w[esp + 1] & 0xFF));
            assertEquals(w.length - ipHdr, ((w[esp + 4] & 0xFF) << 8) | (w[esp + 5] & 0xFF));
            esp += 8;
        } else {
            assertEquals(50, proto);
        }
        assertEquals(cfg.spi(), ((w[esp] & 0xFF) << 24) | ((w[esp + 1] & 0xFF) << 16) | ((w[esp + 2] & 0xFF) << 8) | (w[esp + 3] & 0xFF));
        assertEquals((int) seq, ((w[esp + 4] & 0xFF) << 24) | ((w[esp + 5] & 0xFF) << 16) | ((w[esp + 6] & 0xFF) << 8) | (w[esp + 7] & 0xFF));
        int espLen = w.length - esp;
        assertEquals(0, espLen % 4, "ESP packet 4-byte aligned (RFC 4303 §2.4)");
        assertTrue(espLen > plainLen - (cfg.mode() == SaMode.TRANSPORT ? ipHdr : 0));
    }

    /**
     * The tunnel's outer IPv4 checksum is summed from the fields ESP output writes rather than read back: it must be
     * the checksum of the header on the wire for any inner TOS, with and without DF, and for IDs (the sequence
     * number's low bits) on both sides of 0xFFFF, and over ESP-in-UDP too.
     */
    @ParameterizedTest(name = "tos={0} df={1} udp={2}")
    @CsvSource({"0, true, false", "184, false, false", "255, true, true", "3, false, true"})
    void outerIpv4ChecksumIsTheHeadersForAnyTosFlagsAndId(int tos, boolean df, boolean udp) {
        SaConfig.Builder b = EspTestPackets.gcm(false, SaMode.TUNNEL).outboundSequence(0xFFF0);
        if (udp) {
            b.encapsulation(natT());
        }
        SecurityAssociation sa = new SecurityAssociation(b.build());
        EspOutput out = new EspOutput(new XfrmStats());
        BufferPool pool = new BufferPool(4, 128, 2048, 320, 1);
        Ipv4Header h = new Ipv4Header();
        for (int i = 0; i < 40; i++) {
            byte[] inner = EspTestPackets.udp4(100 + i, i);
            inner[1] = (byte) tos;
            inner[6] = (byte) (df ? 0x40 : 0);
            h.wrap(inner, 0).updateChecksum();
            PacketBuffer buf = pool.acquire();
            System.arraycopy(inner, 0, buf.array(), buf.put(inner.length), inner.length);
            assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(buf, sa));
            byte[] w = buf.toByteArray();
            h.wrap(w, 0);
            assertEquals(tos, h.tos(), "RFC 6040: the inner TOS");
            assertEquals(df, (h.flagsAndFragmentOffset() & Ipv4Header.FLAG_DF) != 0, "DF copied");
            assertEquals((0xFFF1 + i) & 0xFFFF, h.identification(), "ID from the sequence number");
            assertTrue(h.isChecksumValid(), "packet " + i + ": outer IPv4 header checksum");
            buf.release();
        }
    }

    @Test
    void trailerGoesIntoAFragmentSlotWhenTailroomIsShort() {
        SaConfig cfg = gcm(false, SaMode.TUNNEL).build();
        byte[] plain = udp4(300, 5);

        // Reference: plenty of tailroom.
        BufferStats stats = new BufferStats();
        PacketBuffer roomy = PacketBuffer.copyOf(plain, 0, plain.length, 128, 64, 1, stats);
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(roomy, new SecurityAssociation(cfg)));
        assertTrue(roomy.isLinear());

        // No tailroom, one free fragment slot: the trailer + ICV become a fragment, nothing is copied.
        PacketBuffer tight = PacketBuffer.copyOf(plain, 0, plain.length, 128, 0, 1, stats);
        byte[] before = tight.array();
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(tight, new SecurityAssociation(cfg)));
        assertEquals(1, tight.fragmentCount());
        assertEquals(before, tight.array(), "payload stayed in its array");
        assertEquals(0, stats.copies.sum());
        assertEquals(0, stats.linearisations.sum());
        assertEquals(1, stats.trailerFragments.sum());
        assertArrayEquals(roomy.toByteArray(), tight.toByteArray(), "same wire bytes as the linear path");
    }

    @Test
    void trailerFragmentIsByteIdenticalForEveryAlgorithm() {
        byte[] plain = udp4(777, 9);
        for (SaConfig cfg : List.of(gcm(false, SaMode.TUNNEL).build(), cbcSha256(false, SaMode.TUNNEL).build(),
                gcm(false, SaMode.TRANSPORT).encryption(EncryptionAlgorithm.CHACHA20_POLY1305, KeyMaterial.of(new byte[36])).build(),
                gcm(false, SaMode.TRANSPORT).encryption(EncryptionAlgorithm.AES_CCM, KeyMaterial.of(new byte[19])).icvLength(8).build())) {
            BufferStats stats = new BufferStats();
            PacketBuffer roomy = PacketBuffer.copyOf(plain, 0, plain.length, 128, 64, 1, stats);
            PacketBuffer tight = PacketBuffer.copyOf(plain, 0, plain.length, 128, 0, 1, stats);
            new EspOutput(new XfrmStats()).encapsulate(roomy, new SecurityAssociation(cfg));
            new EspOutput(new XfrmStats()).encapsulate(tight, new SecurityAssociation(cfg));
            assertEquals(1, tight.fragmentCount(), cfg.toString());
            assertArrayEquals(roomy.toByteArray(), tight.toByteArray(), cfg.toString());
        }
    }

    @Test
    void noTailroomAndNoFreeSlotCostsExactlyOneCopy() {
        SaConfig cfg = gcm(false, SaMode.TUNNEL).build();
        byte[] plain = udp4(300, 5);
        BufferStats stats = new BufferStats();
        PacketBuffer buf = PacketBuffer.copyOf(plain, 0, plain.length, 128, 0, 0, stats);
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(buf, new SecurityAssociation(cfg)));
        assertEquals(1, stats.copies.sum());
        assertTrue(buf.isLinear());
    }

    @Test
    void sharedBufferIsCopiedOnceAndTheCloneKeepsThePlaintext() {
        SaConfig cfg = gcm(false, SaMode.TUNNEL).build();
        byte[] plain = udp4(200, 6);
        BufferStats stats = new BufferStats();
        PacketBuffer buf = PacketBuffer.copyOf(plain, 0, plain.length, 128, 64, 1, stats);
        PacketBuffer tap = buf.cloneShared();
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(buf, new SecurityAssociation(cfg)));
        assertEquals(1, stats.copies.sum());
        assertArrayEquals(plain, tap.toByteArray(), "the clone (e.g. a tap) still sees the plaintext");
        assertNotEquals(buf.array(), tap.array());
    }

    @Test
    void writableBufferIsNeverCopied() {
        SaConfig cfg = cbcSha256(true, SaMode.TRANSPORT).build();
        BufferPool pool = new BufferPool(1, 128, 2048, 320, 1);
        SecurityAssociation tx = new SecurityAssociation(cfg);
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        EspOutput out = new EspOutput(new XfrmStats());
        EspInput in = new EspInput(sad, new XfrmStats());
        for (int i = 0; i < 100; i++) {
            byte[] plain = udp6(i * 13, i);
            PacketBuffer b = pool.acquire();
            System.arraycopy(plain, 0, b.array(), b.put(plain.length), plain.length);
            byte[] array = b.array();
            assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(b, tx));
            assertEquals(XfrmCounter.EsplineInDelivered, in.decapsulate(b));
            assertEquals(array, b.array());
            assertArrayEquals(plain, b.toByteArray());
            b.release();
        }
        assertEquals(0, pool.stats().copies.sum());
        assertEquals(0, pool.stats().linearisations.sum());
    }

    @Test
    void ipv6TransportModeKeepsHopByHopInFrontAndProtectsDestinationOptions() {
        // IPv6 | Hop-by-Hop (8) | Destination Options (8) | UDP: ESP goes after Hop-by-Hop (RFC 4303 §3.1.1).
        byte[] udp = udp6(40, 11);
        byte[] p = new byte[udp.length + 16];
        System.arraycopy(udp, 0, p, 0, 40);
        p[6] = 0; // next header: Hop-by-Hop
        p[40] = 60; // HBH -> Destination Options
        p[41] = 0;
        p[42] = 1; // PadN option filling the header
        p[43] = 4;
        p[48] = 17; // DstOpts -> UDP
        p[49] = 0;
        p[50] = 1;
        p[51] = 4;
        System.arraycopy(udp, 40, p, 56, udp.length - 40);
        p[4] = (byte) ((p.length - 40) >>> 8);
        p[5] = (byte) (p.length - 40);

        SaConfig cfg = gcm(true, SaMode.TRANSPORT).build();
        PacketBuffer b = PacketBuffer.copyOf(p, 0, p.length, 128, 64, 1, new BufferStats());
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(b, new SecurityAssociation(cfg)));
        byte[] w = b.toByteArray();
        assertEquals(0, w[6], "fixed header still names Hop-by-Hop");
        assertEquals(50, w[40], "Hop-by-Hop now names ESP");
        assertEquals(cfg.spi(), ((w[48] & 0xFF) << 24) | ((w[49] & 0xFF) << 16) | ((w[50] & 0xFF) << 8) | (w[51] & 0xFF),
                "ESP header right after the 8-byte Hop-by-Hop header");

        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        assertEquals(XfrmCounter.EsplineInDelivered, new EspInput(sad, new XfrmStats()).decapsulate(b));
        assertArrayEquals(p, b.toByteArray());
    }

    @Test
    void tfcPaddingIsAddedAndRemovedInTunnelMode() {
        SaConfig cfg = gcm(false, SaMode.TUNNEL).tfcPadTo(1000).build();
        byte[] plain = udp4(10, 3);
        PacketBuffer b = PacketBuffer.copyOf(plain, 0, plain.length, 128, 1200, 1, new BufferStats());
        assertEquals(XfrmCounter.EsplineOutDelivered, new EspOutput(new XfrmStats()).encapsulate(b, new SecurityAssociation(cfg)));
        assertTrue(b.length() >= 20 + 8 + 8 + 1000 + 2 + 16, "padded to the TFC size");
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        assertEquals(XfrmCounter.EsplineInDelivered, new EspInput(sad, new XfrmStats()).decapsulate(b));
        assertArrayEquals(plain, b.toByteArray());
        assertFalse(b.length() > plain.length);
    }
}
