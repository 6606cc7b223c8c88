package org.espline.runtime.gso;

import static org.espline.runtime.gso.TcpPackets.ACK;
import static org.espline.runtime.gso.TcpPackets.CWR;
import static org.espline.runtime.gso.TcpPackets.FIN;
import static org.espline.runtime.gso.TcpPackets.PSH;
import static org.espline.runtime.gso.TcpPackets.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.header.Ipv4Header;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class GsoSegmenterTest {
    private final BufferPool big = new BufferPool(8, 64, 65575, 0, 4);
    private final BufferPool segments = new BufferPool(256, 128, 1500, 64, 4);
    private final XfrmStats stats = new XfrmStats();

    private PacketBuffer load(byte[] pkt) {
        PacketBuffer b = big.acquire();
        System.arraycopy(pkt, 0, b.array(), b.put(pkt.length), pkt.length);
        return b;
    }

    /** Runs one packet through a GsoStage and returns the output bytes (releasing the outputs). */
    private List<byte[]> gso(int mss, PacketBuffer p) {
        GsoStage stage = new GsoStage(mss, segments, stats);
        PacketBatch in = new PacketBatch(1);
        PacketBatch out = new PacketBatch(stage.maxOutputPerInput());
        in.add(p);
        stage.process(in, out);
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            bytes.add(out.get(i).toByteArray());
        }
        out.releaseAll();
        return bytes;
    }

    private void assertBalanced() {
        assertEquals(0, big.outstanding(), "super-packet pool");
        assertEquals(0, segments.outstanding(), "segment pool");
    }

    @ParameterizedTest(name = "v6={0} payload={1} mss={2} -> {3} segments")
    @CsvSource({
        "false, 1461, 1460, 2",
        "false, 2920, 1460, 2",
        "false, 10000, 1000, 10",
        "false, 65483, 1360, 49",
        "false, 65471, 1000, 66",
        "true, 1441, 1440, 2",
        "true, 30001, 1220, 25",
        "true, 65515, 1360, 49",
    })
    void segmentsSuperPacket(boolean v6, int payloadLength, int mss, int expected) {
        byte[] payload = TcpPackets.payload(payloadLength, 3);
        byte[] options = v6 ? new byte[0] : TcpPackets.TS_OPTION;
        byte[] superPacket = tcp().v6(v6).seq(0xFFFF_F000).flags(ACK | PSH | FIN | CWR).id(0xFFFE)
                .options(options).payload(payload).build();
        List<byte[]> segs = gso(mss, load(superPacket));

        assertEquals(expected, segs.size());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < segs.size(); i++) {
            byte[] s = segs.get(i);
            boolean last = i == segs.size() - 1;
            int len = last ? payloadLength - i * mss : mss;
            assertEquals(len, TcpPackets.tcpPayload(s).length, "segment " + i + " payload");
            assertEquals(s.length, TcpPackets.ipLength(s), "segment " + i + " IP length");
            assertEquals(0xFFFF_F000 + i * mss, TcpPackets.seq(s), "segment " + i + " seq (wraps)");
            int flags = TcpPackets.flags(s);
            assertEquals(ACK | (i == 0 ? CWR : 0) | (last ? PSH | FIN : 0), flags, "segment " + i + " flags");
            if (!v6) {
                assertEquals((0xFFFE + i) & 0xFFFF, TcpPackets.ipId(s), "segment " + i + " IPv4 ID");
                assertTrue(new Ipv4Header().wrap(s, 0).isChecksumValid(), "segment " + i + " IPv4 checksum");
            }
            assertEquals(InternetChecksum.Status.VALID, InternetChecksum.verifyTransportChecksum(s, 0, s.length));
            assertTrue(TcpPackets.checksumsValid(s), "segment " + i + " reference checksums");
            assertArrayEquals(java.util.Arrays.copyOfRange(superPacket, TcpPackets.tcpOffset(superPacket) + 20,
                    TcpPackets.tcpOffset(superPacket) + 20 + options.length),
                    java.util.Arrays.copyOfRange(s, TcpPackets.tcpOffset(s) + 20, TcpPackets.tcpOffset(s) + 20 + options.length),
                    "options on every segment");
            all.writeBytes(TcpPackets.tcpPayload(s));
        }
        assertArrayEquals(payload, all.toByteArray());
        assertBalanced();
    }

    @Test
    void segmentIpv4ChecksumsAreRecomputedNotCarriedOverFromAWrongSuperPacketChecksum() {
        byte[] superPacket = tcp().id(0x1234).payload(TcpPackets.payload(5000, 2)).build();
        superPacket[10] ^= 0x5A; // the super-packet's own header checksum is wrong (a sender that left it to offload)
        superPacket[11] ^= 0x21;
        List<byte[]> segs = gso(1400, load(superPacket));
        assertEquals(4, segs.size());
        for (int i = 0; i < segs.size(); i++) {
            byte[] s = segs.get(i);
            Ipv4Header h = new Ipv4Header().wrap(s, 0);
            assertTrue(h.isChecksumValid(), "segment " + i + " IPv4 checksum");
            int carried = h.checksum();
            h.updateChecksum();
            assertEquals(h.checksum(), carried, "segment " + i + ": the checksum a full recomputation gives");
        }
        assertBalanced();
    }

    @Test
    void segmentsShareTheSuperPacketUntilTheLastLetsGo() {
        byte[] superPacket = tcp().payload(TcpPackets.payload(4000, 1)).build();
        PacketBuffer p = load(superPacket);
        GsoSegmenter g = new GsoSegmenter(1000, segments);
        PacketBatch out = new PacketBatch(GsoSegmenter.maxSegments(1000));
        assertEquals(4, g.segment(p, out));
        for (int i = 0; i < 4; i++) {
            PacketBuffer s = out.get(i);
            assertEquals(1, s.fragmentCount(), "payload is one fragment");
            assertSame(p, s.fragmentOwner(0));
            assertSame(p.array(), s.fragmentArray(0), "no copy: the super-packet's own bytes");
        }
        assertEquals(4, p.refCount(), "held by its four segments only");
        assertEquals(0, segments.stats().copies.sum());
        for (int i = 0; i < 3; i++) {
            out.get(i).release();
        }
        assertEquals(1, big.outstanding(), "still read by the last segment");
        out.get(3).release();
        assertBalanced();
    }

    @Test
    void payloadInOddFragmentsIsSharedAndChecksummedExactly() {
        byte[] payload = TcpPackets.payload(5001, 9);
        byte[] pkt = tcp().payload(payload).build();
        int headers = 40;
        // Headers and 3 payload bytes linear, then fragments of 1001 and the rest (odd boundaries).
        PacketBuffer p = PacketBuffer.copyOf(pkt, 0, headers + 3, 64, 0, 4, segments.stats());
        p.addFragment(pkt, headers + 3, 1001);
        p.addFragment(pkt, headers + 1004, pkt.length - headers - 1004);
        List<byte[]> segs = gso(999, p);
        assertEquals(6, segs.size());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] s : segs) {
            assertTrue(TcpPackets.checksumsValid(s));
            all.writeBytes(TcpPackets.tcpPayload(s));
        }
        assertArrayEquals(payload, all.toByteArray());
        assertEquals(0, segments.stats().copies.sum());
        assertBalanced();
    }

    @Test
    void withoutFragmentSlotsEachSegmentIsCopiedAndCounted() {
        BufferPool linearOnly = new BufferPool(16, 128, 1500, 64, 0);
        byte[] payload = TcpPackets.payload(3000, 5);
        PacketBuffer p = load(tcp().v6(true).payload(payload).build());
        GsoStage stage = new GsoStage(1400, linearOnly, stats);
        PacketBatch in = new PacketBatch(1);
        PacketBatch out = new PacketBatch(stage.maxOutputPerInput());
        in.add(p);
        stage.process(in, out);
        assertEquals(3, out.size());
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < 3; i++) {
            assertTrue(out.get(i).isLinear());
            byte[] s = out.get(i).toByteArray();
            assertTrue(TcpPackets.checksumsValid(s));
            all.writeBytes(TcpPackets.tcpPayload(s));
        }
        assertArrayEquals(payload, all.toByteArray());
        assertEquals(3, linearOnly.stats().copies.sum(), "one counted copy per segment");
        assertEquals(0, big.outstanding(), "copied: the super-packet went back at once");
        out.releaseAll();
        assertEquals(0, linearOnly.outstanding());
    }

    @Test
    void smallTcpAndNonTcpPassUntouched() {
        byte[] small = tcp().payload(TcpPackets.payload(1460, 1)).build();
        byte[] udp = small.clone();
        udp[9] = 17;
        for (byte[] pkt : List.of(small, udp)) {
            PacketBuffer p = load(pkt);
            GsoStage stage = new GsoStage(1460, segments, stats);
            PacketBatch in = new PacketBatch(1);
            PacketBatch out = new PacketBatch(stage.maxOutputPerInput());
            in.add(p);
            stage.process(in, out);
            assertEquals(1, out.size());
            assertSame(p, out.get(0));
            assertArrayEquals(pkt, p.toByteArray());
            out.releaseAll();
        }
        assertEquals(0, stats.totalDrops());
        assertBalanced();
    }

    @Test
    void malformedSuperPacketsAreDroppedAndCounted() {
        byte[] good = tcp().payload(TcpPackets.payload(3000, 1)).build();
        byte[] badTotal = good.clone();
        badTotal[2] = 0x01; // total length no longer the packet's
        byte[] badOffset = good.clone();
        badOffset[20 + 12] = 0x40; // data offset 4 words: below the minimum
        byte[] v6 = tcp().v6(true).payload(TcpPackets.payload(3000, 1)).build();
        byte[] badPayloadLength = v6.clone();
        badPayloadLength[4] = 0x7F;
        for (byte[] pkt : List.of(badTotal, badOffset, badPayloadLength)) {
            assertEquals(0, gso(1000, load(pkt)).size());
        }
        assertEquals(3, stats.get(XfrmCounter.XfrmOutBundleGenError));
        assertEquals(3, stats.totalDrops());
        assertBalanced();
    }

    @Test
    void poolRunningDryDropsTheSuperPacketAndReturnsWhatItTook() {
        BufferPool tiny = new BufferPool(3, 128, 1500, 64, 4);
        GsoStage stage = new GsoStage(1000, tiny, stats);
        PacketBatch in = new PacketBatch(1);
        PacketBatch out = new PacketBatch(stage.maxOutputPerInput());
        in.add(load(tcp().payload(TcpPackets.payload(5000, 1)).build()));
        stage.process(in, out);
        assertEquals(0, out.size());
        assertEquals(1, stats.get(XfrmCounter.XfrmOutBufferError));
        assertEquals(0, tiny.outstanding());
        assertBalanced();
    }

    @Test
    void pipelineAsksForABatchButHoldsTheSegmentsOfOne() {
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sent.add(tcp().seq(i * 100_000).payload(TcpPackets.payload(60_000, i)).build());
        }
        BufferPool source = new BufferPool(8, 64, 65575, 0, 4);
        MemorySourcePort in = new MemorySourcePort(source, sent);
        CollectingPort out = new CollectingPort();
        Stage gso = new GsoStage(1000, segments, stats);
        Pipeline p = new Pipeline(in, new Stage[] {gso}, out, 4);
        assertEquals(4, p.batchSize());
        assertEquals(4 * 66, p.workCapacity());
        assertEquals(4, p.runOnce(), "the source is asked for a batch, not the work capacity");
        assertEquals(4 * 60, out.packets().size());
        p.run(Long.MAX_VALUE);
        assertEquals(6 * 60, out.packets().size());
        assertEquals(0, source.outstanding());
        assertEquals(0, segments.outstanding());
    }

    @Test
    void superPacketsArePulledFewerAtATimeAndSmallPacketsAFullBatchAgain() {
        // 40 super-packets of 60 segments, then 40 small packets: after the first batch (4 x 60 segments, more
        // than twice the batch) the pull halves to 2 and then 1 super-packet; small packets double it back to 4.
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            sent.add(tcp().seq(i * 100_000).payload(TcpPackets.payload(60_000, i)).build());
        }
        for (int i = 0; i < 40; i++) {
            sent.add(tcp().seq(5_000_000 + i * 100).payload(TcpPackets.payload(100, i)).build());
        }
        BufferPool source = new BufferPool(8, 64, 65575, 0, 4);
        MemorySourcePort in = new MemorySourcePort(source, sent);
        CollectingPort out = new CollectingPort();
        Pipeline p = new Pipeline(in, new Stage[] {new GsoStage(1000, segments, stats)}, out, 4);
        List<Integer> pulls = new ArrayList<>();
        int n;
        while ((n = p.runOnce()) >= 0) {
            if (n > 0) {
                pulls.add(n);
            }
        }
        assertEquals(List.of(4, 2, 1, 1), pulls.subList(0, 4));
        // The 40 small packets: 1, 2, then full batches of 4 (the last takes what is left).
        assertEquals(List.of(1, 2, 4, 4, 4, 4, 4, 4, 4, 4, 4, 1), pulls.subList(pulls.size() - 12, pulls.size()),
                "small packets come a full batch at a time again: " + pulls);
        assertEquals(40 * 60 + 40, out.packets().size());
        assertEquals(0, source.outstanding());
        assertEquals(0, segments.outstanding());
    }

    @Test
    void classifyRunsOncePerSuperPacketAndSegmentsInheritTheSa() {
        Object sa = new Object();
        PacketBuffer p = load(tcp().payload(TcpPackets.payload(3000, 1)).build());
        p.securityAssociation(sa);
        p.setFlag(ClassifyStage.FLAG_BYPASS);
        GsoSegmenter g = new GsoSegmenter(1000, segments);
        PacketBatch out = new PacketBatch(66);
        assertEquals(3, g.segment(p, out));
        for (int i = 0; i < 3; i++) {
            assertSame(sa, out.get(i).securityAssociation());
            assertTrue(out.get(i).hasFlag(ClassifyStage.FLAG_BYPASS));
        }
        out.releaseAll();
        assertBalanced();
    }
}
