package org.espline.runtime.pipeline;

import org.espline.runtime.port.Port;

/**
 * What every pipeline does around its stages: pull a batch from the source port, hand it to the
 * stages, and offer the survivors to the sink port. Two batches are ping-ponged, so the steady state
 * allocates nothing. The interpreted {@link Pipeline} loops over a stage array; generated pipelines
 * call their stages directly in {@link #runStages}. Both share this plumbing, so they behave the same.
 *
 * <p>Back-pressure: when the sink takes only part of a batch, the rest is held and offered first on the
 * next call, and no new input is pulled until it is gone. Nothing is dropped for a full sink.
 *
 * <p>Accounting: every packet received ends delivered to the sink, dropped under one drop counter of the
 * stages' XfrmStats, or consumed by a stage under a non-drop ending (see {@link DecryptStage#consumed()}):
 * {@code received() == delivered() + drops + consumed + pending()}.
 *
 * <p>Not thread-safe: one pipeline per worker thread.
 */
public abstract class AbstractPipeline {
    private final Port source;
    private final Port sink;
    private PacketBatch a;
    private PacketBatch b;
    /** Survivors the sink has not taken yet; never refilled from the source while non-empty. */
    private final PacketBatch pending;
    private boolean sourceDone;
    private boolean finished;
    private long received;
    private long delivered;

    protected AbstractPipeline(Port source, Port sink, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: batchSize > 0)");
        }
        this.source = source;
        this.sink = sink;
        this.a = new PacketBatch(batchSize);
        this.b = new PacketBatch(batchSize);
        this.pending = new PacketBatch(batchSize);
    }

    /**
     * Runs one received batch through the stages. {@code in} holds the packets, {@code spare} is empty;
     * each stage reads one of the two and writes the other (emptied first), so they alternate.
     *
     * @return the batch that holds the survivors of the last stage ({@code in} when there are no stages);
     *         the other one must be empty
     */
    protected abstract PacketBatch runStages(PacketBatch in, PacketBatch spare);

    /**
     * Delivers held packets, then pulls one batch from the source, runs it through every stage and
     * offers the survivors to the sink.
     *
     * @return packets pulled from the source in this call (0 when none were ready or the sink is still
     *         full), or -1 once the source is exhausted and everything has been delivered
     */
    public final int runOnce() {
        if (finished) {
            return -1;
        }
        if (!pending.isEmpty()) {
            delivered += sink.send(pending);
            if (!pending.isEmpty()) {
                return 0;
            }
        }
        if (sourceDone) {
            finish();
            return -1;
        }
        final PacketBatch in = a;
        in.clear();
        final int n = source.receive(in);
        if (n < 0) {
            sourceDone = true;
            finish();
            return -1;
        }
        if (n == 0) {
            return 0;
        }
        received += n;
        final PacketBatch spare = b;
        spare.clear();
        final PacketBatch survivors = runStages(in, spare);
        if (survivors != in) {
            a = survivors;
            b = in;
        }
        if (!survivors.isEmpty()) {
            delivered += sink.send(survivors);
            if (!survivors.isEmpty()) {
                pending.moveFrom(survivors);
            }
        }
        return n;
    }

    private void finish() {
        finished = true;
        sink.finish();
    }

    /**
     * Runs until the source is exhausted (and everything is delivered) or at least {@code maxPackets}
     * packets were pulled. Spins while the source has nothing ready or the sink is full, so use it with
     * a source and sink that make progress on their own (files, another thread); drive two pipelines
     * that share one thread through {@link #runOnce()}.
     *
     * @return packets pulled from the source
     */
    public final long run(long maxPackets) {
        long total = 0;
        while (total < maxPackets) {
            final int n = runOnce();
            if (n < 0) {
                break;
            }
            if (n == 0) {
                Thread.onSpinWait();
            }
            total += n;
        }
        return total;
    }

    /** True once the source ended and every survivor went to the sink. */
    public final boolean isFinished() { return finished; }

    public final long received() { return received; }

    public final long delivered() { return delivered; }

    /** Survivors held back by a full sink. */
    public final int pending() { return pending.size(); }

    public final int batchSize() { return a.capacity(); }
}
