package org.espline.runtime.esp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.EncryptStage;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.sa.Lifetime;
import org.espline.runtime.sa.SaMode;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;
import org.junit.jupiter.api.Test;

/**
 * A run of packets of one SA takes its sequence numbers and lifetime in one step ({@link EspOutput#reserveRun});
 * what the packets see must be what one-by-one taking gives: consecutive numbers with no gap for a dropped packet,
 * lifetimes holding exactly the packets sent, a hard limit falling on the exact packet, and no number handed out
 * twice when another thread takes numbers of the SA meanwhile.
 */
class RunReservationTest {
    private final BufferPool pool = new BufferPool(64, 128, 1500, 64, 2);

    private PacketBuffer packet(byte[] bytes, SecurityAssociation sa) {
        return EspTestPackets.packet(pool, bytes, sa);
    }

    private static SecurityAssociation sa(Lifetime hard) {
        return new SecurityAssociation(EspTestPackets.gcm(false, SaMode.TUNNEL).spi(0xC00).hardLifetime(hard).build());
    }

    @Test
    void aDroppedPacketInsideARunLeavesNoGapAndNoLifetime() {
        SecurityAssociation sa = sa(Lifetime.UNLIMITED);
        XfrmStats stats = new XfrmStats();
        EncryptStage encrypt = new EncryptStage(stats);
        PacketBatch in = new PacketBatch(6);
        long bytes = 0;
        for (int i = 0; i < 6; i++) {
            byte[] p = i == 2 ? new byte[0] : EspTestPackets.udp4(200 + i, i); // the third is malformed (empty)
            bytes += p.length;
            in.add(packet(p, sa));
        }
        PacketBatch out = new PacketBatch(6);
        encrypt.process(in, out);

        assertEquals(5, out.size());
        for (int i = 0; i < out.size(); i++) {
            assertEquals(i + 1, out.get(i).sequenceNumber(), "packet " + i + "'s sequence number");
        }
        assertEquals(5, sa.outboundSequence(), "the number reserved for the dropped packet was given back");
        assertEquals(5, sa.packets(), "lifetime packets: those sent");
        assertEquals(bytes, sa.bytes(), "lifetime bytes: those sent (the dropped packet had none)");
        assertEquals(1, stats.get(XfrmCounter.XfrmOutError));

        // The next batch goes on from there.
        PacketBatch more = new PacketBatch(2);
        more.add(packet(EspTestPackets.udp4(64, 9), sa));
        more.add(packet(EspTestPackets.udp4(64, 10), sa));
        PacketBatch out2 = new PacketBatch(2);
        encrypt.process(more, out2);
        assertEquals(6, out2.get(0).sequenceNumber());
        assertEquals(7, out2.get(1).sequenceNumber());
        out.releaseAll();
        out2.releaseAll();
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aHardPacketLimitInsideARunFallsOnTheExactPacket() {
        SecurityAssociation sa = sa(Lifetime.UNLIMITED.withPackets(3));
        XfrmStats stats = new XfrmStats();
        EncryptStage encrypt = new EncryptStage(stats);
        PacketBatch in = new PacketBatch(5);
        for (int i = 0; i < 5; i++) {
            in.add(packet(EspTestPackets.udp4(100, i), sa));
        }
        PacketBatch out = new PacketBatch(5);
        encrypt.process(in, out);

        assertEquals(3, out.size(), "packets inside the hard limit");
        assertEquals(2, stats.get(XfrmCounter.XfrmOutStateExpired));
        assertEquals(List.of(1L, 2L, 3L), numbers(out));
        out.releaseAll();
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aHardByteLimitInsideARunFallsOnTheExactPacket() {
        byte[] p = EspTestPackets.udp4(100, 1);
        SecurityAssociation sa = sa(Lifetime.UNLIMITED.withBytes(2L * p.length + 1));
        XfrmStats stats = new XfrmStats();
        EncryptStage encrypt = new EncryptStage(stats);
        PacketBatch in = new PacketBatch(4);
        for (int i = 0; i < 4; i++) {
            in.add(packet(p, sa));
        }
        PacketBatch out = new PacketBatch(4);
        encrypt.process(in, out);

        assertEquals(2, out.size());
        assertEquals(2, stats.get(XfrmCounter.XfrmOutStateExpired));
        out.releaseAll();
        assertEquals(0, pool.outstanding());
    }

    @Test
    void numbersAnotherThreadTookMeanwhileAreNeverHandedOutTwice() {
        SecurityAssociation sa = sa(Lifetime.UNLIMITED);
        XfrmStats stats = new XfrmStats();
        EspOutput esp = new EspOutput(stats);
        byte[] p = EspTestPackets.udp4(100, 1);
        esp.reserveRun(sa, 3, 3L * p.length); // numbers 1..3
        assertEquals(4, sa.nextOutboundSequence(), "another thread, meanwhile");
        PacketBuffer first = packet(p, sa);
        assertEquals(XfrmCounter.EsplineOutDelivered, esp.encapsulateInBatch(first, sa));
        esp.endBatch(); // 2 and 3 unused, but 4 is taken: they stay taken (a gap), never reused
        assertEquals(4, sa.outboundSequence());
        PacketBuffer second = packet(p, sa);
        assertEquals(XfrmCounter.EsplineOutDelivered, esp.encapsulateInBatch(second, sa));
        esp.endBatch();
        assertEquals(List.of(1L, 5L), List.of(first.sequenceNumber(), second.sequenceNumber()));
        assertEquals(2, sa.packets(), "lifetime: the two packets sent, the unused reservation given back");
        first.release();
        second.release();
    }

    @Test
    void aPacketOfAnotherSaEndsTheRunAndTakesItsOwnNumber() {
        SecurityAssociation a = sa(Lifetime.UNLIMITED);
        SecurityAssociation b = new SecurityAssociation(EspTestPackets.gcm(false, SaMode.TUNNEL).spi(0xD00).build());
        EspOutput esp = new EspOutput(new XfrmStats());
        byte[] p = EspTestPackets.udp4(100, 1);
        esp.reserveRun(a, 4, 4L * p.length);
        PacketBuffer x = packet(p, a);
        PacketBuffer y = packet(p, b);
        PacketBuffer z = packet(p, a);
        esp.encapsulateInBatch(x, a);
        esp.encapsulateInBatch(y, b); // gives back a's three unused numbers
        esp.encapsulateInBatch(z, a); // takes its own: 2
        esp.endBatch();
        assertEquals(List.of(1L, 1L, 2L), List.of(x.sequenceNumber(), y.sequenceNumber(), z.sequenceNumber()));
        assertEquals(2, a.outboundSequence());
        assertEquals(2, a.packets());
        x.release();
        y.release();
        z.release();
    }

    private static List<Long> numbers(PacketBatch batch) {
        List<Long> l = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            l.add(batch.get(i).sequenceNumber());
        }
        return l;
    }
}
