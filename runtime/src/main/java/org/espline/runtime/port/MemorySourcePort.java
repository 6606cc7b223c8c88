package org.espline.runtime.port;

import java.util.List;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * A source that copies a fixed list of raw IP packets into pool buffers, in order (tests, tools and
 * benchmarks). An empty pool is back-pressure: {@link #receive} returns what it could fill, possibly 0,
 * and continues where it stopped. Not thread-safe.
 */
public final class MemorySourcePort implements SourcePort {
    private final BufferPool pool;
    private final List<byte[]> packets;
    private int next;

    public MemorySourcePort(BufferPool pool, List<byte[]> packets) {
        this.pool = pool;
        this.packets = List.copyOf(packets);
        final int max = pool.bufferSize() - pool.headroom();
        for (int i = 0; i < this.packets.size(); i++) {
            if (this.packets.get(i).length > max) {
                throw new IllegalArgumentException("packets[" + i + "]: " + this.packets.get(i).length
                        + " bytes (expected: <= " + max + ", the pool's buffer size after headroom)");
            }
        }
    }

    @Override
    public int receive(PacketBatch into) {
        if (next == packets.size()) {
            return -1;
        }
        int n = 0;
        while (next < packets.size() && !into.isFull()) {
            final PacketBuffer p = pool.acquire();
            if (p == null) {
                break;
            }
            final byte[] bytes = packets.get(next++);
            System.arraycopy(bytes, 0, p.array(), p.put(bytes.length), bytes.length);
            into.add(p);
            n++;
        }
        return n;
    }


    /** Packets not yet received. */
    public int remaining() { return packets.size() - next; }
}
