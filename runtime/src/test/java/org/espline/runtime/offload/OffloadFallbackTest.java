package org.espline.runtime.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.offload.OffloadFixture.Suite;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What a device refuses goes through software with the same bytes, and is counted: an SA the table has no room
 * for, an algorithm the device lacks, ESN on a device without it, a packet {@code offloadOk} rejects (IPv4
 * options), an SA deleted midway. Each case interleaves refused and offloaded packets, so order across the two paths
 * is checked too. And the receive side's negative cases: a device ICV failure and a replay are drops even though
 * the device marked the packet.
 */
class OffloadFallbackTest {
    private static final int PACKETS = 30;

    private static final OffloadCapabilities NIC_CAPS = OffloadCapabilities.unlimited()
            .withAlgorithms(Set.of("aes128gcm16", "aes256gcm16")).withSaTableSize(1).withEsn(false).withIpOptions(false);

    private record Run(List<byte[]> expected, List<byte[]> got, List<Integer> flags, XfrmStats stats) {
    }

    /** Encrypts {@code plain[i]} with {@code sas[i % n]} through the inline stage (on twins) and through the device. */
    private static Run encrypt(OffloadDevice device, SaConfig[] configs, boolean[] add, List<byte[]> plain, BufferPool pool) {
        SecurityAssociation[] reference = new SecurityAssociation[configs.length];
        SecurityAssociation[] tx = new SecurityAssociation[configs.length];
        for (int i = 0; i < configs.length; i++) {
            reference[i] = new SecurityAssociation(configs[i]);
            tx[i] = new SecurityAssociation(configs[i]);
            if (add[i]) {
                device.addState(tx[i]);
            }
        }
        int n = configs.length;
        List<byte[]> expected = OffloadFixture.run(new EncryptStage(new XfrmStats()), plain.size(),
                i -> OffloadFixture.load(pool, plain.get(i), reference[i % n]), null);
        XfrmStats stats = new XfrmStats();
        List<Integer> flags = new ArrayList<>();
        List<byte[]> got = OffloadFixture.run(new OffloadEncryptStage(device, stats), plain.size(),
                i -> OffloadFixture.load(pool, plain.get(i), tx[i % n]), flags);
        return new Run(expected, got, flags, stats);
    }

    /**
     * Same bytes, SA by SA in order: an asynchronous device keeps each SA's order, while packets of different SAs
     * may overtake each other (the software fallback of one SA runs at submission, the device's later).
     */
    private static void assertSameBytes(Run r) {
        assertEquals(r.expected().size(), r.got().size(), "delivered");
        java.util.Map<Integer, List<byte[]>> want = bySpi(r.expected());
        java.util.Map<Integer, List<byte[]>> have = bySpi(r.got());
        assertEquals(want.keySet(), have.keySet());
        for (Integer spi : want.keySet()) {
            List<byte[]> w = want.get(spi);
            List<byte[]> h = have.get(spi);
            assertEquals(w.size(), h.size());
            for (int i = 0; i < w.size(); i++) {
                assertArrayEquals(w.get(i), h.get(i), "SPI " + Integer.toHexString(spi) + " packet " + i);
            }
        }
    }

    private static java.util.Map<Integer, List<byte[]>> bySpi(List<byte[]> esp) {
        java.util.Map<Integer, List<byte[]>> m = new java.util.TreeMap<>();
        for (byte[] p : esp) {
            m.computeIfAbsent(spi(p), k -> new ArrayList<>()).add(p);
        }
        return m;
    }

    /** Outer IPv4 without options, plain ESP. */
    private static int spi(byte[] p) {
        return ((p[20] & 0xFF) << 24) | ((p[21] & 0xFF) << 16) | ((p[22] & 0xFF) << 8) | (p[23] & 0xFF);
    }

