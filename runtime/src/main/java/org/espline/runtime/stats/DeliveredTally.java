package org.espline.runtime.stats;

import org.espline.runtime.sa.SecurityAssociation;

/**
 * Counts one outcome (a delivered packet) for a run of packets and adds it to the global and the per-SA counters
 * once per run instead of once per packet: two atomic adds per packet were a tenth of ESP's own cost at 1400 bytes,
 * and on a gateway the tx and rx threads' counters share cache lines. A run ends when the SA changes or at
 * {@link #flush()}, which a stage calls at the end of each batch (a crypto engine at the end of each poll), so
 * counters lag by at most one batch. A packet without an SA counts in the global counter only.
 *
 * <p>One instance per thread, like the EspInput, EspOutput or engine poller that owns it.
 */
public final class DeliveredTally {
    private final XfrmStats stats;
    private final XfrmCounter counter;
    private SecurityAssociation sa;
    private int count;

    public DeliveredTally(XfrmStats stats, XfrmCounter counter) {
        this.stats = stats;
        this.counter = counter;
    }

    public void add(SecurityAssociation of) {
        if (of != sa) {
            flush();
            sa = of;
        }
        count++;
    }

    public void flush() {
        if (count != 0) {
            stats.add(counter, count);
            if (sa != null) {
                sa.stats().add(counter, count);
            }
            count = 0;
        }
        sa = null;
    }
}
