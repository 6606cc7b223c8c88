package org.espline.runtime.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.port.MemoryLink;
import org.junit.jupiter.api.Test;

/** PacketBatch keeps order through every removal helper, refuses past capacity; MemoryLink pushes back. */
class PacketBatchTest {
    private final BufferPool pool = new BufferPool(16, 0, 64, 0, 0);

    private PacketBuffer[] fill(PacketBatch b, int n) {
        PacketBuffer[] ps = new PacketBuffer[n];
        for (int i = 0; i < n; i++) {
            ps[i] = pool.acquire();
            assertTrue(b.add(ps[i]));
        }
        return ps;
    }

    @Test
    void addRefusesWhenFull() {
        PacketBatch b = new PacketBatch(3);
        fill(b, 3);
        PacketBuffer extra = pool.acquire();
        assertFalse(b.add(extra));
        assertEquals(3, b.size());
        assertTrue(b.isFull());
        assertEquals(0, b.remaining());
        extra.release();
        b.releaseAll();
        assertEquals(0, b.size());
        assertEquals(0, pool.outstanding());
    }

    @Test
    void removalsKeepOrder() {
        PacketBatch b = new PacketBatch(8);
        PacketBuffer[] ps = fill(b, 6);
        assertSame(ps[1], b.remove(1));
        assertEquals(5, b.size());
        assertSame(ps[0], b.get(0));
        assertSame(ps[2], b.get(1));
        assertSame(ps[5], b.get(4));

        b.take(0);
        b.take(3);
        assertEquals(3, b.compact());
        assertSame(ps[2], b.get(0));
        assertSame(ps[3], b.get(1));
        assertSame(ps[5], b.get(2));

        b.removeFirst(2);
        assertEquals(1, b.size());
        assertSame(ps[5], b.get(0));
        ps[0].release();
        ps[1].release();
        ps[4].release();
        b.set(0, ps[5]);
        b.releaseAll();
        ps[2].release();
        ps[3].release();
        assertEquals(0, pool.outstanding());
    }

    @Test
    void moveFromTakesWhatFitsInOrder() {
        PacketBatch from = new PacketBatch(8);
        PacketBuffer[] ps = fill(from, 5);
        PacketBatch to = new PacketBatch(3);
        assertEquals(3, to.moveFrom(from));
        assertSame(ps[0], to.get(0));
        assertSame(ps[2], to.get(2));
        assertEquals(2, from.size());
        assertSame(ps[3], from.get(0));
        to.releaseAll();
        from.releaseAll();
        assertEquals(0, pool.outstanding());
    }

    @Test
    void indicesAreChecked() {
        PacketBatch b = new PacketBatch(2);
        assertThrows(IndexOutOfBoundsException.class, () -> b.get(0));
        assertThrows(IndexOutOfBoundsException.class, () -> b.removeFirst(1));
        assertThrows(IllegalArgumentException.class, () -> new PacketBatch(0));
    }

    @Test
    void memoryLinkAppliesBackPressureAndEnds() {
        MemoryLink link = new MemoryLink(3);
        assertEquals(4, link.capacity());
        PacketBatch b = new PacketBatch(8);
        PacketBuffer[] ps = fill(b, 6);
        assertEquals(4, link.send(b));
        assertEquals(2, b.size());
        assertSame(ps[4], b.get(0));
        assertEquals(1, link.fullEvents());
        assertEquals(0, link.send(b));

        PacketBatch in = new PacketBatch(3);
        assertEquals(3, link.receive(in));
        assertSame(ps[0], in.get(0));
        assertSame(ps[2], in.get(2));
        in.releaseAll();
        assertEquals(2, link.send(b));
        link.finish();
        assertEquals(3, link.receive(in));
        assertSame(ps[3], in.get(0));
        assertSame(ps[5], in.get(2));
        in.releaseAll();
        assertEquals(-1, link.receive(in));
        assertEquals(0, pool.outstanding());
    }
}
