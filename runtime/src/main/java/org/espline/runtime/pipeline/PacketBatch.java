package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.PacketBuffer;

/**
 * A fixed-capacity vector of packets, like a VPP frame: stages take whole batches so per-call work
 * (lookups, flushes, virtual dispatch) is paid once per batch rather than once per packet.
 *
 * <p>The batch holds references only; it never owns, copies or releases a packet. Indices
 * {@code 0 <= i < size() <= capacity()} are dense and keep arrival order, and the removal helpers
 * preserve that order, because ESP sequence numbers and TCP segments should leave in the order they
 * came. Nothing is allocated after construction.
 *
 * <p>A {@linkplain #limit(int) limit} below the capacity makes the batch look smaller to whoever fills it:
 * a pipeline whose work batches are sized for GSO's expansion still asks its source for only a batch of
 * packets.
 *
 * <p>Not thread-safe: a batch belongs to one pipeline on one thread.
 */
public final class PacketBatch {
    private final PacketBuffer[] packets;
    private int size;
    /** Slots {@link #add}, {@link #remaining()}, {@link #isFull()} and {@link #moveFrom} may use. */
    private int limit;

    public PacketBatch(int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity: " + capacity + " (expected: capacity > 0)");
        }
        this.packets = new PacketBuffer[capacity];
        this.limit = capacity;
    }

    public int capacity() { return packets.length; }

    /** Slots in use at most: the capacity unless lowered with {@link #limit(int)}. */
    public int limit() { return limit; }

    /**
     * Lets the batch hold at most {@code limit} packets ({@code size() <= limit <= capacity()}) until the limit
     * is set again; {@link #clear()} keeps it.
     */
    public void limit(int limit) {
        if (limit < size || limit > packets.length) {
            throw new IllegalArgumentException("limit: " + limit + " (expected: size(" + size + ") <= limit <= capacity("
                    + packets.length + "))");
        }
        this.limit = limit;
    }

    public int size() { return size; }

    public boolean isEmpty() { return size == 0; }

    public boolean isFull() { return size >= limit; }

    /** Free slots left (below the limit). */
    public int remaining() { return limit - size; }

    public PacketBuffer get(int i) {
        checkIndex(i);
        return packets[i];
    }

    /** Replaces the packet at {@code i}; the batch does not release the one it held. */
    public void set(int i, PacketBuffer p) {
        checkIndex(i);
        if (p == null) {
            throw new NullPointerException("packet");
        }
        packets[i] = p;
    }

    /** Appends {@code p}; false (and nothing changes) when the batch is full. */
    public boolean add(PacketBuffer p) {
        if (p == null) {
            throw new NullPointerException("packet");
        }
        if (size >= limit) {
            return false;
        }
        packets[size++] = p;
        return true;
    }

    /** Forgets every packet (without releasing any). */
    public void clear() {
        // Null the slots so a released buffer is not reachable from a stale batch.
        final PacketBuffer[] ps = packets;
        for (int i = 0; i < size; i++) {
            ps[i] = null;
        }
        size = 0;
    }

    /** Removes and returns the packet at {@code i}; the later packets move up, keeping their order. */
    public PacketBuffer remove(int i) {
        checkIndex(i);
        final PacketBuffer p = packets[i];
        System.arraycopy(packets, i + 1, packets, i, size - i - 1);
        packets[--size] = null;
        return p;
    }

    /** Removes the first {@code n} packets, keeping the order of the rest. */
    public void removeFirst(int n) {
        if (n < 0 || n > size) {
            throw new IndexOutOfBoundsException("n: " + n + " (expected: 0 <= n <= size(" + size + "))");
        }
        if (n == 0) {
            return;
        }
        final int rest = size - n;
        System.arraycopy(packets, n, packets, 0, rest);
        for (int i = rest; i < size; i++) {
            packets[i] = null;
        }
        size = rest;
    }

    /**
     * Marks slot {@code i} as empty so that a later {@link #compact()} removes it. Lets a stage drop
     * packets from the middle of a batch in one pass without shifting the array for each.
     */
    public PacketBuffer take(int i) {
        checkIndex(i);
        final PacketBuffer p = packets[i];
        packets[i] = null;
        return p;
    }

    /** Closes the holes left by {@link #take(int)}, keeping order; returns the new size. */
    public int compact() {
        final PacketBuffer[] ps = packets;
        final int n = size;
        int w = 0;
        for (int r = 0; r < n; r++) {
            final PacketBuffer p = ps[r];
            if (p != null) {
                ps[w++] = p;
            }
        }
        for (int i = w; i < n; i++) {
            ps[i] = null;
        }
        size = w;
        return w;
    }

    /** Appends as many packets of {@code from} as fit, removing them from {@code from}; returns how many moved. */
    public int moveFrom(PacketBatch from) {
        final int n = Math.min(from.size, limit - size);
        System.arraycopy(from.packets, 0, packets, size, n);
        size += n;
        from.removeFirst(n);
        return n;
    }

    /** Releases every packet to its pool and empties the batch (shutdown and tests). */
    public void releaseAll() {
        final PacketBuffer[] ps = packets;
        for (int i = 0; i < size; i++) {
            if (ps[i] != null) {
                ps[i].release();
                ps[i] = null;
            }
        }
        size = 0;
    }

    private void checkIndex(int i) {
        if (i < 0 || i >= size) {
            throw new IndexOutOfBoundsException("index: " + i + " (expected: 0 <= index < size(" + size + "))");
        }
    }

    @Override
    public String toString() {
        return "PacketBatch(size=" + size + (limit != packets.length ? ", limit=" + limit : "") + ", capacity="
                + packets.length + ")";
    }
}
