package org.espline.runtime.port;

import java.io.IOException;
import java.io.UncheckedIOException;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pcap.PcapReader;
import org.espline.runtime.pcap.PcapRecord;
import org.espline.runtime.pipeline.PacketBatch;

/**
 * A source that reads the IP packets of a pcap file (any link type the reader supports) into pool
 * buffers. Records that hold no IP packet, or one larger than a buffer, are skipped and counted
 * ({@link #skipped()}). An empty pool is back-pressure: the record read last is kept for the next call.
 * A broken file surfaces as an {@link UncheckedIOException} naming it. Closing the reader stays with its
 * owner. Not thread-safe.
 */
public final class PcapSourcePort implements SourcePort {
    private final PcapReader reader;
    private final BufferPool pool;
    private final PcapRecord record = new PcapRecord();
    private final int maxLength;
    private boolean held;
    private boolean ended;
    private long skipped;

    public PcapSourcePort(PcapReader reader, BufferPool pool) {
        this.reader = reader;
        this.pool = pool;
        this.maxLength = pool.bufferSize() - pool.headroom();
    }

    @Override
    public int receive(PacketBatch into) {
        if (ended) {
            return -1;
        }
        int n = 0;
        while (!into.isFull()) {
            if (!held) {
                if (!next()) {
                    ended = true;
                    return n == 0 ? -1 : n;
                }
                if (!record.isIp() || record.ipLength() > maxLength || record.ipLength() <= 0) {
                    skipped++;
                    continue;
                }
                held = true;
            }
            final PacketBuffer p = pool.acquire();
            if (p == null) {
                break;
            }
            final int len = record.ipLength();
            System.arraycopy(record.data(), record.ipOffset(), p.array(), p.put(len), len);
            into.add(p);
            held = false;
            n++;
        }
        return n;
    }

    private boolean next() {
        try {
            return reader.next(record);
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + reader.name(), e);
        }
    }


    /** Records skipped: not IP, empty, or larger than a pool buffer. */
    public long skipped() { return skipped; }
}
