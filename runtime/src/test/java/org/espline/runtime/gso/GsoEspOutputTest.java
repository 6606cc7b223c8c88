package org.espline.runtime.gso;

import static org.espline.runtime.gso.TcpPackets.ACK;
import static org.espline.runtime.gso.TcpPackets.PSH;
import static org.espline.runtime.gso.TcpPackets.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
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
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.UdpEncapsulation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * GSO super-packet → segments → ESP output without a copy: each segment's payload, a read-only fragment of
 * the super-packet, is encrypted out of place into the segment's own tailroom. No linearisation and no copy
 * is counted, the wire bytes equal those of the old path (the same segment made linear and sealed in place by
 * a twin SA at the same sequence number), the super-packet goes back to its pool exactly when the last
 * segment is sealed, and every ESP packet decrypts to the segment it came from.
 */
class GsoEspOutputTest {
    private static final int MSS = 1360;

    static Stream<Arguments> cases() {
        List<Object[]> algs = List.of(
                new Object[] {"aes-gcm-128/16", EncryptionAlgorithm.AES_GCM, 20, IntegrityAlgorithm.NONE, 16},
                new Object[] {"aes-gcm-128/12", EncryptionAlgorithm.AES_GCM, 20, IntegrityAlgorithm.NONE, 12},
                new Object[] {"aes-gcm-256/8", EncryptionAlgorithm.AES_GCM, 36, IntegrityAlgorithm.NONE, 8},
                new Object[] {"chacha20-poly1305", EncryptionAlgorithm.CHACHA20_POLY1305, 36, IntegrityAlgorithm.NONE, 16},
                new Object[] {"aes-cbc-128+sha1", EncryptionAlgorithm.AES_CBC, 16, IntegrityAlgorithm.HMAC_SHA1_96, -1},
                new Object[] {"aes-cbc-256+sha256", EncryptionAlgorithm.AES_CBC, 32, IntegrityAlgorithm.HMAC_SHA256_128, -1},
                new Object[] {"null+sha256", EncryptionAlgorithm.NULL, 0, IntegrityAlgorithm.HMAC_SHA256_128, -1},
                new Object[] {"aes-ccm-128/16", EncryptionAlgorithm.AES_CCM, 19, IntegrityAlgorithm.NONE, 16},
                new Object[] {"aes-gmac-128", EncryptionAlgorithm.AES_GMAC, 20, IntegrityAlgorithm.NONE, 16});
        List<Arguments> out = new ArrayList<>();
        for (Object[] a : algs) {
            for (SaMode mode : SaMode.values()) {
                for (boolean v6 : new boolean[] {false, true}) {
                    for (boolean udp : new boolean[] {false, true}) {
                        if (udp && v6) {
                            continue; // RFC 3948 is IPv4 only
                        }
                        out.add(Arguments.of(a[0], a[1], a[2], a[3], a[4], mode, v6, udp));
                    }
                }
            }
        }
        return out.stream();
    }

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static SaConfig sa(EncryptionAlgorithm enc, int keyLen, IntegrityAlgorithm integ, int icv, SaMode mode, boolean v6, boolean udp) {
        Random r = new Random(keyLen * 31L + enc.ordinal());
        byte[] ek = new byte[keyLen];
        r.nextBytes(ek);
        boolean transport = mode == SaMode.TRANSPORT;
        SaConfig.Builder b = SaConfig.builder()
                .source(addr(v6 ? (transport ? "2001:db8:1::1" : "2001:db8:ffff::1") : (transport ? "10.1.0.5" : "192.0.2.1")))
                .destination(addr(v6 ? (transport ? "2001:db8:2::2" : "2001:db8:ffff::2") : (transport ? "10.2.0.9" : "198.51.100.2")))
                .spi(0x4242).mode(mode).encryption(enc, KeyMaterial.of(ek)).icvLength(icv).replayWindow(64);
        if (integ != IntegrityAlgorithm.NONE) {
            byte[] ak = new byte[integ.keyLength()];
            r.nextBytes(ak);
            b.integrity(integ, KeyMaterial.of(ak));
        }
        if (udp) {
            b.encapsulation(new UdpEncapsulation(4500, 4500, null));
        }
        return b.build();
    }

