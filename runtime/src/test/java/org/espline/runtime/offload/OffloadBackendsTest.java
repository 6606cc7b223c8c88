package org.espline.runtime.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.crypto.BcEspTransforms;
import org.espline.runtime.offload.OffloadFixture.Suite;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every backend, every test algorithm: the device's ESP is byte for byte the software path's (the inline
 * {@link EncryptStage} on a twin SA in the same state), including a run across 2^32 (ESN) and across 2^31 (no ESN);
 * the device decrypts it back to the original packets, marking what it did; and the counters say which path each
 * packet took. The independent check of the software path itself (scapy, tshark, RFC vectors) is elsewhere; the CLI
 * test {@code OffloadScapyInteropTest} runs the backends against scapy directly.
 */
class OffloadBackendsTest {
    private static final int PACKETS = 40;

    static Stream<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (Backend b : Backend.values()) {
            for (Suite s : Suite.values()) {
                l.add(Arguments.of(b, s, SaMode.TUNNEL, false, true, true));
                l.add(Arguments.of(b, s, SaMode.TRANSPORT, true, false, false));
            }
        }
        return l.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2} v6={3} natT={4} esn={5}")
    @MethodSource("cases")
    void deviceBytesAreSoftwareBytesAndDecryptBack(Backend backend, Suite suite, SaMode mode, boolean v6, boolean natT,
                                                   boolean esn) {
        long start = esn ? 0xFFFF_FFF0L : 0x7FFF_FFF0L;
        SaConfig cfg = OffloadFixture.sa(suite, 0x5001, mode, v6, natT, esn, start, suite.ordinal());
        BufferPool pool = OffloadFixture.pool(256);
        List<byte[]> plain = new ArrayList<>();
        for (int i = 0; i < PACKETS; i++) {
            plain.add(OffloadFixture.udp(v6, 4 + (i * 37) % 1400, i, false, mode == SaMode.TRANSPORT));
        }

        SecurityAssociation reference = new SecurityAssociation(cfg);
        XfrmStats refStats = new XfrmStats();
        List<byte[]> expected = OffloadFixture.run(new EncryptStage(refStats), PACKETS,
                i -> OffloadFixture.load(pool, plain.get(i), reference), null);
        assertEquals(PACKETS, expected.size());

        try (OffloadDevice device = backend.create()) {
            SecurityAssociation tx = new SecurityAssociation(cfg);
            boolean offloaded = device.addState(tx).offloaded();
            boolean bcRefuses = backend == Backend.BOUNCYCASTLE && !BcEspTransforms.supports(cfg);
            assertEquals(!bcRefuses, offloaded, "addState");
            XfrmStats stats = new XfrmStats();
            List<Integer> flags = new ArrayList<>();
            List<byte[]> got = OffloadFixture.run(new OffloadEncryptStage(device, stats), PACKETS,
                    i -> OffloadFixture.load(pool, plain.get(i), tx), flags);
            assertEquals(PACKETS, got.size(), "delivered");
            for (int i = 0; i < PACKETS; i++) {
                assertArrayEquals(expected.get(i), got.get(i), "packet " + i + " differs from the software path");
                assertEquals(offloaded, (flags.get(i) & PacketBuffer.FLAG_OFFLOADED) != 0, "offloaded mark " + i);
            }
            assertEquals(PACKETS, stats.get(XfrmCounter.EsplineOutDelivered));
            assertEquals(offloaded ? 0 : PACKETS, stats.get(XfrmCounter.EsplineOffloadFallback));
            if (offloaded) {
                assertEquals(PACKETS, device.counters(tx).packets(), "device counter");
            }

            // Receive: the device decrypts what it sent, through a twin inbound SA.
            SaDatabase sad = new SaDatabase();
            SecurityAssociation rx = new SecurityAssociation(cfg);
            sad.put(rx);
            assertEquals(offloaded, device.addState(rx).offloaded());
            XfrmStats rxStats = new XfrmStats();
            List<Integer> rxFlags = new ArrayList<>();
            List<byte[]> back = OffloadFixture.run(new OffloadDecryptStage(device, sad, rxStats, false), PACKETS,
                    i -> OffloadFixture.load(pool, got.get(i), null), rxFlags);
            assertEquals(PACKETS, back.size(), () -> "decrypted: " + rxStats);
            for (int i = 0; i < PACKETS; i++) {
                assertArrayEquals(plain.get(i), back.get(i), "decrypted packet " + i);
                assertEquals(offloaded, (rxFlags.get(i) & PacketBuffer.FLAG_CRYPTO_DONE) != 0, "crypto-done mark " + i);
            }
            assertEquals(PACKETS, rxStats.get(XfrmCounter.EsplineInDelivered));
            assertEquals(0, rxStats.totalDrops(), rxStats::toString);
            assertEquals(offloaded ? 0 : PACKETS, rxStats.get(XfrmCounter.EsplineOffloadFallback));
            assertEquals(start + PACKETS, rx.replayWindow().top(), "the stack's replay window advanced");
        }
        assertEquals(0, pool.outstanding(), "pool balance");
    }
}
