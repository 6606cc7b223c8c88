package org.espline.runtime.gso;

import org.espline.runtime.buffer.PacketBuffer;

/**
 * Ranges of a packet's bytes that may continue in fragments: how many pieces (linear part, fragments) a
 * range touches, and attaching a range as fragments of another buffer that holds the source. Stateless.
 */
final class BufferPieces {
    private BufferPieces() {
    }

    /** Pieces of {@code p} that bytes {@code [from, from + len)} (relative to its data offset) touch. */
    static int count(PacketBuffer p, int from, int len) {
        final int end = from + len;
        int count = 0;
        int start = 0;
        int stop = p.linearLength();
        if (from < stop && end > start) {
            count++;
        }
        for (int i = 0; i < p.fragmentCount(); i++) {
            start = stop;
            stop += p.fragmentLength(i);
            if (from < stop && end > start) {
                count++;
            }
        }
        return count;
    }

    /**
     * Appends {@code owner}'s bytes {@code [from, from + len)} to {@code to} as fragments that retain
     * {@code owner}; the caller checked {@link #count} against {@code to}'s free slots.
     */
    static void attach(PacketBuffer to, PacketBuffer owner, int from, int len) {
        int at = from;
        int left = len;
        final int linear = owner.linearLength();
        if (at < linear && left > 0) {
            final int n = Math.min(linear - at, left);
            add(to, owner, owner.array(), owner.data() + at, n);
            at += n;
            left -= n;
        }
        int pieceStart = linear;
        for (int i = 0; i < owner.fragmentCount() && left > 0; i++) {
            final int fl = owner.fragmentLength(i);
            if (at < pieceStart + fl) {
                final int skip = at - pieceStart;
                final int n = Math.min(fl - skip, left);
                add(to, owner, owner.fragmentArray(i), owner.fragmentOffset(i) + skip, n);
                at += n;
                left -= n;
            }
            pieceStart += fl;
        }
    }

    /** Copies {@code owner}'s bytes {@code [from, from + len)} to {@code dst[to..]}. */
    static void copy(PacketBuffer owner, int from, int len, byte[] dst, int to) {
        int at = from;
        int left = len;
        final int linear = owner.linearLength();
        if (at < linear && left > 0) {
            final int n = Math.min(linear - at, left);
            System.arraycopy(owner.array(), owner.data() + at, dst, to, n);
            to += n;
            at += n;
            left -= n;
        }
        int pieceStart = linear;
        for (int i = 0; i < owner.fragmentCount() && left > 0; i++) {
            final int fl = owner.fragmentLength(i);
            if (at < pieceStart + fl) {
                final int skip = at - pieceStart;
                final int n = Math.min(fl - skip, left);
                System.arraycopy(owner.fragmentArray(i), owner.fragmentOffset(i) + skip, dst, to, n);
                to += n;
                at += n;
                left -= n;
            }
            pieceStart += fl;
        }
    }

    private static void add(PacketBuffer to, PacketBuffer owner, byte[] a, int off, int n) {
        if (!to.addFragment(owner, a, off, n)) {
            throw new IllegalStateException("no fragment slot left in " + to + " (count pieces first)");
        }
    }
}
