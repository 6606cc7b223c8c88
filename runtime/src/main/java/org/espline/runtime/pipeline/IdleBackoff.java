package org.espline.runtime.pipeline;

import java.util.concurrent.locks.LockSupport;

/**
 * What a pipeline thread does when a call found no work: spin a little (the next packet is usually
 * nanoseconds away), then yield, then park for growing intervals up to {@value #MAX_PARK_NANOS} ns. Pure
 * spinning is fastest only with a core per thread; on a machine with fewer cores than busy threads a spinning
 * receiver steals the very core its sender needs (measured: the two-gateway demo on 2 cores ran several times
 * slower with pure spinning while another process was busy). Agrona's BackoffIdleStrategy is the model.
 *
 * <p>Not thread-safe: one per pipeline thread.
 */
public final class IdleBackoff {
    static final int SPINS = 128;
    static final int YIELDS = 64;
    static final long MIN_PARK_NANOS = 1_000;
    static final long MAX_PARK_NANOS = 100_000;

    private int idle;
    private long parkNanos = MIN_PARK_NANOS;

    /** A call found no work. */
    public void idle() {
        final int n = ++idle;
        if (n <= SPINS) {
            Thread.onSpinWait();
        } else if (n <= SPINS + YIELDS) {
            Thread.yield();
        } else {
            LockSupport.parkNanos(parkNanos);
            parkNanos = Math.min(parkNanos * 2, MAX_PARK_NANOS);
        }
    }

    /** A call did work: the next idle call starts spinning again. */
    public void reset() {
        idle = 0;
        parkNanos = MIN_PARK_NANOS;
    }

    /** Consecutive idle calls so far. */
    public int idleCalls() { return idle; }
}
