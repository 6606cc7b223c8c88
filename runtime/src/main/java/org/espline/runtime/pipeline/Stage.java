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
}
