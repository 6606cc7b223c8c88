package org.espline.runtime.buffer;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The pool's free buffers: a bounded lock-free multi-producer multi-consumer ring (Dmitry Vyukov's bounded MPMC
 * queue). Each cell carries a sequence number that says whose turn it is, so producers and consumers claim
 * positions with one CAS each and never take a lock. Buffers are acquired by pipeline and port threads and
 * released by whichever thread ends a packet (an engine worker that drops one, a receiver), so both ends are
 * shared; the {@code ArrayBlockingQueue} this replaces took a lock on every acquire and release, about a tenth
 * of the GSO path's time per segment. Allocation-free after construction.
 */
final class FreeList {
    private final PacketBuffer[] cells;
    private final AtomicLongArray sequences;
    private final int mask;
    private final AtomicLong enqueuePosition = new AtomicLong();
    private final AtomicLong dequeuePosition = new AtomicLong();

    /** Room for at least {@code capacity} buffers (rounded up to a power of two). */
    FreeList(int capacity) {
        int size = Integer.highestOneBit(Math.max(2, capacity) - 1) << 1;
        this.cells = new PacketBuffer[size];
        this.sequences = new AtomicLongArray(size);
        this.mask = size - 1;
        for (int i = 0; i < size; i++) {
            sequences.set(i, i);
        }
    }

    /** Adds {@code b}; false only when the ring holds as many buffers as it has cells. */
    boolean offer(PacketBuffer b) {
        long pos = enqueuePosition.get();
        int cell;
        for (;;) {
            cell = (int) (pos & mask);
            final long diff = sequences.get(cell) - pos;
            if (diff == 0) {
                if (enqueuePosition.compareAndSet(pos, pos + 1)) {
                    break;
                }
                pos = enqueuePosition.get();
            } else if (diff < 0) {
                if (pos - dequeuePosition.get() >= cells.length) {
                    return false;
                }
                // Not full: a consumer has claimed this cell and not yet emptied it. Wait for it rather than
                // refuse: a pool's release must not fail because another thread was preempted mid-poll.
                Thread.onSpinWait();
                pos = enqueuePosition.get();
            } else {
                pos = enqueuePosition.get();
            }
        }
        cells[cell] = b;
        sequences.lazySet(cell, pos + 1); // release: the buffer is visible before the turn passes to consumers
        return true;
    }

    /** A buffer, or null when every buffer is out. */
    PacketBuffer poll() {
        long pos = dequeuePosition.get();
        int cell;
        for (;;) {
            cell = (int) (pos & mask);
            final long diff = sequences.get(cell) - (pos + 1);
            if (diff == 0) {
                if (dequeuePosition.compareAndSet(pos, pos + 1)) {
                    break;
                }
                pos = dequeuePosition.get();
            } else if (diff < 0) {
                if (pos >= enqueuePosition.get()) {
                    return null;
                }
                // Not empty: a producer has claimed this cell and not yet filled it. Wait for it: a pool that says
                // "no buffer" while one is being returned would make the caller drop a packet for nothing.
                Thread.onSpinWait();
                pos = dequeuePosition.get();
            } else {
                pos = dequeuePosition.get();
            }
        }
        final PacketBuffer b = cells[cell];
        cells[cell] = null;
        sequences.lazySet(cell, pos + mask + 1); // release: the cell is empty before producers may reuse it
        return b;
    }
}
