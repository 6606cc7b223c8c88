package org.espline.runtime.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;

import org.espline.runtime.sa.ReplayLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** RFC 4303 §3.4.3 anti-replay with the two-phase check/advance, against a simple reference model. */
class ReplayWindowTest {

    /**
     * The obvious window: the accepted numbers inside it in a TreeSet, the right edge, unsigned order.
     * Slow and plainly correct; the ring must agree with it on every call.
     */
    static final class ModelWindow {
        final long window;
        long top;
        final TreeSet<Long> seen = new TreeSet<>(Long::compareUnsigned);

        ModelWindow(int window, long initial) {
            this.window = window;
            this.top = initial;
        }

        boolean isNew(long seq) {
            if (seq == 0) {
                return false;
            }
            if (window == 0 || Long.compareUnsigned(seq, top) > 0) {
                return true;
            }
            if (Long.compareUnsigned(top - seq, window) >= 0) {
                return false;
            }
            return !seen.contains(seq);
        }

        boolean advance(long seq) {
            if (!isNew(seq)) {
                return false;
            }
            if (Long.compareUnsigned(seq, top) > 0) {
                top = seq;
            }
            if (window != 0) {
                seen.add(seq);
                // forget what fell out on the left
                while (!seen.isEmpty() && Long.compareUnsigned(top - seen.first(), window) >= 0) {
                    seen.pollFirst();
                }
            }
            return true;
        }
    }

    // ------------------------------------------------------------------ basics

    @Test
    void newNumbersAcceptedDuplicatesRejected() {
        ReplayWindow w = new ReplayWindow(32, 0);
        assertEquals(0, w.top());
        assertTrue(w.check(1));
        assertTrue(w.advance(1));
        assertEquals(1, w.top());
        assertFalse(w.check(1));
        assertFalse(w.advance(1));
        assertTrue(w.advance(3));
        assertTrue(w.check(2), "skipped number inside the window is still new");
        assertTrue(w.advance(2));
        assertFalse(w.check(2));
        assertFalse(w.check(3));
        assertEquals(3, w.top());
    }

    @Test
    void sequenceZeroIsNeverAccepted() {
        assertFalse(new ReplayWindow(32, 0).check(0));
        assertFalse(new ReplayWindow(32, 0).advance(0));
        assertFalse(new ReplayWindow(0, 0).check(0), "not even without replay protection");
        ReplayWindow w = new ReplayWindow(0, 0);
        assertFalse(w.advance(0));
        assertEquals(0, w.top());
    }

    @Test
    void leftEdgeIsInsideAndOneFurtherIsOutside() {
        ReplayWindow w = new ReplayWindow(64, 0);
        assertTrue(w.advance(100));
        // window covers 37..100
        assertTrue(w.check(37), "exactly at the left edge");
        assertFalse(w.check(36), "one left of the window");
        assertFalse(w.advance(36));
        assertTrue(w.advance(37));
        assertFalse(w.check(37));
        assertEquals(100, w.top(), "a number inside the window does not move the edge");
    }

    @Test
    void windowOfOneAcceptsOnlyNewRightEdges() {
        ReplayWindow w = new ReplayWindow(1, 0);
        assertTrue(w.advance(5));
        assertFalse(w.check(5));
        assertFalse(w.check(4));
        assertTrue(w.advance(6));
    }

    @Test
    void jumpLargerThanWindowClearsState() {
        ReplayWindow w = new ReplayWindow(64, 0);
        for (long s = 1; s <= 64; s++) {
            assertTrue(w.advance(s));
        }
        assertTrue(w.advance(64 + 10_000));
        for (long s = 64 + 10_000 - 63; s < 64 + 10_000; s++) {
            assertTrue(w.check(s), "stale bit for " + s);
        }
        assertFalse(w.check(64 + 10_000 - 64));
        assertFalse(w.check(64));
    }

    @Test
    void jumpOfExactlyTheRingLengthClearsState() {
        // ring for 64 is 2 words = 128 bits: the same bit positions come round after 128
        ReplayWindow w = new ReplayWindow(64, 0);
        for (long s = 65; s <= 128; s++) {
            assertTrue(w.advance(s));
        }
        assertTrue(w.advance(256));
        for (long s = 193; s < 256; s++) {
            assertTrue(w.check(s), "stale bit for " + s);
        }
    }

    @Test
    void windowZeroDisablesReplayCheckButTracksTop() {
        ReplayWindow w = new ReplayWindow(0, 0);
        assertEquals(0, w.size());
        assertTrue(w.advance(5));
        assertTrue(w.advance(5), "duplicates pass without replay protection");
        assertTrue(w.check(1));
        assertTrue(w.advance(1));
        assertEquals(5, w.top(), "top still tracked for ESN inference");
        assertTrue(w.advance(0xFFFF_FFFFL));
        assertEquals(0xFFFF_FFFFL, w.top());
    }

