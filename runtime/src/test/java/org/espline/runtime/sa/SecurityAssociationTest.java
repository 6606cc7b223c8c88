package org.espline.runtime.sa;

import static org.espline.runtime.sa.SaConfigTest.gcm;
import static org.espline.runtime.sa.SaConfigTest.ip;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.AtomicReferenceArray;

import org.espline.runtime.stats.XfrmCounter;
import org.junit.jupiter.api.Test;

/** Outbound sequence exhaustion (RFC 4303 §3.3.3), lifetimes, replay window wiring. */
class SecurityAssociationTest {

    private static SecurityAssociation sa(SaConfig.Builder b) {
        return new SecurityAssociation(b.build());
    }

    // ------------------------------------------------------------------ outbound sequence

    @Test
    void firstOutboundNumberIsOne() {
        SecurityAssociation s = sa(gcm());
        assertEquals(0, s.outboundSequence());
        assertEquals(1, s.nextOutboundSequence());
        assertEquals(2, s.nextOutboundSequence());
        assertEquals(2, s.outboundSequence());
    }

    @Test
    void withoutEsnTheCounterStopsAtTwoToThe32MinusOne() {
        SecurityAssociation s = sa(gcm().outboundSequence(0xFFFF_FFFEL));
        assertEquals(0xFFFF_FFFFL, s.nextOutboundSequence());
        assertEquals(0, s.nextOutboundSequence(), "exhausted: never wraps to 0x1_00000000 or 1");
        assertEquals(0, s.nextOutboundSequence());
        assertEquals(0xFFFF_FFFFL, s.outboundSequence(), "the counter stays at the last number used");
    }

    @Test
    void withoutEsnStartingAtTheLastNumberGivesZeroAtOnce() {
        SecurityAssociation s = sa(gcm().outboundSequence(0xFFFF_FFFFL));
        assertEquals(0, s.nextOutboundSequence());
    }

    @Test
    void withEsnTheCounterCrossesTwoToThe32() {
        SecurityAssociation s = sa(gcm().esn(true).outboundSequence(0xFFFF_FFFEL));
        assertEquals(0xFFFF_FFFFL, s.nextOutboundSequence());
        assertEquals(0x1_0000_0000L, s.nextOutboundSequence());
        assertEquals(0x1_0000_0001L, s.nextOutboundSequence());
    }

    @Test
    void withEsnTheCounterStopsAtTwoToThe64MinusOne() {
        SecurityAssociation s = sa(gcm().esn(true).outboundSequence(0xFFFF_FFFF_FFFF_FFFDL));
        assertEquals(0xFFFF_FFFF_FFFF_FFFEL, s.nextOutboundSequence());
        assertEquals(0xFFFF_FFFF_FFFF_FFFFL, s.nextOutboundSequence());
        assertEquals(0, s.nextOutboundSequence());
        assertEquals(0, s.nextOutboundSequence());
        assertEquals(-1L, s.outboundSequence());
    }

