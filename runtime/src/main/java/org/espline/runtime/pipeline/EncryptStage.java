package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.esp.EspOutput;
import org.espline.runtime.sa.SecurityAssociation;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Outbound ESP: encapsulates each packet with the SA that classification put in its metadata, in
 * place ({@link EspOutput}). Packets marked {@link ClassifyStage#FLAG_BYPASS} pass untouched. A packet
 * with neither an SA nor the bypass mark is dropped as XfrmOutNoStates; every other drop is counted by
 * {@link EspOutput}, which this stage only releases.
 *
 * <p>One instance per thread (its EspOutput holds header views and the SA's transforms are per thread).
 */
public final class EncryptStage implements Stage {
    private final XfrmStats stats;
    private final EspOutput esp;

    public EncryptStage(XfrmStats stats) {
        this.stats = stats;
        this.esp = new EspOutput(stats);
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final int n = in.size();
        int runEnd = 0;
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            if (p.hasFlag(ClassifyStage.FLAG_BYPASS)) {
                out.add(p);
                continue;
            }
            if (!(p.securityAssociation() instanceof SecurityAssociation sa)) {
                Drops.drop(p, stats, XfrmCounter.XfrmOutNoStates);
                continue;
            }
            if (i >= runEnd) {
                runEnd = reserveRun(esp, in, i, n, sa);
            }
            if (esp.encapsulateInBatch(p, sa) == XfrmCounter.EsplineOutDelivered) {
                out.add(p);
            } else {
                p.release();
            }
        }
        esp.endBatch();
    }

    /**
     * Reserves sequence numbers and lifetime at once for the packets of {@code sa} that follow one another from
     * {@code from} ({@link EspOutput#reserveRun}): per-packet atomics on the SA were a tenth of a packet's cost
     * without crypto. GSO segments, whose numbers are reserved already, and TSO super-packets, which reserve their
     * segments' numbers themselves, end a run. An asynchronous engine's submission, which prepares packets in the same
     * order, uses it too.
     *
     * @param limit the index the run stops at, at the latest
     * @return the index after the run
     */
    public static int reserveRun(EspOutput esp, PacketBatch in, int from, int limit, SecurityAssociation sa) {
        final int n = Math.min(limit, in.size());
        int end = from;
        long bytes = 0;
        while (end < n) {
            final PacketBuffer q = in.get(end);
            if (q.securityAssociation() != sa || q.gsoSegments() > 1
                    || q.hasFlag(ClassifyStage.FLAG_BYPASS | PacketBuffer.FLAG_SEQUENCE_RESERVED)) {
                break;
            }
            bytes += q.length();
            end++;
        }
        esp.reserveRun(sa, end - from, bytes);
        return Math.max(end, from + 1);
    }
}
