package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.esp.EspInput;
import org.espline.runtime.sa.SaDatabase;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Inbound ESP: demultiplexes, checks and decrypts each packet in place ({@link EspInput}); decrypted
 * inner packets pass. {@link EspInput} counts every outcome, so this stage only releases what does not
 * pass.
 *
 * <p>Non-ESP outcomes end here under their (non-drop) counter — EsplineSkippedNotEsp,
 * EsplineIkeHandedOff, EsplineNatKeepalive — unless the stage was built with {@code passClear}: then
 * clear traffic (EsplineSkippedNotEsp only) passes unchanged. For the pipeline's accounting these
 * endings are {@linkplain #consumed() consumed}, not dropped.
 *
 * <p>One instance per thread (its EspInput holds header views).
 */
public final class DecryptStage implements Stage {
    private final EspInput esp;
    private final boolean passClear;
    private long consumed;

    public DecryptStage(SaDatabase sad, XfrmStats stats, boolean passClear) {
        this.esp = new EspInput(sad, stats);
        this.passClear = passClear;
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            final XfrmCounter result = esp.decapsulateInBatch(p);
            if (result == XfrmCounter.EsplineInDelivered
                    || (passClear && result == XfrmCounter.EsplineSkippedNotEsp)) {
                out.add(p);
            } else {
                if (!result.isDrop()) {
                    consumed++;
                }
                p.release();
            }
        }
        esp.endBatch();
    }

    /** Packets that ended here under a non-drop counter (IKE, keepalive, clear traffic not passed). */
    public long consumed() { return consumed; }
}
