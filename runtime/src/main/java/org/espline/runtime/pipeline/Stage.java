package org.espline.runtime.pipeline;

/**
 * One step of a pipeline over a batch.
 *
 * <p>Contract: on entry {@code out} is empty and has at least {@code in.size()} free slots. Every packet
 * of {@code in} either ends in {@code out} (in arrival order) or is dropped: released to its pool and
 * counted under exactly one drop {@link org.espline.runtime.stats.XfrmCounter}. A stage never keeps a
 * reference to a packet after {@code process} returns, and the caller clears {@code in} afterwards.
 * Malformed packets are drops, never exceptions.
 *
 * <p>Implementations are final classes with final fields (so generated code and the JIT can fold their
 * parameters) and hold per-thread scratch: one instance per pipeline, used by one thread.
 */
public interface Stage {
    void process(PacketBatch in, PacketBatch out);
}
