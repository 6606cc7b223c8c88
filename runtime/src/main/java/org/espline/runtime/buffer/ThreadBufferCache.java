package org.espline.runtime.buffer;

/**
 * One thread's stack of free buffers in front of the pool's shared ring (DPDK's mempool cache, Netty's
 * PoolThreadCache). The ring is first-in first-out, so a large pool cycles every packet through every buffer and
 * each copy into one lands in memory that left the caches long ago: with 16,384 buffers of 1.7 KB, a decrypting
 * pipeline spent about a third of its time on those misses. A last-in first-out stack hands the thread back the
 * buffer it released last, still in its cache.
 *
 * <p>Only its owner thread touches the stack, except that a thread that finds the ring empty may take the buffers
 * of a cache whose owner has died ({@link #drainIfOwnerDead}); the owner's termination happens-before that
 * thread's {@code isAlive()} returning false, so the stack it reads is complete; two such threads take turns.
 */
final class ThreadBufferCache {
    private final Thread owner = Thread.currentThread();
    private final PacketBuffer[] stack;
    private int size;
    /** Buffers this thread took from and gave back to the pool (the pool's outstanding count, without atomics). */
    long acquired;
    long released;

    /** @param capacity buffers the thread keeps before handing half back to the ring */
    ThreadBufferCache(int capacity) {
        this.stack = new PacketBuffer[capacity];
    }

    /** The buffer released last, or null when the stack is empty. */
    PacketBuffer pop() {
        if (size == 0) {
            return null;
        }
        PacketBuffer b = stack[--size];
        stack[size] = null;
        return b;
    }

    /** Keeps {@code b}; false when the stack is full. */
    boolean push(PacketBuffer b) {
        if (size == stack.length) {
            return false;
        }
        stack[size++] = b;
        return true;
    }

    /** Refills the stack to half its capacity from the ring; how many it took. */
    int refill(FreeList ring) {
        int want = Math.max(1, stack.length / 2);
        int took = 0;
        while (took < want && size < stack.length) {
            PacketBuffer b = ring.poll();
            if (b == null) {
                break;
            }
            stack[size++] = b;
            took++;
        }
        return took;
    }

    /** Hands the older half of the stack (the bottom, longest out of use) back to the ring. */
    void spill(FreeList ring) {
        int half = Math.max(1, size / 2);
        for (int i = 0; i < half; i++) {
            offer(ring, stack[i]);
        }
        System.arraycopy(stack, half, stack, 0, size - half);
        for (int i = size - half; i < size; i++) {
            stack[i] = null;
        }
        size -= half;
    }

    /** Moves every buffer to the ring when the owner thread has ended; how many. */
    synchronized int drainIfOwnerDead(FreeList ring) {
        if (owner.isAlive()) {
            return 0;
        }
        int n = size;
        for (int i = 0; i < n; i++) {
            offer(ring, stack[i]);
            stack[i] = null;
        }
        size = 0;
        return n;
    }

    int size() { return size; }

    boolean ownerAlive() { return owner.isAlive(); }

    private static void offer(FreeList ring, PacketBuffer b) {
        if (!ring.offer(b)) {
            throw new IllegalStateException("pool overflow: a buffer from elsewhere was released into it");
        }
    }
}
