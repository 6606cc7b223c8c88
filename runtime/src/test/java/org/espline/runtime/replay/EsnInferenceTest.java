package org.espline.runtime.replay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * RFC 4303 Appendix A.2: the high 32 bits of a received ESN, from the window's right edge T = Th:Tl
 * and size W. Case A (Tl &gt;= W - 1): the window lies in one subspace. Case B (Tl &lt; W - 1): it
 * straddles the boundary with the previous subspace.
 */
class EsnInferenceTest {

    private static ReplayWindow windowAt(int size, long top) {
        return new ReplayWindow(size, top);
    }

    private static long hex(String s) {
        return Long.parseUnsignedLong(s.replace("_", ""), 16);
    }

    @ParameterizedTest(name = "W={0} T=0x{1} seql=0x{2} -> 0x{3}")
    @CsvSource({
            // Case A, window inside subspace 1: [0x1_000000C1, 0x1_00000100]
            "64, 1_00000100, 00000100, 1_00000100",
            "64, 1_00000100, 000000C1, 1_000000C1",   // exactly the left edge: same subspace
            "64, 1_00000100, 000000C0, 2_000000C0",   // one left of the window: next subspace
            "64, 1_00000100, 00000101, 1_00000101",   // right of the edge
            "64, 1_00000100, FFFFFFFF, 1_FFFFFFFF",   // far right, same subspace
            "64, 1_00000100, 00000000, 2_00000000",
            // Case A boundary: Tl == W - 1, window [0x1_00000000, 0x1_0000003F]
            "64, 1_0000003F, 00000000, 1_00000000",
            "64, 1_0000003F, FFFFFFFF, 1_FFFFFFFF",
            // Case B: Tl == W - 2, left edge low half is 0xFFFFFFFF in subspace 0
            "64, 1_0000003E, FFFFFFFF, 0_FFFFFFFF",
            "64, 1_0000003E, FFFFFFFE, 1_FFFFFFFE",   // left of the window: taken as ahead in subspace 1
            "64, 1_0000003E, 00000000, 1_00000000",
            // Case B straddling: T = 0x1_00000005, W = 64 -> window [0x0_FFFFFFC6, 0x1_00000005]
            "64, 1_00000005, FFFFFFF0, 0_FFFFFFF0",   // late packet from before the crossing
            "64, 1_00000005, FFFFFFC6, 0_FFFFFFC6",   // exactly the left edge
            "64, 1_00000005, FFFFFFC5, 1_FFFFFFC5",   // one left of it
            "64, 1_00000005, 00000002, 1_00000002",
            "64, 1_00000005, 00000006, 1_00000006",
            // Sequence crossing 2^32 from the sender side: T = 0xFFFFFFF0 (subspace 0)
            "64, 0_FFFFFFF0, 00000002, 1_00000002",
            "64, 0_FFFFFFF0, FFFFFFF1, 0_FFFFFFF1",
            "64, 0_FFFFFFF0, FFFFFFB1, 0_FFFFFFB1",   // left edge
            "64, 0_FFFFFFF0, FFFFFFB0, 1_FFFFFFB0",
            // Bigger windows
            "4096, 7_00000800, FFFFF801, 6_FFFFF801",
            "4096, 7_00000800, FFFFF800, 7_FFFFF800",
            "4096, 7_00000FFF, 00000000, 7_00000000",
            "1048576, 2_00000000, FFF00001, 1_FFF00001",
            "1048576, 2_00000000, FFF00000, 2_FFF00000",
            // Th == 0: there is no subspace before 0
            "64, 0_00000005, FFFFFFF0, 0_FFFFFFF0",
            "64, 0_00000005, 00000001, 0_00000001",
            "64, 0_00000000, 00000001, 0_00000001",
            "32, 0_00000000, FFFFFFFF, 0_FFFFFFFF",
    })
    void appendixA(int size, String top, String seqLow, String expected) {
        long t = hex(top);
        int low = (int) hex(seqLow);
        assertEquals(hex(expected), windowAt(size, t).inferEsn(low),
                () -> "got 0x" + Long.toHexString(windowAt(size, t).inferEsn(low)));
        assertEquals(hex(expected), ReplayWindow.inferEsn(t, size, low), "static form");
    }

    @Test
    void crossingTwoToThe32WithAdvance() {
        ReplayWindow w = new ReplayWindow(64, 0);
        assertTrue(w.advance(0xFFFF_FFF0L));
        long s = w.inferEsn(0x0000_0002);
        assertEquals(0x1_0000_0002L, s);
        assertTrue(w.check(s));
        assertTrue(w.advance(s));
        assertEquals(0x1_0000_0002L, w.top());
        // a late packet from before the crossing is now inferred into subspace 0 and is still in the window
        long late = w.inferEsn(0xFFFF_FFF5);
        assertEquals(0x0_FFFF_FFF5L, late);
        assertTrue(w.advance(late));
        assertFalse(w.advance(w.inferEsn(0xFFFF_FFF5)), "its replay is refused");
        assertFalse(w.check(w.inferEsn(0xFFFF_FFF0)), "the old right edge is a replay");
    }

    @Test
    void lateLowValueAfterCrossingIsReplayOfNextSubspaceNotThePast() {
        ReplayWindow w = new ReplayWindow(64, 0x1_0000_0005L);
        long s = w.inferEsn(0xFFFF_FFF0);
        assertEquals(0x0_FFFF_FFF0L, s);
        assertTrue(w.check(s), "inside the straddling window and unseen");
    }

    @Test
    void windowZeroInfersAsWindowOne() {
        ReplayWindow w = new ReplayWindow(0, 0x1_0000_0010L);
        assertEquals(0x1_0000_0010L, w.inferEsn(0x10));
        assertEquals(0x1_0000_0011L, w.inferEsn(0x11));
        assertEquals(0x2_0000_000FL, w.inferEsn(0xF));
    }

    @Test
    void thZeroNeverGoesNegative() {
        Random rnd = new Random(4303);
        for (int i = 0; i < 10_000; i++) {
            int size = 1 + rnd.nextInt(1 << 20);
            long top = rnd.nextInt(size) & 0xFFFF_FFFFL; // Tl < W: case B territory in subspace 0
            int low = rnd.nextInt();
            long s = ReplayWindow.inferEsn(top, size, low);
            assertEquals(0, s >>> 32, () -> "Th 0 gave 0x" + Long.toHexString(s));
            assertEquals(low & 0xFFFF_FFFFL, s & 0xFFFF_FFFFL);
        }
    }

    @Test
    void inferredNumbersInsideTheWindowAreTheOnesTheSenderUsed() {
        // For every number the sender could have sent within the window, the inference recovers it.
        Random rnd = new Random(7);
        for (int i = 0; i < 20_000; i++) {
            int size = new int[] {32, 64, 128, 1000, 4096, 65536, 1 << 20}[rnd.nextInt(7)];
            long top = (rnd.nextInt(4) + 0L) << 32 | (rnd.nextInt() & 0xFFFF_FFFFL);
            if (top < size) {
                continue;
            }
            long sent = top - rnd.nextInt(size); // inside the window
            if (rnd.nextBoolean()) {
                sent = top + 1 + rnd.nextInt(Integer.MAX_VALUE); // ahead, less than 2^31
            }
            long inferred = ReplayWindow.inferEsn(top, size, (int) sent);
            if (inferred != sent) {
                long fSent = sent;
                long fTop = top;
                assertEquals(sent, inferred, () -> "top 0x" + Long.toHexString(fTop) + " W " + size + " sent 0x" + Long.toHexString(fSent));
            }
        }
    }
}
