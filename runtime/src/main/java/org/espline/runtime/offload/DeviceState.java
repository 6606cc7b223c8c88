package org.espline.runtime.offload;

import java.util.concurrent.atomic.AtomicLong;

import org.espline.runtime.sa.SecurityAssociation;

/**
 * An SA as a device holds it (Linux's xfrm_dev_offload plus the driver's per-SA context): whether it was deleted,
 * the device's view of the ESN window's right edge, and its counters. Shared by the device's threads: the
 * counters are atomic, the flags volatile.
 */
final class DeviceState {
    final SecurityAssociation sa;
    /** Set by {@link OffloadDevice#deleteState}: packets of the SA no longer go to the device. */
    volatile boolean deleted;
    /** The highest sequence number the device verified or the stack reported ({@link OffloadDevice#advanceEsn}). */
    private final AtomicLong esnTop;
    private final AtomicLong packets = new AtomicLong();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong icvFailures = new AtomicLong();

    DeviceState(SecurityAssociation sa) {
        this.sa = sa;
        this.esnTop = new AtomicLong(sa.replayWindow().top());
    }

    long esnTop() { return esnTop.get(); }

    void advanceEsn(long seq) {
        esnTop.accumulateAndGet(seq, Math::max);
    }

    void count(int length) {
        packets.incrementAndGet();
        bytes.addAndGet(length);
    }

    void icvFailure() {
        icvFailures.incrementAndGet();
    }

    OffloadSaCounters snapshot() {
        return new OffloadSaCounters(packets.get(), bytes.get(), icvFailures.get(), !deleted);
    }
}
