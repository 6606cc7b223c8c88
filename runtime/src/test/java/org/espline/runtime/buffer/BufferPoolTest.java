package org.espline.runtime.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** BufferPool: fixed capacity, balanced outstanding count, no array handed out while a clone sees it. */
class BufferPoolTest {
    private static final int HEADROOM = 64;
    private static final int MTU = 1500;
    private static final int TAILROOM = 100;

    private static BufferPool pool(int capacity) {
        return new BufferPool(capacity, HEADROOM, MTU, TAILROOM, 2);
    }

    @Test
    void geometryOfEveryBuffer() {
        BufferPool p = pool(3);
        assertEquals(3, p.capacity());
        assertEquals(HEADROOM, p.headroom());
        assertEquals(HEADROOM + MTU + TAILROOM, p.bufferSize());
        PacketBuffer b = p.acquire();
        assertEquals(HEADROOM, b.headroom());
        assertEquals(MTU + TAILROOM, b.tailroom());
        assertEquals(0, b.length());
        assertEquals(p.bufferSize(), b.end());
        assertEquals(2, b.maxFragments());
        assertSame(p.stats(), b.stats());
        assertEquals("BufferPool[capacity=3 bufferSize=1664 headroom=64 outstanding=1]", p.toString());
    }

    @Test
    void acquireUntilEmptyThenNull() {
        BufferPool p = pool(3);
        Set<PacketBuffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < 3; i++) {
            PacketBuffer b = p.acquire();
            assertNotNull(b, "buffer " + i);
            assertTrue(seen.add(b), "distinct buffers");
            assertEquals(i + 1, p.outstanding());
        }
        assertNull(p.acquire());
        assertNull(p.acquire());
        assertEquals(3, p.outstanding(), "a failed acquire is not outstanding");
    }

    @Test
    void releaseBalancesOutstandingAndRefillsPool() {
        BufferPool p = pool(2);
        PacketBuffer a = p.acquire();
        PacketBuffer b = p.acquire();
        assertNull(p.acquire());
        a.release();
        assertEquals(1, p.outstanding());
        PacketBuffer again = p.acquire();
        assertSame(a, again, "the only free buffer");
        assertEquals(2, p.outstanding());
        again.release();
        b.release();
        assertEquals(0, p.outstanding());
        assertEquals(0, p.stats().copies.sum());
    }

    @Test
    void doubleReleaseThrowsAndKeepsCount() {
        BufferPool p = pool(2);
        PacketBuffer a = p.acquire();
        p.acquire();
        a.release();
        IllegalStateException e = assertThrows(IllegalStateException.class, a::release);
        assertTrue(e.getMessage().startsWith("double release"), e.getMessage());
        assertEquals(1, p.outstanding());
        // the pool still holds a single copy of a: one acquire succeeds, the next fails
        assertSame(a, p.acquire());
        assertNull(p.acquire());
    }

    @Test
    void releasedBufferIsResetForTheNextPacket() {
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        byte[] array = a.array();
        a.push(20);
        a.put(100);
        a.sequenceNumber(5);
        a.setFlag(PacketBuffer.FLAG_CRYPTO_DONE);
        a.securityAssociation("sa");
        a.release();
        PacketBuffer b = p.acquire();
        assertSame(a, b);
        assertSame(array, b.array(), "private array reused: the pool allocates nothing");
        assertEquals(HEADROOM, b.headroom());
        assertEquals(0, b.length());
        assertEquals(0, b.fragmentCount());
        assertEquals(0, b.flags());
        assertEquals(0, b.sequenceNumber());
        assertNull(b.securityAssociation());
    }

    @Test
    void releaseOfFragmentedBufferDropsFragments() {
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        a.addFragment(new byte[10], 0, 10);
        a.addFragment(new byte[10], 0, 10);
        assertNull(a.trailerArea());
        a.release();
        PacketBuffer b = p.acquire();
        assertEquals(0, b.fragmentCount());
        assertEquals(0, b.length());
        assertNotNull(b.trailerArea());
    }

    @Test
    void sharedBufferReleasedDoesNotHandItsArrayToTheNextAcquirer() {
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        int at = a.put(4);
        a.array()[at] = 1;
        a.array()[at + 1] = 2;
        a.array()[at + 2] = 3;
        a.array()[at + 3] = 4;
        PacketBuffer clone = a.cloneShared();
        byte[] cloneArray = clone.array();
        a.release();
        assertFalse(clone.isShared(), "the clone is now the only user");

        PacketBuffer next = p.acquire();
        assertSame(a, next, "capacity 1: the same PacketBuffer object");
        assertNotSame(cloneArray, next.array(), "must not reuse an array a clone still reads");
        assertEquals(p.bufferSize(), next.end());
        assertFalse(next.isShared());

        int w = next.put(4);
        next.array()[w] = 9;
        next.array()[w + 1] = 9;
        assertArrayEquals(new byte[] {1, 2, 3, 4}, clone.toByteArray());
        assertSame(cloneArray, clone.array());
        assertEquals(0, p.stats().copies.sum(), "releasing does not count as a packet copy");

        clone.release(); // an unpooled clone: only drops its share
        assertEquals(1, p.outstanding());
        next.release();
        assertEquals(0, p.outstanding());
    }

    @Test
    void sharedTrailerAreaIsNotHandedToTheNextAcquirer() {
        // ESP output puts the trailer + ICV in the buffer's private trailer area as a fragment; a clone
        // of the finished packet (capture, retransmit) then reads that area too.
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        a.put(2);
        byte[] trailer = a.trailerArea();
        trailer[0] = 7;
        trailer[1] = 8;
        assertTrue(a.addFragment(trailer, 0, 2));
        PacketBuffer clone = a.cloneShared();
        byte[] before = clone.toByteArray();
        a.release();

        PacketBuffer next = p.acquire();
        byte[] nextTrailer = next.trailerArea();
        assertNotNull(nextTrailer);
        assertNotSame(trailer, nextTrailer, "the clone still reads the old trailer area");
        nextTrailer[0] = 1;
        nextTrailer[1] = 1;
        assertArrayEquals(before, clone.toByteArray());
        assertArrayEquals(new byte[] {0, 0, 7, 8}, clone.toByteArray());
    }

    @Test
    void cloneReleasedFirstLetsPoolKeepTheArray() {
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        byte[] array = a.array();
        PacketBuffer clone = a.cloneShared();
        clone.release();
        assertFalse(a.isShared());
        a.release();
        assertSame(array, p.acquire().array());
    }

    @Test
    void ensureWritableBeforeReleaseKeepsSizes() {
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        a.put(10);
        PacketBuffer clone = a.cloneShared();
        a.ensureWritable();
        assertEquals(1, p.stats().copies.sum());
        assertNotSame(clone.array(), a.array());
        a.release();
        PacketBuffer b = p.acquire();
        assertNotSame(clone.array(), b.array());
        assertEquals(p.bufferSize(), b.end());
    }

    @Test
    void grownBufferGetsAPoolSizedArrayBack() {
        BufferPool p = pool(1);
        PacketBuffer a = p.acquire();
        a.ensureRoom(HEADROOM + 100, TAILROOM);
        assertEquals(1, p.stats().copies.sum());
        assertTrue(a.end() > p.bufferSize());
        a.release();
        PacketBuffer b = p.acquire();
        assertEquals(p.bufferSize(), b.end());
        assertEquals(HEADROOM, b.headroom());
    }

    @Test
    void invalidConfigurationRefused() {
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(0, 0, 1500, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(1, -1, 1500, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(1, 0, 0, 0, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new BufferPool(1, 0, 1500, -1, 0));
        assertTrue(e.getMessage().contains("tailroom=-1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new BufferPool(1, 0, 1500, 0, -1));
    }

    @Test
    void concurrentAcquireReleaseBalances() throws Exception {
        BufferPool p = pool(8);
        int threads = 8;
        int rounds = 20_000;
        AtomicLong nulls = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < rounds; i++) {
                        PacketBuffer b = p.acquire();
                        if (b == null) {
                            nulls.incrementAndGet();
                            continue;
                        }
                        if (b.headroom() != HEADROOM || b.length() != 0) {
                            throw new AssertionError("dirty buffer handed out: " + b);
                        }
                        b.put(1);
                        b.release();
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            ts.add(th);
            th.start();
        }
        start.countDown();
        for (Thread th : ts) {
            th.join();
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        assertEquals(0, p.outstanding());
        assertEquals(0, nulls.get(), "8 threads, 8 buffers, each holds at most one");
        for (int i = 0; i < 8; i++) {
            assertNotNull(p.acquire());
        }
        assertNull(p.acquire());
    }

    @Test
    void statsResetAndToString() {
        BufferStats s = new BufferStats();
        s.copies.increment();
        s.linearisations.add(2);
        s.trailerFragments.add(3);
        assertEquals("BufferStats[copies=1 linearisations=2 trailerFragments=3]", s.toString());
        s.reset();
        assertEquals(0, s.copies.sum());
        assertEquals(0, s.linearisations.sum());
        assertEquals(0, s.trailerFragments.sum());
    }

    @Test
    void aThreadGetsBackTheBufferItReleasedLastFromALargePool() {
        BufferPool p = pool(BufferPool.CACHED_POOL_MIN);
        List<PacketBuffer> held = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            held.add(p.acquire());
        }
        PacketBuffer last = held.get(17);
        for (PacketBuffer b : held) {
            if (b != last) {
                b.release();
            }
        }
        last.release();
        assertSame(last, p.acquire(), "the warmest buffer comes back first");
        assertEquals(1, p.outstanding());
    }

    @Test
    void everyBufferOfALargePoolCanBeTakenWhileAnotherThreadHoldsNone() throws Exception {
        BufferPool p = pool(BufferPool.CACHED_POOL_MIN);
        // Another thread takes and returns buffers (its stack keeps some) and ends: they are not lost.
        Thread t = new Thread(() -> {
            List<PacketBuffer> mine = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                mine.add(p.acquire());
            }
            mine.forEach(PacketBuffer::release);
        });
        t.start();
        t.join();
        Set<PacketBuffer> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        PacketBuffer b;
        while ((b = p.acquire()) != null) {
            assertTrue(seen.add(b), "a buffer handed out twice");
        }
        assertEquals(BufferPool.CACHED_POOL_MIN, seen.size());
        assertEquals(BufferPool.CACHED_POOL_MIN, p.outstanding());
        seen.forEach(PacketBuffer::release);
        assertEquals(0, p.outstanding());
    }

    @Test
    void buffersReleasedOnAnotherThreadComeBackThroughTheRing() throws Exception {
        BufferPool p = pool(BufferPool.CACHED_POOL_MIN);
        // The producer/consumer shape of a link between two pipelines: one thread acquires, another releases.
        java.util.concurrent.ArrayBlockingQueue<PacketBuffer> link = new java.util.concurrent.ArrayBlockingQueue<>(64);
        final int packets = 200_000;
        Thread consumer = new Thread(() -> {
            try {
                for (int i = 0; i < packets; i++) {
                    link.take().release();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        consumer.start();
        for (int i = 0; i < packets; i++) {
            PacketBuffer b;
            while ((b = p.acquire()) == null) {
                Thread.onSpinWait();
            }
            link.put(b);
        }
        consumer.join();
        assertEquals(0, p.outstanding());
    }

    @Test
    void smallPoolsKeepNoBuffersInThreadStacks() throws Exception {
        BufferPool p = pool(4);
        PacketBuffer[] got = new PacketBuffer[4];
        for (int i = 0; i < 4; i++) {
            got[i] = p.acquire();
        }
        Thread t = new Thread(() -> got[0].release());
        t.start();
        t.join(); // released on a thread that is still known to have ended: the buffer must be visible at once anyway
        assertNotNull(p.acquire());
        assertNull(p.acquire());
    }
}