    private static List<byte[]> traffic(boolean withOptionsEveryThird) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < PACKETS; i++) {
            l.add(OffloadFixture.udp(false, 100 + i, i, withOptionsEveryThird && i % 3 == 0));
        }
        return l;
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ACCELERATOR", "NIC", "NIC_PACKET", "BOUNCYCASTLE"})
    void tableFullFallsBackWithIdenticalBytes(Backend backend) {
        BufferPool pool = OffloadFixture.pool(128);
        SaConfig first = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, false, 0, 1);
        SaConfig second = OffloadFixture.sa(Suite.GCM128, 0x200, SaMode.TUNNEL, false, false, false, 0, 2);
        try (OffloadDevice device = backend.create(NIC_CAPS)) {
            Run r = encrypt(device, new SaConfig[] {first, second}, new boolean[] {true, true}, traffic(false), pool);
            assertSameBytes(r);
            assertEquals(1, device.refusals(AddResult.TABLE_FULL));
            assertEquals(PACKETS / 2, r.stats().get(XfrmCounter.EsplineOffloadFallback), r.stats()::toString);
            for (int i = 0; i < PACKETS; i++) {
                assertEquals(spi(r.got().get(i)) == 0x100, (r.flags().get(i) & PacketBuffer.FLAG_OFFLOADED) != 0,
                        "mark of output " + i);
            }
            assertEquals(1, device.events().get(XfrmCounter.EsplineOffloadStateRefused));
        }
        assertEquals(0, pool.outstanding());
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ACCELERATOR", "NIC", "NIC_PACKET", "BOUNCYCASTLE"})
    void unsupportedAlgorithmFallsBackWithIdenticalBytes(Backend backend) {
        BufferPool pool = OffloadFixture.pool(128);
        SaConfig gcm = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, false, 0, 1);
        SaConfig cbc = OffloadFixture.sa(Suite.CBC256_SHA512, 0x200, SaMode.TUNNEL, false, false, false, 0, 2);
        try (OffloadDevice device = backend.create(NIC_CAPS.withSaTableSize(8))) {
            Run r = encrypt(device, new SaConfig[] {gcm, cbc}, new boolean[] {true, true}, traffic(false), pool);
            assertSameBytes(r);
            assertEquals(1, device.refusals(AddResult.UNSUPPORTED_ALGORITHM));
            assertEquals(PACKETS / 2, r.stats().get(XfrmCounter.EsplineOffloadFallback));
        }
        assertEquals(0, pool.outstanding());
    }

    @Test
    void esnUnsupportedIsRefused() {
        try (OffloadDevice device = Backend.NIC.create(NIC_CAPS)) {
            SaConfig esn = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, true, 0, 1);
            assertEquals(AddResult.ESN_UNSUPPORTED, device.addState(new SecurityAssociation(esn)));
            assertEquals(0, device.stateCount());
        }
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ACCELERATOR", "NIC", "NIC_PACKET", "BOUNCYCASTLE", "SOFTWARE"})
    void packetsOffloadOkRejectsGoThroughSoftware(Backend backend) {
        BufferPool pool = OffloadFixture.pool(128);
        SaConfig gcm = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, false, 0, 1);
        try (OffloadDevice device = backend.create(NIC_CAPS)) {
            Run r = encrypt(device, new SaConfig[] {gcm}, new boolean[] {true}, traffic(true), pool);
            assertSameBytes(r);
            boolean parsesOptions = backend == Backend.SOFTWARE;
            int rejected = parsesOptions ? 0 : PACKETS / 3;
            assertEquals(rejected, r.stats().get(XfrmCounter.EsplineOffloadFallback));
            assertEquals(rejected, device.events().get(XfrmCounter.EsplineOffloadPacketRejected));
            for (int i = 0; i < PACKETS; i++) {
                assertEquals(parsesOptions || i % 3 != 0, (r.flags().get(i) & PacketBuffer.FLAG_OFFLOADED) != 0, "mark " + i);
            }
        }
        assertEquals(0, pool.outstanding());
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ACCELERATOR", "NIC", "BOUNCYCASTLE"})
    void receiveFallsBackForRefusedSasAndCountsIt(Backend backend) {
        BufferPool pool = OffloadFixture.pool(128);
        SaConfig gcm = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, false, 0, 1);
        SaConfig cbc = OffloadFixture.sa(Suite.CBC256_SHA512, 0x200, SaMode.TUNNEL, false, false, false, 0, 2);
        List<byte[]> plain = traffic(false);
        try (OffloadDevice device = backend.create(NIC_CAPS.withSaTableSize(8))) {
            Run sent = encrypt(SoftwareDevice.jca("sw"), new SaConfig[] {gcm, cbc}, new boolean[] {false, false}, plain, pool);
            SaDatabase sad = new SaDatabase();
            SecurityAssociation rxGcm = new SecurityAssociation(gcm);
            SecurityAssociation rxCbc = new SecurityAssociation(cbc);
            sad.put(rxGcm);
            sad.put(rxCbc);
            assertTrue(device.addState(rxGcm).offloaded());
            assertFalse(device.addState(rxCbc).offloaded());
            XfrmStats stats = new XfrmStats();
            List<Integer> flags = new ArrayList<>();
            List<byte[]> back = OffloadFixture.run(new OffloadDecryptStage(device, sad, stats, false), PACKETS,
                    i -> OffloadFixture.load(pool, sent.got().get(i), null), flags);
            assertEquals(PACKETS, back.size(), stats::toString);
            // Per SA in order (input i went with SA i % 2); SAs may overtake each other on an asynchronous device.
            java.util.Map<String, Integer> indexOf = new java.util.HashMap<>();
            for (int i = 0; i < PACKETS; i++) {
                indexOf.put(java.util.HexFormat.of().formatHex(plain.get(i)), i);
            }
            int[] last = {-1, -1};
            for (int k = 0; k < PACKETS; k++) {
                Integer i = indexOf.get(java.util.HexFormat.of().formatHex(back.get(k)));
                assertTrue(i != null, "output " + k + " is no input packet");
                assertTrue(i > last[i % 2], "SA order: " + i + " after " + last[i % 2]);
                last[i % 2] = i;
                assertEquals(i % 2 == 0, (flags.get(k) & PacketBuffer.FLAG_CRYPTO_DONE) != 0, "crypto-done " + i);
            }
            assertEquals(List.of(PACKETS - 2, PACKETS - 1), List.of(last[0], last[1]));
            assertEquals(PACKETS / 2, stats.get(XfrmCounter.EsplineOffloadFallback));
        }
        assertEquals(0, pool.outstanding());
    }

    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ACCELERATOR", "NIC", "SOFTWARE"})
    void deletedStateFallsBackFromTheNextPacket(Backend backend) {
        BufferPool pool = OffloadFixture.pool(128);
        SaConfig gcm = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, false, 0, 1);
        SecurityAssociation reference = new SecurityAssociation(gcm);
        SecurityAssociation tx = new SecurityAssociation(gcm);
        List<byte[]> plain = traffic(false);
        try (OffloadDevice device = backend.create(NIC_CAPS)) {
            assertTrue(device.addState(tx).offloaded());
            List<byte[]> expected = OffloadFixture.run(new EncryptStage(new XfrmStats()), PACKETS,
                    i -> OffloadFixture.load(pool, plain.get(i), reference), null);
            XfrmStats stats = new XfrmStats();
            OffloadEncryptStage stage = new OffloadEncryptStage(device, stats);
            List<byte[]> got = new ArrayList<>(OffloadFixture.run(stage, PACKETS / 2,
                    i -> OffloadFixture.load(pool, plain.get(i), tx), null));
            device.deleteState(tx);
            assertFalse(device.counters(tx).offloaded());
            got.addAll(OffloadFixture.run(stage, PACKETS / 2,
                    i -> OffloadFixture.load(pool, plain.get(PACKETS / 2 + i), tx), null));
            for (int i = 0; i < PACKETS; i++) {
                assertArrayEquals(expected.get(i), got.get(i), "packet " + i);
            }
            assertEquals(PACKETS / 2, stats.get(XfrmCounter.EsplineOffloadFallback));
            assertEquals(PACKETS / 2, device.counters(tx).packets());
            device.freeState(tx);
            assertNull(device.counters(tx));
            assertEquals(0, device.stateCount());
        }
        assertEquals(0, pool.outstanding());
    }

    /** The device's verdict is not the end: a failed ICV is XfrmInStateProtoError, a replay XfrmInStateSeqError. */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"ACCELERATOR", "NIC", "BOUNCYCASTLE", "SOFTWARE"})
    void forgedAndReplayedPacketsAreDroppedAfterTheDevice(Backend backend) {
        BufferPool pool = OffloadFixture.pool(128);
        SaConfig gcm = OffloadFixture.sa(Suite.GCM128, 0x100, SaMode.TUNNEL, false, false, false, 0, 1);
        List<byte[]> plain = traffic(false).subList(0, 4);
        Run sent = encrypt(SoftwareDevice.jca("sw"), new SaConfig[] {gcm}, new boolean[] {false}, plain, pool);
        List<byte[]> wire = new ArrayList<>(sent.got());
        byte[] forged = wire.get(1).clone();
        forged[forged.length - 1] ^= 1;
        wire.set(1, forged);
        wire.add(wire.get(2).clone()); // replay of packet 2
        try (OffloadDevice device = backend.create()) {
            SaDatabase sad = new SaDatabase();
            SecurityAssociation rx = new SecurityAssociation(gcm);
            sad.put(rx);
            assertTrue(device.addState(rx).offloaded());
            XfrmStats stats = new XfrmStats();
            List<byte[]> back = OffloadFixture.run(new OffloadDecryptStage(device, sad, stats, false), wire.size(),
                    i -> OffloadFixture.load(pool, wire.get(i), null), null);
            assertEquals(3, back.size());
            assertEquals(1, stats.get(XfrmCounter.XfrmInStateProtoError), stats::toString);
            assertEquals(1, stats.get(XfrmCounter.XfrmInStateSeqError), stats::toString);
            assertEquals(1, device.counters(rx).icvFailures());
        }
        assertEquals(0, pool.outstanding());
    }

    /**
     * {@code advanceEsn}: a device whose view of an ESN window is behind (the stack advanced it with packets the
     * device never saw) infers the wrong high half and fails the ICV; told the stack's window, it verifies.
     */
    @ParameterizedTest
    @EnumSource(value = Backend.class, names = {"NIC", "ACCELERATOR", "SOFTWARE"})
    void advanceEsnBringsTheDevicesWindowAlong(Backend backend) {
        BufferPool pool = OffloadFixture.pool(64);
        long far = 0x2_0000_0000L;
        SaConfig sent = OffloadFixture.sa(Suite.GCM128, 0x300, SaMode.TUNNEL, false, false, true, far, 3);
        SaConfig received = OffloadFixture.sa(Suite.GCM128, 0x300, SaMode.TUNNEL, false, false, true, 0, 3);
        List<byte[]> plain = traffic(false).subList(0, 4);
        Run wire = encrypt(SoftwareDevice.jca("sw"), new SaConfig[] {sent}, new boolean[] {false}, plain, pool);
        for (boolean tell : new boolean[] {false, true}) {
            try (OffloadDevice device = backend.create()) {
                SaDatabase sad = new SaDatabase();
                SecurityAssociation rx = new SecurityAssociation(received);
                sad.put(rx);
                assertTrue(device.addState(rx).offloaded());
                // The stack's window moved on without the device (e.g. packets decrypted in software meanwhile).
                assertTrue(rx.replayWindow().advance(far));
                if (tell) {
                    device.advanceEsn(rx, rx.replayWindow().top());
                }
                XfrmStats stats = new XfrmStats();
                List<byte[]> back = OffloadFixture.run(new OffloadDecryptStage(device, sad, stats, false), plain.size(),
                        i -> OffloadFixture.load(pool, wire.got().get(i), null), null);
                if (tell) {
                    assertEquals(plain.size(), back.size(), stats::toString);
                    assertEquals(plain.size(), device.counters(rx).packets());
                } else {
                    assertEquals(0, back.size(), "the device inferred the wrong high half: " + stats);
                    assertEquals(plain.size(), stats.get(XfrmCounter.XfrmInStateProtoError));
                    assertEquals(plain.size(), device.counters(rx).icvFailures());
                }
            }
        }
        assertEquals(0, pool.outstanding());
    }
}
