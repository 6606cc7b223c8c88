package org.espline.runtime.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.port.MemorySourcePort;
import org.espline.runtime.port.SinkPort;

/**
 * AbstractPipeline gathers survivors behind an asynchronous stage: a burst that completes one packet per call still
 * reaches the sink as one run, a lone packet is not held, a sink that takes a few at a time gets everything in order,
 * and nothing is left behind at the end of input.
 */
class GatheringTest {
    private final BufferPool pool = new BufferPool(256, 0, 64, 0, 0);

    /** Holds what it is given and releases one packet per call, oldest first (an engine completing slowly). */
    private static final class Trickle implements Stage {
        private final PacketBatch held = new PacketBatch(512);

        @Override
        public void process(PacketBatch in, PacketBatch out) {
            held.moveFrom(in);
            if (!held.isEmpty()) {
                out.add(held.get(0));
                held.removeFirst(1);
            }
        }

        @Override
        public int inFlight() { return held.size(); }
    }

    /** Takes at most {@code perCall} packets per send; records each call's count and the packets' first bytes. */
    private static final class RecordingSink implements SinkPort {
        final int perCall;
        final List<Integer> sends = new ArrayList<>();
        final List<Integer> order = new ArrayList<>();
        boolean finished;

        RecordingSink(int perCall) {
            this.perCall = perCall;
        }

        @Override
        public int send(PacketBatch from) {
            final int n = Math.min(perCall, from.size());
            for (int i = 0; i < n; i++) {
                PacketBuffer p = from.get(i);
                order.add(p.array()[p.data()] & 0xFF);
                p.release();
            }
            from.removeFirst(n);
            sends.add(n);
            return n;
        }

        @Override
        public void finish() {
            finished = true;
        }
    }

    private static List<byte[]> packets(int n) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new byte[] {(byte) i, 1, 2, 3});
        }
        return l;
    }

    private static void runToEnd(Pipeline p) {
        for (int i = 0; i < 10_000 && p.runOnce() >= 0; i++) {
            // the trickle stage needs one call per packet
        }
        assertTrue(p.isFinished(), "the pipeline finished");
    }

    @Test
    void aBurstCompletingOnePacketPerCallReachesTheSinkAsOneRun() {
        RecordingSink sink = new RecordingSink(Integer.MAX_VALUE);
        Pipeline p = new Pipeline(new MemorySourcePort(pool, packets(10)), new Stage[] {new Trickle()}, sink, 16);
        runToEnd(p);
        assertEquals(List.of(10), sink.sends, "one send of the whole burst");
        assertEquals(10, p.delivered());
        assertTrue(sink.finished);
        assertEquals(0, pool.outstanding());
    }

    @Test
    void aLonePacketIsNotHeld() {
        RecordingSink sink = new RecordingSink(Integer.MAX_VALUE);
        Pipeline p = new Pipeline(new MemorySourcePort(pool, packets(1)), new Stage[] {new Trickle()}, sink, 16);
        assertEquals(1, p.runOnce());
        assertEquals(1, p.delivered(), "nothing else in flight: it left in the same call");
        runToEnd(p);
        assertEquals(0, pool.outstanding());
    }

    @Test
    void runsAreCappedAtTheTargetAndASlowSinkGetsEverythingInOrder() {
        final int n = 3 * AbstractPipeline.GATHER_TARGET + 5;
        RecordingSink sink = new RecordingSink(7);
        Pipeline p = new Pipeline(new MemorySourcePort(pool, packets(n)), new Stage[] {new Trickle()}, sink, 255);
        runToEnd(p);
        assertEquals(n, p.delivered());
        assertEquals(0, p.pending());
        for (int i = 0; i < n; i++) {
            assertEquals(i & 0xFF, sink.order.get(i), "packet " + i + " in order");
        }
        assertTrue(sink.sends.stream().allMatch(k -> k <= 7));
        assertEquals(0, pool.outstanding());

        RecordingSink wide = new RecordingSink(Integer.MAX_VALUE);
        Pipeline q = new Pipeline(new MemorySourcePort(pool, packets(n)), new Stage[] {new Trickle()}, wide, 255);
        runToEnd(q);
        assertEquals(List.of(64, 64, 64, 5), wide.sends, "runs of the gather target, then the rest when nothing is in flight");
    }
}
