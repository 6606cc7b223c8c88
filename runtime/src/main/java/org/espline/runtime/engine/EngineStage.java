package org.espline.runtime.engine;

import java.util.Objects;

import org.espline.runtime.pipeline.PacketBatch;
import org.espline.runtime.pipeline.Stage;

/**
 * Encrypt or decrypt on a {@link CryptoEngine} (the asynchronous counterpart of
 * {@link org.espline.runtime.pipeline.EncryptStage} and {@link org.espline.runtime.pipeline.DecryptStage}; the
 * engine's {@linkplain CryptoEngine#direction() direction} decides which). Each {@link #process} call offers the
 * held-back packets, then {@code in}, to the engine, polls the completions into {@code out} in the engine's
 * order, and offers what is still held back once more into the slots the poll freed.
 *
 * <p>Packets are in flight between calls ({@link #inFlight()}). What the engine did not take stays here, in
 * order, in a backlog sized like the pipeline's work batch (allocated on the first call from
 * {@code in.capacity()}); while the backlog holds anything the stage does not {@linkplain #acceptsInput()
 * accept input}, so the pipeline stops pulling from its source (back-pressure, never a drop). A call may put
 * more packets in {@code out} than {@code in} held (completions of earlier calls), up to {@code out}'s room: a
 * stage after it must not expand (GSO belongs before encryption).
 *
 * <p>One instance per pipeline, used by the pipeline's thread; the stage does not own the engine (its creator
 * closes it, after the pipeline drained).
 */
public final class EngineStage implements Stage {
    /**
     * The longest the pipeline thread waits for completions in one call when the engine is saturated: the workers
     * wake it as soon as enough are done, so this only bounds the wait of a thread that drives more than one pipeline
     * (a tx and an rx pipeline on one thread) and should look at the other one now and then.
     */
    static final long MAX_WAIT_NANOS = 200_000;
    /** Without input, the completions awaited at most: a batch's worth, not a whole large ring before the first leaves. */
    static final int MAX_WAIT_PACKETS = 32;

    private final CryptoEngine engine;
    private PacketBatch backlog;

    public EngineStage(CryptoEngine engine) {
        this.engine = Objects.requireNonNull(engine, "engine");
    }

    @Override
    public void process(PacketBatch in, PacketBatch out) {
        PacketBatch held = backlog;
        if (held == null) {
            held = backlog = new PacketBatch(in.capacity());
        }
        final boolean idle = held.isEmpty() && in.isEmpty();
        if (!held.isEmpty()) {
            engine.offer(held);
        }
        if (held.isEmpty() && !in.isEmpty()) {
            engine.offer(in);
        }
        if (!in.isEmpty()) {
            if (held.remaining() < in.size()) {
                throw new IllegalStateException("engine stage " + engine.name() + ": " + in.size()
                        + " packets offered while " + held.size() + " are held back (capacity " + held.capacity()
                        + "): the pipeline must not pull input while acceptsInput() is false");
            }
            held.moveFrom(in);
        }
        if (engine.poll(out) == 0 && out.isEmpty() && (!held.isEmpty() || (idle && engine.inFlight() > 0))) {
            // Nothing to release, and nothing new to submit: the ring is full, or the source had nothing (a pool
            // whose buffers are all in flight, an idle port). Wait, parked, until the workers have completed as
            // many as are held back (or a batch), rather than spin on poll: a spinning pipeline thread takes the
            // very core a worker needs whenever workers plus pipeline thread outnumber the cores. One wake-up per
            // batch, and bounded.
            engine.awaitCompletions(held.isEmpty() ? Math.min(held.capacity(), MAX_WAIT_PACKETS) : held.size(), MAX_WAIT_NANOS);
            engine.poll(out);
        }
        if (!held.isEmpty()) {
            engine.offer(held);
        }
    }

    /** Packets held back here plus packets in the engine. */
    @Override
    public int inFlight() {
        final PacketBatch held = backlog;
        return (held == null ? 0 : held.size()) + engine.inFlight();
    }

    /** False while packets the engine did not take are held back. */
    @Override
    public boolean acceptsInput() {
        final PacketBatch held = backlog;
        return held == null || held.isEmpty();
    }

    /** Packets held back because the engine's ring was full. */
    public int backlog() {
        final PacketBatch held = backlog;
        return held == null ? 0 : held.size();
    }

    /** Packets that ended under a non-drop counter other than delivery (see {@link CryptoEngine#consumed()}). */
    public long consumed() { return engine.consumed(); }

    public CryptoEngine engine() { return engine; }
}
