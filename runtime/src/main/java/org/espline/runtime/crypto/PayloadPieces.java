package org.espline.runtime.crypto;

import java.util.Arrays;

/**
 * The part of an ESP payload's plaintext that does not lie in the output packet's array: pieces of other
 * arrays (a GSO segment's share of the super-packet, the ESP trailer), read in order and never written. A
 * {@linkplain EspTransform#sealGather gathering seal} encrypts them out of place, straight into the packet,
 * so nobody has to copy them there first (a scatterlist, in kernel terms).
 *
 * <p>Reusable: {@link #clear()} it and {@link #add} the next packet's pieces. Its arrays grow to the most
 * pieces seen and are then kept, so the packet path allocates nothing. Not thread-safe: one per output
 * path, like the transforms.
 */
public final class PayloadPieces {
    private byte[][] arrays = new byte[4][];
    private int[] offsets = new int[4];
    private int[] lengths = new int[4];
    private int count;
    private int length;

    /** Forgets every piece (and the references to their arrays). */
    public void clear() {
        Arrays.fill(arrays, 0, count, null);
        count = 0;
        length = 0;
    }

    /** Appends {@code a[offset, offset + length)}; empty pieces are skipped. Returns this. */
    public PayloadPieces add(byte[] a, int offset, int length) {
        if (offset < 0 || length < 0 || offset > a.length - length) {
            throw new IndexOutOfBoundsException("piece offset=" + offset + " length=" + length + " array=" + a.length);
        }
        if (length == 0) {
            return this;
        }
        if (count == arrays.length) {
            arrays = Arrays.copyOf(arrays, 2 * count);
            offsets = Arrays.copyOf(offsets, 2 * count);
            lengths = Arrays.copyOf(lengths, 2 * count);
        }
        arrays[count] = a;
        offsets[count] = offset;
        lengths[count] = length;
        count++;
        this.length += length;
        return this;
    }

    public int count() { return count; }

    /** Bytes in all pieces. */
    public int length() { return length; }

    public byte[] array(int i) { check(i); return arrays[i]; }

    public int offset(int i) { check(i); return offsets[i]; }

    public int length(int i) { check(i); return lengths[i]; }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("piece " + i + " (expected: 0 <= i < " + count + ")");
        }
    }

    @Override
    public String toString() {
        return "PayloadPieces[count=" + count + " length=" + length + "]";
    }
}
