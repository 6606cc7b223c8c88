package org.espline.runtime.pipeline;

import org.espline.runtime.port.Port;

/**
 * The interpreted pipeline: a source port, an ordered list of stages and a sink port, driven one batch
 * at a time. Two batches are ping-ponged between the stages, so the steady state allocates nothing.
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
public final class Pipeline {
    private final Port source;
    private final Stage[] stages;
    private final Port sink;
    private PacketBatch a;
    private PacketBatch b;
    /** Survivors the sink has not taken yet; never refilled from the source while non-empty. */
    private final PacketBatch pending;
    private boolean sourceDone;
    private boolean finished;
    private long received;
    private long delivered;

    public Pipeline(Port source, Stage[] stages, Port sink, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batchSize: " + batchSize + " (expected: batchSize > 0)");
        }
        this.source = source;
        this.stages = stages.clone();
        this.sink = sink;
        this.a = new PacketBatch(batchSize);
        this.b = new PacketBatch(batchSize);
        this.pending = new PacketBatch(batchSize);
        for (int i = 0; i < this.stages.length; i++) {
            if (this.stages[i] == null) {
                throw new NullPointerException("stages[" + i + "]");
            }
        }
    }

    /**
     * Delivers held packets, then pulls one batch from the source, runs it through every stage and
     * offers the survivors to the sink.
     *
     * @return packets pulled from the source in this call (0 when none were ready or the sink is still
     *         full), or -1 once the source is exhausted and everything has been delivered
     */
    public int runOnce() {
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
        PacketBatch in = a;
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
        PacketBatch out = b;
        final Stage[] ss = stages;
        for (int i = 0; i < ss.length; i++) {
            out.clear();
            ss[i].process(in, out);
            in.clear();
            final PacketBatch t = in;
            in = out;
            out = t;
        }
        a = in;
        b = out;
        if (!in.isEmpty()) {
            delivered += sink.send(in);
            if (!in.isEmpty()) {
                pending.moveFrom(in);
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
    public long run(long maxPackets) {
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
    public boolean isFinished() { return finished; }

    public long received() { return received; }

    public long delivered() { return delivered; }

    /** Survivors held back by a full sink. */
    public int pending() { return pending.size(); }

    public int batchSize() { return a.capacity(); }
}
