package org.espline.runtime.pipeline;

import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;

/**
 * What every pipeline does around its stages: pull a batch from the source port, hand it to the
 * stages, and offer the survivors to the sink port. Two batches are ping-ponged, so the steady state
 * allocates nothing. The interpreted {@link Pipeline} loops over a stage array; generated pipelines
 * call their stages directly in {@link #runStages}. Both share this plumbing, so they behave the same.
 *
 * <p>Back-pressure: when the sink takes only part of a batch, the rest is held and offered first on the
 * next call, and no new input is pulled until it is gone. Nothing is dropped for a full sink.
 *
 * <p>Asynchronous stages ({@link Stage#inFlight()}): packets may stay in a stage between calls. While a stage
 * holds any, the stages are run even when the source has nothing new (with an empty batch), so completions
 * move on; while a stage does not {@linkplain Stage#acceptsInput() accept input} the source is not pulled
 * (back-pressure reaches the source, nothing is dropped); and at the end of input the stages are run until
 * nothing is in flight before the sink is finished. Subclasses report their stages through
 * {@link #stagesInFlight()} and {@link #stagesAcceptInput()} (defaults: 0 and true, for synchronous stages).
 *
 * <p>Accounting: every packet received ends delivered to the sink, dropped under one drop counter of the
 * stages' XfrmStats, or consumed by a stage under a non-drop ending (see {@link DecryptStage#consumed()}), or
 * is still held: {@code received() == delivered() + drops + consumed + pending() + inFlight()}. GSO and GRO change the count on the way
 * (a super-packet leaves as its segments, segments leave as one coalesced packet): with them the identity
 * holds after adding the segments made and subtracting the segments merged (their stages count both).
 *
 * <p>Batch and work capacity: the source is asked for at most {@link #batchSize()} packets per call, while
 * the two work batches and the pending batch hold {@link #workCapacity()} packets, room for what a GSO stage
 * makes of a full batch (batch size times segments per super-packet). Without GSO the two are equal.
 * With GSO, a batch of 32 super-packets of 64 KiB becomes some 1,500 segments, whose buffers no CPU cache holds
 * by the time the sink releases them; so an expanding pipeline adapts how many packets it pulls: it halves the
 * pull while a batch leaves the stages with more than twice the batch size and doubles it (up to the batch size)
 * while fewer than the batch size leave. Super-packets then come one or two at a time, small packets a full
 * batch at a time, and the segments in flight stay about one batch.
 *
 * <p>Gathering behind asynchronous stages: an engine releases its completions a few at a time, so a sink would see
 * a burst (the segments of one super-packet) in slivers, and a sink that batches by run (UDP GSO: one message per
 * run of equal-sized datagrams to one peer) would send many short runs. So while a stage still has packets in flight,
 * survivors are gathered, in order, until {@value #GATHER_TARGET} are together or nothing is in flight any more;
 * then they go to the sink. A lone packet (a ping) is never held: with nothing else in flight it leaves at once.
 * Gathered packets count as {@link #pending()}.
 *
 * <p>Not thread-safe: one pipeline per worker thread.
 */
public abstract class AbstractPipeline {
    private final SourcePort source;
    private final SinkPort sink;
    private PacketBatch a;
    private PacketBatch b;
    /** Survivors the sink has not taken yet; never refilled from the source while non-empty. */
    private final PacketBatch pending;
    /** Survivors held while stages have more in flight (see the class comment); sent before anything newer. */
    private final PacketBatch gathered;
    /** Survivors gathered behind asynchronous stages before they go to the sink: a UDP GSO run's worth. */
    static final int GATHER_TARGET = 64;
    private final int batchSize;
    /** Packets asked of the source per call: the batch size, or less while a GSO stage expands (see above). */
    private int pullLimit;
    private final boolean expands;
    private boolean sourceDone;
    private boolean finished;
    private long received;
    private long delivered;

    /** A pipeline whose stages never emit more packets than they take (no GSO). */
    protected AbstractPipeline(SourcePort source, SinkPort sink, int batchSize) {
        this(source, sink, batchSize, batchSize);
    }

    /**
     * @param batchSize    packets asked of the source per call
     * @param workCapacity packets the work batches hold: at least {@code batchSize}, and {@code batchSize}
     *                     times the stages' largest expansion (see {@link Stage#maxOutputPerInput()},
     *                     {@link #workCapacity(int, Stage...)})
     */
    protected AbstractPipeline(SourcePort source, SinkPort sink, int batchSize, int workCapacity) {
        if (batchSize <= 0 || workCapacity < batchSize) {
            throw new IllegalArgumentException("batchSize: " + batchSize + ", workCapacity: " + workCapacity
                    + " (expected: 0 < batchSize <= workCapacity)");
        }
        this.source = source;
        this.sink = sink;
        this.batchSize = batchSize;
        this.pullLimit = batchSize;
        this.expands = workCapacity > batchSize;
        this.a = new PacketBatch(workCapacity);
        this.b = new PacketBatch(workCapacity);
        this.pending = new PacketBatch(workCapacity);
        this.gathered = new PacketBatch(workCapacity + GATHER_TARGET);
    }

