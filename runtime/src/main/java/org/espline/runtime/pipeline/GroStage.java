package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.gso.GroTable;
import org.espline.runtime.sa.SecurityAssociation;

/**
 * Receive-side coalescing after decryption ({@link GroTable}): consecutive in-order TCP segments of a flow
 * become one packet of at most {@code maxSize} bytes and {@code maxSegments} segments, a valid IP packet a
 * tap records as Wireshark expects.
 *
 * <p>Per SA: only packets whose SA ({@link PacketBuffer#securityAssociation()}, set by {@link DecryptStage})
 * has {@link org.espline.runtime.sa.SaConfig#gro()} on are coalesced; packets of other SAs, and packets with
 * no SA (clear traffic passed by the decrypt stage), pass untouched.
 *
 * <p>Flushing: everything held is flushed at the end of each batch, like napi_gro_flush at the end of a
 * poll, so nothing waits for the next batch and {@code flushMicros} is only an upper bound that this
 * flush-per-batch always meets (kept for the model and for a future stage that holds across batches).
 *
 * <p>Never drops: every packet ends in {@code out} or as fragments of a coalesced packet there, so a
 * pipeline with GRO delivers fewer packets than it received. One instance per thread.
 */
public final class GroStage implements Stage {
    /** Largest coalesced IP packet when the model says nothing: the 16-bit IP length. */
    public static final int DEFAULT_MAX_SIZE = 65535;
    /** Most segments per coalesced packet when the model says nothing (Linux's GRO bound is similar in effect). */
    public static final int DEFAULT_MAX_SEGMENTS = 64;
    /** Flush bound when the model says nothing: 0, flush at the end of every batch (which is what happens anyway). */
    public static final int DEFAULT_FLUSH_MICROS = 0;

    private final GroTable table;
    private final int maxSize;
    private final int maxSegments;
    private final int flushMicros;

    /**
     * @param maxSize     largest coalesced IP packet in bytes (1..65535)
     * @param maxSegments most segments per coalesced packet (1 = coalesce nothing)
     * @param flushMicros upper bound on how long a segment may be held; met by flushing every batch (>= 0)
     */
    public GroStage(int maxSize, int maxSegments, int flushMicros) {
        if (maxSize <= 0 || maxSize > 0xFFFF || maxSegments <= 0 || flushMicros < 0) {
            throw new IllegalArgumentException("maxSize: " + maxSize + ", maxSegments: " + maxSegments + ", flushMicros: "
                    + flushMicros + " (expected: 0 < maxSize <= 65535, maxSegments > 0, flushMicros >= 0)");
        }
        this.table = new GroTable(maxSize, maxSegments);
        this.maxSize = maxSize;
        this.maxSegments = maxSegments;
        this.flushMicros = flushMicros;
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final GroTable t = table;
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            t.receive(p, groEnabled(p), out);
        }
        t.flush();
    }

    private static boolean groEnabled(PacketBuffer p) {
        return p.securityAssociation() instanceof SecurityAssociation sa && sa.config().gro();
    }

    public int maxSize() { return maxSize; }

    public int maxSegments() { return maxSegments; }

    public int flushMicros() { return flushMicros; }

    /** Coalesced packets made (two or more segments each). */
    public long coalesced() { return table.coalesced(); }

    /** Segments merged into another packet (each a packet fewer on the way up). */
    public long merged() { return table.merged(); }
}
