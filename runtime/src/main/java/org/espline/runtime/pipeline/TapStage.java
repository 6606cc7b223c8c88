package org.espline.runtime.pipeline;

import java.io.IOException;

import org.espline.runtime.buffer.PacketBuffer;

/**
 * Records every packet to a {@link PacketSink} (typically a pcap file) and passes it on unchanged. The
 * write is synchronous, so the packet is neither cloned nor copied into the pipeline. A failing sink
 * does not cost packets: the failure is counted and traffic keeps flowing.
 *
 * <p>One instance per thread; the sink is used only from that thread.
 */
public final class TapStage implements Stage {
    private final PacketSink sink;
    private long records;
    private long errors;

    public TapStage(PacketSink sink) {
        this.sink = sink;
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            try {
                sink.write(p);
                records++;
            } catch (IOException e) {
                errors++;
            }
            out.add(p);
        }
    }

    /** Records written. */
    public long records() { return records; }

    /** Writes that failed (the packets still passed). */
    public long errors() { return errors; }
}
