package org.espline.runtime.gso;

import static org.espline.runtime.gso.TcpPackets.ACK;
import static org.espline.runtime.gso.TcpPackets.CWR;
import static org.espline.runtime.gso.TcpPackets.ECE;
import static org.espline.runtime.gso.TcpPackets.FIN;
import static org.espline.runtime.gso.TcpPackets.PSH;
import static org.espline.runtime.gso.TcpPackets.RST;
import static org.espline.runtime.gso.TcpPackets.SYN;
import static org.espline.runtime.gso.TcpPackets.URG;
import static org.espline.runtime.gso.TcpPackets.tcp;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.GroStage;
import org.espline.runtime.pipeline.GsoStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GroTableTest {
    static final int MSS = 1000;
    private final BufferPool pool = new BufferPool(512, 128, 1500, 64, 32);
    private final SecurityAssociation on = sa(true, 0x1001);
    private final SecurityAssociation off = sa(false, 0x1002);
    private boolean expectValidChecksums = true;

    static SaConfig config(boolean gro, int spi, boolean v6) throws Exception {
        return SaConfig.builder().name("sa" + spi)
                .source(InetAddress.getByName(v6 ? "2001:db8:ff::1" : "192.0.2.1"))
                .destination(InetAddress.getByName(v6 ? "2001:db8:ff::2" : "198.51.100.2"))
                .spi(spi).mode(SaMode.TUNNEL)
                .encryption(EncryptionAlgorithm.AES_GCM, KeyMaterial.of(TcpPackets.payload(20, spi)))
                .icvLength(16).replayWindow(64).gro(gro).build();
    }

    static SecurityAssociation sa(boolean gro, int spi) {
        try {
            return new SecurityAssociation(config(gro, spi, false));
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** In-order segments of one flow, MSS payload each, the given flags on all but where {@code last} says. */
    static List<byte[]> train(boolean v6, int n, int seq0, UnaryOperator<TcpPackets.Spec> tweak) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(tweak.apply(tcp().v6(v6).seq(seq0 + i * MSS).id(100 + i).options(TcpPackets.TS_OPTION)
                    .payload(TcpPackets.payload(MSS, i))).build());
        }
        return l;
    }

    private List<byte[]> gro(GroStage stage, SecurityAssociation sa, List<byte[]> packets) {
        PacketBatch in = new PacketBatch(packets.size());
        PacketBatch out = new PacketBatch(packets.size());
        for (byte[] p : packets) {
            PacketBuffer b = pool.acquire();
            System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
            b.securityAssociation(sa);
            in.add(b);
        }
        stage.process(in, out);
        List<byte[]> bytes = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            byte[] b = out.get(i).toByteArray();
            assertEquals(b.length, TcpPackets.ipLength(b), "IP length of output " + i);
            if (expectValidChecksums && ((b[0] >> 4) == 6 || b[9] == 6)) {
                assertTrue(TcpPackets.checksumsValid(b), "reference checksums of output " + i);
                assertEquals(InternetChecksum.Status.VALID, InternetChecksum.verifyTransportChecksum(b, 0, b.length));
            }
            bytes.add(b);
        }
        out.releaseAll();
        assertEquals(0, pool.outstanding(), "pool balanced");
        return bytes;
    }

    private List<byte[]> gro(List<byte[]> packets) {
        return gro(new GroStage(65535, 64, 0), on, packets);
    }

    private static byte[] concatPayloads(List<byte[]> packets) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] p : packets) {
            all.writeBytes(TcpPackets.tcpPayload(p));
        }
        return all.toByteArray();
    }

    @ParameterizedTest(name = "v6={0}")
    @ValueSource(booleans = {false, true})
    void inOrderSegmentsBecomeOnePacket(boolean v6) {
        List<byte[]> segs = train(v6, 20, 0xFFFF_FC00, s -> s);
        List<byte[]> out = gro(segs);
        assertEquals(1, out.size());
        byte[] big = out.get(0);
        assertArrayEquals(concatPayloads(segs), TcpPackets.tcpPayload(big));
        assertEquals(0xFFFF_FC00, TcpPackets.seq(big));
        assertEquals(ACK, TcpPackets.flags(big));
        if (!v6) {
            assertEquals(100, TcpPackets.ipId(big), "the first segment's ID");
        }
    }

    @Test
    void gsoSegmentsCoalesceBackToTheSuperPacket() {
        byte[] payload = TcpPackets.payload(60_000, 4);
        byte[] superPacket = tcp().flags(ACK | PSH).payload(payload).build();
        BufferPool big = new BufferPool(2, 64, 65575, 0, 4);
        PacketBuffer p = big.acquire();
        System.arraycopy(superPacket, 0, p.array(), p.put(superPacket.length), superPacket.length);
        p.securityAssociation(on);
        PacketBatch a = new PacketBatch(GsoSegmenter.maxSegments(1400));
        PacketBatch b = new PacketBatch(GsoSegmenter.maxSegments(1400));
        a.add(p);
        BufferPool wide = new BufferPool(64, 128, 1500, 64, 64);
        new GsoStage(1400, wide, new XfrmStats()).process(a, b);
        a.clear();
        assertEquals(43, b.size());
        new GroStage(65535, 64, 0).process(b, a);
        assertEquals(1, a.size());
        // GSO segments are fragments over the super-packet: the coalesced packet reads through two levels.
        assertArrayEquals(superPacket, a.get(0).toByteArray());
        assertTrue(a.get(0).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "GRO checked every segment it coalesced");
        a.releaseAll();
        assertEquals(0, wide.outstanding());
        assertEquals(0, big.outstanding());
    }

    @Test
    void onlyPacketsWhoseChecksumGroCheckedAreMarkedVerified() {
        byte[] good = tcp().flags(ACK).payload(TcpPackets.payload(MSS, 1)).build();
        byte[] bad = good.clone();
        bad[bad.length - 1] ^= 1;
        BufferPool pool = new BufferPool(4, 64, 1500, 0, 4);
        PacketBatch in = new PacketBatch(4);
        PacketBatch out = new PacketBatch(4);
        for (byte[] b : List.of(good, bad)) {
            PacketBuffer p = pool.acquire();
            System.arraycopy(b, 0, p.array(), p.put(b.length), b.length);
            p.securityAssociation(on);
            in.add(p);
        }
        new GroStage(65535, 64, 0).process(in, out);
        assertEquals(2, out.size());
        assertTrue(out.get(0).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED));
        assertFalse(out.get(1).hasFlag(PacketBuffer.FLAG_CHECKSUM_VERIFIED), "a bad checksum is left for the host to find");
        out.releaseAll();
        assertEquals(0, pool.outstanding());
    }

    @ParameterizedTest(name = "flags {0}")
    @ValueSource(ints = {SYN | ACK, FIN | ACK, RST | ACK, URG | ACK, CWR | ACK, ECE | ACK, 0})
    void specialFlagsFlushTheFlowAndPassAlone(int flags) {
        List<byte[]> segs = train(false, 6, 5000, s -> s);
        segs.set(3, tcp().seq(5000 + 3 * MSS).id(103).options(TcpPackets.TS_OPTION).flags(flags)
                .payload(TcpPackets.payload(MSS, 3)).build());
        List<byte[]> out = gro(segs);
        assertEquals(3, out.size(), "[0..2] coalesced, [3] alone, [4..5] coalesced");
        assertArrayEquals(concatPayloads(segs.subList(0, 3)), TcpPackets.tcpPayload(out.get(0)));
        assertArrayEquals(segs.get(3), out.get(1));
        assertArrayEquals(concatPayloads(segs.subList(4, 6)), TcpPackets.tcpPayload(out.get(2)));
    }

    @Test
    void pshEndsTheTrain() {
        List<byte[]> segs = train(false, 6, 0, s -> s);
        segs.set(2, tcp().seq(2 * MSS).id(102).options(TcpPackets.TS_OPTION).flags(ACK | PSH)
                .payload(TcpPackets.payload(MSS, 2)).build());
        List<byte[]> out = gro(segs);
        assertEquals(2, out.size());
        assertEquals(ACK | PSH, TcpPackets.flags(out.get(0)));
        assertArrayEquals(concatPayloads(segs.subList(0, 3)), TcpPackets.tcpPayload(out.get(0)));
        assertArrayEquals(concatPayloads(segs.subList(3, 6)), TcpPackets.tcpPayload(out.get(1)));
    }

    @Test
    void outOfOrderFlushes() {
        List<byte[]> segs = train(false, 5, 0, s -> s);
        List<byte[]> out = gro(List.of(segs.get(0), segs.get(1), segs.get(3), segs.get(2), segs.get(4)));
        assertEquals(4, out.size(), "[0,1] | 3 | 2 | 4: each gap flushes, nothing is reordered");
        assertArrayEquals(concatPayloads(segs.subList(0, 2)), TcpPackets.tcpPayload(out.get(0)));
        assertArrayEquals(segs.get(3), out.get(1));
        assertArrayEquals(segs.get(2), out.get(2));
        assertArrayEquals(segs.get(4), out.get(3));
    }

    @Test
    void optionTtlTosAckAndSizeChangesFlush() {
        List<UnaryOperator<TcpPackets.Spec>> changes = List.of(
                s -> s.options(new byte[] {1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 2}),
                s -> s.ttl(63),
                s -> s.tos(0x10),
                s -> s.ack(778));
        for (UnaryOperator<TcpPackets.Spec> change : changes) {
            List<byte[]> segs = train(false, 4, 0, s -> s);
            segs.set(2, change.apply(tcp().seq(2 * MSS).id(102).options(TcpPackets.TS_OPTION)
                    .payload(TcpPackets.payload(MSS, 2))).build());
            List<byte[]> out = gro(segs);
            assertEquals(3, out.size(), "[0,1] | changed 2 | 3 (unlike 2, so it cannot join it)");
            assertArrayEquals(concatPayloads(segs.subList(0, 2)), TcpPackets.tcpPayload(out.get(0)));
            assertArrayEquals(segs.get(2), out.get(1));
            assertArrayEquals(segs.get(3), out.get(2));
        }
    }

    @Test
    void sizeAndSegmentLimitsFlush() {
        List<byte[]> segs = train(false, 10, 0, s -> s);
        // 3 segments of 1000 + 52 bytes of headers fit 3100, a fourth does not.
        assertEquals(4, gro(new GroStage(3100, 64, 0), on, segs).size());
        assertEquals(5, gro(new GroStage(65535, 2, 0), on, segs).size());
        assertEquals(10, gro(new GroStage(65535, 1, 0), on, segs).size());
    }

    @Test
    void fragmentSlotsBoundACoalescedPacketWithOneKeptFree() {
        BufferPool few = new BufferPool(64, 128, 1500, 64, 4);
        GroStage stage = new GroStage(65535, 64, 0);
        PacketBatch in = new PacketBatch(10);
        PacketBatch out = new PacketBatch(10);
        for (byte[] p : train(false, 10, 0, s -> s)) {
            PacketBuffer b = few.acquire();
            System.arraycopy(p, 0, b.array(), b.put(p.length), p.length);
            b.securityAssociation(on);
            in.add(b);
        }
        stage.process(in, out);
        assertEquals(3, out.size(), "4 + 4 + 2");
        assertEquals(3, out.get(0).fragmentCount());
        out.releaseAll();
        assertEquals(0, few.outstanding());
    }

    @Test
    void endOfBatchFlushesEverything() {
        GroStage stage = new GroStage(65535, 64, 0);
        List<byte[]> segs = train(false, 6, 0, s -> s);
        assertEquals(1, gro(stage, on, segs.subList(0, 3)).size());
        assertEquals(1, gro(stage, on, segs.subList(3, 6)).size(), "nothing held across batches");
        assertEquals(2, stage.coalesced());
        assertEquals(4, stage.merged());
    }

    @Test
    void perSaSwitchAndNonTcpAndBadChecksumsPassUntouched() {
        List<byte[]> segs = train(false, 5, 0, s -> s);
        assertEquals(segs.size(), gro(new GroStage(65535, 64, 0), off, segs).size(), "gro off for this SA");
        assertEquals(segs.size(), gro(new GroStage(65535, 64, 0), null, segs).size(), "no SA: clear traffic");
        List<byte[]> udp = new ArrayList<>();
        for (byte[] s : segs) {
            byte[] u = s.clone();
            u[9] = 17;
            udp.add(u);
        }
        List<byte[]> out = gro(new GroStage(65535, 64, 0), on, udp);
        assertEquals(5, out.size());
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(udp.get(i), out.get(i));
        }
        List<byte[]> corrupt = new ArrayList<>(segs);
        byte[] bad = segs.get(2).clone();
        bad[bad.length - 1] ^= 1;
        corrupt.set(2, bad);
        expectValidChecksums = false;
        out = gro(new GroStage(65535, 64, 0), on, corrupt);
        assertEquals(3, out.size(), "[0,1] | bad alone | [3,4]");
        assertArrayEquals(bad, out.get(1), "not laundered into a valid checksum");
        assertTrue(TcpPackets.checksumsValid(out.get(0)));
        assertTrue(TcpPackets.checksumsValid(out.get(2)));
    }

    @Test
    void otherFlowsKeepTheirPlaceAfterTheFirstSegmentOfACoalescedOne() {
        List<byte[]> a = train(false, 3, 0, s -> s);
        List<byte[]> b = train(false, 3, 70_000, s -> s.sport(40001));
        List<byte[]> out = gro(List.of(a.get(0), b.get(0), a.get(1), b.get(1), a.get(2), b.get(2)));
        assertEquals(2, out.size());
        assertArrayEquals(concatPayloads(a), TcpPackets.tcpPayload(out.get(0)));
        assertArrayEquals(concatPayloads(b), TcpPackets.tcpPayload(out.get(1)));
    }

    @ParameterizedTest(name = "v6={0}")
    @ValueSource(booleans = {false, true})
    void gsoEncryptDecryptGroRoundTrip(boolean v6) throws Exception {
        SecurityAssociation tx = new SecurityAssociation(config(true, 0x3003, v6));
        SecurityAssociation rx = new SecurityAssociation(config(true, 0x3003, v6));
        SaDatabase sad = new SaDatabase();
        sad.put(rx);
        XfrmStats stats = new XfrmStats();
        byte[] payload = TcpPackets.payload(v6 ? 65_000 : 65_400, 8);
        byte[] superPacket = tcp().v6(v6).flags(ACK | PSH).options(TcpPackets.TS_OPTION).payload(payload).build();
        BufferPool big = new BufferPool(2, 64, 65575, 0, 4);
        PacketBuffer p = big.acquire();
        System.arraycopy(superPacket, 0, p.array(), p.put(superPacket.length), superPacket.length);
        p.securityAssociation(tx);
        GsoStage gso = new GsoStage(1300, pool, stats);
        int cap = gso.maxOutputPerInput();
        PacketBatch x = new PacketBatch(cap);
        PacketBatch y = new PacketBatch(cap);
        x.add(p);
        gso.process(x, y);
        x.clear();
        int segments = y.size();
        assertEquals((payload.length + 1299) / 1300, segments);
        new EncryptStage(stats).process(y, x);
        y.clear();
        assertEquals(segments, x.size());
        assertEquals(0, pool.stats().linearisations.sum(), "segments sealed from their fragments, not linearised");
        assertEquals(0, pool.stats().copies.sum(), "and not copied");
        assertEquals(0, big.outstanding(), "every segment sealed and its fragment dropped: the super-packet is free");
        new DecryptStage(sad, stats, false).process(x, y);
        x.clear();
        assertEquals(segments, y.size());
        GroStage gro = new GroStage(65535, 64, 0);
        gro.process(y, x);
        y.clear();
        assertEquals(2, x.size(), "32 segments per coalesced packet with 32 fragment slots, one kept free");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (int i = 0; i < x.size(); i++) {
            byte[] b = x.get(i).toByteArray();
            assertTrue(TcpPackets.checksumsValid(b));
            all.writeBytes(TcpPackets.tcpPayload(b));
        }
        assertArrayEquals(payload, all.toByteArray(), "byte for byte");
        assertEquals(0, stats.totalDrops(), stats.toString());
        x.releaseAll();
        assertEquals(0, pool.outstanding());
    }
}
