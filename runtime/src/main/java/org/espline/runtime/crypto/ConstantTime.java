package org.espline.runtime.crypto;

import java.util.Objects;

/** Comparisons whose running time does not depend on where the inputs differ. */
final class ConstantTime {
    private ConstantTime() {
    }

    /**
     * Whether {@code a[aOffset..aOffset+length)} equals {@code b[bOffset..bOffset+length)}. Every byte is
     * visited and differences are OR-ed together, so a forger timing ICV checks cannot learn how many
     * leading bytes of a guess were right (which an early-exit loop would leak byte by byte).
     */
    static boolean equals(byte[] a, int aOffset, byte[] b, int bOffset, int length) {
        Objects.checkFromIndexSize(aOffset, length, a.length);
        Objects.checkFromIndexSize(bOffset, length, b.length);
        int diff = 0;
        for (int i = 0; i < length; i++) {
            diff |= a[aOffset + i] ^ b[bOffset + i];
        }
        return diff == 0;
    }
}