    @ParameterizedTest(name = "{0} {5} v6={6} udp={7}")
    @MethodSource("cases")
    void segmentsAreSealedFromTheirFragmentsWithoutACopy(String name, EncryptionAlgorithm enc, int keyLen, IntegrityAlgorithm integ,
                                                         int icv, SaMode mode, boolean v6, boolean udp) {
        SaConfig cfg = sa(enc, keyLen, integ, icv, mode, v6, udp);
        BufferPool big = new BufferPool(2, 128, 65575, 0, 4);
        BufferPool segments = new BufferPool(64, 128, 1500, 64, 4);
        // Payload not a multiple of the MSS: the last segment is short and unaligned.
        byte[] payload = TcpPackets.payload(5 * MSS + 333, 17);
        byte[] superPacket = tcp().v6(v6).flags(ACK | PSH).options(v6 ? new byte[0] : TcpPackets.TS_OPTION).payload(payload).build();
        PacketBuffer p = big.acquire();
        System.arraycopy(superPacket, 0, p.array(), p.put(superPacket.length), superPacket.length);

        PacketBatch batch = new PacketBatch(GsoSegmenter.maxSegments(MSS));
        assertEquals(6, new GsoSegmenter(MSS, segments).segment(p, batch));
        assertEquals(1, big.outstanding());

        SecurityAssociation tx = new SecurityAssociation(cfg);
        SecurityAssociation twin = new SecurityAssociation(cfg);
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(cfg));
        XfrmStats stats = new XfrmStats();
        EspOutput out = new EspOutput(stats);
        EspOutput oldPath = new EspOutput(new XfrmStats());
        EspInput in = new EspInput(sad, stats);
        for (int i = 0; i < batch.size(); i++) {
            PacketBuffer s = batch.get(i);
            assertFalse(s.isLinear(), "segment " + i + " carries its payload as a fragment");
            byte[] plain = s.toByteArray();
            byte[] array = s.array();

            assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(s, tx), name + " segment " + i);
            assertTrue(s.isLinear(), "the fragment is dropped, the trailer went into tailroom");
            assertEquals(array, s.array(), "sealed in the segment's own buffer");
            assertEquals(i == batch.size() - 1 ? 0 : 1, big.outstanding(),
                    "the super-packet is held until the last segment is sealed, then released");
            byte[] wire = s.toByteArray();

            // The old path: the same segment made contiguous, sealed in place at the same sequence number.
            PacketBuffer linear = PacketBuffer.copyOf(plain, 0, plain.length, 128, 512, 1, new BufferStats());
            assertEquals(XfrmCounter.EsplineOutDelivered, oldPath.encapsulate(linear, twin));
            assertEquals(linear.sequenceNumber(), s.sequenceNumber());
            assertArrayEquals(linear.toByteArray(), wire, name + " segment " + i + ": wire bytes as before");

