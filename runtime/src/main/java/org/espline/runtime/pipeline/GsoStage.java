package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.BufferPool;
import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.gso.GsoSegmenter;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Transmit-side segmentation: each TCP packet with more than {@code mss} payload bytes is replaced, in its
 * place in the batch, by its segments ({@link GsoSegmenter}); everything else passes untouched. It sits after
 * {@link ClassifyStage}, so policy and SA lookup run once per super-packet and every segment inherits the
 * SA metadata, and before {@link EncryptStage}, which then seals each segment (placed late, as TALK.md §3).
 *
 * <p>Drops: a TCP super-packet with inconsistent lengths as XfrmOutBundleGenError (the packet cannot be
 * built into segments, as ClassifyStage counts unparsable ones); no pool buffers for its segments as
 * XfrmOutBufferError.
 *
 * <p>It expands: {@link #maxOutputPerInput()} is {@link GsoSegmenter#maxSegments(int)}, which
 * {@link Pipeline} (and a generated pipeline through {@link AbstractPipeline#workCapacity(int, Stage...)})
 * uses to size its work batches. One instance per thread.
 *
 * <p>Before an encrypt stage on a NIC with TSO ({@link #handingThrough}), the stage does not cut: it marks each
 * super-packet with the MSS and its segment count ({@link PacketBuffer#gso(int, int)}, Linux's gso_size and
 * gso_segs) and hands it on whole, for the device to segment and encrypt on its own threads. It still reports
 * {@link GsoSegmenter#maxSegments(int)} as its expansion: what the device refuses the encrypt stage segments
 * itself, and a super-packet's segments come back from the device together.
 */
public final class GsoStage implements Stage {
    /** {@link #segment} result: the SA refused the super-packet, and ESP output counted why. */
    private static final int REFUSED = -100;

    private final GsoSegmenter segmenter;
    private final EspOutput esp;
    private final XfrmStats stats;
    private final int maxSegments;
    private final boolean handThrough;
    private long segmented;
    private long segments;
    private long handedThrough;

    /**
     * @param mss   TCP payload bytes per segment
     * @param pool  where segment buffers come from (typically the pipeline's pool)
     * @param stats the pipeline's counters
     */
    public GsoStage(int mss, BufferPool pool, XfrmStats stats) {
        this(mss, pool, stats, false);
    }

    private GsoStage(int mss, BufferPool pool, XfrmStats stats, boolean handThrough) {
        this.segmenter = new GsoSegmenter(mss, pool);
        this.esp = new EspOutput(stats);
        this.stats = stats;
        this.maxSegments = GsoSegmenter.maxSegments(mss);
        this.handThrough = handThrough;
    }

    /**
     * A stage in front of a TSO device: super-packets are marked with the MSS and their segment count and passed on
     * whole (see the class comment); malformed TCP super-packets are still dropped here as XfrmOutBundleGenError.
     *
     * @param pool where the encrypt stage's own segments come from when the device refuses a super-packet
     */
    public static GsoStage handingThrough(int mss, BufferPool pool, XfrmStats stats) {
        return new GsoStage(mss, pool, stats, true);
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            final int r = handThrough ? segmenter.segmentsOf(p) : segment(p, out);
            if (r > 0 && handThrough) {
                p.gso(segmenter.mss(), r);
                out.add(p);
                handedThrough++;
            } else if (r > 0) {
                segmented++;
                segments += r;
            } else if (r == GsoSegmenter.PASS) {
                out.add(p);
            } else if (r == REFUSED) {
                p.release();
            } else {
                Drops.drop(p, stats, r == GsoSegmenter.MALFORMED
                        ? XfrmCounter.XfrmOutBundleGenError : XfrmCounter.XfrmOutBufferError);
            }
        }
    }

    /**
     * Cuts {@code p} as {@link GsoSegmenter#segment} does. A super-packet classification gave an SA to protect it takes
     * its segments' sequence numbers in one step first, and is checked and accounted against the SA's lifetimes once
     * ({@link EspOutput#prepareSegments}, the TSO path's step): each segment carries its number
     * ({@link PacketBuffer#FLAG_SEQUENCE_RESERVED}) to ESP output, so the SA's shared counters are touched once per
     * super-packet instead of once per segment. A packet that passes uncut takes its single number here as well
     * ({@link EspOutput#prepare}), so that numbers follow the order in which packets leave the batch. A packet the SA
     * refuses (expired, numbers used up, not fit for it) is dropped under the reason ESP output counted.
     */
    private int segment(PacketBuffer p, PacketBatch out) {
        if (!(p.securityAssociation() instanceof SecurityAssociation sa) || p.hasFlag(ClassifyStage.FLAG_BYPASS)) {
            return segmenter.segment(p, out);
        }
        final int count = segmenter.segmentsOf(p);
        if (count == GsoSegmenter.PASS) {
            // A packet that passes takes its number here too, so the numbers stay in the order packets leave.
            final long seq = esp.prepare(p, sa);
            if (seq == 0) {
                return REFUSED;
            }
            p.sequenceNumber(seq);
            p.setFlag(PacketBuffer.FLAG_SEQUENCE_RESERVED);
            return GsoSegmenter.PASS;
        }
        if (count < 0) {
            return count;
        }
        final long first = esp.prepareSegments(p, sa, count);
        if (first == 0) {
            return REFUSED;
        }
        final int at = out.size();
        final int r = segmenter.segment(p, out);
        for (int i = 0; i < r; i++) {
            final PacketBuffer s = out.get(at + i);
            s.sequenceNumber(first + i);
            s.setFlag(PacketBuffer.FLAG_SEQUENCE_RESERVED);
        }
        return r;
    }

    @Override
    public int maxOutputPerInput() { return maxSegments; }

    public int mss() { return segmenter.mss(); }

    /** Super-packets cut into segments. */
    public long segmented() { return segmented; }

    /** Super-packets handed on whole to a TSO device ({@link #handingThrough}). */
    public long handedThrough() { return handedThrough; }

    public boolean isHandingThrough() { return handThrough; }

    /** Segments made of them. */
    public long segments() { return segments; }
}
