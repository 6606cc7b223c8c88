package org.espline.runtime.buffer;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed set of packet buffers with configured head- and tailroom, allocated up front so the packet
 * path allocates nothing. {@link #acquire()} returns null when the pool is empty (the caller counts a
 * drop or applies back-pressure); it never allocates past its capacity. Thread-safe.
 *
 * <p>Each buffer's array is {@code headroom + mtu + tailroom} bytes; a fresh buffer has its data
 * pointer at {@code headroom}, so ESP output can push outer IP + UDP + ESP headers and put the trailer
 * and ICV without copying.
 */
public final class BufferPool {
    private final int headroom;
    private final int bufferSize;
    private final int capacity;
    private final int maxFragments;
    private final FreeList free;
    private final BufferStats stats;
    private final AtomicLong outstanding = new AtomicLong();

    /**
     * @param capacity     number of buffers
     * @param headroom     bytes reserved in front of each packet
     * @param mtu          largest packet the buffer carries before encapsulation
     * @param tailroom     bytes reserved behind the largest packet
     * @param maxFragments fragment slots per buffer
     */
    public BufferPool(int capacity, int headroom, int mtu, int tailroom, int maxFragments) {
        if (capacity <= 0 || headroom < 0 || mtu <= 0 || tailroom < 0) {
            throw new IllegalArgumentException("BufferPool(capacity=" + capacity + ", headroom=" + headroom
                    + ", mtu=" + mtu + ", tailroom=" + tailroom + ") (expected: capacity > 0, mtu > 0, rooms >= 0)");
        }
        this.headroom = headroom;
        this.bufferSize = headroom + mtu + tailroom;
        this.capacity = capacity;
        this.maxFragments = maxFragments;
        this.stats = new BufferStats();
        this.free = new FreeList(capacity);
        for (int i = 0; i < capacity; i++) {
            PacketBuffer b = new PacketBuffer(new byte[bufferSize], maxFragments, stats, this);
            b.pooled = true;
            b.reserve(headroom);
            free.offer(b);
        }
    }

    /** An empty buffer with the configured headroom, or null when all buffers are in use. */
    public PacketBuffer acquire() {
        PacketBuffer b = free.poll();
        if (b == null) {
            return null;
        }
        b.pooled = false;
        b.resetRefCount();
        outstanding.incrementAndGet();
        return b;
    }

    void release(PacketBuffer b) {
        if (b.pooled) {
            throw new IllegalStateException("double release of " + b);
        }
        b.pooled = true;
        // A clone may still read the old array, and a copied-out buffer may have grown: in both cases the
        // pool takes a fresh array of its own size rather than reuse bytes someone else can see.
        byte[] a = !b.isShared() && b.array().length == bufferSize ? b.array() : new byte[bufferSize];
        b.resetForReuse(a);
        b.reserve(headroom);
        outstanding.decrementAndGet();
        if (!free.offer(b)) {
            throw new IllegalStateException("pool overflow: a buffer from elsewhere was released into it");
        }
    }

    /** Buffers acquired and not yet released: 0 when every packet ended delivered or dropped. */
    public long outstanding() { return outstanding.get(); }

    public int capacity() { return capacity; }

    public int headroom() { return headroom; }

    public int bufferSize() { return bufferSize; }

    /** Fragment slots of each buffer. */
    public int maxFragments() { return maxFragments; }

    public BufferStats stats() { return stats; }

    @Override
    public String toString() {
        return "BufferPool[capacity=" + capacity + " bufferSize=" + bufferSize + " headroom=" + headroom
                + " outstanding=" + outstanding.get() + "]";
    }
}
