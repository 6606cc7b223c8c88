package org.espline.runtime.offload;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.offload.OffloadFixture.Suite;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.sa.SaConfig;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A slow accelerator (two engines, 200 µs per packet, a ring of 4) under a source that offers a batch of 16 on every
 * call: the ring is BUSY most of the time, the pipeline holds what it did not take and retries, and in the end every
 * packet came out, each SA's packets in their order with consecutive sequence numbers, byte for byte what the
 * software path makes of the same per-SA sequence. The same on receive.
 */
class AcceleratorBackPressureTest {
    private static final int PACKETS = 300;
    private static final int SAS = 3;

    @Test
    @Timeout(60)
    void slowDeviceTinyRingFastSourceLosesNothingAndKeepsPerSaOrder() {
        BufferPool pool = OffloadFixture.pool(64);
        SaConfig[] configs = new SaConfig[SAS];
        SecurityAssociation[] reference = new SecurityAssociation[SAS];
        SecurityAssociation[] tx = new SecurityAssociation[SAS];
        for (int s = 0; s < SAS; s++) {
            configs[s] = OffloadFixture.sa(Suite.GCM128, 0x700 + s, SaMode.TUNNEL, false, false, false, 0, s);
            reference[s] = new SecurityAssociation(configs[s]);
            tx[s] = new SecurityAssociation(configs[s]);
        }
        List<byte[]> plain = OffloadFixture.traffic(false, PACKETS, 5);
        // Uneven interleaving: SA i % 5 < 3 ? ... so the lanes are not in lock step.
        int[] saOf = new int[PACKETS];
        for (int i = 0; i < PACKETS; i++) {
            saOf[i] = (i * 7 + i / 11) % SAS;
        }
        List<byte[]> expected = OffloadFixture.run(new EncryptStage(new XfrmStats()), PACKETS,
                i -> OffloadFixture.load(pool, plain.get(i), reference[saOf[i]]), null);

        try (LookasideAccelerator qat = new LookasideAccelerator("qat0", OffloadCapabilities.unlimited(), 2, 4, 200, 0)) {
            for (SecurityAssociation sa : tx) {
                assertTrue(qat.addState(sa).offloaded());
            }
            XfrmStats stats = new XfrmStats();
            List<byte[]> got = OffloadFixture.run(new OffloadEncryptStage(qat, stats), PACKETS,
                    i -> OffloadFixture.load(pool, plain.get(i), tx[saOf[i]]), null);
            assertEquals(PACKETS, got.size(), "every packet came out");
            assertEquals(PACKETS, stats.get(XfrmCounter.EsplineOutDelivered));
            assertEquals(0, stats.totalDrops());
            assertTrue(qat.events().get(XfrmCounter.EsplineOffloadBusy) > 0, "the ring was BUSY: " + qat.events());

            // Per SA: the device's packets are the software packets of that SA, in the same order.
            Map<Integer, List<byte[]>> bySaExpected = bySpi(expected);
            Map<Integer, List<byte[]>> bySaGot = bySpi(got);
            assertEquals(bySaExpected.keySet(), bySaGot.keySet());
            for (Map.Entry<Integer, List<byte[]>> e : bySaExpected.entrySet()) {
                List<byte[]> g = bySaGot.get(e.getKey());
                assertEquals(e.getValue().size(), g.size());
                for (int i = 0; i < g.size(); i++) {
                    assertArrayEquals(e.getValue().get(i), g.get(i), "SPI " + e.getKey() + " packet " + i);
                    assertEquals(i + 1, seq(g.get(i)), "sequence numbers in order");
                }
            }

            // Receive through the same slow device: all back, per-SA order kept.
            SaDatabase sad = new SaDatabase();
            for (SaConfig c : configs) {
                SecurityAssociation rx = new SecurityAssociation(c);
                sad.put(rx);
                qat.addState(rx);
            }
            XfrmStats rxStats = new XfrmStats();
            List<byte[]> back = OffloadFixture.run(new OffloadDecryptStage(qat, sad, rxStats, false), PACKETS,
                    i -> OffloadFixture.load(pool, got.get(i), null), null);
            assertEquals(PACKETS, back.size(), rxStats::toString);
            // Decrypted packets carry no SPI: find each one's index in the input; per SA the indices must rise.
            Map<String, Integer> indexOf = new HashMap<>();
            for (int i = 0; i < PACKETS; i++) {
                indexOf.put(java.util.HexFormat.of().formatHex(plain.get(i)), i);
            }
            int[] last = {-1, -1, -1};
            java.util.Set<Integer> seen = new java.util.HashSet<>();
            for (byte[] p : back) {
                Integer i = indexOf.get(java.util.HexFormat.of().formatHex(p));
                assertTrue(i != null, "a decrypted packet that was never sent");
                assertTrue(seen.add(i), "packet " + i + " twice");
                assertTrue(i > last[saOf[i]], "SA " + saOf[i] + ": packet " + i + " after " + last[saOf[i]]);
                last[saOf[i]] = i;
            }
        }
        assertEquals(0, pool.outstanding(), "pool balance");
    }

    private static Map<Integer, List<byte[]>> bySpi(List<byte[]> esp) {
        Map<Integer, List<byte[]>> m = new HashMap<>();
        for (byte[] p : esp) {
            m.computeIfAbsent(spi(p), k -> new ArrayList<>()).add(p);
        }
        return m;
    }

    /** Outer IPv4, plain ESP: SPI at 20. */
    private static int spi(byte[] p) {
        return ((p[20] & 0xFF) << 24) | ((p[21] & 0xFF) << 16) | ((p[22] & 0xFF) << 8) | (p[23] & 0xFF);
    }

    private static long seq(byte[] p) {
        return ((p[24] & 0xFFL) << 24) | ((p[25] & 0xFF) << 16) | ((p[26] & 0xFF) << 8) | (p[27] & 0xFF);
    }
}
