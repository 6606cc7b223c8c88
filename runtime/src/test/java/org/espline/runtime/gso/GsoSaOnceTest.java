package org.espline.runtime.gso;

import static org.espline.runtime.gso.TcpPackets.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;

/**
 * ESP GSO does the SA's shared work once per super-packet: GsoStage reserves the segments' sequence numbers in one step
 * and accounts them against the lifetimes, each segment carries its number to ESP output, and the wire is what the
 * per-segment path makes (numbers 1..n in order, each ESP packet decrypting to its segment). A super-packet the SA
 * cannot take whole is dropped once, under the reason. With the benchmark-only null transform a segment's payload
 * never moves: it stays in the super-packet's memory and the trailer goes into the spare fragment slot.
 */
class GsoSaOnceTest {
    private static final int MSS = 1000;

    private final BufferPool big = new BufferPool(8, 64, 65575, 0, 4);
    private final BufferPool segments = new BufferPool(256, 128, 1500, 64, 4);
    private final XfrmStats stats = new XfrmStats();

    private static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static SaConfig.Builder tunnel() {
        return SaConfig.builder().spi(0x5151).mode(SaMode.TUNNEL)
                .source(addr("192.0.2.1")).destination(addr("198.51.100.2")).replayWindow(64);
    }

    private static SaConfig gcm(Lifetime hard) {
        byte[] key = new byte[20];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i * 7 + 3);
        }
        return tunnel().encryption(EncryptionAlgorithm.AES_GCM, KeyMaterial.of(key)).icvLength(16).hardLifetime(hard).build();
    }

    private PacketBuffer superPacket(int payload, SecurityAssociation sa) {
        byte[] pkt = tcp().payload(TcpPackets.payload(payload, 5)).build();
        PacketBuffer b = big.acquire();
        System.arraycopy(pkt, 0, b.array(), b.put(pkt.length), pkt.length);
        b.securityAssociation(sa);
        return b;
    }

    /** The segments plain GSO makes of the same super-packet (no SA: nothing reserved), as bytes. */
    private List<byte[]> plainSegments(int payload) {
        PacketBuffer p = superPacket(payload, null);
        PacketBatch out = new PacketBatch(GsoSegmenter.maxSegments(MSS));
        new GsoSegmenter(MSS, segments).segment(p, out);
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            bytes.add(out.get(i).toByteArray());
        }
        out.releaseAll();
        return bytes;
    }

    private PacketBatch gsoThenEncrypt(PacketBuffer p, GsoStage gso, EncryptStage encrypt, boolean checkReserved,
                                       SecurityAssociation sa, long before) {
        PacketBatch in = new PacketBatch(1);
        PacketBatch cut = new PacketBatch(gso.maxOutputPerInput());
        in.add(p);
        gso.process(in, cut);
        if (checkReserved) {
            assertEquals(before + cut.size(), sa.outboundSequence(), "all numbers taken in one step, before any is sealed");
            for (int i = 0; i < cut.size(); i++) {
                assertTrue(cut.get(i).hasFlag(PacketBuffer.FLAG_SEQUENCE_RESERVED));
                assertEquals(before + 1 + i, cut.get(i).sequenceNumber());
            }
        }
        PacketBatch sealed = new PacketBatch(Math.max(1, cut.size()));
        encrypt.process(cut, sealed);
        return sealed;
    }

    @Test
    void sequenceNumbersAreReservedOncePerSuperPacketAndSealedInOrder() {
        SecurityAssociation sa = new SecurityAssociation(gcm(Lifetime.UNLIMITED));
        List<byte[]> expected = plainSegments(4500);
        GsoStage gso = new GsoStage(MSS, segments, stats);
        EncryptStage encrypt = new EncryptStage(stats);
        PacketBatch sealed = gsoThenEncrypt(superPacket(4500, sa), gso, encrypt, true, sa, 0);
        assertEquals(5, sealed.size());
        assertEquals(5, sa.packets());
        long bytes = 0;
        for (byte[] s : expected) {
            bytes += s.length;
        }
        assertEquals(bytes, sa.bytes(), "lifetime accounting: every segment's inner bytes, once");
        assertEquals(5, stats.get(XfrmCounter.EsplineOutDelivered));
        assertEquals(5, sa.stats().get(XfrmCounter.EsplineOutDelivered));

        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(gcm(Lifetime.UNLIMITED)));
        EspInput in = new EspInput(sad, new XfrmStats());
        for (int i = 0; i < sealed.size(); i++) {
            PacketBuffer s = sealed.get(i);
            assertFalse(s.hasFlag(PacketBuffer.FLAG_SEQUENCE_RESERVED), "the mark is used up by ESP output");
            assertEquals(i + 1, s.sequenceNumber());
            s.linearise();
            assertEquals(XfrmCounter.EsplineInDelivered, in.decapsulate(s));
            assertArrayEquals(expected.get(i), s.toByteArray(), "segment " + i);
        }
        sealed.releaseAll();
        assertEquals(0, big.outstanding());
        assertEquals(0, segments.outstanding());
    }

    @Test
    void aSuperPacketPastTheHardLifetimeIsDroppedOnceUnderItsReason() {
        SecurityAssociation sa = new SecurityAssociation(gcm(Lifetime.UNLIMITED.withPackets(3)));
        GsoStage gso = new GsoStage(MSS, segments, stats);
        PacketBatch sealed = gsoThenEncrypt(superPacket(4500, sa), gso, new EncryptStage(stats), false, sa, 0);
        assertEquals(0, sealed.size());
        assertEquals(1, stats.get(XfrmCounter.XfrmOutStateExpired), "one super-packet, one drop");
        assertEquals(0, stats.get(XfrmCounter.EsplineOutDelivered));
        assertEquals(0, big.outstanding());
        assertEquals(0, segments.outstanding());
    }

    @Test
    void sequenceNumbersContinueAcrossSuperPacketsAndPlainPackets() {
        SecurityAssociation sa = new SecurityAssociation(gcm(Lifetime.UNLIMITED));
        GsoStage gso = new GsoStage(MSS, segments, stats);
        EncryptStage encrypt = new EncryptStage(stats);
        gsoThenEncrypt(superPacket(2500, sa), gso, encrypt, true, sa, 0).releaseAll();
        PacketBatch small = gsoThenEncrypt(superPacket(500, sa), gso, encrypt, false, sa, 3);
        assertEquals(1, small.size());
        assertEquals(4, small.get(0).sequenceNumber(), "a packet GSO passes takes its number in ESP output");
        small.releaseAll();
        PacketBatch again = gsoThenEncrypt(superPacket(1500, sa), gso, encrypt, true, sa, 4);
        assertEquals(5, again.get(0).sequenceNumber());
        assertEquals(6, again.get(1).sequenceNumber());
        again.releaseAll();
    }

    @Test
    void withTheNullTransformTheSegmentPayloadStaysInTheSuperPacket() {
        SaConfig nul = tunnel().encryption(EncryptionAlgorithm.NULL, KeyMaterial.of(new byte[0]))
                .benchmarkOnlyNullWithoutIntegrity(true).build();
        SecurityAssociation sa = new SecurityAssociation(nul);
        List<byte[]> expected = plainSegments(4500);
        segments.stats().reset();
        PacketBatch sealed = gsoThenEncrypt(superPacket(4500, sa), new GsoStage(MSS, segments, stats), new EncryptStage(stats),
                true, sa, 0);
        assertEquals(5, sealed.size());
        assertEquals(0, segments.stats().copies.sum());
        assertEquals(0, segments.stats().linearisations.sum());
        assertEquals(1, big.outstanding(), "the segments still read the super-packet");
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(nul));
        EspInput in = new EspInput(sad, new XfrmStats());
        for (int i = 0; i < sealed.size(); i++) {
            PacketBuffer s = sealed.get(i);
            assertEquals(2, s.fragmentCount(), "payload piece and trailer");
            byte[] wire = s.toByteArray();
            // Outer IPv4 (20) + ESP header (8), then the segment, then padding, pad length and next header 4 (IPv4).
            byte[] inner = java.util.Arrays.copyOfRange(wire, 28, 28 + expected.get(i).length);
            assertArrayEquals(expected.get(i), inner, "segment " + i + " on the wire");
            assertEquals(4, wire[wire.length - 1]);
            assertEquals(0x5151, ((wire[20] & 0xFF) << 24 | (wire[21] & 0xFF) << 16 | (wire[22] & 0xFF) << 8 | (wire[23] & 0xFF)));
            s.linearise();
            assertEquals(XfrmCounter.EsplineInDelivered, in.decapsulate(s));
            assertArrayEquals(expected.get(i), s.toByteArray());
        }
        sealed.releaseAll();
        assertEquals(0, big.outstanding());
        assertEquals(0, segments.outstanding());
    }
}
