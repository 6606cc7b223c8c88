package org.espline.runtime.port;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * A sink that writes every packet to a raw-IP pcap file and releases it; it always takes the whole
 * batch. A write failure is an I/O failure of the run, not a packet problem, and surfaces as an
 * {@link UncheckedIOException} (the batch's packets are released first, so none leak).
 * {@link #finish()} flushes; closing the writer stays with its owner. Not thread-safe.
 */
public final class PcapSinkPort implements SinkPort {
    private final PcapPacketWriter out;

    public PcapSinkPort(PcapWriter writer) {
        this.out = new PcapPacketWriter(writer);
    }


    @Override
    public int send(PacketBatch from) {
        final int n = from.size();
        try {
            for (int i = 0; i < n; i++) {
                out.write(from.get(i));
            }
        } catch (IOException e) {
            from.releaseAll();
            throw new UncheckedIOException("writing " + out.writer(), e);
        }
        from.releaseAll();
        return n;
    }

    @Override
    public void finish() {
        try {
            out.writer().flush();
        } catch (IOException e) {
            throw new UncheckedIOException("flushing " + out.writer(), e);
        }
    }
}
