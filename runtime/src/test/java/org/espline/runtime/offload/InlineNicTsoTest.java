package org.espline.runtime.offload;

import static org.espline.runtime.offload.TsoHarness.drive;
import static org.espline.runtime.offload.TsoHarness.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.offload.OffloadFixture.Suite;
import org.espline.runtime.offload.TsoHarness.Send;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The inline NIC's TSO against the software path it replaces: the same super-packets through {@code gso} +
 * {@code encrypt} (software) and through a handing-through {@code gso} + {@code encrypt offload} on a TSO NIC, from
 * the same SA state, must give the same wire bytes in the same order, take the same sequence numbers (one per
 * segment), lose nothing (pool balance), and fall back to the software cut where the NIC does not take a
 * super-packet whole.
 */
class InlineNicTsoTest {
    private static final int MSS = 1400;
    /** Exact multiples of the MSS, others not, one below it (not a super-packet), one near 64 KiB. */
    private static final int[] SIZES = {2 * MSS, 10_001, 1000, 4 * MSS, 20_000, 60_000, 4321};

    private static InlineNic nic(boolean tso, int threads) {
        return new InlineNic("nic0", OffloadKind.CRYPTO,
                OffloadCapabilities.unlimited().withTso(tso).withIpOptions(false), threads, 2);
    }

    private static List<Send> traffic(SecurityAssociation sa, boolean v6, boolean ipOptions) {
        List<Send> l = new ArrayList<>();
        int tcpSeq = 1000;
        for (int i = 0; i < SIZES.length; i++) {
            l.add(new Send(tcp(v6, SIZES[i], tcpSeq, 0x100 + i, ipOptions), sa));
            tcpSeq += SIZES[i];
        }
        return l;
    }

    private static int segments(int payload) {
        return payload <= MSS ? 1 : (payload + MSS - 1) / MSS;
    }

    private static int totalSegments() {
        int n = 0;
        for (int s : SIZES) {
            n += segments(s);
        }
        return n;
    }

    /** The reference: software GSO and software ESP on the pipeline thread. */
    private static List<byte[]> software(SaConfig cfg, boolean v6, boolean ipOptions, SecurityAssociation[] out) {
        BufferPool pool = TsoHarness.pool();
        XfrmStats stats = new XfrmStats();
        SecurityAssociation sa = new SecurityAssociation(cfg);
        List<byte[]> wire = drive(new GsoStage(MSS, pool, stats), new EncryptStage(stats), pool, traffic(sa, v6, ipOptions), null);
        assertEquals(0, pool.outstanding(), "software path leaks buffers");
        assertEquals(0, stats.totalDrops(), () -> "software path drops: " + stats);
        out[0] = sa;
        return wire;
    }

