package org.espline.runtime.buffer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The pool's lock-free ring: FIFO, bounded, and under contention it neither loses nor duplicates a buffer. */
class FreeListTest {
    private static PacketBuffer buffer() {
        return new PacketBuffer(16, 1, new BufferStats());
    }

    @Test
    void firstInFirstOutAndBounded() {
        FreeList l = new FreeList(3); // rounded up to 4
        assertNull(l.poll());
        List<PacketBuffer> in = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            PacketBuffer b = buffer();
            in.add(b);
            assertTrue(l.offer(b));
        }
        assertFalse(l.offer(buffer()), "full at the rounded capacity");
        for (int round = 0; round < 3; round++) {
            for (PacketBuffer b : in) {
                assertSame(b, l.poll());
                assertTrue(l.offer(b));
            }
        }
        for (PacketBuffer b : in) {
            assertSame(b, l.poll());
        }
        assertNull(l.poll());
    }

    @Test
    @Timeout(60)
    void fourThreadsTakingAndReturningKeepEveryBufferExactlyOnce() throws Exception {
        final int buffers = 64;
        FreeList l = new FreeList(buffers);
        List<PacketBuffer> all = new ArrayList<>();
        for (int i = 0; i < buffers; i++) {
            PacketBuffer b = buffer();
            all.add(b);
            assertTrue(l.offer(b));
        }
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread w = new Thread(() -> {
                try {
                    start.await();
                    PacketBuffer[] held = new PacketBuffer[8];
                    for (int i = 0; i < 200_000; i++) {
                        int n = 0;
                        for (int k = 0; k < held.length; k++) {
                            PacketBuffer b = l.poll();
                            if (b != null) {
                                held[n++] = b;
                            }
                        }
                        for (int k = 0; k < n; k++) {
                            if (!l.offer(held[k])) {
                                throw new AssertionError("a free list of 64 refused its own buffer");
                            }
                        }
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            workers.add(w);
            w.start();
        }
        start.countDown();
        for (Thread w : workers) {
            w.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        IdentityHashMap<PacketBuffer, Boolean> seen = new IdentityHashMap<>();
        PacketBuffer b;
        while ((b = l.poll()) != null) {
            assertNull(seen.put(b, Boolean.TRUE), "a buffer came out twice");
        }
        assertEquals(buffers, seen.size(), "every buffer is back");
        assertTrue(seen.keySet().containsAll(all));
    }
}
