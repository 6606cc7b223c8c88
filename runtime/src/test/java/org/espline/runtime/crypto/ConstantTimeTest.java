package org.espline.runtime.crypto;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConstantTimeTest {
    @Test
    void equalRangesAtOffsets() {
        byte[] a = {9, 1, 2, 3, 4};
        byte[] b = {1, 2, 3, 4, 7, 7};
        assertTrue(ConstantTime.equals(a, 1, b, 0, 4));
        assertTrue(ConstantTime.equals(a, 0, b, 5, 0));
    }

    @Test
    void aDifferenceInAnyByteOrBitIsFound() {
        byte[] a = new byte[32];
        for (int i = 0; i < a.length; i++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] b = a.clone();
                b[i] ^= (byte) (1 << bit);
                assertFalse(ConstantTime.equals(a, 0, b, 0, a.length), "byte " + i + " bit " + bit);
            }
        }
    }

    @Test
    void sameValueDifferentSignStillDiffers() {
        assertFalse(ConstantTime.equals(new byte[] {(byte) 0x80}, 0, new byte[] {0}, 0, 1));
        assertFalse(ConstantTime.equals(new byte[] {(byte) 0xFF}, 0, new byte[] {0x7F}, 0, 1));
    }

    @Test
    void outOfRangeIsAnError() {
        assertThrows(IndexOutOfBoundsException.class, () -> ConstantTime.equals(new byte[4], 1, new byte[4], 0, 4));
        assertThrows(IndexOutOfBoundsException.class, () -> ConstantTime.equals(new byte[4], 0, new byte[4], 1, 4));
    }
}
