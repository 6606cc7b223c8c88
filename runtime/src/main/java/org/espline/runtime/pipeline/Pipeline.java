package org.espline.runtime.pipeline;

import org.espline.runtime.port.SinkPort;
import org.espline.runtime.port.SourcePort;

/**
 * The interpreted pipeline: a source port, an ordered list of stages and a sink port (see
 * {@link AbstractPipeline} for batching, back-pressure and accounting). Generated pipelines do the
 * same with their stages called directly instead of through this array.
 *
 * <p>Not thread-safe: one pipeline per worker thread.
 */
public final class Pipeline extends AbstractPipeline {
    private final Stage[] stages;

    /**
     * Work batches are sized by {@link AbstractPipeline#workCapacity(int, Stage...)}: a GSO stage's expansion
     * is accounted for, and the source is still asked for {@code batchSize} packets.
     */
    public Pipeline(SourcePort source, Stage[] stages, SinkPort sink, int batchSize) {
        super(source, sink, batchSize, workCapacity(batchSize, stages));
        this.stages = stages.clone();
        for (int i = 0; i < this.stages.length; i++) {
            if (this.stages[i] == null) {
                throw new NullPointerException("stages[" + i + "]");
            }
        }
    }

    @Override
    protected PacketBatch runStages(PacketBatch in, PacketBatch spare) {
        PacketBatch from = in;
        PacketBatch to = spare;
        final Stage[] ss = stages;
        for (int i = 0; i < ss.length; i++) {
            ss[i].process(from, to);
            from.clear();
            final PacketBatch t = from;
            from = to;
            to = t;
        }
        return from;
    }

    @Override
    protected int stagesInFlight() {
        int n = 0;
        for (Stage s : stages) {
            n += s.inFlight();
        }
        return n;
    }

    @Override
    protected boolean stagesAcceptInput() {
        for (Stage s : stages) {
            if (!s.acceptsInput()) {
                return false;
            }
        }
        return true;
    }
}
