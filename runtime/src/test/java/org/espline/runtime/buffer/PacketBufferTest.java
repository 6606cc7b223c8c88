package org.espline.runtime.buffer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * PacketBuffer geometry (head &lt;= data &lt;= tail &lt;= end), fragments, and the copy/linearise
 * counters: every test that may copy asserts the exact counter values, not just the bytes.
 */
class PacketBufferTest {
    private BufferStats stats;

    @BeforeEach
    void setUp() {
        stats = new BufferStats();
    }

    /** Bytes 1..n (distinct, never 0, so a zero-filled copy cannot pass for the real thing). */
    private static byte[] seq(int n, int start) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (start + i);
        }
        return b;
    }

    private static void assertInvariant(PacketBuffer b) {
        assertTrue(0 <= b.data(), "head <= data: " + b);
        assertTrue(b.data() <= b.tail(), "data <= tail: " + b);
        assertTrue(b.tail() <= b.end(), "tail <= end: " + b);
        assertEquals(b.end(), b.array().length, "end is the array length");
        assertEquals(b.data(), b.headroom());
        assertEquals(b.end() - b.tail(), b.tailroom());
        assertEquals(b.tail() - b.data(), b.linearLength());
    }

    private void assertNoCopies() {
        assertEquals(0, stats.copies.sum(), "copies");
        assertEquals(0, stats.linearisations.sum(), "linearisations");
    }

    // ------------------------------------------------------------------ geometry

    @Nested
    class Geometry {
        @Test
        void freshBufferIsEmptyWithAllTailroom() {
            PacketBuffer b = new PacketBuffer(100, 2, stats);
            assertEquals(0, b.data());
            assertEquals(0, b.tail());
            assertEquals(100, b.end());
            assertEquals(0, b.headroom());
            assertEquals(100, b.tailroom());
            assertEquals(0, b.length());
            assertTrue(b.isLinear());
            assertSame(stats, b.stats());
            assertInvariant(b);
        }

        @Test
        void reserveMovesDataAndTailTogether() {
            PacketBuffer b = new PacketBuffer(100, 0, stats);
            b.reserve(20);
            assertEquals(20, b.headroom());
            assertEquals(80, b.tailroom());
            assertEquals(0, b.linearLength());
            b.reserve(100); // still empty: the whole array as headroom is allowed
            assertEquals(100, b.headroom());
            assertEquals(0, b.tailroom());
            b.reserve(0);
            assertEquals(0, b.headroom());
            assertInvariant(b);
        }

        @Test
        void reserveRejectsOutOfRangeAndNonEmpty() {
            PacketBuffer b = new PacketBuffer(100, 0, stats);
            assertThrows(IllegalStateException.class, () -> b.reserve(-1));
            assertThrows(IllegalStateException.class, () -> b.reserve(101));
            b.reserve(10);
            b.put(1);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> b.reserve(5));
            assertTrue(e.getMessage().contains("reserve(5)"), e.getMessage());
            assertEquals(10, b.data());
            assertEquals(11, b.tail());
        }

        @Test
        void putReturnsOldTailAndStopsAtEnd() {
            PacketBuffer b = new PacketBuffer(100, 0, stats);
            b.reserve(20);
            assertEquals(20, b.put(30));
            assertEquals(50, b.tail());
            assertEquals(50, b.tailroom());
            assertThrows(IndexOutOfBoundsException.class, () -> b.put(51));
            assertThrows(IndexOutOfBoundsException.class, () -> b.put(-1));
            assertEquals(50, b.tail(), "failed put changes nothing");
            assertEquals(50, b.put(50));
            assertEquals(0, b.tailroom());
            assertEquals(100, b.put(0), "put(0) at the end is allowed");
            assertThrows(IndexOutOfBoundsException.class, () -> b.put(1));
            assertInvariant(b);
        }

        @Test
        void pushTakesHeadroomDownToZero() {
            PacketBuffer b = new PacketBuffer(100, 0, stats);
            b.reserve(20);
            b.put(10);
            assertEquals(12, b.push(8));
            assertEquals(18, b.linearLength());
            assertThrows(IndexOutOfBoundsException.class, () -> b.push(13));
            assertThrows(IndexOutOfBoundsException.class, () -> b.push(-1));
            assertEquals(12, b.data(), "failed push changes nothing");
            assertEquals(0, b.push(12));
            assertEquals(0, b.headroom());
            assertEquals(0, b.push(0));
            assertThrows(IndexOutOfBoundsException.class, () -> b.push(1));
            assertInvariant(b);
        }

        @Test
        void pullStopsAtTail() {
            PacketBuffer b = new PacketBuffer(100, 0, stats);
            b.reserve(20);
            b.put(10);
            assertEquals(24, b.pull(4));
            assertEquals(6, b.linearLength());
            assertThrows(IndexOutOfBoundsException.class, () -> b.pull(7));
            assertThrows(IndexOutOfBoundsException.class, () -> b.pull(-1));
            assertEquals(24, b.data());
            assertEquals(30, b.pull(6));
            assertEquals(0, b.linearLength());
            assertEquals(b.tail(), b.data());
            assertThrows(IndexOutOfBoundsException.class, () -> b.pull(1));
            assertInvariant(b);
        }

        @Test
        void pushAfterPullRestoresTheSameBytes() {
            byte[] pkt = seq(16, 1);
            PacketBuffer b = PacketBuffer.copyOf(pkt, 0, 16, 8, 4, 0, stats);
            b.pull(6);
            assertArrayEquals(java.util.Arrays.copyOfRange(pkt, 6, 16), b.toByteArray());
            b.push(6);
            assertArrayEquals(pkt, b.toByteArray());
            assertNoCopies();
        }

        @Test
        void copyOfLaysOutHeadroomPacketTailroom() {
            byte[] src = seq(10, 1);
            PacketBuffer b = PacketBuffer.copyOf(src, 2, 5, 7, 3, 1, stats);
            assertEquals(7, b.headroom());
            assertEquals(5, b.linearLength());
            assertEquals(3, b.tailroom());
            assertEquals(15, b.end());
            assertEquals(1, b.maxFragments());
            assertArrayEquals(new byte[] {3, 4, 5, 6, 7}, b.toByteArray());
            assertNoCopies();
        }

        @Test
        void trimLinearCutsTail() {
            PacketBuffer b = PacketBuffer.copyOf(seq(10, 1), 0, 10, 4, 4, 0, stats);
            b.trim(10);
            assertEquals(10, b.length());
            b.trim(3);
            assertEquals(7, b.tail());
            assertArrayEquals(new byte[] {1, 2, 3}, b.toByteArray());
            assertThrows(IndexOutOfBoundsException.class, () -> b.trim(4));
            assertThrows(IndexOutOfBoundsException.class, () -> b.trim(-1));
            b.trim(0);
            assertEquals(0, b.length());
            assertInvariant(b);
        }

        @Test
        void clearEmptiesPacketAndMetadata() {
            PacketBuffer b = PacketBuffer.copyOf(seq(10, 1), 0, 10, 4, 4, 2, stats);
            b.addFragment(new byte[3], 0, 3);
            b.securityAssociation("sa");
            b.sequenceNumber(77);
            b.setFlag(PacketBuffer.FLAG_CRYPTO_DONE | PacketBuffer.FLAG_OFFLOADED);
            b.clear();
            assertEquals(0, b.data());
            assertEquals(0, b.tail());
            assertEquals(18, b.tailroom());
            assertEquals(0, b.fragmentCount());
            assertNull(b.securityAssociation());
            assertEquals(0, b.sequenceNumber());
            assertEquals(0, b.flags());
        }

        @Test
        void flagsSetClearIndependently() {
            PacketBuffer b = new PacketBuffer(8, 0, stats);
            b.setFlag(PacketBuffer.FLAG_OFFLOADED);
            assertTrue(b.hasFlag(PacketBuffer.FLAG_OFFLOADED));
            assertFalse(b.hasFlag(PacketBuffer.FLAG_CRYPTO_DONE));
            b.setFlag(PacketBuffer.FLAG_CRYPTO_DONE);
            b.clearFlag(PacketBuffer.FLAG_OFFLOADED);
            assertEquals(PacketBuffer.FLAG_CRYPTO_DONE, b.flags());
        }

        @Test
        void negativeFragmentSlotsRefused() {
            assertThrows(IllegalArgumentException.class, () -> new PacketBuffer(10, -1, stats));
        }

        @Test
        void toStringShowsGeometry() {
            PacketBuffer b = new PacketBuffer(64, 3, stats);
            b.reserve(16);
            b.put(8);
            assertEquals("PacketBuffer[data=16 tail=24 end=64 frags=0/3]", b.toString());
        }
    }

    // ------------------------------------------------------------------ fragments

    @Nested
    class Fragments {
        @Test
        void addUpToMaxThenFalseWithoutChange() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 0, 0, 2, stats);
            assertTrue(b.addFragment(seq(3, 10), 0, 3));
            assertFalse(b.isLinear());
            assertTrue(b.addFragment(seq(8, 20), 2, 5));
            assertFalse(b.addFragment(seq(2, 40), 0, 2));
            assertEquals(2, b.fragmentCount());
            assertEquals(4 + 3 + 5, b.length());
            assertEquals(4, b.linearLength());
            assertEquals(2, b.fragmentOffset(1));
            assertEquals(5, b.fragmentLength(1));
            assertThrows(IndexOutOfBoundsException.class, () -> b.fragmentArray(2));
            assertThrows(IndexOutOfBoundsException.class, () -> b.fragmentLength(-1));
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12, 22, 23, 24, 25, 26}, b.toByteArray());
        }

        @Test
        void aFragmentTakingTheHoldKeepsTheCountAndReturnsTheOwnerWithTheHolder() {
            BufferPool pool = new BufferPool(4, 16, 64, 0, 2);
            PacketBuffer head = pool.acquire();
            PacketBuffer seg = pool.acquire();
            byte[] bytes = seq(10, 1);
            System.arraycopy(bytes, 0, seg.array(), seg.put(10), 10);
            System.arraycopy(bytes, 0, head.array(), head.put(2), 2);
            assertTrue(head.addFragmentTakingHold(seg, seg.data() + 4, 6));
            assertEquals(1, seg.refCount(), "the hold changed hands: no retain");
            assertEquals(2 + 6, head.length());
            assertArrayEquals(new byte[] {1, 2, 5, 6, 7, 8, 9, 10}, head.toByteArray());
            assertEquals(2, pool.outstanding());
            head.release();
            assertEquals(0, pool.outstanding(), "the head's release let go of the segment it held");
            PacketBuffer full = new PacketBuffer(10, 0, stats);
            PacketBuffer other = pool.acquire();
            assertFalse(full.addFragmentTakingHold(other, other.data(), 1), "no slot: nothing taken");
            assertEquals(1, other.refCount());
            other.release();
            assertThrows(IllegalArgumentException.class, () -> head.addFragmentTakingHold(head, 0, 1));
        }

        @Test
        void zeroSlotsTakeNoFragment() {
            PacketBuffer b = new PacketBuffer(10, 0, stats);
            assertFalse(b.addFragment(new byte[4], 0, 4));
            assertEquals(0, b.fragmentCount());
            assertNull(b.trailerArea());
        }

        @Test
        void addFragmentChecksBounds() {
            PacketBuffer b = new PacketBuffer(10, 2, stats);
            byte[] a = new byte[8];
            assertThrows(IndexOutOfBoundsException.class, () -> b.addFragment(a, -1, 2));
            assertThrows(IndexOutOfBoundsException.class, () -> b.addFragment(a, 0, -1));
            assertThrows(IndexOutOfBoundsException.class, () -> b.addFragment(a, 4, 5));
            assertEquals(0, b.fragmentCount());
            assertTrue(b.addFragment(a, 4, 4));
            assertTrue(b.addFragment(a, 8, 0));
        }

        @Test
        void putRefusedOnFragmentedPacket() {
            PacketBuffer b = new PacketBuffer(10, 1, stats);
            b.addFragment(new byte[2], 0, 2);
            assertThrows(IllegalStateException.class, () -> b.put(1));
            assertEquals(0, b.tail());
        }

        private PacketBuffer threePart() {
            // linear 4 bytes | frag0 3 bytes | frag1 5 bytes = 12
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 2, 2, 3, stats);
            b.addFragment(seq(3, 10), 0, 3);
            b.addFragment(seq(5, 20), 0, 5);
            return b;
        }

        @Test
        void trimInsideLastFragment() {
            PacketBuffer b = threePart();
            b.trim(10);
            assertEquals(2, b.fragmentCount());
            assertEquals(3, b.fragmentLength(1));
            assertEquals(10, b.length());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12, 20, 21, 22}, b.toByteArray());
        }

        @Test
        void trimExactlyAtFragmentBoundaryDropsLaterFragments() {
            PacketBuffer b = threePart();
            b.trim(7);
            assertEquals(1, b.fragmentCount());
            assertEquals(3, b.fragmentLength(0));
            assertEquals(7, b.length());
            assertThrows(IndexOutOfBoundsException.class, () -> b.fragmentArray(1));
        }

        @Test
        void trimInsideFirstFragment() {
            PacketBuffer b = threePart();
            b.trim(5);
            assertEquals(1, b.fragmentCount());
            assertEquals(1, b.fragmentLength(0));
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10}, b.toByteArray());
        }

        @Test
        void trimToLinearLengthDropsAllFragments() {
            PacketBuffer b = threePart();
            b.trim(4);
            assertTrue(b.isLinear());
            assertEquals(4, b.length());
            assertEquals(6, b.tail());
        }

        @Test
        void trimIntoLinearPart() {
            PacketBuffer b = threePart();
            b.trim(2);
            assertTrue(b.isLinear());
            assertArrayEquals(new byte[] {1, 2}, b.toByteArray());
        }

        @Test
        void trimBeyondLengthRefused() {
            PacketBuffer b = threePart();
            assertThrows(IndexOutOfBoundsException.class, () -> b.trim(13));
            assertEquals(12, b.length());
            assertEquals(2, b.fragmentCount());
            b.trim(12);
            assertEquals(12, b.length());
            assertEquals(2, b.fragmentCount());
        }

        @Test
        void trailerAreaIsReusedUntilSlotsAreFull() {
            PacketBuffer b = new PacketBuffer(10, 2, stats);
            byte[] t = b.trailerArea();
            assertNotNull(t);
            assertEquals(PacketBuffer.TRAILER_AREA_SIZE, t.length);
            assertSame(t, b.trailerArea(), "allocated once");
            b.addFragment(new byte[1], 0, 1);
            assertSame(t, b.trailerArea(), "one slot still free");
            b.addFragment(t, 0, 20);
            assertNull(b.trailerArea(), "all slots in use");
            b.clear();
            assertSame(t, b.trailerArea(), "slots free again after clear; same area");
        }
    }

    // ------------------------------------------------------------------ linearise

    @Nested
    class Linearise {
        @Test
        void inTailroomCountsOneLinearisationAndNoCopy() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 8, 16, 2, stats);
            b.addFragment(seq(3, 10), 0, 3);
            b.addFragment(seq(6, 20), 1, 4);
            byte[] before = b.toByteArray();
            byte[] array = b.array();
            b.linearise();
            assertTrue(b.isLinear());
            assertSame(array, b.array(), "fits in tailroom: no new array");
            assertEquals(8, b.data());
            assertEquals(8 + 11, b.tail());
            assertEquals(16 - 7, b.tailroom());
            assertArrayEquals(before, b.toByteArray());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12, 21, 22, 23, 24}, b.toByteArray());
            assertEquals(1, stats.linearisations.sum());
            assertEquals(0, stats.copies.sum());
        }

        @Test
        void exactlyFillingTailroomNeedsNoCopy() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 0, 5, 1, stats);
            b.addFragment(seq(5, 50), 0, 5);
            b.linearise();
            assertEquals(0, b.tailroom());
            assertEquals(0, stats.copies.sum());
            assertEquals(1, stats.linearisations.sum());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 50, 51, 52, 53, 54}, b.toByteArray());
        }

        @Test
        void shortTailroomCopiesOnceAndKeepsHeadroom() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 6, 2, 2, stats);
            b.addFragment(seq(3, 10), 0, 3);
            b.addFragment(seq(2, 20), 0, 2);
            byte[] old = b.array();
            b.linearise();
            assertNotSame(old, b.array());
            assertEquals(6, b.headroom());
            assertEquals(9, b.linearLength());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12, 20, 21}, b.toByteArray());
            assertEquals(1, stats.linearisations.sum());
            assertEquals(1, stats.copies.sum());
            assertInvariant(b);
        }

        @Test
        void linearPacketIsNotCounted() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 0, 0, 2, stats);
            byte[] a = b.array();
            b.linearise();
            assertSame(a, b.array());
            assertNoCopies();
        }

        @Test
        void sharedPacketIsCopiedBeforeLinearising() {
            PacketBuffer a = PacketBuffer.copyOf(seq(4, 1), 0, 4, 0, 64, 1, stats);
            a.addFragment(seq(3, 10), 0, 3);
            PacketBuffer clone = a.cloneShared();
            a.linearise();
            assertNotSame(a.array(), clone.array());
            assertEquals(1, stats.copies.sum());
            assertEquals(1, stats.linearisations.sum());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12}, a.toByteArray());
            // the clone's linear part and tailroom were not overwritten by the fragment bytes
            assertEquals(4, clone.linearLength());
            assertEquals(0, clone.array()[4]);
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12}, clone.toByteArray());
        }
    }

    // ------------------------------------------------------------------ sharing

    @Nested
    class Sharing {
        @Test
        void ensureWritableOnPrivateBufferIsANoOp() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 4, 4, 1, stats);
            byte[] a = b.array();
            assertFalse(b.isShared());
            b.ensureWritable();
            assertSame(a, b.array());
            assertEquals(4, b.data());
            assertEquals(12, b.tail());
            assertNoCopies();
        }

        @Test
        void cloneSharesArrayAndMetadataWithoutCopy() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 4, 4, 2, stats);
            b.addFragment(seq(2, 30), 0, 2);
            b.sequenceNumber(0x1_0000_0001L);
            b.setFlag(PacketBuffer.FLAG_CRYPTO_DONE);
            b.securityAssociation("sa");
            PacketBuffer c = b.cloneShared();
            assertSame(b.array(), c.array());
            assertTrue(b.isShared());
            assertTrue(c.isShared());
            assertEquals(b.data(), c.data());
            assertEquals(b.tail(), c.tail());
            assertEquals(1, c.fragmentCount());
            assertSame(b.fragmentArray(0), c.fragmentArray(0));
            assertEquals(0x1_0000_0001L, c.sequenceNumber());
            assertEquals(PacketBuffer.FLAG_CRYPTO_DONE, c.flags());
            assertEquals("sa", c.securityAssociation());
            assertArrayEquals(b.toByteArray(), c.toByteArray());
            assertTrue(c.toString().endsWith(" shared]"), c.toString());
            assertNoCopies();
        }

        @Test
        void ensureWritableOnSharedCopiesExactlyOnceAndIsolates() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 4, 4, 1, stats);
            PacketBuffer c = b.cloneShared();
            byte[] shared = b.array();
            b.ensureWritable();
            assertEquals(1, stats.copies.sum());
            assertNotSame(shared, b.array());
            assertSame(shared, c.array());
            assertFalse(b.isShared());
            assertFalse(c.isShared(), "the clone is the only user of the old array now");
            assertEquals(4, b.headroom());
            assertEquals(4, b.tailroom());

            b.array()[b.data()] = 99;
            assertEquals(1, c.array()[c.data()], "write to the copy is not visible in the clone");
            assertArrayEquals(seq(8, 1), c.toByteArray());

            b.ensureWritable();
            c.ensureWritable();
            assertEquals(1, stats.copies.sum(), "no second copy once private");
            assertSame(shared, c.array());
            assertEquals(0, stats.linearisations.sum());
        }

        @Test
        void cloneWritingFirstLeavesOriginalIntact() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 4, 4, 1, stats);
            PacketBuffer c = b.cloneShared();
            c.ensureWritable();
            c.array()[c.data() + 7] = -1;
            assertArrayEquals(seq(8, 1), b.toByteArray());
            assertFalse(b.isShared());
            assertFalse(c.isShared());
            assertEquals(1, stats.copies.sum());
        }

        @Test
        void releaseOfOtherUnsharesBoth() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 4, 4, 1, stats);
            PacketBuffer c = b.cloneShared();
            c.release();
            assertFalse(b.isShared());
            assertFalse(c.isShared());
            byte[] a = b.array();
            b.ensureWritable();
            assertSame(a, b.array(), "no copy once the clone released its share");
            assertNoCopies();
        }

        @Test
        void threeWaySharingNeedsTwoCopies() {
            PacketBuffer a = PacketBuffer.copyOf(seq(8, 1), 0, 8, 4, 4, 1, stats);
            PacketBuffer b = a.cloneShared();
            PacketBuffer c = b.cloneShared();
            assertTrue(a.isShared() && b.isShared() && c.isShared());
            a.ensureWritable();
            assertTrue(b.isShared(), "b and c still share");
            assertTrue(c.isShared());
            b.ensureWritable();
            assertFalse(c.isShared());
            c.ensureWritable();
            assertEquals(2, stats.copies.sum());
            assertNotSame(a.array(), b.array());
            assertNotSame(b.array(), c.array());
        }

        @Test
        void ensureWritableOnSharedFragmentedPacketLinearisesInTheSameCopy() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 2, 0, 2, stats);
            byte[] frag = seq(3, 10);
            b.addFragment(frag, 0, 3);
            PacketBuffer c = b.cloneShared();
            b.ensureWritable();
            assertTrue(b.isLinear());
            assertEquals(7, b.linearLength());
            assertEquals(2, b.headroom());
            assertArrayEquals(new byte[] {1, 2, 3, 4, 10, 11, 12}, b.toByteArray());
            assertEquals(1, stats.copies.sum());
            assertEquals(1, c.fragmentCount(), "clone keeps its fragments");
            b.array()[b.data() + 4] = 0;
            assertEquals(10, frag[0], "shared fragment not written");
        }

        @Test
        void ensureRoomWithEnoughRoomIsANoOp() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 16, 8, 0, stats);
            byte[] a = b.array();
            b.ensureRoom(16, 8);
            b.ensureRoom(0, 0);
            assertSame(a, b.array());
            assertEquals(16, b.headroom());
            assertNoCopies();
        }

        @Test
        void ensureRoomShortHeadroomCopiesOnce() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 16, 8, 0, stats);
            b.ensureRoom(17, 8);
            assertEquals(1, stats.copies.sum());
            assertEquals(17, b.headroom());
            assertEquals(8, b.tailroom());
            assertArrayEquals(seq(8, 1), b.toByteArray());
            assertInvariant(b);
            b.ensureRoom(17, 8);
            assertEquals(1, stats.copies.sum());
        }

        @Test
        void ensureRoomShortTailroomCopiesOnceKeepingHeadroom() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 16, 8, 0, stats);
            b.ensureRoom(4, 40);
            assertEquals(1, stats.copies.sum());
            assertEquals(16, b.headroom(), "never shrinks the headroom");
            assertEquals(40, b.tailroom());
            assertArrayEquals(seq(8, 1), b.toByteArray());
        }

        @Test
        void ensureRoomOnSharedCopiesEvenWithRoom() {
            PacketBuffer b = PacketBuffer.copyOf(seq(8, 1), 0, 8, 16, 8, 0, stats);
            PacketBuffer c = b.cloneShared();
            b.ensureRoom(0, 0);
            assertEquals(1, stats.copies.sum());
            assertNotSame(c.array(), b.array());
            assertFalse(b.isShared());
            assertFalse(c.isShared());
            assertEquals(16, b.headroom());
            assertEquals(8, b.tailroom());
        }

        @Test
        void trailerAreaInAClonedFragmentIsNotReusedForTheNextPacket() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 0, 0, 1, stats);
            byte[] t = b.trailerArea();
            t[0] = 50;
            b.addFragment(t, 0, 1);
            PacketBuffer c = b.cloneShared();
            b.ensureWritable();
            assertArrayEquals(new byte[] {1, 2, 3, 4, 50}, b.toByteArray());
            b.clear();
            byte[] t2 = b.trailerArea();
            assertNotSame(t, t2, "the clone's fragment still points at the old area");
            t2[0] = 0;
            assertArrayEquals(new byte[] {1, 2, 3, 4, 50}, c.toByteArray());
        }

        @Test
        void cloneWithoutTrailerFragmentKeepsTheTrailerArea() {
            PacketBuffer b = PacketBuffer.copyOf(seq(4, 1), 0, 4, 0, 0, 2, stats);
            byte[] t = b.trailerArea();
            b.addFragment(new byte[3], 0, 3);
            b.cloneShared();
            assertSame(t, b.trailerArea(), "no clone can see the area: no new allocation");
        }

        @Test
        void unpooledReleaseOnPrivateBufferIsHarmless() {
            PacketBuffer b = new PacketBuffer(8, 0, stats);
            b.release();
            b.release();
            assertFalse(b.isShared());
        }
    }
}
