package org.espline.runtime.pipeline;

/**
 * One step of a pipeline over a batch.
 *
 * <p>Contract: on entry {@code out} is empty and has at least {@code in.size() * maxOutputPerInput()} free
 * slots. Every packet of {@code in} either ends in {@code out} (in arrival order), or is dropped: released to
 * its pool and counted under exactly one drop {@link org.espline.runtime.stats.XfrmCounter}, or is replaced
 * by the packets made of it, in its place in the order: several (GSO: the segments of a super-packet, at
 * most {@link #maxOutputPerInput()}) or one made of several (GRO: consecutive segments of a flow coalesced,
 * the swallowed ones living on as the coalesced packet's fragments). A stage never keeps a reference to a
 * packet after {@code process} returns, and the caller clears {@code in} afterwards. Malformed packets are
 * drops, never exceptions.
 *
 * <p>Asynchronous stages (an {@link org.espline.runtime.engine.EngineStage} on a crypto engine) relax this in
 * one declared way: they may take packets of {@code in} and put them (or end them) in a later call. They say
 * how many they hold with {@link #inFlight()}, and while they cannot take more they answer false to
 * {@link #acceptsInput()}. The pipeline then calls them with an empty {@code in} (never with packets while
 * {@code acceptsInput()} is false) until they have nothing in flight, and at the end of input it keeps calling
 * them so until {@code inFlight() == 0} before it finishes the sink. Such a call may put more packets in
 * {@code out} than {@code in} held, up to {@code out}'s free slots; order still holds as the stage defines it.
 * Every stage must accept being called with an empty {@code in}.
 *
 * <p>Because GSO expands, a pipeline sizes its work batches as batch size times the product of its stages'
 * {@link #maxOutputPerInput()} and asks its source for only a batch size of packets (see
 * {@link AbstractPipeline}).
 *
 * <p>Implementations are final classes with final fields (so generated code and the JIT can fold their
 * parameters) and hold per-thread scratch: one instance per pipeline, used by one thread.
 */
public interface Stage {
    void process(PacketBatch in, PacketBatch out);

    /** The most packets {@code process} puts in {@code out} for one packet of {@code in}: 1 except for GSO. */
    default int maxOutputPerInput() {
        return 1;
    }

    /**
     * Packets this stage took from an {@code in} and has neither put in an {@code out} nor ended (dropped or
     * consumed) yet: 0 for synchronous stages, which never hold a packet past {@code process}.
     */
    default int inFlight() {
        return 0;
    }

    /**
     * False while the stage cannot take new packets (it holds back what its engine did not take): the pipeline
     * does not pull from its source then, and calls the stages with an empty {@code in}. Always true for
     * synchronous stages.
     */
    default boolean acceptsInput() {
        return true;
    }
}
