package org.espline.runtime.replay;

import java.util.concurrent.locks.StampedLock;

import org.espline.runtime.sa.ReplayLimits;

/**
 * The inbound anti-replay window of one SA (RFC 4303 §3.4.3), as a ring of 64-bit words in the
 * manner of RFC 6479: sliding the window clears whole words instead of shifting the bitmap, so a jump
 * of the right edge costs at most one pass over the ring.
 *
 * <p>Two phases around decryption, as Linux's xfrm_input does: {@link #check} before the (expensive,
 * possibly asynchronous) ICV verification rejects obvious replays cheaply; {@link #advance} after the
 * ICV verified re-checks (another thread may have accepted the same number meanwhile) and records it.
 * Only authenticated packets move the window, so forged packets cannot shift it.
 *
 * <p>Sequence numbers are full 64-bit values compared unsigned (ESN); without ESN they stay below
 * 2^32. Thread-safe: {@link #advance} writes under a lock, held for a few instructions (as Linux holds x->lock);
 * {@link #check}, {@link #inferEsn} and {@link #top} read optimistically (a {@link StampedLock} stamp validated after
 * the read, retried under the read lock only when an advance overlapped), so a receiving thread pays for one lock per
 * packet instead of three.
 */
public final class ReplayWindow {
    private final int window;
    private final long[] ring;
    private final int ringBitsMask;
    /** Highest authenticated sequence number (the right edge); 0 before the first packet. */
    private long top;
    private final StampedLock lock = new StampedLock();

    /**
     * @param window  window size in packets, 0 = replay checking off (sequence numbers still tracked
     *                for ESN inference)
     * @param initial the highest sequence number already seen (ip xfrm's replay-seq), usually 0
     */
    public ReplayWindow(int window, long initial) {
        if (window < 0 || window > ReplayLimits.MAX_WINDOW) {
            throw new IllegalArgumentException("window: " + window + " (expected: 0 <= window <= " + ReplayLimits.MAX_WINDOW + ")");
        }
        this.window = window;
        // One spare word so the word holding the left edge is never the one being cleared for the right.
        int words = Integer.highestOneBit(Math.max(1, (window + 63) / 64)) * 2;
        this.ring = new long[Math.max(2, words)];
        this.ringBitsMask = ring.length * 64 - 1;
        this.top = initial;
    }

    public int size() { return window; }

    /** The right edge: highest sequence number accepted so far. */
    public long top() {
        final long stamp = lock.tryOptimisticRead();
        final long t = top;
        if (lock.validate(stamp)) {
            return t;
        }
        final long read = lock.readLock();
        try {
            return top;
        } finally {
            lock.unlockRead(read);
        }
    }

    /**
     * Pre-check before decryption.
     *
     * @return true when {@code seq} is new: right of the edge, or inside the window and not yet seen
     */
    public boolean check(long seq) {
        final long stamp = lock.tryOptimisticRead();
        final boolean fresh = isNew(seq);
        if (lock.validate(stamp)) {
            return fresh;
        }
        final long read = lock.readLock();
        try {
            return isNew(seq);
        } finally {
            lock.unlockRead(read);
        }
    }

    /**
     * Post-check after the ICV verified: re-checks and records {@code seq}, sliding the window if it is
     * the new right edge.
     *
     * @return false when {@code seq} was accepted by someone else since {@link #check} (a replay race)
     */
    public boolean advance(long seq) {
        final long stamp = lock.writeLock();
        try {
            if (!isNew(seq)) {
                return false;
            }
            if (Long.compareUnsigned(seq, top) > 0) {
                slideTo(seq);
            }
            if (window != 0) {
                int bit = (int) seq & ringBitsMask;
                ring[bit >>> 6] |= 1L << bit;
            }
            return true;
        } finally {
            lock.unlockWrite(stamp);
        }
    }

    /**
     * RFC 4303 Appendix A.2: the 64-bit sequence number for a received low half, given the window's
     * right edge. With a window that lies within one 2^32 subspace a low value left of the window means
     * the next subspace; when the window straddles a subspace boundary a high low value means the
     * previous subspace.
     */
    public long inferEsn(int seqLow) {
        return inferEsn(top(), Math.max(window, 1), seqLow);
    }

    /** The same inference for a right edge kept elsewhere (an offload device's own view of the window). */
    public static long inferEsn(long top, int window, int seqLow) {
        long tl = top & 0xFFFF_FFFFL;
        long th = top >>> 32;
        long sl = seqLow & 0xFFFF_FFFFL;
        long w = window;
        long sh;
        if (tl >= w - 1) {
            // Window entirely within the current subspace.
            sh = sl >= tl - w + 1 ? th : th + 1;
        } else {
            // Window spans the boundary to the previous subspace.
            long leftEdgeLow = (tl - w + 1) & 0xFFFF_FFFFL;
            sh = sl >= leftEdgeLow ? th - 1 : th;
            if (th == 0 && sl >= leftEdgeLow) {
                // There is no subspace before 0: numbers just below 2^32 are ahead of us, not behind.
                sh = 0;
            }
        }
        return (sh << 32) | sl;
    }

    private boolean isNew(long seq) {
        if (seq == 0) {
            // The first packet of an SA carries 1; 0 is never sent (RFC 4303 §3.3.3).
            return false;
        }
        if (window == 0) {
            return true;
        }
        if (Long.compareUnsigned(seq, top) > 0) {
            return true;
        }
        long behind = top - seq;
        if (Long.compareUnsigned(behind, window) >= 0) {
            return false;
        }
        int bit = (int) seq & ringBitsMask;
        return (ring[bit >>> 6] & (1L << bit)) == 0;
    }

    private void slideTo(long seq) {
        if (window != 0) {
            long topWord = top >>> 6;
            long newWord = seq >>> 6;
            long diff = newWord - topWord;
            if (Long.compareUnsigned(diff, ring.length) >= 0) {
                java.util.Arrays.fill(ring, 0L);
            } else {
                int mask = ring.length - 1;
                for (long w = topWord + 1; w != newWord + 1; w++) {
                    ring[(int) w & mask] = 0L;
                }
            }
        }
        top = seq;
    }

    @Override
    public String toString() {
        return "ReplayWindow[size=" + window + " top=0x" + Long.toHexString(top()) + "]";
    }
}
