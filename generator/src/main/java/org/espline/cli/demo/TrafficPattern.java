package org.espline.cli.demo;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * The bytes the demo sends, recomputable at the receiver: stream {@code s} at offset {@code o} is byte
 * {@code (o + 7919·s) mod 1 MiB} of one random block. Checking a delivered range is then one vectorised
 * {@link Arrays#equals} per wrap, so verification keeps up with the data plane.
 */
final class TrafficPattern {
    private static final int SIZE = 1 << 20;
    private static final int MASK = SIZE - 1;

    private final byte[] block = new byte[SIZE];

    TrafficPattern(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < SIZE; i += 8) {
            long v = r.nextLong();
            for (int k = 0; k < 8; k++) {
                block[i + k] = (byte) (v >>> (8 * k));
            }
        }
    }

    private static int start(int stream, long offset) {
        return (int) ((offset + 7919L * stream) & MASK);
    }

    /** Writes {@code len} bytes of stream {@code stream} from {@code offset} into {@code a[at..]}. */
    void fill(int stream, long offset, byte[] a, int at, int len) {
        int p = start(stream, offset);
        while (len > 0) {
            int n = Math.min(len, SIZE - p);
            System.arraycopy(block, p, a, at, n);
            at += n;
            len -= n;
            p = 0;
        }
    }

    /** Whether {@code a[at..at+len)} holds stream {@code stream} from {@code offset}. */
    boolean matches(int stream, long offset, byte[] a, int at, int len) {
        int p = start(stream, offset);
        while (len > 0) {
            int n = Math.min(len, SIZE - p);
            if (!Arrays.equals(a, at, at + n, block, p, p + n)) {
                return false;
            }
            at += n;
            len -= n;
            p = 0;
        }
        return true;
    }
}
