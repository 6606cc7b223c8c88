package org.espline.cli.demo;

import org.espline.runtime.buffer.PacketBuffer;
import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.port.SinkPort;

/**
 * The wire between the two gateways, with an attacker on it: every {@code period}-th ESP packet is preceded
 * by a copy with one bit flipped (fresh sequence number, so the ICV check must catch it) and followed by an
 * exact copy (a replay, which the window must catch). The original always goes through, so the receiver
 * still gets every byte; the two extra copies must end as XfrmInStateProtoError and XfrmInStateSeqError.
 *
 * <p>Counts wire packets and bytes for the report. Holds what the link could not take and offers it first
 * next time, so a full link slows the sender rather than losing anything.
 */
final class WireFaults implements SinkPort {
    private final SinkPort link;
    private final int period;
    private final PacketBatch held;
    private volatile long packets;
    private volatile long bytes;
    private long tampered;
    private long replayed;

    /** @param capacity packets held for the link at most: a pipeline's work batch, plus room for the injected copies */
    WireFaults(SinkPort link, int period, int capacity) {
        this.link = link;
        this.period = period;
        this.held = new PacketBatch(capacity);
    }

    @Override
    public int send(PacketBatch from) {
        if (!flush()) {
            return 0;
        }
        int moved = 0;
        final int n = from.size();
        while (moved < n && held.remaining() >= 3) {
            PacketBuffer p = from.get(moved);
            long k = packets + moved;
            bytes += p.length();
            moved++;
            if (period > 0 && k % period == period / 2) {
                byte[] wire = p.toByteArray();
                byte[] flipped = wire.clone();
                flipped[flipped.length - 1] ^= 0x01; // last ICV byte
                held.add(copy(flipped, p));
                held.add(p);
                held.add(copy(wire, p));
                tampered++;
                replayed++;
            } else {
                held.add(p);
            }
        }
        from.removeFirst(moved);
        packets += moved;
        flush();
        return moved;
    }

    private static PacketBuffer copy(byte[] bytes, PacketBuffer like) {
        return PacketBuffer.copyOf(bytes, 0, bytes.length, 64, 64, like.maxFragments(), like.stats());
    }

    /** Offers what is held to the link; true when nothing is left. */
    private boolean flush() {
        if (!held.isEmpty()) {
            link.send(held);
        }
        return held.isEmpty();
    }

    @Override
    public void finish() {
        while (!flush()) {
            Thread.onSpinWait();
        }
        link.finish();
    }


    long packets() { return packets; }

    long bytes() { return bytes; }

    long tampered() { return tampered; }

    long replayed() { return replayed; }
}