    @Test
    void concurrentSendersGetEveryNumberOnceAndThenZero() throws Exception {
        int budget = 100_000;
        SecurityAssociation s = sa(gcm().outboundSequence(0xFFFF_FFFFL - budget));
        int threads = 8;
        AtomicReferenceArray<String> owner = new AtomicReferenceArray<>(budget + 1);
        AtomicInteger zeros = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread th = new Thread(() -> {
                try {
                    start.await();
                    for (int i = 0; i < budget / threads + 1000; i++) {
                        long seq = s.nextOutboundSequence();
                        if (seq == 0) {
                            zeros.incrementAndGet();
                            continue;
                        }
                        int idx = (int) (seq - (0xFFFF_FFFFL - budget));
                        if (!owner.compareAndSet(idx, null, Thread.currentThread().getName())) {
                            throw new AssertionError("sequence " + seq + " handed out twice");
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
        for (int i = 1; i <= budget; i++) {
            if (owner.get(i) == null) {
                fail("sequence offset " + i + " never handed out");
            }
        }
        assertEquals(threads * (budget / threads + 1000) - budget, zeros.get());
        assertEquals(0xFFFF_FFFFL, s.outboundSequence());
    }

    // ------------------------------------------------------------------ lifetimes

    @Test
    void softPacketLimitFiresOnceAndHardLimitExpires() {
        Lifetime soft = Lifetime.UNLIMITED.withPackets(3);
        Lifetime hard = Lifetime.UNLIMITED.withPackets(5);
        SecurityAssociation s = sa(gcm().softLifetime(soft).hardLifetime(hard));
        List<SecurityAssociation> calls = new ArrayList<>();
        s.onSoftExpire(calls::add);

        assertTrue(s.account(100));
        assertTrue(s.account(100));
        assertEquals(SecurityAssociation.State.VALID, s.state());
        assertEquals(0, calls.size());

        assertTrue(s.account(100), "the soft limit does not drop");
        assertEquals(SecurityAssociation.State.SOFT_EXPIRED, s.state());
        assertEquals(1, calls.size());
        assertSame(s, calls.get(0));
        assertEquals(1, s.stats().get(XfrmCounter.EsplineSoftExpire));

        assertTrue(s.account(100));
        assertTrue(s.account(100), "the 5th packet is the last allowed");
        assertFalse(s.isExpired());
        assertEquals(1, calls.size(), "soft event fires once");

        assertFalse(s.account(100), "the 6th passes the hard limit");
        assertTrue(s.isExpired());
        assertEquals(SecurityAssociation.State.EXPIRED, s.state());
        assertFalse(s.account(1));
        assertEquals(1, calls.size());
        assertEquals(1, s.stats().get(XfrmCounter.EsplineSoftExpire));
        assertEquals(7, s.packets());
        assertEquals(601, s.bytes());
    }

    @Test
    void byteLimitsAreInclusive() {
        SecurityAssociation s = sa(gcm().softLifetime(Lifetime.UNLIMITED.withBytes(1000))
                .hardLifetime(Lifetime.UNLIMITED.withBytes(1500)));
        AtomicInteger calls = new AtomicInteger();
        s.onSoftExpire(x -> calls.incrementAndGet());
        assertTrue(s.account(999));
        assertEquals(SecurityAssociation.State.VALID, s.state());
        assertTrue(s.account(1));
        assertEquals(SecurityAssociation.State.SOFT_EXPIRED, s.state(), "soft at exactly 1000 bytes");
        assertEquals(1, calls.get());
        assertTrue(s.account(500), "exactly the hard byte limit is still allowed");
        assertFalse(s.isExpired());
        assertFalse(s.account(1));
        assertTrue(s.isExpired());
        assertEquals(1, calls.get());
    }

    @Test
    void oneBigPacketCanPassBothLimits() {
        SecurityAssociation s = sa(gcm().softLifetime(Lifetime.UNLIMITED.withBytes(10))
                .hardLifetime(Lifetime.UNLIMITED.withBytes(20)));
        AtomicInteger calls = new AtomicInteger();
        s.onSoftExpire(x -> calls.incrementAndGet());
        assertFalse(s.account(1500));
        assertTrue(s.isExpired());
        assertEquals(0, calls.get(), "expired outright: no rekey hint for a dead SA");
    }

    @Test
    void softWithoutListenerStillCounts() {
        SecurityAssociation s = sa(gcm().softLifetime(Lifetime.UNLIMITED.withPackets(1)));
        assertTrue(s.account(1));
        assertEquals(SecurityAssociation.State.SOFT_EXPIRED, s.state());
        assertEquals(1, s.stats().get(XfrmCounter.EsplineSoftExpire));
        assertFalse(s.isExpired());
    }

    @Test
    void hardSecondsExpireOnIsExpired() {
        SaConfig c = gcm().hardLifetime(Lifetime.UNLIMITED.withSeconds(5)).build();
        SecurityAssociation old = new SecurityAssociation(c, System.nanoTime() - 6_000_000_000L);
        assertTrue(old.isExpired());
        assertEquals(SecurityAssociation.State.EXPIRED, old.state());
        SecurityAssociation young = new SecurityAssociation(c, System.nanoTime() - 4_000_000_000L);
        assertFalse(young.isExpired());
        assertEquals(SecurityAssociation.State.VALID, young.state());
    }

    @Test
    void softSecondsFireOnAccount() {
        SaConfig c = gcm().softLifetime(Lifetime.UNLIMITED.withSeconds(5)).build();
        SecurityAssociation s = new SecurityAssociation(c, System.nanoTime() - 6_000_000_000L);
        AtomicInteger calls = new AtomicInteger();
        s.onSoftExpire(x -> calls.incrementAndGet());
        assertEquals(SecurityAssociation.State.VALID, s.state());
        assertTrue(s.account(1));
        assertTrue(s.account(1));
        assertEquals(1, calls.get());
        assertEquals(SecurityAssociation.State.SOFT_EXPIRED, s.state());
    }

    @Test
    void expireIsFinal() {
        SecurityAssociation s = sa(gcm().softLifetime(Lifetime.UNLIMITED.withPackets(1)));
        AtomicInteger calls = new AtomicInteger();
        s.onSoftExpire(x -> calls.incrementAndGet());
        s.expire();
        assertTrue(s.isExpired());
        s.account(1);
        assertEquals(SecurityAssociation.State.EXPIRED, s.state(), "a soft limit never revives an expired SA");
        assertEquals(0, calls.get());
    }

    @Test
    void lifetimeLimitsMustBePositive() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Lifetime(0, 1, 1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Lifetime(1, -1, 1));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new Lifetime(1, 1, 0));
        assertTrue(Lifetime.UNLIMITED.isUnlimited());
        assertFalse(Lifetime.UNLIMITED.withSeconds(10).isUnlimited());
    }

    @Test
    void softListenerRunsOnceUnderConcurrentAccounting() throws Exception {
        for (int round = 0; round < 50; round++) {
            SecurityAssociation s = sa(gcm().softLifetime(Lifetime.UNLIMITED.withPackets(100)));
            AtomicInteger calls = new AtomicInteger();
            s.onSoftExpire(x -> calls.incrementAndGet());
            int threads = 8;
            CyclicBarrier barrier = new CyclicBarrier(threads);
            List<Thread> ts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                Thread th = new Thread(() -> {
                    try {
                        barrier.await();
                        for (int i = 0; i < 50; i++) {
                            s.account(1);
                        }
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                ts.add(th);
                th.start();
            }
            for (Thread th : ts) {
                th.join();
            }
            assertEquals(1, calls.get(), "round " + round);
            assertEquals(400, s.packets());
            assertEquals(1, s.stats().get(XfrmCounter.EsplineSoftExpire));
        }
    }

    @Test
    void expiryIsNeverUndoneByAConcurrentSoftExpiry() throws Exception {
        // The SAD deletes an SA (expire()) while a packet thread crosses its soft limit. Whatever the
        // interleaving the SA must end EXPIRED, or the packet path (which checks isExpired() first) keeps
        // using a deleted SA. The two threads meet on spin flags, with a varying delay on one side, so
        // that expire() lands inside the soft-expiry transition often enough to be seen.
        int rounds = 400_000;
        SaConfig c = gcm().softLifetime(Lifetime.UNLIMITED.withPackets(1)).build();
        SecurityAssociation[] sas = new SecurityAssociation[rounds];
        for (int i = 0; i < rounds; i++) {
            sas[i] = new SecurityAssociation(c);
        }
        AtomicInteger go = new AtomicInteger(-1);
        AtomicInteger done = new AtomicInteger(-1);
        Thread packet = new Thread(() -> {
            for (int i = 0; i < rounds; i++) {
                while (go.get() < i) {
                    Thread.onSpinWait();
                }
                sas[i].account(1);
                done.set(i);
            }
        });
        packet.setDaemon(true);
        packet.start();
        int revived = 0;
        for (int i = 0; i < rounds; i++) {
            go.set(i);
            for (int k = 0; k < (i & 63); k++) {
                Thread.onSpinWait();
            }
            sas[i].expire();
            while (done.get() < i) {
                Thread.onSpinWait();
            }
            if (sas[i].state() != SecurityAssociation.State.EXPIRED) {
                revived++;
            }
        }
        packet.join();
        assertEquals(0, revived, "expired SAs revived to SOFT_EXPIRED in " + revived + " of " + rounds + " rounds");
    }

    // ------------------------------------------------------------------ wiring

    @Test
    void replayWindowAndAddressesFromConfig() {
        SecurityAssociation s = sa(gcm().replayWindow(128).inboundSequence(500));
        assertEquals(128, s.replayWindow().size());
        assertEquals(500, s.replayWindow().top());
        assertEquals(0x1000, s.spi());
        assertFalse(s.isIpv6());
        assertArrayEquals(new byte[] {(byte) 198, 51, 100, 7}, s.destinationBytes());
        assertArrayEquals(new byte[] {(byte) 192, 0, 2, 1}, s.sourceBytes());
        byte[] pkt = {0, 0, (byte) 198, 51, 100, 7};
        assertTrue(s.destinationEquals(pkt, 2));
        assertFalse(s.destinationEquals(pkt, 1));
        SecurityAssociation v6 = sa(gcm().source(ip("2001:db8::2")).destination(ip("2001:db8::1")));
        assertTrue(v6.isIpv6());
        assertEquals(16, v6.destinationBytes().length);
    }

    @Test
    void transformIsPerThread() throws Exception {
        SecurityAssociation s = sa(gcm());
        Object mine = s.transform();
        assertSame(mine, s.transform());
        AtomicReference<Object> other = new AtomicReference<>();
        Thread t = new Thread(() -> other.set(s.transform()));
        t.start();
        t.join();
        assertTrue(other.get() != null && other.get() != mine, "each thread has its own transform");
        assertEquals(16, s.transform().icvLength());
    }
}