    /**
     * The work capacity stages of these expansions need for {@code batchSize} input packets: the batch size
     * times the product of {@link Stage#maxOutputPerInput()} (saturating at {@code Integer.MAX_VALUE / 2}).
     */
    public static int workCapacity(int batchSize, Stage... stages) {
        long c = batchSize;
        for (Stage s : stages) {
            c *= s == null ? 1 : Math.max(1, s.maxOutputPerInput());
            if (c > Integer.MAX_VALUE / 2) {
                return Integer.MAX_VALUE / 2;
            }
        }
        return (int) c;
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
     * Packets the stages hold between calls (asynchronous stages: see {@link Stage#inFlight()}). Generated
     * pipelines of synchronous stages keep the default 0; one with an engine stage returns its stage's count.
     */
    protected int stagesInFlight() {
        return 0;
    }

    /**
     * False while a stage cannot take new packets ({@link Stage#acceptsInput()}): the source is not pulled, the
     * stages run with an empty batch. Default true (synchronous stages).
     */
    protected boolean stagesAcceptInput() {
        return true;
    }

    /**
     * Delivers held packets, then pulls one batch from the source, runs it through every stage and
     * offers the survivors to the sink. With packets in flight in a stage, and the source having nothing new,
     * saturated stages or ended, the stages run with an empty batch so that they hand on their completions.
     *
     * @return packets pulled from the source in this call (0 when none were ready, a stage was saturated or
     *         the sink is still full), or -1 once the source is exhausted, nothing is in flight and everything
     *         has been delivered
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
        if (!gathered.isEmpty() && stagesInFlight() == 0) {
            // What a full sink left of a gathered run, with nothing more in flight to join it: it goes now, so it
            // never waits for new input (nor is left behind at the end of input).
            delivered += sink.send(gathered);
            if (!gathered.isEmpty()) {
                pending.moveFrom(gathered);
                return 0;
            }
        }
        final PacketBatch in = a;
        in.clear();
        if (sourceDone || !stagesAcceptInput()) {
            return drainStages(in);
        }
        in.limit(pullLimit);
        final int n = source.receive(in);
        in.limit(in.capacity());
        if (n < 0) {
            sourceDone = true;
            return drainStages(in);
        }
        if (n == 0) {
            if (stagesInFlight() > 0) {
                runAndSend(in);
            }
            return 0;
        }
        received += n;
        runAndSend(in);
        return n;
    }

    /** No new input: hands on what the stages have in flight, or finishes once nothing is left (source ended). */
    private int drainStages(PacketBatch empty) {
        if (stagesInFlight() > 0) {
            runAndSend(empty);
            return 0;
        }
        if (sourceDone) {
            finish();
            return -1;
        }
        return 0;
    }

    private void runAndSend(PacketBatch in) {
        final PacketBatch spare = b;
        spare.clear();
        final PacketBatch survivors = runStages(in, spare);
        if (expands) {
            adaptPull(survivors.size());
        }
        if (survivors != in) {
            a = survivors;
            b = in;
        }
        PacketBatch out = survivors;
        if (!gathered.isEmpty() || (!survivors.isEmpty() && survivors.size() < GATHER_TARGET && stagesInFlight() > 0)) {
            gathered.moveFrom(survivors);
            if (gathered.size() < GATHER_TARGET && stagesInFlight() > 0) {
                return; // more of this burst is in flight: let it join
            }
            out = gathered;
        }
        if (!out.isEmpty()) {
            delivered += sink.send(out);
            if (!out.isEmpty()) {
                pending.moveFrom(out);
            }
        }
    }

    private void adaptPull(int left) {
        if (left > 2 * batchSize) {
            pullLimit = Math.max(1, pullLimit >> 1);
        } else if (left < batchSize) {
            pullLimit = Math.min(batchSize, pullLimit << 1);
        }
    }

    private void finish() {
        finished = true;
        sink.finish();
    }

    /**
     * Runs until the source is exhausted (and everything is delivered) or at least {@code maxPackets}
     * packets were pulled. Waits with an {@link IdleBackoff} (spin, yield, park) while the source has nothing
     * ready or the sink is full, so use it with a source and sink that make progress on their own (files,
     * another thread); drive two pipelines that share one thread through {@link #runOnce()}.
     *
     * @return packets pulled from the source
     */
    public final long run(long maxPackets) {
        final IdleBackoff backoff = new IdleBackoff();
        long total = 0;
        while (total < maxPackets) {
            final long deliveredBefore = delivered;
            final int n = runOnce();
            if (n < 0) {
                break;
            }
            if (n == 0 && delivered == deliveredBefore) {
                backoff.idle();
            } else {
                backoff.reset();
            }
            total += n;
        }
        return total;
    }

    /** The port this pipeline pulls from (a runner may wait on it while the pipeline is idle). */
    public final SourcePort source() { return source; }

    /** Packets the stages hold between calls (asynchronous engines): taken from the source, not yet ended. */
    public final int inFlight() { return stagesInFlight(); }

    /** True once the source ended, nothing is in flight and every survivor went to the sink. */
    public final boolean isFinished() { return finished; }

    public final long received() { return received; }

    public final long delivered() { return delivered; }

    /** Survivors held back by a full sink, or gathered behind asynchronous stages (see the class comment). */
    public final int pending() { return pending.size() + gathered.size(); }

    /** Packets asked of the source per call. */
    public final int batchSize() { return batchSize; }

    /** Packets each work batch holds (batch size times the largest expansion of the stages). */
    public final int workCapacity() { return a.capacity(); }
}
