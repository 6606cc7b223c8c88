package org.espline.runtime.gso;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;

/**
 * Internet checksum sums over a range of a packet that may continue in fragments. A piece that starts at an
 * odd position of the range has its sum byte-swapped before it is added (RFC 1071 §2(B): the sum is
 * byte-order independent, so a shift by one byte swaps it), which keeps odd-length fragments exact.
 * Stateless; allocates nothing.
 */
public final class BufferChecksums {
    private BufferChecksums() {
    }

    /**
     * Folded ones'-complement sum of {@code length} packet bytes from {@code from} (relative to
     * {@link PacketBuffer#data()}), linear part and fragments alike.
     */
    public static int sum(PacketBuffer b, int from, int length) {
        int acc = 0;
        int done = 0;
        int at = from;
        final int linear = b.linearLength();
        if (at < linear) {
            final int n = Math.min(linear - at, length);
            acc = InternetChecksum.sum(b.array(), b.data() + at, n);
            done = n;
            at = linear;
        }
        int pieceStart = linear;
        final int frags = b.fragmentCount();
        for (int i = 0; i < frags && done < length; i++) {
            final int fl = b.fragmentLength(i);
            if (at < pieceStart + fl) {
                final int skip = at - pieceStart;
                final int n = Math.min(fl - skip, length - done);
                acc = addAt(acc, InternetChecksum.sum(b.fragmentArray(i), b.fragmentOffset(i) + skip, n), done);
                done += n;
                at += n;
            }
            pieceStart += fl;
        }
        if (done != length) {
            throw new IndexOutOfBoundsException("sum(" + from + ", " + length + ") of a " + b.length() + "-byte packet");
        }
        return acc;
    }

    /** Adds the sum of a piece that starts {@code position} bytes into the summed range. */
    public static int addAt(int runningSum, int pieceSum, int position) {
        return InternetChecksum.add(runningSum, (position & 1) == 0 ? pieceSum : swap(pieceSum));
    }

    private static int swap(int sum16) {
        return ((sum16 & 0xFF) << 8) | (sum16 >>> 8);
    }
}