            PacketBuffer rx = segments.acquire();
            System.arraycopy(wire, 0, rx.array(), rx.put(wire.length), wire.length);
            assertEquals(XfrmCounter.EsplineInDelivered, in.decapsulate(rx), name + " segment " + i);
            assertArrayEquals(plain, rx.toByteArray(), "decrypts to the segment");
            assertTrue(TcpPackets.checksumsValid(rx.toByteArray()));
            rx.release();
        }
        batch.releaseAll();
        assertEquals(0, big.outstanding());
        assertEquals(0, segments.outstanding());
        for (BufferStats bs : List.of(segments.stats(), big.stats())) {
            assertEquals(0, bs.copies.sum(), "copies");
            assertEquals(0, bs.linearisations.sum(), "linearisations");
            assertEquals(0, bs.trailerFragments.sum(), "trailerFragments");
        }
        assertEquals(0, stats.totalDrops());
    }

    /** Tailroom for the payload but not for trailer + ICV: the trailer takes the slot the fragment left, still no copy. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void withoutRoomForTheTrailerItGoesIntoTheFreedFragmentSlot(String name, EncryptionAlgorithm enc, int keyLen,
                                                                IntegrityAlgorithm integ, int icv, SaMode mode, boolean v6, boolean udp) {
        if (mode != SaMode.TUNNEL || udp) {
            return; // the room arithmetic is the same in every mode; one mode keeps the matrix short
        }
        SaConfig cfg = sa(enc, keyLen, integ, icv, mode, v6, udp);
        int headers = v6 ? 60 : 52;
        BufferPool big = new BufferPool(2, 128, 65575, 0, 4);
        // Exactly headers + MSS per buffer: no tailroom behind a full segment.
        BufferPool segments = new BufferPool(16, 128, headers + MSS, 0, 1);
        byte[] payload = TcpPackets.payload(3 * MSS, 5);
        byte[] superPacket = tcp().v6(v6).options(v6 ? new byte[0] : TcpPackets.TS_OPTION).payload(payload).build();
        PacketBuffer p = big.acquire();
        System.arraycopy(superPacket, 0, p.array(), p.put(superPacket.length), superPacket.length);
        PacketBatch batch = new PacketBatch(GsoSegmenter.maxSegments(MSS));
        assertEquals(3, new GsoSegmenter(MSS, segments).segment(p, batch));
        SecurityAssociation tx = new SecurityAssociation(cfg);
        SecurityAssociation twin = new SecurityAssociation(cfg);
        EspOutput out = new EspOutput(new XfrmStats());
        EspOutput oldPath = new EspOutput(new XfrmStats());
        for (int i = 0; i < 3; i++) {
            PacketBuffer s = batch.get(i);
            byte[] plain = s.toByteArray();
            assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(s, tx));
            assertEquals(1, s.fragmentCount(), "trailer + ICV in the fragment slot");
            assertEquals(null, s.fragmentOwner(0));
            PacketBuffer linear = PacketBuffer.copyOf(plain, 0, plain.length, 128, 512, 1, new BufferStats());
            oldPath.encapsulate(linear, twin);
            assertArrayEquals(linear.toByteArray(), s.toByteArray(), name + " segment " + i);
        }
        assertEquals(0, big.outstanding(), "released once every segment was sealed");
        batch.releaseAll();
        assertEquals(0, segments.outstanding());
        assertEquals(0, segments.stats().copies.sum());
        assertEquals(0, segments.stats().linearisations.sum());
        assertEquals(3, segments.stats().trailerFragments.sum());
    }

    @Test
    void aSharedSegmentOrOneWithoutTailroomForItsPayloadIsLinearisedAndCounted() {
        SaConfig cfg = sa(EncryptionAlgorithm.AES_GCM, 20, IntegrityAlgorithm.NONE, 16, SaMode.TUNNEL, false, false);
        BufferPool big = new BufferPool(2, 128, 65575, 0, 4);
        // Room for the headers only: the payload cannot be encrypted into this buffer.
        BufferPool small = new BufferPool(8, 128, 100, 0, 2);
        byte[] superPacket = tcp().payload(TcpPackets.payload(2 * MSS, 3)).build();
        PacketBuffer p = big.acquire();
        System.arraycopy(superPacket, 0, p.array(), p.put(superPacket.length), superPacket.length);
        PacketBatch batch = new PacketBatch(GsoSegmenter.maxSegments(MSS));
        assertEquals(2, new GsoSegmenter(MSS, small).segment(p, batch));
        PacketBuffer tap = batch.get(1).cloneShared();
        EspOutput out = new EspOutput(new XfrmStats());
        SecurityAssociation tx = new SecurityAssociation(cfg);
        assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(batch.get(0), tx));
        assertEquals(XfrmCounter.EsplineOutDelivered, out.encapsulate(batch.get(1), tx));
        assertEquals(2, small.stats().linearisations.sum(), "one counted linearisation per segment");
        tap.release();
        batch.releaseAll();
        assertEquals(0, big.outstanding());
        assertEquals(0, small.outstanding());
    }

    @Test
    void perMillionPacketsReport() {
        BufferStats s = new BufferStats();
        s.copies.add(3);
        s.linearisations.add(1);
        assertEquals(1.5, BufferStats.perMillion(3, 2_000_000));
        assertEquals(0, BufferStats.perMillion(3, 0));
        assertEquals("1.5 copies, 0.5 linearisations, 0.0 trailer fragments per million packets (2000000 packets)",
                s.perMillionPackets(2_000_000));
    }
}