    private static void assertSameWire(List<byte[]> expected, List<byte[]> actual) {
        assertEquals(expected.size(), actual.size(), "packets on the wire");
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "packet " + i + " differs");
        }
    }

    @ParameterizedTest(name = "{0} inner v6={1} esn={2} start={3}")
    @CsvSource({
            "GCM128, false, false, 0",
            "GCM128, true, false, 0",
            "GCM128, false, true, 4294967290",
            "GCM128, true, true, 4294967290",
            "CBC128_SHA1, false, true, 4294967293",
            "CHACHA, true, false, 7",
            "CCM128, false, false, 0"})
    void wireBytesAreTheSoftwareGsoAndEncryptPathsAndSequenceNumbersAdvanceBySegments(Suite suite, boolean v6, boolean esn,
                                                                                       long start) {
        SaConfig cfg = OffloadFixture.sa(suite, 0x5001, SaMode.TUNNEL, false, false, esn, start, 42);
        SecurityAssociation[] ref = new SecurityAssociation[1];
        List<byte[]> expected = software(cfg, v6, false, ref);

        BufferPool pool = TsoHarness.pool();
        XfrmStats stats = new XfrmStats();
        SecurityAssociation sa = new SecurityAssociation(cfg);
        List<Integer> flags = new ArrayList<>();
        try (InlineNic nic = nic(true, 2)) {
            assertEquals(AddResult.OFFLOADED, nic.addState(sa));
            GsoStage gso = GsoStage.handingThrough(MSS, pool, stats);
            OffloadEncryptStage encrypt = new OffloadEncryptStage(nic, stats, pool, MSS);
            List<byte[]> actual = drive(gso, encrypt, pool, traffic(sa, v6, false), flags);

            assertSameWire(expected, actual);
            long supers = java.util.Arrays.stream(SIZES).filter(s -> s > MSS).count();
            assertEquals(supers, gso.handedThrough(), "super-packets handed through whole");
            assertEquals(0, gso.segmented(), "the pipeline's GSO stage cut nothing");
            assertEquals(supers, encrypt.superPacketsToDevice());
            assertEquals(0, encrypt.superPacketsCutHere());
            assertEquals(start + totalSegments(), sa.outboundSequence(), "one sequence number per segment");
            assertEquals(ref[0].outboundSequence(), sa.outboundSequence());
            assertEquals(ref[0].packets(), sa.packets(), "lifetime packets");
            assertEquals(ref[0].bytes(), sa.bytes(), "lifetime bytes");
            for (int f : flags) {
                assertTrue((f & PacketBuffer.FLAG_OFFLOADED) != 0, "every packet sealed by the NIC");
            }
            assertEquals(totalSegments(), stats.get(XfrmCounter.EsplineOutDelivered));
            assertEquals(0, stats.get(XfrmCounter.EsplineOffloadFallback));
            assertEquals(0, stats.totalDrops(), () -> "drops: " + stats);
            long seq = start;
            for (byte[] w : actual) {
                assertEquals(++seq & 0xFFFF_FFFFL, TsoHarness.espSequence(w), "ESP sequence numbers in order");
            }
        }
        assertEquals(0, pool.outstanding(), "TSO path leaks buffers");
    }

    @Test
    void packetOffloadTakesTheSequenceRangeOnTheNicWithTheSameWire() {
        SaConfig cfg = OffloadFixture.sa(Suite.GCM128, 0x5101, SaMode.TUNNEL, false, false, true, 0xFFFF_FFF0L, 5);
        SecurityAssociation[] ref = new SecurityAssociation[1];
        List<byte[]> expected = software(cfg, false, false, ref);
        BufferPool pool = TsoHarness.pool();
        XfrmStats stats = new XfrmStats();
        SecurityAssociation sa = new SecurityAssociation(cfg);
        try (InlineNic nic = new InlineNic("nic0", OffloadKind.PACKET,
                OffloadCapabilities.unlimited().withTso(true).withIpOptions(false), 2, 2)) {
            nic.addState(sa);
            OffloadEncryptStage encrypt = new OffloadEncryptStage(nic, stats, pool, MSS);
            List<byte[]> actual = drive(GsoStage.handingThrough(MSS, pool, stats), encrypt, pool, traffic(sa, false, false), null);
            assertSameWire(expected, actual);
            assertEquals(ref[0].outboundSequence(), sa.outboundSequence());
            assertTrue(encrypt.superPacketsToDevice() > 0);
            assertEquals(0, stats.totalDrops(), () -> "drops: " + stats);
        }
        assertEquals(0, pool.outstanding());
    }

    @Test
    void eachSaKeepsItsOrderAcrossTheNicThreads() {
        SaConfig c1 = OffloadFixture.sa(Suite.GCM128, 0x6001, SaMode.TUNNEL, false, false, true, 0xFFFF_FF00L, 1);
        SaConfig c2 = OffloadFixture.sa(Suite.GCM128, 0x6002, SaMode.TUNNEL, true, false, false, 0, 2);
        List<List<byte[]>> expected = new ArrayList<>();
        for (int round = 0; round < 2; round++) {
            BufferPool pool = TsoHarness.pool();
            XfrmStats stats = new XfrmStats();
            SecurityAssociation s1 = new SecurityAssociation(c1);
            SecurityAssociation s2 = new SecurityAssociation(c2);
            List<Send> sends = new ArrayList<>();
            for (int rep = 0; rep < 3; rep++) {
                List<Send> a = traffic(s1, false, false);
                List<Send> b = traffic(s2, true, false);
                for (int i = 0; i < a.size(); i++) {
                    sends.add(a.get(i));
                    sends.add(b.get(i));
                }
            }
            List<byte[]> wire;
            if (round == 0) {
                wire = drive(new GsoStage(MSS, pool, stats), new EncryptStage(stats), pool, sends, null);
            } else {
                try (InlineNic nic = nic(true, 3)) {
                    nic.addState(s1);
                    nic.addState(s2);
                    wire = drive(GsoStage.handingThrough(MSS, pool, stats), new OffloadEncryptStage(nic, stats, pool, MSS),
                            pool, sends, null);
                }
            }
            assertEquals(0, pool.outstanding());
            for (int spi : new int[] {0x6001, 0x6002}) {
                List<byte[]> of = new ArrayList<>();
                for (byte[] w : wire) {
                    if (TsoHarness.espSpi(w) == spi) {
                        of.add(w);
                    }
                }
                assertEquals(3 * totalSegments(), of.size());
                if (round == 0) {
                    expected.add(of);
                } else {
                    assertSameWire(expected.get(spi - 0x6001), of);
                }
            }
        }
    }

    private enum Refusal { NO_TSO, SA_NOT_ON_NIC, PACKET_REJECTED }

    @ParameterizedTest
    @CsvSource({"NO_TSO", "SA_NOT_ON_NIC", "PACKET_REJECTED"})
    void whatTheNicDoesNotTakeWholeIsCutOnThePipelineThreadWithTheSameBytes(Refusal refusal) {
        boolean options = refusal == Refusal.PACKET_REJECTED;
        SaConfig cfg = OffloadFixture.sa(Suite.GCM128, 0x7001, SaMode.TUNNEL, false, false, false, 0, 7);
        SecurityAssociation[] ref = new SecurityAssociation[1];
        List<byte[]> expected = software(cfg, false, options, ref);

        BufferPool pool = TsoHarness.pool();
        XfrmStats stats = new XfrmStats();
        SecurityAssociation sa = new SecurityAssociation(cfg);
        try (InlineNic nic = nic(refusal != Refusal.NO_TSO, 2)) {
            if (refusal != Refusal.SA_NOT_ON_NIC) {
                nic.addState(sa);
            }
            OffloadEncryptStage encrypt = new OffloadEncryptStage(nic, stats, pool, MSS);
            List<byte[]> actual = drive(GsoStage.handingThrough(MSS, pool, stats), encrypt, pool, traffic(sa, false, options), null);
            assertSameWire(expected, actual);
            long supers = java.util.Arrays.stream(SIZES).filter(s -> s > MSS).count();
            assertEquals(0, encrypt.superPacketsToDevice());
            assertEquals(supers, encrypt.superPacketsCutHere());
            assertEquals(ref[0].outboundSequence(), sa.outboundSequence());
            // Software fallback counted as without TSO: per packet the device did not seal.
            long fallback = refusal == Refusal.NO_TSO ? 0 : totalSegments();
            assertEquals(fallback, stats.get(XfrmCounter.EsplineOffloadFallback));
            if (refusal == Refusal.PACKET_REJECTED) {
                assertTrue(nic.events().get(XfrmCounter.EsplineOffloadPacketRejected) >= supers);
            }
            assertEquals(0, stats.totalDrops(), () -> "drops: " + stats);
        }
        assertEquals(0, pool.outstanding(), "fallback path leaks buffers");
    }

    @Test
    void aSuperPacketNeedingMoreSequenceNumbersThanAreLeftIsDroppedWholeAndTheCounterNeverWraps() {
        // Non-ESN, last number handed out 2^32 - 5: four numbers left.
        SaConfig cfg = OffloadFixture.sa(Suite.GCM128, 0x8001, SaMode.TUNNEL, false, false, false, 0xFFFF_FFFBL, 9);
        BufferPool pool = TsoHarness.pool();
        XfrmStats stats = new XfrmStats();
        SecurityAssociation sa = new SecurityAssociation(cfg);
        try (InlineNic nic = nic(true, 2)) {
            nic.addState(sa);
            List<Send> sends = List.of(
                    new Send(tcp(false, 5 * MSS, 1, 1, false), sa),  // 5 segments: does not fit
                    new Send(tcp(false, 4 * MSS, 1, 2, false), sa),  // 4 segments: exactly the rest
                    new Send(tcp(false, 2 * MSS, 1, 3, false), sa)); // none left
            List<byte[]> wire = drive(GsoStage.handingThrough(MSS, pool, stats), new OffloadEncryptStage(nic, stats, pool, MSS),
                    pool, sends, null);
            assertEquals(4, wire.size());
            for (int i = 0; i < 4; i++) {
                assertEquals(0xFFFF_FFFCL + i, TsoHarness.espSequence(wire.get(i)));
            }
            assertEquals(0xFFFF_FFFFL, sa.outboundSequence(), "never wrapped");
            assertEquals(2, stats.get(XfrmCounter.XfrmOutStateSeqError), "one drop per super-packet refused");
        }
        assertEquals(0, pool.outstanding());
    }

    @Test
    void concurrentReservationsNeverOverlap() throws InterruptedException {
        SaConfig cfg = OffloadFixture.sa(Suite.GCM128, 0x9001, SaMode.TUNNEL, false, false, true, 0xFFFF_F000L, 3);
        SecurityAssociation sa = new SecurityAssociation(cfg);
        Set<Long> taken = ConcurrentHashMap.newKeySet();
        AtomicInteger clashes = new AtomicInteger();
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            final int width = 1 + t * 3;
            threads[t] = new Thread(() -> {
                for (int i = 0; i < 2000; i++) {
                    long first = sa.reserveOutboundSequences(width);
                    for (long s = first; s < first + width; s++) {
                        if (!taken.add(s)) {
                            clashes.incrementAndGet();
                        }
                    }
                }
            });
            threads[t].start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertEquals(0, clashes.get());
        Set<Long> all = new HashSet<>(taken);
        assertEquals(2000L * (1 + 4 + 7 + 10), all.size());
        assertEquals(0xFFFF_F000L + all.size(), sa.outboundSequence(), "no gaps either");
    }
}
