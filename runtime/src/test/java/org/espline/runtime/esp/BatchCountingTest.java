package org.espline.runtime.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.DecryptStage;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;

/**
 * The encrypt and decrypt stages count delivered packets once per run of one SA instead of once per packet; once a
 * batch has left the stage every counter, global and per SA, is exact, however the SAs alternate and whatever was
 * dropped between them.
 */
class BatchCountingTest {
    private final BufferPool pool = new BufferPool(64, 128, 1500, 64, 2);

    private PacketBuffer packet(byte[] bytes, SecurityAssociation sa) {
        return EspTestPackets.packet(pool, bytes, sa);
    }

    @Test
    void countsAreExactAfterEachBatchWithSasAlternatingAndDropsBetween() {
        SecurityAssociation a = new SecurityAssociation(EspTestPackets.gcm(false, SaMode.TUNNEL).spi(0xA00).build());
        SecurityAssociation b = new SecurityAssociation(EspTestPackets.gcm(false, SaMode.TUNNEL).spi(0xB00).build());
        // The pattern: a a b a, a malformed one for b (an empty packet), b b.
        SecurityAssociation[] order = {a, a, b, a, b, b, b};
        XfrmStats txStats = new XfrmStats();
        EncryptStage encrypt = new EncryptStage(txStats);
        PacketBatch in = new PacketBatch(order.length);
        for (int i = 0; i < order.length; i++) {
            in.add(packet(i == 4 ? new byte[0] : EspTestPackets.udp4(100 + i, i), order[i]));
        }
        PacketBatch sealed = new PacketBatch(order.length);
        encrypt.process(in, sealed);
        assertEquals(6, sealed.size());
        assertEquals(6, txStats.get(XfrmCounter.EsplineOutDelivered));
        assertEquals(1, txStats.get(XfrmCounter.XfrmOutError));
        assertEquals(3, a.stats().get(XfrmCounter.EsplineOutDelivered));
        assertEquals(3, b.stats().get(XfrmCounter.EsplineOutDelivered));
        assertEquals(1, b.stats().get(XfrmCounter.XfrmOutError));

        SaDatabase sad = new SaDatabase();
        SecurityAssociation ra = new SecurityAssociation(EspTestPackets.gcm(false, SaMode.TUNNEL).spi(0xA00).build());
        SecurityAssociation rb = new SecurityAssociation(EspTestPackets.gcm(false, SaMode.TUNNEL).spi(0xB00).build());
        sad.put(ra);
        sad.put(rb);
        XfrmStats rxStats = new XfrmStats();
        DecryptStage decrypt = new DecryptStage(sad, rxStats, false);
        PacketBatch opened = new PacketBatch(sealed.size() + 1);
        // A replay of the first packet in the middle: dropped, counted at once, between deliveries of both SAs.
        PacketBatch wire = new PacketBatch(sealed.size() + 1);
        for (int i = 0; i < sealed.size(); i++) {
            wire.add(sealed.get(i));
            if (i == 2) {
                wire.add(packet(sealed.get(0).toByteArray(), null));
            }
        }
        decrypt.process(wire, opened);
        assertEquals(6, opened.size());
        assertEquals(6, rxStats.get(XfrmCounter.EsplineInDelivered));
        assertEquals(1, rxStats.get(XfrmCounter.XfrmInStateSeqError));
        assertEquals(3, ra.stats().get(XfrmCounter.EsplineInDelivered));
        assertEquals(1, ra.stats().get(XfrmCounter.XfrmInStateSeqError));
        assertEquals(3, rb.stats().get(XfrmCounter.EsplineInDelivered));
        opened.releaseAll();
        assertEquals(0, pool.outstanding());
    }
}