    @Test
    void initialSequenceIsTheRightEdge() {
        ReplayWindow w = new ReplayWindow(32, 1000);
        assertEquals(1000, w.top());
        assertTrue(w.check(969), "left edge of a window resumed at 1000");
        assertFalse(w.check(968));
        assertTrue(w.advance(1001));
    }

    @Test
    void advanceFailsWhenAnotherAdvanceWonTheRace() {
        ReplayWindow w = new ReplayWindow(64, 0);
        w.advance(10);
        // two packets with the same number both pass the pre-check ...
        assertTrue(w.check(7));
        assertTrue(w.check(7));
        // ... the first to verify wins, the second is the replay
        assertTrue(w.advance(7));
        assertFalse(w.advance(7));
        // same for a new right edge
        assertTrue(w.check(11));
        assertTrue(w.check(11));
        assertTrue(w.advance(11));
        assertFalse(w.advance(11));
        assertEquals(11, w.top());
    }

    @Test
    void checkDoesNotRecord() {
        ReplayWindow w = new ReplayWindow(64, 0);
        assertTrue(w.check(5));
        assertTrue(w.check(5));
        assertEquals(0, w.top(), "only advance moves the window");
    }

    @Test
    void checkFailsAfterWindowMovedPast() {
        ReplayWindow w = new ReplayWindow(32, 0);
        assertTrue(w.advance(1));
        assertTrue(w.check(2));
        assertTrue(w.advance(40)); // 2 is now left of 9..40
        assertFalse(w.advance(2));
    }

