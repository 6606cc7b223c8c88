package org.espline.runtime.port;

import java.io.IOException;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pcap.PcapWriter;
import org.espline.runtime.pipeline.PacketSink;

/**
 * Writes packets as raw-IP pcap records. A linear packet goes out straight from its array; a fragmented
 * one is gathered into a scratch array owned by this writer (the packet itself is not touched), because
 * a pcap record is one contiguous run. Timestamps are wall-clock time. Not thread-safe.
 */
public final class PcapPacketWriter implements PacketSink {
    private final PcapWriter writer;
    private final byte[] scratch = new byte[PcapWriter.SNAP_LENGTH];

    public PcapPacketWriter(PcapWriter writer) {
        this.writer = writer;
    }

    @Override
    public void write(PacketBuffer p) throws IOException {
        final long now = System.currentTimeMillis();
        final long seconds = now / 1000;
        final int micros = (int) (now % 1000) * 1000;
        if (p.isLinear()) {
            writer.write(p.array(), p.data(), p.linearLength(), seconds, micros);
            return;
        }
        final byte[] s = scratch;
        int n = Math.min(p.linearLength(), s.length);
        System.arraycopy(p.array(), p.data(), s, 0, n);
        final int frags = p.fragmentCount();
        for (int i = 0; i < frags && n < s.length; i++) {
            final int len = Math.min(p.fragmentLength(i), s.length - n);
            System.arraycopy(p.fragmentArray(i), p.fragmentOffset(i), s, n, len);
            n += len;
        }
        writer.write(s, 0, n, seconds, micros);
    }

    public PcapWriter writer() { return writer; }
}
