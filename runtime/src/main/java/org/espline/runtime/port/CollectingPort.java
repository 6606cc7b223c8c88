package org.espline.runtime.port;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.espline.runtime.pipeline.PacketBatch;

/**
 * A sink for tests: keeps a copy of every packet's bytes (linear part and fragments), in order, and
 * releases the packet. Allocates per packet by design. Not thread-safe.
 */
public final class CollectingPort implements SinkPort {
    private final List<byte[]> packets = new ArrayList<>();
    private boolean finished;


    @Override
    public int send(PacketBatch from) {
        final int n = from.size();
        for (int i = 0; i < n; i++) {
            packets.add(from.get(i).toByteArray());
            from.get(i).release();
        }
        from.clear();
        return n;
    }

    @Override
    public void finish() {
        finished = true;
    }

    /** The collected packets (unmodifiable view). */
    public List<byte[]> packets() { return Collections.unmodifiableList(packets); }

    public boolean isFinished() { return finished; }
}
