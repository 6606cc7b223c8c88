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
            if (esp.encapsulateInBatch(p, sa) == XfrmCounter.EsplineOutDelivered) {
                out.add(p);
            } else {
                p.release();
            }
        }
        esp.endBatch();
    }
}
