package org.espline.runtime.pipeline;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.header.InternetChecksum;
import org.espline.runtime.stats.XfrmCounter;
import org.espline.runtime.stats.XfrmStats;

/**
 * Recomputes the TCP, UDP, ICMP and ICMPv6 checksums of each packet (after NAT-like rewrites or for a
 * producer that left them to the "hardware"). Packets without such a checksum (other protocols,
 * fragments) pass untouched; packets whose lengths are inconsistent are dropped under the counter given
 * at construction, since an IP packet that cannot be checksummed cannot be delivered either.
 *
 * <p>A fragmented buffer is linearised first (counted by its BufferStats): the checksum runs over one
 * array. One instance per thread.
 */
public final class ChecksumStage implements Stage {
    private final XfrmStats stats;
    private final XfrmCounter malformed;

    /** @param malformed the drop counter for unparsable packets (e.g. XfrmOutBundleGenError on tx, XfrmInHdrError on rx) */
    public ChecksumStage(XfrmStats stats, XfrmCounter malformed) {
        if (!malformed.isDrop()) {
            throw new IllegalArgumentException("malformed: " + malformed + " (expected: a drop counter)");
        }
        this.stats = stats;
        this.malformed = malformed;
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        final int n = in.size();
        for (int i = 0; i < n; i++) {
            final PacketBuffer p = in.get(i);
            if (!p.isLinear()) {
                p.linearise();
            }
            p.ensureWritable();
            final InternetChecksum.Status s = InternetChecksum.updateTransportChecksum(p.array(), p.data(), p.tail());
            if (s == InternetChecksum.Status.MALFORMED) {
                Drops.drop(p, stats, malformed);
            } else {
                out.add(p);
            }
        }
    }
}
