package org.espline.runtime.buffer;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the fast path tries never to do, counted: copies of packet bytes (shared buffers made writable,
 * head/tailroom grown) and linearisations of fragmented packets. Benchmarks report these per packet.
 * Thread-safe.
 */
public final class BufferStats {
    /** Copies of a packet's bytes into a new backing array. */
    public final LongAdder copies = new LongAdder();
    /** Fragmented packets made linear. */
    public final LongAdder linearisations = new LongAdder();
    /** ESP trailers placed in a fragment slot instead of tailroom (no copy; a good event). */
    public final LongAdder trailerFragments = new LongAdder();

    public void reset() {
        copies.reset();
        linearisations.reset();
        trailerFragments.reset();
    }

    @Override
    public String toString() {
        return "BufferStats[copies=" + copies.sum() + " linearisations=" + linearisations.sum()
                + " trailerFragments=" + trailerFragments.sum() + "]";
    }
}
