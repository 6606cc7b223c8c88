package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/** The single way a stage drops a packet: count once, release once. */
final class Drops {
    private Drops() {
    }

    static void drop(PacketBuffer p, XfrmStats stats, XfrmCounter reason) {
        stats.increment(reason);
        p.release();
    }
}