    @Test
    void sizeLimits() {
        assertEquals(ReplayLimits.MAX_WINDOW, new ReplayWindow(ReplayLimits.MAX_WINDOW, 0).size());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ReplayWindow(ReplayLimits.MAX_WINDOW + 1, 0));
        assertTrue(e.getMessage().contains(String.valueOf(ReplayLimits.MAX_WINDOW + 1)), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ReplayWindow(-1, 0));
    }

    @Test
    void unsignedComparisonAboveTwoToThe63() {
        long base = 0x8000_0000_0000_0000L; // negative as a signed long
        ReplayWindow w = new ReplayWindow(64, base - 10);
        assertTrue(w.advance(base + 5));
        assertEquals(base + 5, w.top());
        assertFalse(w.check(base - 10 - 100), "left of the window, across the signed boundary");
        assertTrue(w.check(base - 58));
        assertFalse(w.check(base - 59));
        assertTrue(w.advance(-1L), "2^64-1 is the largest ESN");
        assertFalse(w.check(-2L - 64));
        assertTrue(w.check(-2L));
        assertFalse(w.check(1), "0x1 is far left of 0xFFFF...");
    }

    @Test
    void toStringShowsSizeAndTop() {
        ReplayWindow w = new ReplayWindow(128, 0);
        w.advance(0x1_0000_0002L);
        assertEquals("ReplayWindow[size=128 top=0x100000002]", w.toString());
    }

    // ------------------------------------------------------------------ ring wrap and model comparison

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 128, 1000, 4096, 65536, 1 << 20})
    void inOrderStreamWrapsTheRingManyTimes(int size) {
        ReplayWindow w = new ReplayWindow(size, 0);
        long n = Math.max(10L * size, 5000);
        for (long s = 1; s <= n; s++) {
            if (!w.advance(s)) {
                fail("in-order " + s + " rejected, window " + size);
            }
        }
        assertEquals(n, w.top());
        // every number still in the window is a replay, every one outside too
        for (long s = n - size + 1; s <= n; s += Math.max(1, size / 257)) {
            assertFalse(w.check(s), "replay of " + s);
        }
        assertFalse(w.check(n - size + 1));
        assertFalse(w.check(n - size));
        assertTrue(w.check(n + 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 128, 1000, 4096, 65536, 1 << 20})
    void holesSurviveRingWrap(int size) {
        // accept only odd numbers for several ring lengths; evens inside the window must stay new
        ReplayWindow w = new ReplayWindow(size, 0);
        long n = 6L * size + 1;
        for (long s = 1; s <= n; s += 2) {
            assertTrue(w.advance(s));
        }
        long left = n - size + 1;
        for (long s = left; s <= n; s += Math.max(1, size / 101)) {
            assertEquals((s & 1) == 0, w.check(s), "seq " + s + " window " + size);
        }
        assertEquals((left & 1) == 0, w.check(left), "left edge " + left);
        assertFalse(w.check(left - 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {32, 64, 128, 1000, 4096, 65536, 1 << 20})
    void randomSequencesAgreeWithModel(int size) {
        for (long start : new long[] {0, 0xFFFF_FFFFL - 3L * size, -1L - 5000L * size, -1L - 40L * size - 100_000}) {
            compareWithModel(size, start, new Random(size * 31L + start), 40_000);
        }
    }

    @Test
    void randomSequencesAgreeWithModelForOddSizes() {
        for (int size : new int[] {1, 2, 63, 65, 127, 129, 191, 192, 193, 4095, 4097}) {
            compareWithModel(size, 0, new Random(size), 20_000);
        }
    }

    private static void compareWithModel(int size, long start, Random rnd, int ops) {
        ReplayWindow w = new ReplayWindow(size, start);
        ModelWindow m = new ModelWindow(size, start);
        long next = start;
        List<Long> recent = new ArrayList<>();
        for (int i = 0; i < ops; i++) {
            long seq;
            int kind = rnd.nextInt(100);
            long span = Math.max(2, size);
            if (kind < 40) {
                seq = next + 1 + rnd.nextInt(3); // mostly in order, small gaps
            } else if (kind < 60) {
                seq = m.top - (long) (rnd.nextDouble() * span * 1.2); // around and left of the left edge
            } else if (kind < 70 && !recent.isEmpty()) {
                seq = recent.get(rnd.nextInt(recent.size())); // plain replay
            } else if (kind < 78) {
                seq = m.top - size + 1 + rnd.nextInt(3) - 1; // the left edge exactly and its neighbours
            } else if (kind < 85) {
                seq = m.top + 1 + (long) (rnd.nextDouble() * span * 3); // jumps, some beyond the ring
            } else if (kind < 88) {
                seq = m.top + 64L * (1 + rnd.nextInt(4)); // word-aligned jumps
            } else if (kind < 90) {
                seq = 0;
            } else {
                seq = m.top - rnd.nextInt((int) Math.min(span, 200)); // near the right edge
            }
            boolean expectCheck = m.isNew(seq);
            boolean gotCheck = w.check(seq);
            if (expectCheck != gotCheck) {
                fail("check(" + Long.toUnsignedString(seq) + ") op " + i + " window " + size + " top "
                        + Long.toUnsignedString(m.top) + ": expected " + expectCheck);
            }
            if (rnd.nextInt(10) == 0) {
                continue; // checked but failed ICV: must not move anything
            }
            boolean expect = m.advance(seq);
            boolean got = w.advance(seq);
            if (expect != got) {
                fail("advance(" + Long.toUnsignedString(seq) + ") op " + i + " window " + size + " top "
                        + Long.toUnsignedString(m.top) + ": expected " + expect);
            }
            if (got) {
                recent.add(seq);
                if (recent.size() > 64) {
                    recent.remove(0);
                }
                if (Long.compareUnsigned(seq, next) > 0) {
                    next = seq;
                }
            }
            if (m.top != w.top()) {
                fail("top after op " + i + ": expected " + Long.toUnsignedString(m.top) + " was " + Long.toUnsignedString(w.top()));
            }
        }
    }

    // ------------------------------------------------------------------ concurrency

    @ParameterizedTest
    @ValueSource(ints = {64, 4096, 1 << 20})
    void concurrentAdvancesAcceptEachNumberExactlyOnce(int size) throws Exception {
        // Every thread offers every number in ascending order: a number is offered before any thread can
        // move the edge past it, so each must be accepted by exactly one thread, whatever the window.
        int threads = 8;
        int n = 100_000;
        ReplayWindow w = new ReplayWindow(size, 0);
        AtomicIntegerArray accepted = new AtomicIntegerArray(n + 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int s = 1; s <= n; s++) {
                        if (w.check(s) && w.advance(s)) {
                            accepted.incrementAndGet(s);
                        }
                        if (id % 2 == 1 && (s & 7) == 0) {
                            Thread.yield();
                        }
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
        for (int s = 1; s <= n; s++) {
            if (accepted.get(s) != 1) {
                fail("seq " + s + " accepted " + accepted.get(s) + " times, window " + size);
            }
        }
        assertEquals(n, w.top());
    }

    @Test
    void concurrentInterleavedPartitionsNeverAcceptTwice() throws Exception {
        // Thread t offers numbers congruent to t mod 8 and then replays them all; with a window larger
        // than the stream every first offer is accepted and every replay refused.
        int threads = 8;
        int n = 200_000;
        ReplayWindow w = new ReplayWindow(ReplayLimits.MAX_WINDOW, 0);
        AtomicIntegerArray accepted = new AtomicIntegerArray(n + 1);
        CountDownLatch start = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            final int id = t;
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int pass = 0; pass < 2; pass++) {
                        for (int s = 1 + id; s <= n; s += threads) {
                            if (w.advance(s)) {
                                accepted.incrementAndGet(s);
                            }
                            // each thread also replays a neighbour's number
                            int other = s + 1;
                            if (other <= n && w.advance(other)) {
                                accepted.incrementAndGet(other);
                            }
                        }
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
        for (int s = 1; s <= n; s++) {
            if (accepted.get(s) != 1) {
                fail("seq " + s + " accepted " + accepted.get(s) + " times");
            }
        }
        assertEquals(n, w.top());
    }
}
