package org.espline.runtime.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.BufferStats;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.EncryptionAlgorithm;
import org.espline.runtime.crypto.IntegrityAlgorithm;
import org.espline.runtime.crypto.KeyMaterial;
import org.espline.runtime.engine.CryptoEngine.Order;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.pipeline.ClassifyStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Pipeline;
import org.espline.runtime.pipeline.Stage;
import org.espline.runtime.port.CollectingPort;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.Policy;
import org.espline.runtime.sa.PolicyAction;
import org.espline.runtime.sa.PolicyDatabase;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.sa.Selector;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The asynchronous engine through interpreted pipelines: order (per SA, global, none) under 1, 2 and 4 workers
 * with thousands of packets of mixed sizes over two SAs, consecutive ESP sequence numbers on the wire, decrypt
 * back in order; back-pressure with a tiny ring; drops inside and at the door of the engine; close drains; the
 * pool balances. Nothing waits on time: the pipelines are driven until finished, the timeouts only guard
 * against a hang.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CryptoEngineTest {
    static final int SPI_GCM = 0x1001;
    static final int SPI_CBC = 0x2002;

    static InetAddress addr(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    static SaConfig gcm(Lifetime hard) {
        byte[] key = new byte[20];
        new Random(11).nextBytes(key);
        return SaConfig.builder().name("gcm").source(addr("192.0.2.1")).destination(addr("198.51.100.2"))
                .spi(SPI_GCM).mode(SaMode.TUNNEL).encryption(EncryptionAlgorithm.AES_GCM, KeyMaterial.of(key))
                .icvLength(16).replayWindow(4096).hardLifetime(hard).build();
    }

    static SaConfig cbc() {
        byte[] key = new byte[16];
        byte[] auth = new byte[32];
        Random r = new Random(12);
        r.nextBytes(key);
        r.nextBytes(auth);
        return SaConfig.builder().name("cbc").source(addr("192.0.2.1")).destination(addr("198.51.100.2"))
                .spi(SPI_CBC).mode(SaMode.TUNNEL).encryption(EncryptionAlgorithm.AES_CBC, KeyMaterial.of(key))
                .integrity(IntegrityAlgorithm.HMAC_SHA256_128, KeyMaterial.of(auth)).replayWindow(4096).build();
    }

    /** An IPv4/UDP packet to 10.2.{@code net}.1 with {@code payload} random bytes. */
    static byte[] packet(int net, int payload, long seed) {
        byte[] p = new byte[28 + payload];
        new Random(seed).nextBytes(p);
        p[0] = 0x45;
        p[1] = 0;
        p[2] = (byte) (p.length >>> 8);
        p[3] = (byte) p.length;
        p[6] = 0x40;
        p[7] = 0;
        p[8] = 64;
        p[9] = 17;
        p[10] = 0;
        p[11] = 0;
        System.arraycopy(addr("10.1.0.1").getAddress(), 0, p, 12, 4);
        System.arraycopy(addr("10.2." + net + ".1").getAddress(), 0, p, 16, 4);
        int c = InternetChecksum.checksum(p, 0, 20);
        p[10] = (byte) (c >>> 8);
        p[11] = (byte) c;
        p[20] = (byte) (40000 >>> 8);
        p[21] = (byte) 40000;
        p[22] = 0;
        p[23] = 53;
        p[24] = (byte) ((payload + 8) >>> 8);
        p[25] = (byte) (payload + 8);
        p[26] = 0;
        p[27] = 0;
        return p;
    }

    /** Traffic over both SAs, mixed sizes (0..1400 bytes of payload), SAs interleaved at random. */
    static List<byte[]> traffic(int n, long seed) {
        Random r = new Random(seed);
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(packet(1 + r.nextInt(2), r.nextInt(1401), seed * 100_000 + i));
        }
        return l;
    }

    static int spiOf(byte[] inner) {
        return inner[18] == 1 ? SPI_GCM : SPI_CBC;
    }

    /** The tx side: SPD (10.2.1/24 over GCM, 10.2.2/24 over CBC) and the SAs. */
    static final class Tx {
        final XfrmStats stats = new XfrmStats();
        final PolicyDatabase spd = new PolicyDatabase(PolicyAction.DISCARD);
        final SecurityAssociation gcm;
        final SecurityAssociation cbc = new SecurityAssociation(cbc());

        Tx(Lifetime gcmHard) {
            gcm = new SecurityAssociation(gcm(gcmHard));
            spd.add(new Policy(Selector.between(addr("10.1.0.0"), 16, addr("10.2.1.0"), 24), PolicyAction.PROTECT, gcm));
            spd.add(new Policy(Selector.between(addr("10.1.0.0"), 16, addr("10.2.2.0"), 24), PolicyAction.PROTECT, cbc));
        }

        Tx() {
            this(Lifetime.UNLIMITED);
        }
    }

    /** Runs a pipeline until finished; the test's timeout guards against a hang. */
    static void drain(Pipeline p) {
        while (p.runOnce() >= 0) {
            Thread.onSpinWait();
        }
    }

    static Map<Integer, List<byte[]>> bySpiOfInner(List<byte[]> packets) {
        Map<Integer, List<byte[]>> m = new HashMap<>();
        for (byte[] p : packets) {
            m.computeIfAbsent(spiOf(p), k -> new ArrayList<>()).add(p);
        }
        return m;
    }

    static Map<Integer, List<byte[]>> bySpiOfWire(List<byte[]> wire) {
        Map<Integer, List<byte[]>> m = new HashMap<>();
        for (byte[] p : wire) {
            m.computeIfAbsent(wireSpi(p), k -> new ArrayList<>()).add(p);
        }
        return m;
    }

    static int wireSpi(byte[] p) {
        return i32(p, 20);
    }

    static long wireSeq(byte[] p) {
        return i32(p, 24) & 0xFFFF_FFFFL;
    }

    static int i32(byte[] a, int off) {
        return (a[off] & 0xFF) << 24 | (a[off + 1] & 0xFF) << 16 | (a[off + 2] & 0xFF) << 8 | (a[off + 3] & 0xFF);
    }

    /** Decrypts wire packets in the given order with a fresh rx SAD; every one must decrypt. */
    static List<byte[]> decrypt(List<byte[]> wire) {
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(gcm(Lifetime.UNLIMITED)));
        sad.put(new SecurityAssociation(cbc()));
        XfrmStats stats = new XfrmStats();
        EspInput in = new EspInput(sad, stats);
        List<byte[]> l = new ArrayList<>();
        for (byte[] w : wire) {
            PacketBuffer b = PacketBuffer.copyOf(w, 0, w.length, 64, 64, 2, new BufferStats());
            assertEquals(XfrmCounter.EsplineInDelivered, in.decapsulate(b), stats.toString());
            l.add(b.toByteArray());
        }
        return l;
    }

    static Stream<Arguments> orders() {
        List<Arguments> l = new ArrayList<>();
        for (Order o : Order.values()) {
            for (int w : new int[] {1, 2, 4}) {
                l.add(Arguments.of(o, w));
            }
        }
        return l.stream();
    }

    @ParameterizedTest(name = "order={0} workers={1}")
    @MethodSource("orders")
    void encryptKeepsOrderAndSequenceNumbersConsecutive(Order order, int workers) {
        Tx tx = new Tx();
        List<byte[]> sent = traffic(3000, workers + 10L * order.ordinal());
        BufferPool pool = new BufferPool(200, 128, 1500, 320, 2);
        CollectingPort wire = new CollectingPort();
        try (CryptoEngine engine = CryptoEngine.encrypting("tx", workers, 64, order, tx.stats)) {
            EngineStage stage = new EngineStage(engine);
            Pipeline p = new Pipeline(new MemorySourcePort(pool, sent),
                    new Stage[] {new ClassifyStage(tx.spd, tx.stats), stage}, wire, 32);
            drain(p);

            assertTrue(wire.isFinished());
            assertEquals(0, p.inFlight());
            assertEquals(sent.size(), p.received());
            assertEquals(sent.size(), p.delivered());
            assertEquals(0, tx.stats.totalDrops(), tx.stats.toString());
            assertEquals(sent.size(), tx.stats.get(XfrmCounter.EsplineOutDelivered));
            // The workers leave delivery counts to poll, which adds them per run of one SA: per SA they still add up.
            long gcmSent = sent.stream().filter(b -> spiOf(b) == SPI_GCM).count();
            assertEquals(gcmSent, tx.gcm.stats().get(XfrmCounter.EsplineOutDelivered));
            assertEquals(sent.size() - gcmSent, tx.cbc.stats().get(XfrmCounter.EsplineOutDelivered));
            assertEquals(0, pool.outstanding());
        }
        List<byte[]> out = wire.packets();
        assertEquals(sent.size(), out.size());
        Map<Integer, List<byte[]>> sentBySa = bySpiOfInner(sent);
        Map<Integer, List<byte[]>> wireBySa = bySpiOfWire(out);
        for (int spi : new int[] {SPI_GCM, SPI_CBC}) {
            List<byte[]> w = wireBySa.get(spi);
            List<byte[]> expected = sentBySa.get(spi);
            assertEquals(expected.size(), w.size());
            if (order != Order.NONE) {
                for (int i = 0; i < w.size(); i++) {
                    assertEquals(i + 1, wireSeq(w.get(i)), "spi " + spi + " packet " + i);
                }
            } else {
                w = new ArrayList<>(w);
                w.sort((a, b) -> Long.compare(wireSeq(a), wireSeq(b)));
                for (int i = 0; i < w.size(); i++) {
                    assertEquals(i + 1, wireSeq(w.get(i)));
                }
            }
            List<byte[]> clear = decrypt(w);
            for (int i = 0; i < clear.size(); i++) {
                assertArrayEquals(expected.get(i), clear.get(i), "spi " + spi + " packet " + i);
            }
        }
        if (order == Order.GLOBAL) {
            List<byte[]> clear = decrypt(out);
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), clear.get(i), "packet " + i);
            }
        }
    }

    /**
     * Caller-runs: the pipeline thread takes tickets itself between offer and poll. Its results go through the same
     * reorder point, so the wire is what the worker alone would have produced: consecutive sequence numbers per SA,
     * every packet decrypting to what was sent.
     */
    @Test
    void thePipelineThreadHelpingKeepsOrderAndSequenceNumbers() {
        Tx tx = new Tx();
        List<byte[]> sent = traffic(3000, 77);
        BufferPool pool = new BufferPool(200, 128, 1500, 320, 2);
        List<byte[]> out = new ArrayList<>();
        long helped;
        try (CryptoEngine engine = CryptoEngine.encrypting("help", 1, 64, Order.PER_SA, tx.stats)) {
            ClassifyStage classify = new ClassifyStage(tx.spd, tx.stats);
            PacketBatch raw = new PacketBatch(32);
            PacketBatch in = new PacketBatch(32);
            PacketBatch done = new PacketBatch(64);
            int next = 0;
            while (next < sent.size() || engine.inFlight() > 0) {
                if (in.isEmpty() && next < sent.size()) {
                    while (!raw.isFull() && next < sent.size()) {
                        byte[] b = sent.get(next++);
                        PacketBuffer pb = pool.acquire();
                        System.arraycopy(b, 0, pb.array(), pb.put(b.length), b.length);
                        raw.add(pb);
                    }
                    classify.process(raw, in);
                    raw.clear();
                }
                engine.offer(in);
                engine.help(Integer.MAX_VALUE);
                engine.poll(done);
                for (int i = 0; i < done.size(); i++) {
                    out.add(done.get(i).toByteArray());
                    done.get(i).release();
                }
                done.clear();
            }
            helped = engine.helped();
        }
        assertTrue(helped > 0, "the pipeline thread ran no ticket itself");
        assertEquals(0, pool.outstanding());
        assertEquals(sent.size(), out.size());
        Map<Integer, List<byte[]>> sentBySa = bySpiOfInner(sent);
        Map<Integer, List<byte[]>> wireBySa = bySpiOfWire(out);
        for (int spi : new int[] {SPI_GCM, SPI_CBC}) {
            List<byte[]> w = wireBySa.get(spi);
            for (int i = 0; i < w.size(); i++) {
                assertEquals(i + 1, wireSeq(w.get(i)), "spi " + spi + " packet " + i);
            }
            List<byte[]> clear = decrypt(w);
            List<byte[]> expected = sentBySa.get(spi);
            for (int i = 0; i < clear.size(); i++) {
                assertArrayEquals(expected.get(i), clear.get(i), "spi " + spi + " packet " + i);
            }
        }
    }

    /** ESP made inline, in arrival order: the reference wire and the input of the decrypt tests. */
    static List<byte[]> encryptInline(Tx tx, List<byte[]> sent) {
        BufferPool pool = new BufferPool(64, 128, 1500, 320, 2);
        CollectingPort wire = new CollectingPort();
        Pipeline p = new Pipeline(new MemorySourcePort(pool, sent),
                new Stage[] {new ClassifyStage(tx.spd, tx.stats), new EncryptStage(tx.stats)}, wire, 32);
        drain(p);
        assertEquals(sent.size(), wire.packets().size());
        return wire.packets();
    }

    @ParameterizedTest(name = "order={0} workers={1}")
    @MethodSource("orders")
    void decryptKeepsOrder(Order order, int workers) {
        List<byte[]> sent = traffic(2000, 77 + workers);
        List<byte[]> wire = encryptInline(new Tx(), sent);
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(gcm(Lifetime.UNLIMITED)));
        sad.put(new SecurityAssociation(cbc()));
        XfrmStats stats = new XfrmStats();
        BufferPool pool = new BufferPool(200, 128, 1500, 320, 2);
        CollectingPort received = new CollectingPort();
        try (CryptoEngine engine = CryptoEngine.decrypting("rx", workers, 64, order, sad, stats, false)) {
            Pipeline p = new Pipeline(new MemorySourcePort(pool, wire), new Stage[] {new EngineStage(engine)}, received, 32);
            drain(p);
            assertEquals(0, stats.totalDrops(), stats.toString());
            assertEquals(sent.size(), p.delivered());
            assertEquals(0, pool.outstanding());
        }
        List<byte[]> got = received.packets();
        assertEquals(sent.size(), got.size());
        if (order == Order.GLOBAL) {
            for (int i = 0; i < sent.size(); i++) {
                assertArrayEquals(sent.get(i), got.get(i), "packet " + i);
            }
        } else if (order == Order.PER_SA) {
            Map<Integer, List<byte[]>> s = bySpiOfInner(sent);
            Map<Integer, List<byte[]>> g = bySpiOfInner(got);
            for (int spi : s.keySet()) {
                for (int i = 0; i < s.get(spi).size(); i++) {
                    assertArrayEquals(s.get(spi).get(i), g.get(spi).get(i), "spi " + spi + " packet " + i);
                }
            }
        } else {
            assertEquals(sortedKeys(sent), sortedKeys(got));
        }
    }

    static List<String> sortedKeys(List<byte[]> l) {
        List<String> k = new ArrayList<>();
        for (byte[] b : l) {
            k.add(java.util.HexFormat.of().formatHex(b));
        }
        k.sort(null);
        return k;
    }

    /**
     * A pipeline thread with nothing to do but wait for a slow engine (a device whose work takes 300 us a packet)
     * waits parked, woken by the workers, instead of spinning on poll: its CPU time stays a small part of the wall
     * time (spinning, it was all of it), and everything still arrives in order.
     */
    @Test
    void aPipelineThreadWaitingForItsEngineParksInsteadOfSpinning() {
        Tx tx = new Tx();
        List<byte[]> sent = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
            sent.add(packet(1, 100, i)); // 100 to warm up, 300 measured
        }
        BufferPool pool = new BufferPool(64, 128, 1500, 320, 2);
        CollectingPort wire = new CollectingPort();
        // One work per worker thread (an EspOutput is not shared between threads).
        java.util.function.Supplier<CryptoEngine.Work> slow = () -> new CryptoEngine.Work() {
            private final org.espline.runtime.esp.EspOutput esp = new org.espline.runtime.esp.EspOutput(new XfrmStats());

            @Override
            public XfrmCounter encrypt(PacketBuffer p, SecurityAssociation sa, long seq) {
                java.util.concurrent.locks.LockSupport.parkNanos(300_000);
                return esp.encapsulate(p, sa, seq);
            }

            @Override
            public XfrmCounter decrypt(PacketBuffer p) {
                throw new AssertionError("tx only");
            }
        };
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        long cpu;
        long wall;
        try (CryptoEngine engine = CryptoEngine.forDevice("slow", CryptoEngine.Direction.ENCRYPT, 2, 32, Order.PER_SA,
                tx.stats, null, false, new CryptoEngine.DeviceHooks(slow, null, true))) {
            Pipeline p = new Pipeline(new MemorySourcePort(pool, sent),
                    new Stage[] {new ClassifyStage(tx.spd, tx.stats), new EngineStage(engine)}, wire, 16);
            while (wire.packets().size() < 100) { // warm-up: class loading and the interpreter cost this thread CPU
                p.runOnce();
            }
            long cpu0 = mx.getCurrentThreadCpuTime();
            long wall0 = System.nanoTime();
            while (p.runOnce() >= 0) {
                // no back-off here: the stage itself must wait
            }
            cpu = mx.getCurrentThreadCpuTime() - cpu0;
            wall = System.nanoTime() - wall0;
            assertTrue(engine.awaited() > 0, "the pipeline thread never waited");
            assertEquals(0, pool.outstanding());
        }
        assertTrue(wall >= 300 / 2 * 300_000L, "wall " + wall);
        assertTrue(cpu < wall / 4, "the pipeline thread used " + cpu / 1_000_000 + " ms of CPU in " + wall / 1_000_000
                + " ms waiting for its engine");
        List<byte[]> out = wire.packets();
        assertEquals(sent.size(), out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i + 1, wireSeq(out.get(i)), "packet " + i);
        }
    }

    @Test
    void aTinyQueueNeverDropsItPullsTheSourceSlower() {
        Tx tx = new Tx();
        List<byte[]> sent = traffic(2000, 5);
        BufferPool pool = new BufferPool(100, 128, 1500, 320, 2);
        CollectingPort wire = new CollectingPort();
        try (CryptoEngine engine = CryptoEngine.encrypting("tiny", 2, 4, Order.GLOBAL, tx.stats)) {
            EngineStage stage = new EngineStage(engine);
            Pipeline p = new Pipeline(new MemorySourcePort(pool, sent),
                    new Stage[] {new ClassifyStage(tx.spd, tx.stats), stage}, wire, 32);
            long maxInFlight = 0;
            int n;
            while ((n = p.runOnce()) >= 0) {
                maxInFlight = Math.max(maxInFlight, p.inFlight());
                // received == delivered + drops + pending + in flight at every step
                assertEquals(p.received(), p.delivered() + tx.stats.totalDrops() + p.pending() + p.inFlight());
                if (n == 0) {
                    Thread.onSpinWait();
                }
            }
            assertTrue(maxInFlight <= 32 + 4, "in flight " + maxInFlight);
            assertTrue(engine.events().get(XfrmCounter.EsplineEngineQueueFull) > 0, engine.events().toString());
            assertEquals(0, tx.stats.get(XfrmCounter.EsplineEngineQueueFull), "events stay with the engine");
            assertEquals(0, tx.stats.totalDrops(), tx.stats.toString());
            assertEquals(sent.size(), p.delivered());
            assertEquals(0, pool.outstanding());
        }
        List<byte[]> clear = decrypt(wire.packets());
        for (int i = 0; i < sent.size(); i++) {
            assertArrayEquals(sent.get(i), clear.get(i), "packet " + i);
        }
    }

    @Test
    void hardLifetimeDropsAreCountedAndTheRestFlows() {
        Tx tx = new Tx(Lifetime.UNLIMITED.withPackets(100));
        List<byte[]> sent = traffic(1000, 9);
        long gcmSent = sent.stream().filter(b -> spiOf(b) == SPI_GCM).count();
        BufferPool pool = new BufferPool(128, 128, 1500, 320, 2);
        CollectingPort wire = new CollectingPort();
        try (CryptoEngine engine = CryptoEngine.encrypting("life", 2, 16, Order.PER_SA, tx.stats)) {
            Pipeline p = new Pipeline(new MemorySourcePort(pool, sent),
                    new Stage[] {new ClassifyStage(tx.spd, tx.stats), new EngineStage(engine)}, wire, 32);
            drain(p);
            assertEquals(gcmSent - 100, tx.stats.get(XfrmCounter.XfrmOutStateExpired));
            assertEquals(tx.stats.totalDrops(), tx.stats.get(XfrmCounter.XfrmOutStateExpired));
            assertEquals(p.received(), p.delivered() + tx.stats.totalDrops());
            assertEquals(0, pool.outstanding());
        }
        List<byte[]> gcmWire = bySpiOfWire(wire.packets()).get(SPI_GCM);
        assertEquals(100, gcmWire.size());
        List<byte[]> clear = decrypt(gcmWire);
        List<byte[]> expected = bySpiOfInner(sent).get(SPI_GCM);
        for (int i = 0; i < 100; i++) {
            assertEquals(i + 1, wireSeq(gcmWire.get(i)));
            assertArrayEquals(expected.get(i), clear.get(i));
        }
    }

    @Test
    void tamperedAndClearPacketsEndInsideTheEngineInOrderWithoutStalling() {
        List<byte[]> sent = traffic(1500, 21);
        List<byte[]> wire = new ArrayList<>(encryptInline(new Tx(), sent));
        List<byte[]> expected = new ArrayList<>();
        int tampered = 0;
        int clear = 0;
        for (int i = 0; i < wire.size(); i++) {
            if (i % 7 == 3) {
                byte[] w = wire.get(i).clone();
                w[w.length - 1] ^= 1; // the ICV
                wire.set(i, w);
                tampered++;
            } else {
                expected.add(sent.get(i));
            }
        }
        // Clear traffic: EsplineSkippedNotEsp, consumed (not passed) by the engine.
        for (int i = 0; i < 50; i++) {
            wire.add(i * 20, packet(1, 10, 999 + i));
            clear++;
        }
        SaDatabase sad = new SaDatabase();
        sad.put(new SecurityAssociation(gcm(Lifetime.UNLIMITED)));
        sad.put(new SecurityAssociation(cbc()));
        XfrmStats stats = new XfrmStats();
        BufferPool pool = new BufferPool(100, 128, 1500, 320, 2);
        CollectingPort received = new CollectingPort();
        try (CryptoEngine engine = CryptoEngine.decrypting("rx", 4, 32, Order.GLOBAL, sad, stats, false)) {
            EngineStage stage = new EngineStage(engine);
            Pipeline p = new Pipeline(new MemorySourcePort(pool, wire), new Stage[] {stage}, received, 16);
            drain(p);
            assertEquals(tampered, stats.get(XfrmCounter.XfrmInStateProtoError));
            assertEquals(tampered, stats.totalDrops());
            assertEquals(clear, stage.consumed());
            assertEquals(p.received(), p.delivered() + stats.totalDrops() + stage.consumed());
            assertEquals(0, pool.outstanding());
        }
        assertEquals(expected.size(), received.packets().size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), received.packets().get(i), "packet " + i);
        }
    }

    @Test
    void closeDrainsEverythingSubmitted() {
        Tx tx = new Tx();
        List<byte[]> sent = traffic(200, 3);
        BufferPool pool = new BufferPool(256, 128, 1500, 320, 2);
        MemorySourcePort source = new MemorySourcePort(pool, sent);
        PacketBatch in = new PacketBatch(256);
        assertEquals(200, source.receive(in));
        PacketBatch classified = new PacketBatch(256);
        new ClassifyStage(tx.spd, tx.stats).process(in, classified);
        CryptoEngine engine = CryptoEngine.encrypting("close", 2, 256, Order.PER_SA, tx.stats);
        assertEquals(200, engine.offer(classified));
        assertTrue(classified.isEmpty());
        engine.close();
        assertTrue(engine.isClosed());
        assertThrows(IllegalStateException.class, () -> engine.offer(new PacketBatch(1)));
        assertEquals(200, engine.inFlight());
        PacketBatch out = new PacketBatch(256);
        assertEquals(200, engine.poll(out));
        assertEquals(0, engine.inFlight());
        assertEquals(200, out.size());
        List<byte[]> wire = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            wire.add(out.get(i).toByteArray());
        }
        out.releaseAll();
        assertEquals(0, pool.outstanding());
        Map<Integer, List<byte[]>> w = bySpiOfWire(wire);
        Map<Integer, List<byte[]>> s = bySpiOfInner(sent);
        for (int spi : s.keySet()) {
            List<byte[]> clear = decrypt(w.get(spi));
            for (int i = 0; i < clear.size(); i++) {
                assertEquals(i + 1, wireSeq(w.get(spi).get(i)));
                assertArrayEquals(s.get(spi).get(i), clear.get(i));
            }
        }
        engine.close(); // idempotent
        assertFalse(engine.toString().isEmpty());
    }
}
