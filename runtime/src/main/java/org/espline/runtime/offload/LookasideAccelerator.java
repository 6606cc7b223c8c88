package org.espline.runtime.offload;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import org.espline.runtime.crypto.TransformSource;

/**
 * A lookaside crypto accelerator in the spirit of QAT-class chips: the pipeline submits packets to a bounded
 * ring, the device's own threads (its engines) do the crypto and the completions come back asynchronously, put back
 * in order per SA. A full ring answers BUSY (the offer takes fewer packets): the pipeline holds the rest and
 * retries, nothing is dropped. Receive is crypto offload: the device verifies and decrypts and marks the packet,
 * the pipeline thread checks replay and removes the trailer.
 *
 * <p>The service model makes the PCIe-style round trip visible: each packet spends at least {@code latency} on the
 * device (per engine: {@code workers} packets can be in service at once), and the device completes at most
 * {@code ratePerSecond} packets per second in total (0: no limit). The crypto itself is the JCA's, on the device's
 * threads, so its bytes are the software path's.
 */
public final class LookasideAccelerator extends OffloadDevice {
    private static final long SPIN_BELOW_NANOS = 50_000;

    private final int workers;
    private final int ring;
    private final long latencyNanos;
    private final long nanosPerPacket;
    /** The earliest time the next completion may leave, under the rate limit. */
    private final AtomicLong nextSlot = new AtomicLong();

    /**
     * @param workers       device engines (threads), at least 1
     * @param ring          slots of each ring (submission = completion capacity), at least 1
     * @param latencyMicros service time per packet, at least 0
     * @param ratePerSecond packets per second over all engines, 0 for no limit
     */
    public LookasideAccelerator(String name, OffloadCapabilities capabilities, int workers, int ring, long latencyMicros,
                                long ratePerSecond) {
        super(name, OffloadKind.CRYPTO, capabilities);
        if (workers < 1 || ring < 1 || latencyMicros < 0 || ratePerSecond < 0) {
            throw new IllegalArgumentException("accelerator " + name + ": workers " + workers + ", ring " + ring
                    + ", latency-us " + latencyMicros + ", rate " + ratePerSecond
                    + " (expected: workers >= 1, ring >= 1, latency >= 0, rate >= 0)");
        }
        this.workers = workers;
        this.ring = ring;
        this.latencyNanos = TimeUnit.MICROSECONDS.toNanos(latencyMicros);
        this.nanosPerPacket = ratePerSecond == 0 ? 0 : Math.max(1, 1_000_000_000L / ratePerSecond);
    }

    @Override
    public boolean synchronous() { return false; }

    @Override
    protected TransformSource transforms() { return null; }

    @Override
    protected int workers() { return workers; }

    @Override
    protected int ringSize() { return ring; }

    @Override
    protected void serviceDelay(long startNanos) {
        long due = startNanos + latencyNanos;
        if (nanosPerPacket != 0) {
            // Take the next completion slot of the device (a CAS loop rather than a capturing lambda).
            final long now = System.nanoTime();
            long slot;
            long next;
            do {
                slot = nextSlot.get();
                next = Math.max(slot, now) + nanosPerPacket;
            } while (!nextSlot.compareAndSet(slot, next));
            due = Math.max(due, next);
        }
        for (long left = due - System.nanoTime(); left > 0; left = due - System.nanoTime()) {
            if (left > SPIN_BELOW_NANOS) {
                LockSupport.parkNanos(left - SPIN_BELOW_NANOS / 2);
            } else {
                Thread.onSpinWait();
            }
        }
    }
}
