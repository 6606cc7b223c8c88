package org.espline.runtime.buffer;

import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A fixed set of packet buffers with configured head- and tailroom, allocated up front so the packet
 * path allocates nothing. {@link #acquire()} returns null when the pool is empty (the caller counts a
 * drop or applies back-pressure); it never allocates past its capacity. Thread-safe.
 *
 * <p>Each buffer's array is {@code headroom + mtu + tailroom} bytes; a fresh buffer has its data
 * pointer at {@code headroom}, so ESP output can push outer IP + UDP + ESP headers and put the trailer
 * and ICV without copying.
 *
 * <p>Free buffers wait in a shared lock-free ring and, for pools of at least {@value #CACHED_POOL_MIN} buffers, in a
 * small per-thread stack in front of it ({@link ThreadBufferCache}): a thread that releases a buffer gets that one
 * back first, while its bytes are still in the CPU's cache. At most {@code capacity / 16} (and
 * {@value #MAX_THREAD_CACHE}) buffers wait in one thread's stack; a thread that finds the ring empty takes the
 * stacks of threads that have ended.
 */
public final class BufferPool {
    private final int headroom;
    private final int bufferSize;
    private final int capacity;
    private final int maxFragments;
    private final FreeList free;
    private final BufferStats stats;
    private final AtomicLong outstanding = new AtomicLong();

    /** Smaller pools have no per-thread stacks: every free buffer stays visible to every thread. */
    static final int CACHED_POOL_MIN = 1024;
    /**
     * Largest per-thread stack. An asynchronous engine keeps up to its queue of packets in flight, and its pipeline
     * thread's stack must absorb the swing between a full and a half-drained ring: with room for only 96 it refilled
     * and spilled half-stacks through the shared ring every few dozen packets (a CAS per buffer each way), about a
     * seventh of that thread's time per packet.
     */
    static final int MAX_THREAD_CACHE = 512;
    private final int threadCacheCapacity;
    private final ThreadLocal<ThreadBufferCache> threadCaches;
    private final CopyOnWriteArrayList<ThreadBufferCache> allThreadCaches = new CopyOnWriteArrayList<>();
    /**
     * The stack of the first thread that used the pool (a pipeline's thread, usually its busiest user), found by
     * comparing its owner with the current thread instead of through the ThreadLocal's hash map, which was a twentieth
     * of a packet's cost without crypto. An immutable pair written once, racily: a reader sees null or both final
     * fields, so no thread ever uses another's stack; and it shares no cache line with the stack's counters, which
     * its owner writes per packet.
     */
    private FirstUser firstUser;

    private record FirstUser(Thread owner, ThreadBufferCache cache) { }

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
        this.threadCacheCapacity = capacity >= CACHED_POOL_MIN ? Math.min(MAX_THREAD_CACHE, capacity / 16) : 0;
        this.threadCaches = ThreadLocal.withInitial(() -> {
            ThreadBufferCache c = new ThreadBufferCache(threadCacheCapacity);
            allThreadCaches.add(c);
            return c;
        });
    }

    /** An empty buffer with the configured headroom, or null when all buffers are in use. */
    public PacketBuffer acquire() {
        PacketBuffer b;
        if (threadCacheCapacity == 0) {
            b = free.poll();
            if (b == null) {
                return null;
            }
            outstanding.incrementAndGet();
        } else {
            b = acquireThroughCache();
            if (b == null) {
                return null;
            }
        }
        b.pooled = false;
        b.resetRefCount();
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
        if (threadCacheCapacity != 0) {
            ThreadBufferCache cache = cache();
            cache.released++;
            if (!cache.push(b)) {
                cache.spill(free);
                cache.push(b);
            }
            return;
        }
        outstanding.decrementAndGet();
        if (!free.offer(b)) {
            throw new IllegalStateException("pool overflow: a buffer from elsewhere was released into it");
        }
    }

    private ThreadBufferCache cache() {
        final FirstUser first = firstUser;
        if (first != null && first.owner == Thread.currentThread()) {
            return first.cache;
        }
        final ThreadBufferCache c = threadCaches.get();
        if (first == null) {
            firstUser = new FirstUser(Thread.currentThread(), c);
        }
        return c;
    }

    private PacketBuffer acquireThroughCache() {
        ThreadBufferCache cache = cache();
        PacketBuffer b = cache.pop();
        if (b == null && (cache.refill(free) > 0 || reclaimFromEndedThreads() > 0)) {
            b = cache.pop();
            if (b == null) {
                b = free.poll();
            }
        }
        if (b != null) {
            cache.acquired++;
        }
        return b;
    }

    /** The slow path of an empty pool: buffers left in the stacks of threads that have ended go back to the ring. */
    private int reclaimFromEndedThreads() {
        int n = 0;
        for (ThreadBufferCache c : allThreadCaches) {
            if (!c.ownerAlive()) {
                n += c.drainIfOwnerDead(free);
                final FirstUser first = firstUser;
                if (first != null && first.cache == c) {
                    firstUser = null; // the next thread may take the quick way
                }
                if (allThreadCaches.remove(c)) {
                    outstanding.addAndGet(c.acquired - c.released);
                }
            }
        }
        return n;
    }

    /**
     * Buffers acquired and not yet released: 0 when every packet ended delivered or dropped. Threads with a stack
     * count their own acquires and releases without an atomic instruction; this sums them, so it is exact once the
     * threads that used the pool are quiet (joined, or past some other synchronisation).
     */
    public long outstanding() {
        long n = outstanding.get();
        for (ThreadBufferCache c : allThreadCaches) {
            n += c.acquired - c.released;
        }
        return n;
    }

    public int capacity() { return capacity; }

    public int headroom() { return headroom; }

    public int bufferSize() { return bufferSize; }

    /** Fragment slots of each buffer. */
    public int maxFragments() { return maxFragments; }

    public BufferStats stats() { return stats; }

    @Override
    public String toString() {
        return "BufferPool[capacity=" + capacity + " bufferSize=" + bufferSize + " headroom=" + headroom
                + " outstanding=" + outstanding() + "]";
    }
}
