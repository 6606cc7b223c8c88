package org.espline.runtime.buffer;

import java.util.concurrent.atomic.LongAdder;

/**
 * What the fast path tries never to do, counted: copies of packet bytes (shared buffers made writable,
 * head/tailroom grown, a GSO slice copied for want of fragment slots) and linearisations of fragmented
 * packets. A cipher writing its output into the packet's own buffer (ESP output encrypting a GSO segment's
 * payload fragments out of place) is neither: the bytes have to go somewhere, and no copy precedes it.
 * Benchmarks and the demo report these per million packets ({@link #perMillionPackets}). Thread-safe.
 */
public final class BufferStats {
    /** Copies of a packet's bytes into a new backing array. */
    public final LongAdder copies = new LongAdder();
    /** Fragmented packets made linear. */
    public final LongAdder linearisations = new LongAdder();
    /** ESP trailers placed in a fragment slot instead of tailroom (no copy; a good event). */
    public final LongAdder trailerFragments = new LongAdder();

    /**
     * {@code count} scaled to one million packets: the unit the fast-path issue reports copies and
     * linearisations in (0 when no packet passed).
     */
    public static double perMillion(long count, long packets) {
        return packets <= 0 ? 0 : count * 1_000_000.0 / packets;
    }

    /** Copies, linearisations and trailer fragments per million of {@code packets}, as one line. */
    public String perMillionPackets(long packets) {
        return String.format(java.util.Locale.ROOT,
                "%.1f copies, %.1f linearisations, %.1f trailer fragments per million packets (%d packets)",
                perMillion(copies.sum(), packets), perMillion(linearisations.sum(), packets),
                perMillion(trailerFragments.sum(), packets), packets);
    }

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
