package org.espline.runtime.port;

import java.util.concurrent.atomic.AtomicLong;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * A bounded in-memory wire: a tx pipeline's sink on one end, an rx pipeline's source on the other.
 * Packets pass by reference (ownership moves, bytes stay). When the ring is full {@link #send} takes only
 * what fits and leaves the rest with the sender; nothing is dropped. After {@link #finish()} and once
 * drained, {@link #receive} returns -1.
 *
 * <p>Single producer, single consumer: one thread may send while another receives (or one thread does
 * both). The producer publishes slots with a release store of {@code tail} after writing them; the
 * consumer reads {@code tail} with acquire semantics before reading slots, and frees them with a release
 * store of {@code head}.
 */
public final class MemoryLink implements Port {
    private final PacketBuffer[] ring;
    private final int mask;
    private final AtomicLong head = new AtomicLong();
    private final AtomicLong tail = new AtomicLong();
    private volatile boolean finished;
    /** Producer's cached view of head, so a non-full ring costs no cross-core read. */
    private long headCache;
    private long fullEvents;

    /** @param capacity packets in flight; rounded up to a power of two */
    public MemoryLink(int capacity) {
        if (capacity <= 0 || capacity > 1 << 30) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: 0 < capacity <= 2^30)");
        }
        int c = Integer.highestOneBit(capacity);
        if (c < capacity) {
            c <<= 1;
        }
        this.ring = new PacketBuffer[c];
        this.mask = c - 1;
    }

    @Override
    public int send(PacketBatch from) {
        final PacketBuffer[] r = ring;
        final long t = tail.get();
        int free = (int) (r.length - (t - headCache));
        if (free < from.size()) {
            headCache = head.get(); // acquire: slots the consumer freed are empty from here on
            free = (int) (r.length - (t - headCache));
        }
        final int n = Math.min(free, from.size());
        for (int i = 0; i < n; i++) {
            r[(int) (t + i) & mask] = from.get(i);
        }
        tail.lazySet(t + n); // release: the slots above are visible before the new tail
        from.removeFirst(n);
        if (!from.isEmpty()) {
            fullEvents++;
        }
        return n;
    }

    @Override
    public int receive(PacketBatch into) {
        final PacketBuffer[] r = ring;
        final long h = head.get();
        final boolean done = finished; // read before tail: a finish seen here covers every slot sent before it
        final long t = tail.get(); // acquire: pairs with the producer's lazySet
        final int n = (int) Math.min(t - h, into.remaining());
        if (n == 0) {
            return done && t == h ? -1 : 0;
        }
        for (int i = 0; i < n; i++) {
            final int slot = (int) (h + i) & mask;
            into.add(r[slot]);
            r[slot] = null;
        }
        head.lazySet(h + n); // release: slots are cleared before the producer may reuse them
        return n;
    }

    @Override
    public void finish() {
        finished = true;
    }

    /** Packets in the ring now (a snapshot). */
    public int size() {
        return (int) (tail.get() - head.get());
    }

    public int capacity() { return ring.length; }

    /** Sends that could not take the whole batch (producer thread only). */
    public long fullEvents() { return fullEvents; }

    /** Releases packets still queued (shutdown, tests); consumer side. */
    public void releaseQueued() {
        final PacketBatch b = new PacketBatch(ring.length);
        while (receive(b) > 0) {
            b.releaseAll();
        }
    }

    @Override
    public String toString() {
        return "MemoryLink(size=" + size() + ", capacity=" + ring.length + ", finished=" + finished + ")";
    }
}
